//! The config as `config show` prints it: [`super::Secret`]s already serialize as `<redacted>`; the values of
//! the agents' `env` tables (often API keys) are hidden too, keeping their names.

use super::Config;

const HIDDEN: &str = "<redacted>";

/// `c` as a TOML value with every agent `env` value replaced by `<redacted>`.
pub fn redacted(c: &Config) -> Result<toml::Value, toml::ser::Error> {
    let mut v = toml::Value::try_from(c)?;
    for section in crate::assistants::names() {
        if let Some(toml::Value::Table(env)) = v.get_mut(section).and_then(|s| s.get_mut("env")) {
            for (_, value) in env.iter_mut() {
                *value = toml::Value::String(HIDDEN.into());
            }
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_env_values_are_hidden_and_names_kept() {
        let c = super::super::load_from_str(
            "[claude]\nenv = { ANTHROPIC_API_KEY = \"sk-ant-s3cret\" }\n\
             [codex]\nenv = { OPENAI_API_KEY = \"sk-s3cret\" }\n\
             [opencode]\nenv = { X = \"s3cret\" }\n",
            std::path::Path::new("x"),
            &[],
        )
        .unwrap();
        let shown = toml::to_string_pretty(&redacted(&c).unwrap()).unwrap();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("ANTHROPIC_API_KEY"), "{shown}");
        let claude = c.section(crate::assistants::claude::ASSISTANT);
        assert_eq!(
            claude["env"]["ANTHROPIC_API_KEY"].as_str(),
            Some("sk-ant-s3cret")
        );
    }
}

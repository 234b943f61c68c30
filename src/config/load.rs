//! Reading and validating the config file, with locations in every error.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Config;

/// Prefix of environment overrides: `PALINGENESIS__RESUME__BACKOFF_BASE_SECS=10`.
pub const ENV_PREFIX: &str = "PALINGENESIS__";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Syntax or type error, or a value that fails validation, located in the file.
    #[error("{location}: {message}")]
    Invalid { location: Location, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    /// A key given on the command line (`config set`): it has no place in the file yet.
    #[error("`{key}`: {message}")]
    Key { key: String, message: String },
}

/// `file:line:col` (1-based) plus the dotted key when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub key: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)?;
        if let Some(key) = &self.key {
            write!(f, " (key `{key}`)")?;
        }
        Ok(())
    }
}

/// Load the config: the file if it exists (defaults otherwise), then environment overrides, then validation.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    load_from_str(&text, path, &env_overrides())
}

/// The `PALINGENESIS__…` variables of this process: the overrides the daemon applies over its file.
pub fn env_overrides() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .collect()
}

/// Check a file's text without environment overrides (used by `config validate` and `config edit`).
pub fn validate_text(text: &str, path: &Path) -> Result<Config, ConfigError> {
    load_from_str(text, path, &[])
}

/// Parse `text` (as if read from `path`), apply `env` overrides, deserialize and validate.
pub fn load_from_str(
    text: &str,
    path: &Path,
    env: &[(String, String)],
) -> Result<Config, ConfigError> {
    let mut table: toml::Table = text.parse().map_err(|e| located(text, path, &e))?;
    // Deserialize the file alone first, so its errors point into the file.
    if let Err(e) = toml::from_str::<Config>(text) {
        return Err(located(text, path, &e));
    }
    for adapter in crate::assistants::all() {
        if let Err(e) = adapter.check_section(text) {
            return Err(located(text, path, &e));
        }
    }
    for (var, value) in env {
        apply_env_override(&mut table, var, value)?;
    }
    let config: Config = Config::deserialize_table(&table).map_err(|message| {
        // Only environment overrides can fail here: the file alone deserialized.
        ConfigError::Env {
            var: env
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            message,
        }
    })?;
    if let Err((assistant, message)) = check_sections(&config) {
        // A bad value written in the file is placed there; one only an override brings is the override's.
        if env.is_empty() {
            let key = message.split_whitespace().next().unwrap_or_default();
            let dotted = format!("{assistant}.{key}");
            let (line, col) = locate_key(text, &dotted)
                .or_else(|| locate_key(text, assistant.as_str()))
                .unwrap_or((1, 1));
            return Err(ConfigError::Invalid {
                location: Location {
                    file: path.to_path_buf(),
                    line,
                    col,
                    key: Some(dotted),
                },
                message,
            });
        }
        return Err(ConfigError::Env {
            var: env
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            message: format!("[{assistant}]: {message}"),
        });
    }
    if let Err((key, message)) = validate(&config) {
        // A value an override brought is the override's, not the file's.
        if let Some((name, _)) = env.iter().find(|(k, _)| env_var_key(k).join(".") == key) {
            return Err(ConfigError::Env {
                var: name.clone(),
                message: format!("`{key}` {message}"),
            });
        }
        let (line, col) = locate_key(text, &key).unwrap_or((1, 1));
        return Err(ConfigError::Invalid {
            location: Location {
                file: path.to_path_buf(),
                line,
                col,
                key: Some(key),
            },
            message,
        });
    }
    Ok(config)
}

/// The key path an override variable sets (`PALINGENESIS__RESUME__VERIFY_TIMEOUT_SECS` ->
/// `["resume", "verify_timeout_secs"]`); `var` starts with [`ENV_PREFIX`].
pub(super) fn env_var_key(var: &str) -> Vec<String> {
    var[ENV_PREFIX.len()..]
        .split("__")
        .map(|p| p.to_ascii_lowercase())
        .collect()
}

/// A TOML error, placed in the file.
pub(super) fn located(text: &str, path: &Path, e: &toml::de::Error) -> ConfigError {
    let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
    ConfigError::Invalid {
        location: Location {
            file: path.to_path_buf(),
            line,
            col,
            key: None,
        },
        message: first_line(e.message()),
    }
}

/// Each assistant's section against its type (after environment overrides).
pub(super) fn check_sections(config: &Config) -> Result<(), (crate::model::Assistant, String)> {
    for (assistant, section) in &config.assistants {
        if let Some(adapter) = crate::assistants::get(*assistant) {
            adapter
                .check_table(section)
                .map_err(|e| (*assistant, e.to_string()))?;
        }
    }
    Ok(())
}

impl Config {
    /// Read the way an assistant's section is ([`crate::adapter::parse_section`]: through TOML text, one
    /// deserializer for the whole config); the error is its first line.
    pub(super) fn deserialize_table(table: &toml::Table) -> Result<Config, String> {
        crate::adapter::parse_section(table).map_err(|e| e.0)
    }
}

pub(super) fn apply_env_override(
    table: &mut toml::Table,
    var: &str,
    raw: &str,
) -> Result<(), ConfigError> {
    let path = env_var_key(var);
    if path.len() != 2 || path.iter().any(String::is_empty) {
        return Err(ConfigError::Env {
            var: var.into(),
            message: "expected PALINGENESIS__<SECTION>__<KEY>".into(),
        });
    }
    // A TOML literal (number, bool, array, quoted string) or else a bare string.
    let value = format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    let section = table
        .entry(path[0].clone())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    match section {
        toml::Value::Table(t) => {
            t.insert(path[1].clone(), value);
            Ok(())
        }
        _ => Err(ConfigError::Env {
            var: var.into(),
            message: format!("`{}` is not a section", path[0]),
        }),
    }
}

/// Semantic checks serde cannot express. Returns the offending dotted key and why.
pub(super) fn validate(c: &Config) -> Result<(), (String, String)> {
    let r = &c.resume;
    let fail = |k: &str, m: String| Err((k.to_string(), m));
    super::bounds::check(c)?;
    if c.daemon
        .log_level
        .parse::<tracing::level_filters::LevelFilter>()
        .is_err()
    {
        return fail(
            "daemon.log_level",
            format!(
                "must be one of off, error, warn, info, debug, trace; got {:?}",
                c.daemon.log_level
            ),
        );
    }
    if r.backoff_base_secs == 0 {
        return fail("resume.backoff_base_secs", "must be greater than 0".into());
    }
    if r.backoff_max_secs < r.backoff_base_secs {
        return fail(
            "resume.backoff_max_secs",
            format!(
                "must be at least resume.backoff_base_secs ({})",
                r.backoff_base_secs
            ),
        );
    }
    if !(0.0..1.0).contains(&r.jitter_fraction) {
        return fail(
            "resume.jitter_fraction",
            format!("must be in 0..1, got {}", r.jitter_fraction),
        );
    }
    if r.reset_margin_secs > 3600 {
        return fail(
            "resume.reset_margin_secs",
            format!("must be at most 3600, got {}", r.reset_margin_secs),
        );
    }
    if r.exact_margin_ms > 60_000 {
        return fail(
            "resume.exact_margin_ms",
            format!(
                "must be at most 60000 (a minute), got {}",
                r.exact_margin_ms
            ),
        );
    }
    if r.exact_jitter_ms > 60_000 {
        return fail(
            "resume.exact_jitter_ms",
            format!(
                "must be at most 60000 (a minute), got {}",
                r.exact_jitter_ms
            ),
        );
    }
    if r.stagger_secs > 3600 {
        return fail(
            "resume.stagger_secs",
            format!("must be at most 3600, got {}", r.stagger_secs),
        );
    }
    if r.max_resumes_per_hour == 0 {
        return fail(
            "resume.max_resumes_per_hour",
            "must be at least 1 (use `resume.enabled = false` to disable resuming)".into(),
        );
    }
    if r.prompt.trim().is_empty() {
        return fail("resume.prompt", "must not be empty".into());
    }
    c.fleet.validate()?;
    c.fallback.validate()?;
    if !["http://", "https://"]
        .iter()
        .any(|scheme| c.otel.endpoint.starts_with(scheme))
    {
        return fail(
            "otel.endpoint",
            format!(
                "`{}` is not an http:// or https:// URL (OTLP/HTTP, normally port 4318)",
                c.otel.endpoint
            ),
        );
    }
    if c.backup.keep == 0 {
        return fail("backup.keep", "must be at least 1".into());
    }
    if c.audit.max_bytes < 4096 {
        return fail("audit.max_bytes", "must be at least 4096".into());
    }
    if c.monitoring.max_line_bytes < 1024 {
        return fail("monitoring.max_line_bytes", "must be at least 1024".into());
    }
    if !c.new_session.prompt_template.contains("{next_step}") {
        return fail(
            "new_session.prompt_template",
            "must contain {next_step}".into(),
        );
    }
    if let Some((key, why)) = c.checkpoint.check() {
        return fail(&key, why);
    }
    for (assistant, section) in &c.assistants {
        let args = section.get("extra_args").and_then(|v| v.as_array());
        if let Some(bad) = args
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str())
            .find(|a| crate::resume::safety::is_permission_bypass(a))
        {
            return fail(
                &format!("{assistant}.extra_args"),
                format!(
                    "`{bad}` bypasses the agent's permission checks; palingenesis never adds it"
                ),
            );
        }
    }
    for (i, name) in c.monitoring.assistants.iter().enumerate() {
        if crate::assistants::get(*name).is_none() {
            return fail(
                "monitoring.assistants",
                format!(
                    "entry {i}: unknown assistant `{name}` (expected {})",
                    crate::assistants::names().join(", ")
                ),
            );
        }
    }
    for (i, name) in c.notifications.events.iter().enumerate() {
        let known = serde_json::from_value::<crate::audit::EventType>(serde_json::Value::String(
            name.clone(),
        ))
        .is_ok_and(|e| e != crate::audit::EventType::Unknown);
        if !known {
            return fail(
                "notifications.events",
                format!(
                    "entry {i}: `{name}` is not an audit event type (e.g. NeedsAttention, SessionFailed)"
                ),
            );
        }
    }
    // A half-configured channel is valid but inactive (see `config::warnings`).
    super::channels::validate(c)?;
    if c.http
        .token
        .as_ref()
        .is_some_and(|t| t.expose().trim().is_empty())
    {
        return fail(
            "http.token",
            "must not be blank (remove it to use the generated token file)".into(),
        );
    }
    // `localhost:PORT` names the loopback interface as well as 127.0.0.1 does.
    let localhost = c
        .http
        .bind
        .strip_prefix("localhost:")
        .is_some_and(|port| port.parse::<u16>().is_ok());
    match c.http.bind.parse::<std::net::SocketAddr>() {
        Err(_) if localhost => {}
        Err(_) => {
            return fail(
                "http.bind",
                format!(
                    "`{}` is not an address:port (e.g. 127.0.0.1:7654, [::1]:7654, localhost:7654)",
                    c.http.bind
                ),
            );
        }
        Ok(addr) if !addr.ip().is_loopback() && c.http.token.is_none() => {
            return fail(
                "http.token",
                format!("http.bind {addr} is reachable from other machines: set http.token"),
            );
        }
        Ok(_) => {}
    }
    Ok(())
}

/// Where a dotted key's value stands in the text (1-based line, column).
pub(super) fn locate_key(text: &str, dotted: &str) -> Option<(usize, usize)> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut parts = dotted.split('.');
    let mut item = doc.as_item().get(parts.next()?)?;
    for p in parts {
        item = item.get(p)?;
    }
    let span = item.span()?;
    Some(line_col(text, span.start))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, col)
}

pub(super) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config, ConfigError> {
        load_from_str(text, Path::new("/etc/p.toml"), &[])
    }

    #[test]
    fn empty_text_gives_defaults() {
        assert_eq!(load_text("").unwrap(), Config::default());
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let err = load_text("[resume]\nbackoff_base_secs = = 3\n").unwrap_err();
        let s = err.to_string();
        assert!(s.starts_with("/etc/p.toml:2:"), "{s}");
    }

    #[test]
    fn unknown_key_is_rejected_with_location() {
        let err = load_text("[resume]\nbackof_base_secs = 3\n").unwrap_err();
        let s = err.to_string();
        assert!(s.starts_with("/etc/p.toml:2:1"), "{s}");
        assert!(s.contains("backof_base_secs"), "{s}");
    }

    #[test]
    fn wrong_type_is_rejected_with_location() {
        let err = load_text("[resume]\nmax_retries = \"five\"\n").unwrap_err();
        assert!(err.to_string().starts_with("/etc/p.toml:2:"), "{err}");
    }

    #[test]
    fn semantic_errors_name_the_key_and_its_place() {
        let text = "[resume]\nbackoff_base_secs = 60\nbackoff_max_secs = 10\n";
        let s = load_text(text).unwrap_err().to_string();
        assert!(s.starts_with("/etc/p.toml:3:20"), "{s}");
        assert!(s.contains("resume.backoff_max_secs"), "{s}");
        for bad in [
            "[resume]\nbackoff_base_secs = 0\n",
            "[resume]\njitter_fraction = 1.5\n",
            "[resume]\njitter_fraction = -0.1\n",
            "[resume]\nexact_margin_ms = 600000\n",
            "[resume]\nexact_jitter_ms = 600000\n",
            "[resume]\nreset_margin_secs = 86400\n",
            "[resume]\nstagger_secs = 7200\n",
            "[claude]\nextra_args = [\"--dangerously-skip-permissions\"]\n",
            "[otel]\nendpoint = \"127.0.0.1:4318\"\n",
            "[fleet]\nhosts = [\"-oProxyCommand=sh\"]\n",
            "[fleet]\nhosts = [\"box one\"]\n",
            "[fleet]\nssh = \" \"\n",
            "[daemon]\nlog_level = \"palingenesis=debug\"\n",
        ] {
            assert!(load_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_overrides_win_and_parse_literals() {
        let env = vec![
            (
                "PALINGENESIS__RESUME__BACKOFF_BASE_SECS".to_string(),
                "7".to_string(),
            ),
            (
                "PALINGENESIS__RESUME__PROMPT".to_string(),
                "keep going".to_string(),
            ),
            (
                "PALINGENESIS__MONITORING__ASSISTANTS".to_string(),
                "[\"codex\"]".to_string(),
            ),
        ];
        let c = load_from_str("[resume]\nbackoff_base_secs = 3\n", Path::new("x"), &env).unwrap();
        assert_eq!(c.resume.backoff_base_secs, 7);
        assert_eq!(c.resume.prompt, "keep going");
        assert_eq!(
            c.monitoring.assistants,
            vec![crate::assistants::codex::ASSISTANT]
        );
    }

    #[test]
    fn bad_env_override_names_the_variable() {
        let env = vec![(
            "PALINGENESIS__RESUME__MAX_RETRIES".to_string(),
            "lots".to_string(),
        )];
        let err = load_from_str("", Path::new("x"), &env).unwrap_err();
        assert!(
            err.to_string()
                .contains("PALINGENESIS__RESUME__MAX_RETRIES"),
            "{err}"
        );
    }

    #[test]
    fn template_is_valid_and_equals_defaults() {
        let c = load_text(&super::super::template::template()).unwrap();
        // Assistants' sections compare as they are in force (defaults filled).
        assert_eq!(
            toml::to_string(&c).unwrap(),
            toml::to_string(&Config::default()).unwrap()
        );
        for adapter in crate::assistants::all() {
            assert!(
                c.assistants.contains_key(&adapter.assistant()),
                "{}",
                adapter.assistant()
            );
        }
    }

    #[test]
    fn secrets_are_redacted() {
        let c = load_text("[opencode]\nserver_password = \"hunter2\"\n").unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!toml::to_string(&c).unwrap().contains("hunter2"));
        let oc = c.section(crate::assistants::opencode::ASSISTANT);
        assert_eq!(oc["server_password"].as_str(), Some("hunter2"));
    }
}

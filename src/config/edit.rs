//! `config set KEY VALUE`: change one key in place, keeping the file's comments and layout.

use std::path::Path;

use super::load::ConfigError;
use super::template::template;

/// Return the new file text with `dotted_key` (`section.key`) set to `raw` (a TOML literal, or a bare string),
/// validated. `current` is the file's text (None when there is no file yet: the template is the base).
pub fn set_key(
    current: Option<&str>,
    path: &Path,
    dotted_key: &str,
    raw: &str,
) -> Result<String, ConfigError> {
    let fresh;
    let base = match current {
        Some(c) => c,
        None => {
            fresh = template();
            &fresh
        }
    };
    // The key comes from the command line: errors about it name it, not a place in the file.
    let invalid = |message: String| ConfigError::Key {
        key: dotted_key.to_string(),
        message,
    };
    // What is wrong with the file already is the file's, and placed there.
    if current.is_some() {
        super::validate_text(base, path)?;
    }
    let mut doc: toml_edit::DocumentMut = base.parse().map_err(|e: toml_edit::TomlError| {
        invalid(format!("the current file does not parse: {e}"))
    })?;
    let (section, key) = dotted_key
        .split_once('.')
        .filter(|(s, k)| !s.is_empty() && !k.is_empty() && !k.contains('.'))
        .ok_or_else(|| invalid("expected SECTION.KEY, e.g. resume.backoff_base_secs".into()))?;
    // No setting is a TOML date or time: `08:30` is meant as the string "08:30".
    let value: toml_edit::Value = raw
        .parse()
        .ok()
        .filter(|v: &toml_edit::Value| !v.is_datetime())
        .unwrap_or_else(|| toml_edit::Value::from(raw));
    let table = doc
        .entry(section)
        .or_insert_with(toml_edit::table)
        .as_table_like_mut()
        .ok_or_else(|| invalid(format!("`{section}` is not a section")))?;
    match table.get_mut(key) {
        // Replace the value in place so the key's comments and spacing stay.
        Some(item) => {
            let mut value = value;
            if let Some(old) = item.as_value() {
                *value.decor_mut() = old.decor().clone();
            }
            *item = toml_edit::Item::Value(value);
        }
        None => {
            table.insert(key, toml_edit::Item::Value(value));
        }
    }
    let text = doc.to_string();
    match super::validate_text(&text, path) {
        Ok(_) => Ok(text),
        Err(ConfigError::Invalid { message, .. }) => Err(invalid(
            message
                .replace("unknown field", "no such setting:")
                .replace("`, expected one of", "`; known here:"),
        )),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_keeps_comments_and_validates() {
        let p = Path::new("c.toml");
        let text = "# mine\n[resume]\n# base\nbackoff_base_secs = 30\n";
        let out = set_key(Some(text), p, "resume.backoff_base_secs", "45").unwrap();
        assert!(out.contains("# mine") && out.contains("# base"));
        assert!(out.contains("backoff_base_secs = 45"));
        let out = set_key(Some(&out), p, "resume.prompt", "go on").unwrap();
        assert!(out.contains("prompt = \"go on\""), "{out}");
        assert!(set_key(Some(text), p, "resume.backoff_base_secs", "0").is_err());
        assert!(set_key(Some(text), p, "resume.nope", "1").is_err());
        assert!(set_key(Some(text), p, "nodot", "1").is_err());
    }

    #[test]
    fn set_without_file_starts_from_template() {
        let out = set_key(
            None,
            Path::new("c.toml"),
            "monitoring.assistants",
            "[\"claude\"]",
        )
        .unwrap();
        assert!(out.contains("assistants = [\"claude\"]"));
        assert!(out.contains("# palingenesis configuration"));
    }
}

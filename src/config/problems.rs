//! Every problem of a config at once (what `config validate` reports), where [`super::load_from_str`] stops at
//! the first: each key of the file is checked on its own (unknown keys, wrong types), then each environment
//! override, then the semantic checks, repeatedly, each offending key set back to its default before the next
//! round. A TOML syntax error still stops at once: nothing after it can be read.

use std::collections::HashSet;
use std::path::Path;

use super::Config;
use super::load::{
    ConfigError, Location, apply_env_override, check_sections, env_var_key, first_line, locate_key,
    located, validate,
};

/// At most this many semantic rounds (each reports one problem and sets its key back to the default).
const MAX_ROUNDS: usize = 64;

/// The config the file and `env` give, or every problem found, in file order then overrides then semantics.
/// Never `Ok` where [`super::load_from_str`] fails.
pub fn problems(
    text: &str,
    path: &Path,
    env: &[(String, String)],
) -> Result<Config, Vec<ConfigError>> {
    let mut table: toml::Table = text.parse().map_err(|e| vec![located(text, path, &e)])?;
    let mut errors = Vec::new();
    let at = |key: &str, message: String| {
        let section = key.split('.').next().unwrap_or(key);
        let (line, col) = locate_key(text, key)
            .or_else(|| locate_key(text, section))
            .unwrap_or((1, 1));
        ConfigError::Invalid {
            location: Location {
                file: path.to_path_buf(),
                line,
                col,
                key: Some(key.to_string()),
            },
            message,
        }
    };
    // The file's keys, each on its own.
    for (section, value) in table.clone() {
        let keys = match &value {
            // A known section: its keys one by one (an unknown one is reported once, as a whole).
            toml::Value::Table(keys)
                if !keys.is_empty()
                    && structural(&section, None, &toml::Value::Table(Default::default()))
                        .is_none() =>
            {
                keys.clone()
            }
            _ => {
                if let Some(message) = structural(&section, None, &value) {
                    errors.push(at(&section, message));
                    table.remove(&section);
                }
                continue;
            }
        };
        for (key, v) in keys {
            if let Some(message) = structural(&section, Some(&key), &v) {
                errors.push(at(&format!("{section}.{key}"), message));
                if let Some(toml::Value::Table(t)) = table.get_mut(&section) {
                    t.remove(&key);
                }
            }
        }
    }
    errors.sort_by_key(|e| match e {
        ConfigError::Invalid { location, .. } => (location.line, location.col),
        _ => (0, 0),
    });
    // Each override on its own.
    for (var, raw) in env {
        let mut with = table.clone();
        if let Err(e) = apply_env_override(&mut with, var, raw) {
            errors.push(e);
            continue;
        }
        let key = env_var_key(var);
        let value = with.get(&key[0]).and_then(|s| s.get(&key[1]));
        match value.and_then(|v| structural(&key[0], Some(&key[1]), v)) {
            Some(message) => errors.push(ConfigError::Env {
                var: var.clone(),
                message,
            }),
            None => table = with,
        }
    }
    // The semantic checks, one problem per round.
    let mut seen = HashSet::new();
    for _ in 0..MAX_ROUNDS {
        let config = match Config::deserialize_table(&table) {
            Ok(c) => c,
            Err(message) => {
                errors.push(ConfigError::Invalid {
                    location: Location {
                        file: path.to_path_buf(),
                        line: 1,
                        col: 1,
                        key: None,
                    },
                    message,
                });
                break;
            }
        };
        let problem = match check_sections(&config) {
            Err((assistant, message)) => {
                let key = message.split_whitespace().next().unwrap_or_default();
                Some((format!("{assistant}.{key}"), message))
            }
            Ok(()) => validate(&config).err(),
        };
        let Some((key, message)) = problem else { break };
        if let Some((var, _)) = env.iter().find(|(k, _)| env_var_key(k).join(".") == key) {
            errors.push(ConfigError::Env {
                var: var.clone(),
                message: format!("`{key}` {message}"),
            });
        } else {
            errors.push(at(&key, message));
        }
        // A problem that stays with its key at the default (it depends on another key) ends the rounds.
        if !seen.insert(key.clone()) || !remove(&mut table, &key) {
            break;
        }
    }
    if errors.is_empty() {
        return super::load_from_str(text, path, env).map_err(|e| vec![e]);
    }
    Err(errors)
}

/// What deserializing `[section] key = value` alone says is wrong with it, if anything.
fn structural(section: &str, key: Option<&str>, value: &toml::Value) -> Option<String> {
    let inner = match key {
        Some(key) => toml::Value::Table(toml::Table::from_iter([(key.to_string(), value.clone())])),
        None => value.clone(),
    };
    let alone = toml::Table::from_iter([(section.to_string(), inner)]);
    let text = toml::to_string(&alone).ok()?;
    if let Err(e) = toml::from_str::<Config>(&text) {
        return Some(first_line(e.message()));
    }
    crate::assistants::all()
        .iter()
        .find_map(|a| a.check_section(&text).err())
        .map(|e| first_line(e.message()))
}

/// Removes `section.key` (or a whole `section`); whether there was one.
fn remove(table: &mut toml::Table, dotted: &str) -> bool {
    match dotted.split_once('.') {
        Some((section, key)) => table
            .get_mut(section)
            .and_then(toml::Value::as_table_mut)
            .is_some_and(|t| t.remove(key).is_some()),
        None => table.remove(dotted).is_some(),
    }
}

/// Where `[<section>] binary` stands in the file, for reporting a missing binary there.
pub fn binary_location(text: &str, path: &Path, section: &str) -> Option<Location> {
    let (line, col) = locate_key(text, &format!("{section}.binary"))?;
    Some(Location {
        file: path.to_path_buf(),
        line,
        col,
        key: Some(format!("{section}.binary")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str, env: &[(String, String)]) -> Vec<String> {
        match problems(text, Path::new("/c.toml"), env) {
            Ok(_) => vec![],
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let text = "[resume]\nbackof_base_secs = 3\njitter_fraction = 1.5\nmax_retries = \"five\"\n\n\
                    [backup]\nkeep = 0\n\n[resum]\nx = 1\n";
        let got = all(text, &[]);
        // The file's own errors in file order, then the semantic ones.
        let starts = [
            "/c.toml:2:",
            "/c.toml:4:",
            "/c.toml:9:",
            "/c.toml:3:",
            "/c.toml:7:",
        ];
        assert_eq!(got.len(), starts.len(), "{got:#?}");
        for (got, want) in got.iter().zip(starts) {
            assert!(got.starts_with(want), "{want}: {got}");
        }
    }

    #[test]
    fn overrides_are_named_by_variable_beside_the_file_s_problems() {
        let env = [
            (
                "PALINGENESIS__RESUME__MAX_RETRIES".to_string(),
                "lots".to_string(),
            ),
            ("PALINGENESIS__BACKUP__KEEP".to_string(), "0".to_string()),
        ];
        let got = all("[resume]\nstagger_secs = 7200\n", &env);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(
            got[0].contains("PALINGENESIS__RESUME__MAX_RETRIES"),
            "{got:#?}"
        );
        assert!(got.iter().any(|g| g.starts_with("/c.toml:2:")), "{got:#?}");
        assert!(
            got.iter().any(|g| g.contains("PALINGENESIS__BACKUP__KEEP")),
            "{got:#?}"
        );
    }

    #[test]
    fn a_syntax_error_stops_with_its_place_and_a_valid_file_passes() {
        let got = all("[resume]\nbackoff_base_secs = = 3\nkeep = 0\n", &[]);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(got[0].starts_with("/c.toml:2:"), "{got:#?}");
        assert_eq!(
            all(&super::super::template::template(), &[]),
            Vec::<String>::new()
        );
    }
}

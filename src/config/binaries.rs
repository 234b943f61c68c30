//! Whether the assistant binaries the config names exist: a `binary = "/usr/local/bin/claude"` that is not
//! there is reported by `config validate` and `health`, not first found at the first resume.

use std::path::{Path, PathBuf};

use super::Config;

/// A configured `binary` that cannot be run: `(assistant section, the binary as written, why)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingBinary {
    pub section: String,
    pub binary: String,
    pub why: String,
}

impl std::fmt::Display for MissingBinary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] binary = \"{}\": {}; install it, or set `{}.binary` to where it is",
            self.section, self.binary, self.why, self.section
        )
    }
}

/// Every assistant section's explicit `binary` that is not an executable file (a bare name is looked up on
/// `PATH`). Blocking: a few `stat` calls.
pub fn missing_binaries(config: &Config) -> Vec<MissingBinary> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    config
        .assistants
        .iter()
        .filter_map(|(assistant, section)| {
            let binary = section.get("binary")?.as_str()?;
            let why = problem(binary, &path)?;
            Some(MissingBinary {
                section: assistant.as_str().to_string(),
                binary: binary.to_string(),
                why,
            })
        })
        .collect()
}

/// Why `binary` cannot be run, or `None` when it can.
fn problem(binary: &str, path: &std::ffi::OsStr) -> Option<String> {
    locate(binary, path).err()
}

/// Where `binary` is: itself when it names a path, else the first executable of that name in the
/// directories of `path` (a `PATH` value). `Err` says why it cannot be run. Blocking: a few `stat` calls.
pub fn locate(binary: &str, path: &std::ffi::OsStr) -> Result<PathBuf, String> {
    if binary.contains('/') {
        let p = Path::new(binary);
        return match executable(p) {
            true => Ok(p.to_path_buf()),
            false if p.exists() => Err("it is not an executable file".into()),
            false => Err("no such file".into()),
        };
    }
    std::env::split_paths(path)
        .map(|dir| dir.join(binary))
        .find(|p| executable(p))
        .ok_or_else(|| "not found on PATH".into())
}

fn executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_configured_binary_is_named() {
        let c = crate::config::load_from_str(
            "[claude]\nbinary = \"/nonexistent/claude\"\n[codex]\nbinary = \"/bin/sh\"\n",
            Path::new("t.toml"),
            &[],
        )
        .unwrap();
        let missing = missing_binaries(&c);
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert_eq!(missing[0].section, "claude");
        assert!(missing[0].to_string().contains("no such file"));
        assert_eq!(problem("sh", std::ffi::OsStr::new("/bin:/usr/bin")), None);
        assert!(problem("surely-not-a-binary-x", std::ffi::OsStr::new("/bin")).is_some());
    }
}

//! Per-project overrides (`[<section>.projects."<dir>"]`): which of them apply to a session.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The overrides whose directory contains `cwd` (unknown: none), outermost first, so that the deepest,
/// applied last, wins.
pub fn containing<'a, T>(projects: &'a BTreeMap<PathBuf, T>, cwd: Option<&Path>) -> Vec<&'a T> {
    let Some(cwd) = cwd else {
        return Vec::new();
    };
    let mut found: Vec<(&PathBuf, &T)> = projects
        .iter()
        .filter(|(dir, _)| cwd.starts_with(dir))
        .collect();
    found.sort_by_key(|(dir, _)| dir.components().count());
    found.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containing_directories_apply_outermost_first() {
        let projects: BTreeMap<PathBuf, &str> = [
            ("/work/app".into(), "app"),
            ("/work".into(), "work"),
            ("/other".into(), "other"),
        ]
        .into();
        let cwd = Path::new("/work/app/src");
        assert_eq!(containing(&projects, Some(cwd)), [&"work", &"app"]);
        assert!(containing(&projects, Some(Path::new("/tmp"))).is_empty());
        assert!(containing(&projects, None).is_empty());
    }
}

//! One file, one spelling: a session file reached through a symlinked directory (or a symlink to the file)
//! below a watched root is the same file as its real path, so it is known, followed and persisted under one
//! path only. Otherwise an alias such as `~/.claude/projects/alias -> real` would be a "new" file, read from
//! byte 0, and replay stops that were handled long ago (or were on disk before the daemon started).
//!
//! The spelling of a file is its real path rewritten under the root *as the root was given* (the root itself
//! may be reached through a symlink, e.g. a symlinked home: that is not an alias). A file whose real path is
//! outside the root keeps the path it was reached by: there is no spelling inside the tree to prefer.
//!
//! Blocking file-system calls: use from blocking code.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The real path of one watched root, to spell files below it.
#[derive(Debug, Clone)]
pub struct Canon {
    root: PathBuf,
    /// `None` while the root does not exist (then every path is its own spelling).
    real_root: Option<PathBuf>,
}

impl Canon {
    /// Resolves `root` now; call again once a root that did not exist appears.
    pub fn new(root: &Path) -> Canon {
        Canon {
            root: root.to_path_buf(),
            real_root: fs::canonicalize(root).ok(),
        }
    }

    /// The one spelling of the file at `path` (see the module doc). `path` itself when it cannot be
    /// resolved (gone, unreadable) or leads out of the tree.
    pub fn spelling(&self, path: &Path) -> PathBuf {
        let (Some(real_root), Ok(real)) = (&self.real_root, fs::canonicalize(path)) else {
            return path.to_path_buf();
        };
        match real.strip_prefix(real_root) {
            Ok(rel) => self.root.join(rel),
            Err(_) => path.to_path_buf(),
        }
    }

    /// Whether `path` is below this root (as given).
    pub fn covers(&self, path: &Path) -> bool {
        path.starts_with(&self.root)
    }
}

/// Drops the persisted read offsets of paths that are aliases of another file below one of `roots`
/// (an offset kept under a symlinked directory's spelling): the file's own spelling is what is followed,
/// from its own offset, or as any file met at start-up (from its end, or its catch-up) when it has none:
/// an alias's offset is not trusted for it (it may be far behind what was handled through the real path).
/// Returns how many entries were dropped.
pub fn prune_alias_offsets(offsets: &mut BTreeMap<PathBuf, u64>, roots: &[PathBuf]) -> usize {
    let canons: Vec<Canon> = roots.iter().map(|r| Canon::new(r)).collect();
    let aliases: Vec<(PathBuf, PathBuf)> = offsets
        .keys()
        .filter_map(|path| {
            let canon = canons.iter().find(|c| c.covers(path))?;
            let spelling = canon.spelling(path);
            (spelling != *path).then(|| (path.clone(), spelling))
        })
        .collect();
    for (alias, spelling) in &aliases {
        offsets.remove(alias);
        tracing::debug!(alias = %alias.display(), file = %spelling.display(), "forgot the offset of an alias");
    }
    aliases.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_through_a_symlinked_directory_is_spelled_by_its_real_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("projects");
        fs::create_dir_all(root.join("real")).unwrap();
        fs::write(root.join("real/s.jsonl"), "{}\n").unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("alias")).unwrap();
        let canon = Canon::new(&root);
        assert_eq!(
            canon.spelling(&root.join("alias/s.jsonl")),
            root.join("real/s.jsonl")
        );
        assert_eq!(
            canon.spelling(&root.join("real/s.jsonl")),
            root.join("real/s.jsonl")
        );
    }

    #[test]
    fn a_root_reached_through_a_symlink_is_not_an_alias() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("data/projects/p")).unwrap();
        fs::write(dir.path().join("data/projects/p/s.jsonl"), "{}\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("data"), dir.path().join("home")).unwrap();
        let root = dir.path().join("home/projects");
        let canon = Canon::new(&root);
        assert_eq!(
            canon.spelling(&root.join("p/s.jsonl")),
            root.join("p/s.jsonl")
        );
    }

    #[test]
    fn alias_offsets_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("projects");
        fs::create_dir_all(root.join("real")).unwrap();
        fs::write(root.join("real/a.jsonl"), "{}\n").unwrap();
        fs::write(root.join("real/b.jsonl"), "{}\n").unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("alias")).unwrap();
        let mut offsets = BTreeMap::from([
            (root.join("alias/a.jsonl"), 3),
            (root.join("alias/b.jsonl"), 3),
            (root.join("real/b.jsonl"), 2),
            (root.join("gone/c.jsonl"), 9),
        ]);
        assert_eq!(
            prune_alias_offsets(&mut offsets, std::slice::from_ref(&root)),
            2
        );
        assert_eq!(
            offsets,
            BTreeMap::from([
                (root.join("real/b.jsonl"), 2),
                (root.join("gone/c.jsonl"), 9),
            ])
        );
    }
}

//! Writing a checkpoint: the agent's own account of where it is, saved where [`super::find_seed`] will find it.
//!
//! [`write_checkpoint`] replaces the project's next-step file and, when steps are named, adds them to the
//! `stepsCompleted` frontmatter of the first workflow file that records progress. Everything is checked before
//! anything is written; each file is backed up first (when backups are on) and replaced atomically (a
//! temporary file beside it, synced, renamed over it). Blocking: call it from `spawn_blocking`.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_yaml::{Mapping, Value};

use super::frontmatter::{self, FrontmatterError};
use super::{MAX_SEED_BYTES, normalise};
use crate::backup::BackupError;

/// Longest step name accepted.
const MAX_STEP_CHARS: usize = 200;

/// Where a checkpoint goes and how it is kept.
#[derive(Clone, Debug)]
pub struct CheckpointTarget {
    /// The project directory (the agent's working directory).
    pub project: PathBuf,
    /// Next-step file, relative to `project`.
    pub next_step_file: String,
    /// Workflow files, relative to `project`, tried in order.
    pub workflow_files: Vec<String>,
    /// Where copies of the replaced files go (`<dir>/<name>/<stamp>.md`), and how many are kept; `None`: no copies.
    pub backup: Option<(PathBuf, String, usize)>,
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointWritten {
    pub next_step: PathBuf,
    /// The copy of the next-step file as it was (none when it did not exist or backups are off).
    pub next_step_backup: Option<PathBuf>,
    /// The workflow file whose `stepsCompleted` was extended, and the steps actually added.
    pub workflow: Option<(PathBuf, Vec<String>)>,
    pub workflow_backup: Option<PathBuf>,
}

/// Why a checkpoint was refused or failed; nothing is lost either way.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("the next step is empty; write what the next session should do")]
    Empty,
    #[error("the next step is {0} bytes; at most {MAX_SEED_BYTES} are kept")]
    TooLarge(usize),
    #[error("step name {0:?} is not usable (one line, 1 to {MAX_STEP_CHARS} characters)")]
    BadStep(String),
    #[error("project directory {} does not exist", .0.display())]
    NoProject(PathBuf),
    #[error("steps were named but no workflow file records progress (looked for {0})")]
    NoWorkflow(String),
    #[error("{} has frontmatter palingenesis cannot update: {reason}", path.display())]
    Workflow { path: PathBuf, reason: String },
    #[error("{about} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        about: &'static str,
        source: io::Error,
    },
    #[error(transparent)]
    Backup(#[from] BackupError),
}

/// Checks and writes a checkpoint (see the module docs).
pub fn write_checkpoint(
    target: &CheckpointTarget,
    next_step: &str,
    steps: &[String],
    now: DateTime<Utc>,
) -> Result<CheckpointWritten, CheckpointError> {
    let text = normalise(next_step);
    if text.trim().is_empty() {
        return Err(CheckpointError::Empty);
    }
    if text.len() as u64 > MAX_SEED_BYTES {
        return Err(CheckpointError::TooLarge(text.len()));
    }
    let steps: Vec<String> = steps.iter().map(|s| s.trim().to_string()).collect();
    if let Some(bad) = steps
        .iter()
        .find(|s| s.is_empty() || s.contains('\n') || s.chars().count() > MAX_STEP_CHARS)
    {
        return Err(CheckpointError::BadStep(bad.clone()));
    }
    if !target.project.is_dir() {
        return Err(CheckpointError::NoProject(target.project.clone()));
    }
    // Everything that can be refused is refused before the first write.
    let workflow = if steps.is_empty() {
        None
    } else {
        Some(updated_workflow(target, &steps)?)
    };

    let path = target.project.join(&target.next_step_file);
    let mut body = text;
    if !body.ends_with('\n') {
        body.push('\n');
    }
    let next_step_backup = backup(target, &path, "md", now)?;
    replace_atomically(&path, body.as_bytes())?;

    let (workflow, workflow_backup) = match workflow {
        Some((wf_path, content, added)) => {
            let ext = wf_path
                .extension()
                .and_then(|e| e.to_str())
                .filter(|e| e.chars().all(|c| c.is_ascii_alphanumeric()))
                .unwrap_or("md")
                .to_string();
            let copy = backup(target, &wf_path, &ext, now)?;
            replace_atomically(&wf_path, content.as_bytes())?;
            (Some((wf_path, added)), copy)
        }
        None => (None, None),
    };
    Ok(CheckpointWritten {
        next_step: path,
        next_step_backup,
        workflow,
        workflow_backup,
    })
}

/// The first workflow file with progress in its frontmatter, its new text, and the steps added to it.
fn updated_workflow(
    target: &CheckpointTarget,
    steps: &[String],
) -> Result<(PathBuf, String, Vec<String>), CheckpointError> {
    for name in &target.workflow_files {
        let path = target.project.join(name);
        let text = match fs::read_to_string(&path) {
            Ok(t) => normalise(&t),
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(CheckpointError::Io {
                    path,
                    about: "cannot read workflow file",
                    source: e,
                });
            }
        };
        let invalid = |reason: String| CheckpointError::Workflow {
            path: path.clone(),
            reason,
        };
        let located = |e: FrontmatterError| match e {
            FrontmatterError::Yaml(e) => invalid(e.to_string()),
            FrontmatterError::Invalid(r) => invalid(r),
        };
        let Some((yaml, body)) = frontmatter::split(&text).map_err(located)? else {
            continue;
        };
        if frontmatter::progress(yaml).map_err(located)?.is_none() {
            continue;
        }
        let Ok(Value::Mapping(mut map)) = serde_yaml::from_str::<Value>(yaml) else {
            continue;
        };
        let added = add_steps(&mut map, steps).map_err(invalid)?;
        let yaml =
            serde_yaml::to_string(&Value::Mapping(map)).map_err(|e| invalid(e.to_string()))?;
        return Ok((path, format!("---\n{yaml}---\n{body}"), added));
    }
    Err(CheckpointError::NoWorkflow(
        target.workflow_files.join(", "),
    ))
}

/// Appends the steps not already in `stepsCompleted` (as numbers when the list holds numbers and the step is
/// one) and moves `lastStep` to the last step named, when the frontmatter has one. Returns the steps added.
fn add_steps(map: &mut Mapping, steps: &[String]) -> Result<Vec<String>, String> {
    let key = ["stepsCompleted", "steps_completed"]
        .into_iter()
        .find(|k| map.contains_key(*k))
        .unwrap_or("stepsCompleted");
    let mut list = match map.remove(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items,
        Some(lone @ (Value::Number(_) | Value::String(_))) => vec![lone],
        Some(_) => return Err(format!("`{key}` is not a list")),
    };
    let numeric = list.iter().any(Value::is_number) || list.is_empty();
    let shown = |v: &Value| match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => String::new(),
    };
    let mut added = Vec::new();
    for step in steps {
        if list.iter().any(|v| shown(v) == *step) {
            continue;
        }
        let value = match step.parse::<u64>() {
            Ok(n) if numeric => Value::Number(n.into()),
            _ => Value::String(step.clone()),
        };
        list.push(value);
        added.push(step.clone());
    }
    map.insert(Value::String(key.into()), Value::Sequence(list));
    if let (Some(last_key), Some(last)) = (
        ["lastStep", "last_step"]
            .into_iter()
            .find(|k| map.contains_key(*k)),
        steps.last(),
    ) {
        let value = match last.parse::<u64>() {
            Ok(n) => Value::Number(n.into()),
            Err(_) => Value::String(last.clone()),
        };
        map.insert(Value::String(last_key.into()), value);
    }
    Ok(added)
}

/// A copy of `path` as it is now, if it exists and backups are on.
fn backup(
    target: &CheckpointTarget,
    path: &Path,
    ext: &str,
    now: DateTime<Utc>,
) -> Result<Option<PathBuf>, CheckpointError> {
    let Some((dir, name, keep)) = &target.backup else {
        return Ok(None);
    };
    if !path.is_file() {
        return Ok(None);
    }
    Ok(Some(crate::backup::backup_as(
        path, dir, name, ext, *keep, now,
    )?))
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`.
fn replace_atomically(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    let io_err = |about: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| CheckpointError::Io {
            path: p,
            about,
            source,
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err("cannot create directory", dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.palingenesis-tmp"));
    let written = File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .map_err(io_err("cannot write", &tmp));
    if let Err(e) =
        written.and_then(|()| fs::rename(&tmp, path).map_err(io_err("cannot replace", path)))
    {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests;

//! Seeding a new session after a context-window exhaustion.
//!
//! When a session stops because its context filled up, the resume policy may start a fresh session instead
//! of resuming the full one. That session needs to know where to pick up. [`find_seed`] looks in the project
//! for, in order:
//!
//! 1. the next-step file (`Next-step.md` by default), taken whole (capped at [`MAX_SEED_BYTES`]);
//! 2. the first workflow file whose YAML frontmatter records progress (`stepsCompleted: [1, 2, 3]` and/or
//!    `lastStep: 3`); the next step is derived from it (`4`), and a `## Step 4: Write tests` heading in the
//!    file's body supplies the description.
//!
//! [`render_prompt`] then fills the configured prompt template. [`early`] decides when an agent is asked to
//! write its checkpoint before its context fills, so that this seed is fresh. All I/O here is blocking: call it from
//! `tokio::task::spawn_blocking` in async code.

mod checkpoint;
pub mod early;
mod frontmatter;
#[cfg(test)]
mod tests;

pub use checkpoint::{CheckpointError, CheckpointTarget, CheckpointWritten, write_checkpoint};

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use self::frontmatter::FrontmatterError;

/// How much of a seed file is read. Larger files are truncated, with a note saying so.
pub const MAX_SEED_BYTES: u64 = 256 * 1024;

/// Where to look for a seed and how to phrase the prompt: the `[new_session]` config section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedConfig {
    /// Next-step file, relative to the project directory.
    pub next_step_file: String,
    /// Workflow files, relative to the project directory, tried in order.
    pub workflow_files: Vec<String>,
    /// Template with `{next_step}`, `{step}`, `{description}` and `{project}` fields.
    pub prompt_template: String,
}

/// What a new session is seeded with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed {
    /// The file the seed was read from.
    pub source: PathBuf,
    /// The step to do next (`"4"`), when a workflow file's frontmatter tells.
    pub step: Option<String>,
    /// The next step's heading text (`"Write tests"`), when the workflow body has one.
    pub description: Option<String>,
    /// The file's text: LF line endings, no BOM, capped at [`MAX_SEED_BYTES`] with a truncation note.
    pub content: String,
}

/// Why no seed could be read.
#[derive(Debug, thiserror::Error)]
pub enum NextStepError {
    /// A seed file exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    /// A workflow file's frontmatter is not valid YAML.
    #[error("malformed YAML frontmatter in {}: {source}", path.display())]
    Yaml {
        path: PathBuf,
        source: serde_yaml::Error,
    },
    /// A workflow file's frontmatter is unterminated or describes steps with unusable values.
    #[error("invalid frontmatter in {}: {reason}", path.display())]
    Frontmatter { path: PathBuf, reason: String },
}

/// Finds what a new session in `project_dir` should start from. `Ok(None)` when there is no non-blank
/// next-step file and no workflow file with progress in its frontmatter.
pub fn find_seed(project_dir: &Path, cfg: &SeedConfig) -> Result<Option<Seed>, NextStepError> {
    let next_step = project_dir.join(&cfg.next_step_file);
    if let Some(content) = read_capped(&next_step)? {
        if !content.trim().is_empty() {
            return Ok(Some(Seed {
                source: next_step,
                step: None,
                description: None,
                content,
            }));
        }
        tracing::debug!(path = %next_step.display(), "next-step file is blank; trying workflow files");
    }
    for name in &cfg.workflow_files {
        let path = project_dir.join(name);
        let Some(content) = read_capped(&path)? else {
            continue;
        };
        if let Some(seed) = workflow_seed(path, content)? {
            return Ok(Some(seed));
        }
    }
    Ok(None)
}

/// A seed from a workflow file, if its frontmatter records progress.
fn workflow_seed(path: PathBuf, content: String) -> Result<Option<Seed>, NextStepError> {
    let located = |e: FrontmatterError| match e {
        FrontmatterError::Yaml(source) => NextStepError::Yaml {
            path: path.clone(),
            source,
        },
        FrontmatterError::Invalid(reason) => NextStepError::Frontmatter {
            path: path.clone(),
            reason,
        },
    };
    let Some((yaml, body)) = frontmatter::split(&content).map_err(located)? else {
        return Ok(None);
    };
    let Some(progress) = frontmatter::progress(yaml).map_err(located)? else {
        return Ok(None);
    };
    let headings = frontmatter::headings(body);
    let step = frontmatter::next_step(&progress, &headings);
    let description = step
        .as_deref()
        .and_then(|s| frontmatter::description(s, &headings));
    Ok(Some(Seed {
        source: path,
        step,
        description,
        content,
    }))
}

/// Reads up to [`MAX_SEED_BYTES`] of `path` as normalised text. `Ok(None)` when it does not exist or is
/// not a regular file.
fn read_capped(path: &Path) -> Result<Option<String>, NextStepError> {
    let io_err = |source| NextStepError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(e)),
    };
    if !meta.is_file() {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(MAX_SEED_BYTES).read_to_end(&mut bytes))
        .map_err(io_err)?;
    let truncated = meta.len() > MAX_SEED_BYTES && bytes.len() as u64 == MAX_SEED_BYTES;
    if truncated {
        // Drop a UTF-8 sequence cut in half by the cap rather than turn it into U+FFFD.
        if let Err(e) = std::str::from_utf8(&bytes)
            && e.error_len().is_none()
        {
            bytes.truncate(e.valid_up_to());
        }
    }
    let mut text = normalise(&String::from_utf8_lossy(&bytes));
    if truncated {
        let name = path
            .file_name()
            .unwrap_or(path.as_os_str())
            .to_string_lossy();
        text.push_str(&format!(
            "\n\n[palingenesis: {name} truncated: it is {} bytes; only the first {} KiB are included above.]\n",
            meta.len(),
            MAX_SEED_BYTES / 1024
        ));
    }
    Ok(Some(text))
}

/// Strips a byte-order mark and turns CRLF (and lone CR) line endings into LF.
fn normalise(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Fills `template`: `{next_step}` → the seed's content, `{step}` → `"Next step: 4. "` (empty without a
/// step), `{description}` → the step's description (or empty), `{project}` → the project path. Replacement
/// is one pass, so template fields inside the inserted text stay as written; unknown `{…}` are left alone.
pub fn render_prompt(template: &str, seed: &Seed, project: &Path) -> String {
    let step = seed
        .step
        .as_deref()
        .map(|s| format!("Next step: {s}. "))
        .unwrap_or_default();
    let project = project.display().to_string();
    let values: [(&str, &str); 4] = [
        ("{next_step}", &seed.content),
        ("{step}", &step),
        ("{description}", seed.description.as_deref().unwrap_or("")),
        ("{project}", &project),
    ];
    let mut out = String::with_capacity(template.len() + seed.content.len());
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match values.iter().find(|(key, _)| rest.starts_with(key)) {
            Some((key, value)) => {
                out.push_str(value);
                rest = &rest[key.len()..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

//! Workflow-file parsing for [`super::find_seed`]: YAML frontmatter (`stepsCompleted`, `lastStep`), the
//! `## Step N: title` headings of the body, and the next step derived from both.

use std::sync::LazyLock;

use regex::Regex;
use serde_yaml::Value;

/// Why a workflow file's frontmatter could not be used. [`super::find_seed`] adds the file name.
#[derive(Debug)]
pub(super) enum FrontmatterError {
    /// The YAML between the `---` lines does not parse.
    Yaml(serde_yaml::Error),
    /// The block is not closed, or a key has a type that cannot describe steps.
    Invalid(String),
}

/// One entry of `stepsCompleted`, or the `lastStep` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StepRef {
    /// The step number, when the entry is a number or names one (`3`, `"3"`, `"step-03-tests"`).
    pub number: Option<u64>,
    /// The entry as written.
    pub name: String,
}

/// What a workflow file's frontmatter says about progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Progress {
    pub completed: Vec<StepRef>,
    pub last: Option<StepRef>,
}

/// A `## Step 4: Write tests` (or `## 4. Write tests`) heading of the workflow body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Heading {
    pub id: String,
    pub title: String,
}

/// Splits `text` (LF line endings, no BOM) into its frontmatter YAML and the body after it.
/// `Ok(None)` when the text does not open with a `---` line.
pub(super) fn split(text: &str) -> Result<Option<(&str, &str)>, FrontmatterError> {
    let Some((first, rest)) = text.split_once('\n') else {
        return if text.trim_end() == "---" {
            Err(unclosed())
        } else {
            Ok(None)
        };
    };
    if first.trim_end() != "---" {
        return Ok(None);
    }
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == "---" || bare == "..." {
            return Ok(Some((&rest[..offset], &rest[offset + line.len()..])));
        }
        offset += line.len();
    }
    Err(unclosed())
}

fn unclosed() -> FrontmatterError {
    FrontmatterError::Invalid("frontmatter opened with `---` is never closed".into())
}

/// Reads `stepsCompleted` / `lastStep` (snake_case spellings accepted too). `Ok(None)` when neither key is
/// present or the frontmatter is not a mapping.
pub(super) fn progress(yaml: &str) -> Result<Option<Progress>, FrontmatterError> {
    let value: Value = serde_yaml::from_str(yaml).map_err(FrontmatterError::Yaml)?;
    let Value::Mapping(map) = value else {
        return Ok(None);
    };
    let completed = map
        .get("stepsCompleted")
        .or_else(|| map.get("steps_completed"));
    let last = map.get("lastStep").or_else(|| map.get("last_step"));
    if completed.is_none() && last.is_none() {
        return Ok(None);
    }
    let completed = match completed {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|item| step_ref(item, "stepsCompleted"))
            .collect::<Result<_, _>>()?,
        // A lone scalar (`stepsCompleted: 3`) is read as a one-item list.
        Some(other) => vec![step_ref(other, "stepsCompleted")?],
    };
    let last = match last {
        None | Some(Value::Null) => None,
        Some(v) => Some(step_ref(v, "lastStep")?),
    };
    Ok(Some(Progress { completed, last }))
}

fn step_ref(value: &Value, key: &str) -> Result<StepRef, FrontmatterError> {
    match value {
        Value::Number(n) => {
            let number = n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            });
            Ok(StepRef {
                number,
                name: n.to_string(),
            })
        }
        Value::String(s) => Ok(StepRef {
            number: number_in(s),
            name: s.trim().to_string(),
        }),
        Value::Bool(_)
        | Value::Null
        | Value::Sequence(_)
        | Value::Mapping(_)
        | Value::Tagged(_) => Err(FrontmatterError::Invalid(format!(
            "`{key}` entries must be step numbers or names, found {}",
            kind(value)
        ))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// The step number a name refers to: `"4"`, `"step-04-tests"`, `"Step 4"`.
fn number_in(s: &str) -> Option<u64> {
    static STEP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)step[\s_-]*(\d+)").unwrap());
    static DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+").unwrap());
    let digits = match STEP.captures(s) {
        Some(c) => c.get(1)?.as_str(),
        None => DIGITS.find(s)?.as_str(),
    };
    digits.parse().ok()
}

/// The step headings of a workflow body, in order.
pub(super) fn headings(body: &str) -> Vec<Heading> {
    static HEADING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^#{1,6}[ \t]+(?:step[ \t]+([\w.-]*\w)[ \t]*(?:[:.)\-–—][ \t]*(.*?))?|(\d+)[ \t]*[:.)][ \t]*(.*?))(?:[ \t]+#+)?[ \t]*$",
        )
        .unwrap()
    });
    body.lines()
        .filter_map(|line| {
            let c = HEADING.captures(line.trim_end())?;
            let (id, title) = match (c.get(1), c.get(3)) {
                (Some(id), _) => (id, c.get(2)),
                (None, Some(id)) => (id, c.get(4)),
                (None, None) => return None,
            };
            Some(Heading {
                id: id.as_str().to_string(),
                title: title.map_or("", |t| t.as_str()).trim().to_string(),
            })
        })
        .collect()
}

/// The step to do next. Numbers win: the highest completed (or `lastStep`) number plus one. Without
/// numbers, the first heading not named as completed. With nothing completed, the first heading, else `1`.
pub(super) fn next_step(progress: &Progress, headings: &[Heading]) -> Option<String> {
    let done = progress.completed.iter().chain(progress.last.as_ref());
    if let Some(max) = done.clone().filter_map(|s| s.number).max() {
        return Some(max.saturating_add(1).to_string());
    }
    let names: Vec<String> = done.map(|s| slug(&s.name)).collect();
    if names.is_empty() {
        return Some(
            headings
                .first()
                .map_or_else(|| "1".to_string(), |h| h.id.clone()),
        );
    }
    headings
        .iter()
        .find(|h| {
            let candidates = [slug(&h.id), slug(&h.title), slug(&format!("step {}", h.id))];
            !candidates
                .iter()
                .any(|c| !c.is_empty() && names.contains(c))
        })
        .map(|h| h.id.clone())
}

/// The title of the heading for `step`, if the body has one with a non-empty title.
pub(super) fn description(step: &str, headings: &[Heading]) -> Option<String> {
    let number: Option<u64> = step.parse().ok();
    headings
        .iter()
        .find(|h| h.id == step || (number.is_some() && h.id.parse::<u64>().ok() == number))
        .map(|h| h.title.clone())
        .filter(|t| !t.is_empty())
}

/// Lowercase, every run of non-alphanumerics collapsed to one `-`, trimmed: `"Write tests"` → `write-tests`.
fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            out.push(ch);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

//! The crate's shape, checked: dependencies between top-level modules point one way (no cycles), and no code
//! outside `src/assistants/` names an assistant. Each assistant's folder (`assistants::<name>`) counts as a
//! module of its own, so one assistant cannot lean on another either. Tasks are spawned through `tasks`. Test
//! code is not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ASSISTANT_NAMES: &[&str] = &["claude", "codex", "opencode", "qwen", "gemini"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a file belongs to: `engine` for `src/engine/…`, `assistants::claude` for
/// `src/assistants/claude/…`, `assistants` for the registry itself.
fn node_of(rel: &Path) -> Option<String> {
    let parts: Vec<String> = rel
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    match parts.as_slice() {
        [root] if root == "lib" || root == "main" => None,
        [first, second, ..] if first == "assistants" && second != "mod" => {
            Some(format!("assistants::{second}"))
        }
        [first, ..] => Some(first.clone()),
        [] => None,
    }
}

/// Whether a file holds test code only.
fn is_test_file(rel: &Path) -> bool {
    rel.components().any(|c| {
        let s = c.as_os_str().to_string_lossy();
        s == "tests"
            || s == "tests.rs"
            || s == "test_support.rs"
            || s.starts_with("tests_")
            || s.ends_with("_tests.rs")
    })
}

/// The non-test code of a file: everything before its first `#[cfg(test)]`, without comments.
fn code_of(text: &str) -> String {
    let end = text.find("#[cfg(test)]").unwrap_or(text.len());
    text[..end]
        .lines()
        .map(|l| match l.trim_start() {
            t if t.starts_with("//") => "",
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module the code refers to through `crate::…`.
fn uses(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let ident = |s: &str| -> String {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        let first = ident(rest);
        if first == "assistants" {
            let after = &rest["assistants".len()..];
            let second = after.strip_prefix("::").map(ident).unwrap_or_default();
            if ASSISTANT_NAMES.contains(&second.as_str()) {
                out.insert(format!("assistants::{second}"));
                continue;
            }
        }
        if !first.is_empty() {
            out.insert(first);
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(src()).unwrap();
        let Some(node) = node_of(rel) else { continue };
        if is_test_file(rel) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&path).unwrap());
        let deps = graph.entry(node.clone()).or_default();
        for dep in uses(&code) {
            if dep != node {
                deps.insert(dep);
            }
        }
    }
    graph
}

/// A cycle through `node`, if there is one.
fn cycle_from(
    graph: &BTreeMap<String, BTreeSet<String>>,
    node: &str,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(i) = path.iter().position(|n| n == node) {
        let mut cycle = path[i..].to_vec();
        cycle.push(node.to_string());
        return Some(cycle);
    }
    if done.contains(node) {
        return None;
    }
    path.push(node.to_string());
    for dep in graph.get(node).into_iter().flatten() {
        if let Some(c) = cycle_from(graph, dep, path, done) {
            return Some(c);
        }
    }
    path.pop();
    done.insert(node.to_string());
    None
}

#[test]
fn top_level_modules_have_no_import_cycles() {
    let graph = graph();
    assert!(graph.contains_key("engine") && graph.contains_key("assistants::claude"));
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = cycle_from(&graph, node, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn one_assistant_never_uses_another() {
    for (node, deps) in graph() {
        if let Some(me) = node.strip_prefix("assistants::") {
            for dep in deps {
                assert!(
                    !dep.starts_with("assistants"),
                    "assistants::{me} uses {dep}"
                );
            }
        }
    }
}

#[test]
fn the_model_is_at_the_bottom() {
    let graph = graph();
    let model = &graph["model"];
    assert!(model.is_empty(), "model depends on {model:?}");
}

#[test]
fn only_the_assistants_folder_names_an_assistant() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut offenders = Vec::new();
    for path in files {
        let rel = path.strip_prefix(src()).unwrap();
        if rel.starts_with("assistants") || is_test_file(rel) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&path).unwrap()).to_ascii_lowercase();
        for (n, line) in code.lines().enumerate() {
            let named = ASSISTANT_NAMES.iter().any(|name| {
                line.match_indices(name).any(|(i, _)| {
                    let before = line[..i].chars().next_back();
                    let after = line[i + name.len()..].chars().next();
                    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
                    !word(before) && !word(after)
                })
            });
            if named {
                offenders.push(format!("{}:{}: {}", rel.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "assistants named outside src/assistants/:\n{}",
        offenders.join("\n")
    );
}

/// Every task is spawned through `crate::tasks` (tokio's task glue built once per output type, not once per
/// call site: the executable's size), never through tokio's own spawn functions.
#[test]
fn tasks_are_spawned_through_the_tasks_module() {
    const DIRECT: &[&str] = &[
        "tokio::spawn(",
        "tokio::task::spawn",
        "tracker.spawn(",
        "tasks.spawn(",
        "runtime.spawn(",
    ];
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut offenders = Vec::new();
    for path in files {
        let rel = path.strip_prefix(src()).unwrap();
        if rel == Path::new("tasks.rs") || is_test_file(rel) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&path).unwrap());
        for (n, line) in code.lines().enumerate() {
            if DIRECT.iter().any(|d| line.contains(d)) {
                offenders.push(format!("{}:{}: {}", rel.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "spawned outside crate::tasks:\n{}",
        offenders.join("\n")
    );
}

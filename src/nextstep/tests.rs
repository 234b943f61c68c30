use std::path::Path;

use rstest::rstest;

use super::*;

const WF: &str = "workflow.md";
const DOCS_WF: &str = "docs/workflow.md";

fn cfg() -> SeedConfig {
    SeedConfig {
        next_step_file: "Next-step.md".into(),
        workflow_files: vec![WF.into(), DOCS_WF.into()],
        prompt_template: "{step}{description}\n{next_step}".into(),
    }
}

/// A temp project holding `files` (path, content).
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn seed_of(files: &[(&str, &str)]) -> Option<Seed> {
    let dir = project(files);
    find_seed(dir.path(), &cfg()).unwrap()
}

/// (file the seed came from, step, description) for a project holding `files`.
fn summary(files: &[(&str, &str)]) -> Option<(String, Option<String>, Option<String>)> {
    let dir = project(files);
    find_seed(dir.path(), &cfg()).unwrap().map(|s| {
        let rel = s.source.strip_prefix(dir.path()).unwrap();
        (rel.to_string_lossy().into_owned(), s.step, s.description)
    })
}

/// `$frontmatter` followed by a body with four step headings.
macro_rules! with_steps {
    ($frontmatter:literal) => {
        concat!(
            $frontmatter,
            "# Plan\n\n## Step 1: Init\n\n## Step 2: Design\n\n## Step 3: Build\n\n## Step 4: Write tests\n"
        )
    };
}

#[rstest]
#[case::nothing(&[], None)]
#[case::next_step_file(&[("Next-step.md", "do X")], Some(("Next-step.md", None, None)))]
#[case::next_step_wins_over_workflow(
    &[("Next-step.md", "do X"), (WF, "---\nlastStep: 2\n---\n")],
    Some(("Next-step.md", None, None)))]
#[case::empty_next_step_alone(&[("Next-step.md", "")], None)]
#[case::blank_next_step_falls_through(
    &[("Next-step.md", " \r\n\n"), (WF, "---\nlastStep: 2\n---\n")],
    Some((WF, Some("3"), None)))]
#[case::next_step_is_a_directory(&[("Next-step.md/x", "not me")], None)]
#[case::numbers_with_heading(
    &[(WF, with_steps!("---\nstepsCompleted: [1, 2, 3]\n---\n"))],
    Some((WF, Some("4"), Some("Write tests"))))]
#[case::block_list(
    &[(WF, with_steps!("---\ntitle: x\nstepsCompleted:\n  - 1\n  - 2\n---\n"))],
    Some((WF, Some("3"), Some("Build"))))]
#[case::unordered_numbers(&[(WF, "---\nstepsCompleted: [3, 1, 2]\n---\n")], Some((WF, Some("4"), None)))]
#[case::last_step(&[(WF, with_steps!("---\nlastStep: 3\n---\n"))], Some((WF, Some("4"), Some("Write tests"))))]
#[case::last_step_string(&[(WF, "---\nlastStep: \"3\"\n---\n")], Some((WF, Some("4"), None)))]
#[case::last_step_beats_list(&[(WF, "---\nstepsCompleted: [1, 2]\nlastStep: 5\n---\n")], Some((WF, Some("6"), None)))]
#[case::list_beats_last_step(&[(WF, "---\nstepsCompleted: [1, 2, 7]\nlastStep: 5\n---\n")], Some((WF, Some("8"), None)))]
#[case::string_numbers(&[(WF, "---\nstepsCompleted: ['1', \"2\"]\n---\n")], Some((WF, Some("3"), None)))]
#[case::step_file_names(
    &[(WF, with_steps!("---\nstepsCompleted: ['step-01-init', 'step-02-design']\n---\n"))],
    Some((WF, Some("3"), Some("Build"))))]
#[case::float_numbers(&[(WF, "---\nstepsCompleted: [1.0, 2.0]\n---\n")], Some((WF, Some("3"), None)))]
#[case::scalar_list(&[(WF, "---\nstepsCompleted: 2\n---\n")], Some((WF, Some("3"), None)))]
#[case::snake_case_keys(&[(WF, "---\nsteps_completed: [1]\nlast_step: 1\n---\n")], Some((WF, Some("2"), None)))]
#[case::empty_list_first_heading(
    &[(WF, with_steps!("---\nstepsCompleted: []\n---\n"))],
    Some((WF, Some("1"), Some("Init"))))]
#[case::empty_list_no_headings(&[(WF, "---\nstepsCompleted: []\n---\nbody\n")], Some((WF, Some("1"), None)))]
#[case::null_list(&[(WF, "---\nstepsCompleted:\n---\n")], Some((WF, Some("1"), None)))]
#[case::null_last_step_only(&[(WF, "---\nlastStep: ~\n---\n")], Some((WF, Some("1"), None)))]
#[case::named_steps(
    &[(WF, "---\nstepsCompleted: [init, Design]\n---\n## Step init: Set up\n## Step design: Sketch\n## Step build: Build it\n")],
    Some((WF, Some("build"), Some("Build it"))))]
#[case::named_steps_by_title(
    &[(WF, "---\nstepsCompleted: [set up]\n---\n## Step init: Set up\n## Step design: Sketch\n")],
    Some((WF, Some("design"), Some("Sketch"))))]
#[case::named_steps_all_done(
    &[(WF, "---\nstepsCompleted: [init]\n---\n## Step init: Set up\n")],
    Some((WF, None, None)))]
#[case::past_last_heading(
    &[(WF, with_steps!("---\nstepsCompleted: [1, 2, 3, 4]\n---\n"))],
    Some((WF, Some("5"), None)))]
#[case::numbered_heading(&[(WF, "---\nlastStep: 1\n---\n## 1. One\n## 2. Two things\n")], Some((WF, Some("2"), Some("Two things"))))]
#[case::heading_dash_and_closing_hashes(
    &[(WF, "---\nlastStep: 1\n---\n### Step 2 — Ship it ###\n")],
    Some((WF, Some("2"), Some("Ship it"))))]
#[case::heading_keeps_inner_hash(&[(WF, "---\nlastStep: 1\n---\n## Step 2: Port to C#\n")], Some((WF, Some("2"), Some("Port to C#"))))]
#[case::heading_zero_padded(&[(WF, "---\nlastStep: 1\n---\n## Step 02: Two\n")], Some((WF, Some("2"), Some("Two"))))]
#[case::heading_without_title(&[(WF, "---\nlastStep: 1\n---\n## Step 2\n")], Some((WF, Some("2"), None)))]
#[case::not_a_step_heading(&[(WF, "---\nlastStep: 1\n---\n## Step by step guide\n## 2 things\n")], Some((WF, Some("2"), None)))]
#[case::crlf(
    &[(WF, "---\r\nstepsCompleted: [1, 2, 3]\r\n---\r\n## Step 4: Write tests\r\n")],
    Some((WF, Some("4"), Some("Write tests"))))]
#[case::bom(&[(WF, "\u{feff}---\nlastStep: 1\n---\n## Step 2: Two\n")], Some((WF, Some("2"), Some("Two"))))]
#[case::dots_terminator(&[(WF, "---\nlastStep: 1\n...\n## Step 2: Two\n")], Some((WF, Some("2"), Some("Two"))))]
#[case::unicode(
    &[(WF, "---\ntitre: « plan »\nstepsCompleted: [1]\n---\n## Étape\n## Step 2: Écrire les tests ✅ 日本語\n")],
    Some((WF, Some("2"), Some("Écrire les tests ✅ 日本語"))))]
#[case::no_frontmatter_skipped(&[(WF, "# Workflow\n## Step 1: x\n")], None)]
#[case::empty_workflow_skipped(&[(WF, "")], None)]
#[case::empty_frontmatter_skipped(&[(WF, "---\n---\nbody")], None)]
#[case::scalar_frontmatter_skipped(&[(WF, "---\njust text\n---\n")], None)]
#[case::unrelated_keys_skipped(
    &[(WF, "---\ntitle: x\n---\n"), (DOCS_WF, "---\nlastStep: 7\n---\n")],
    Some((DOCS_WF, Some("8"), None)))]
#[case::second_workflow_file(&[(DOCS_WF, "---\nlastStep: 1\n---\n")], Some((DOCS_WF, Some("2"), None)))]
#[case::first_workflow_wins(
    &[(WF, "---\nlastStep: 1\n---\n"), (DOCS_WF, "---\nlastStep: 7\n---\n")],
    Some((WF, Some("2"), None)))]
fn find_seed_cases(
    #[case] files: &[(&str, &str)],
    #[case] expected: Option<(&str, Option<&str>, Option<&str>)>,
) {
    let expected =
        expected.map(|(f, s, d)| (f.to_string(), s.map(String::from), d.map(String::from)));
    assert_eq!(summary(files), expected);
}

#[rstest]
#[case::malformed_yaml("---\nstepsCompleted: [1, 2\n---\n", "malformed YAML frontmatter")]
#[case::bad_indentation("---\na: 1\n b: 2\n---\n", "malformed YAML frontmatter")]
#[case::unterminated("---\nstepsCompleted: [1]\n## Step 2\n", "never closed")]
#[case::lone_opener("---", "never closed")]
#[case::mapping_list("---\nstepsCompleted: {a: 1}\n---\n", "a mapping")]
#[case::boolean_entry("---\nstepsCompleted: [1, true]\n---\n", "a boolean")]
#[case::list_last_step("---\nlastStep: [1, 2]\n---\n", "a list")]
fn malformed_frontmatter_is_an_error_naming_the_file(#[case] text: &str, #[case] expect: &str) {
    // A valid later workflow file does not hide the broken first one.
    let dir = project(&[(WF, text), (DOCS_WF, "---\nlastStep: 1\n---\n")]);
    let err = find_seed(dir.path(), &cfg()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&dir.path().join(WF).display().to_string()),
        "{msg}"
    );
    assert!(msg.contains(expect), "{msg}");
}

#[rstest]
#[case::plain("do X\nthen Y\n", "do X\nthen Y\n")]
#[case::crlf("do X\r\nthen Y\r\n", "do X\nthen Y\n")]
#[case::lone_cr("a\rb", "a\nb")]
#[case::bom("\u{feff}# Next\n", "# Next\n")]
#[case::unicode(
    "Étape 4 : écrire les tests ✅ — 日本語 🚀\n",
    "Étape 4 : écrire les tests ✅ — 日本語 🚀\n"
)]
#[case::frontmatter_kept_verbatim(
    "---\nlastStep: [oops\n---\nx\n",
    "---\nlastStep: [oops\n---\nx\n"
)]
fn next_step_content(#[case] text: &str, #[case] expected: &str) {
    let seed = seed_of(&[("Next-step.md", text)]).unwrap();
    assert_eq!(seed.content, expected);
    assert_eq!((seed.step, seed.description), (None, None));
}

#[test]
fn non_utf8_bytes_are_replaced_not_fatal() {
    let dir = project(&[]);
    std::fs::write(dir.path().join("Next-step.md"), b"ok \xff\xfe end").unwrap();
    let seed = find_seed(dir.path(), &cfg()).unwrap().unwrap();
    assert_eq!(seed.content, "ok \u{fffd}\u{fffd} end");
}

#[test]
fn workflow_seed_content_is_the_whole_file() {
    let text = "---\r\nlastStep: 1\r\n---\r\n## Step 2: Two\r\n";
    let seed = seed_of(&[(WF, text)]).unwrap();
    assert_eq!(seed.content, "---\nlastStep: 1\n---\n## Step 2: Two\n");
}

#[test]
fn file_at_the_cap_is_not_truncated() {
    let text = "a".repeat(MAX_SEED_BYTES as usize);
    let seed = seed_of(&[("Next-step.md", &text)]).unwrap();
    assert_eq!(seed.content, text);
}

#[test]
fn larger_file_is_truncated_with_a_note() {
    let text = format!("{}TAIL", "b".repeat(MAX_SEED_BYTES as usize));
    let seed = seed_of(&[("Next-step.md", &text)]).unwrap();
    let (kept, note) = seed.content.split_at(MAX_SEED_BYTES as usize);
    assert_eq!(kept, &text[..MAX_SEED_BYTES as usize]);
    assert_eq!(
        note,
        format!(
            "\n\n[palingenesis: Next-step.md truncated: it is {} bytes; only the first 256 KiB are included above.]\n",
            text.len()
        )
    );
}

#[test]
fn truncation_does_not_split_a_character() {
    // "é" is two bytes; one leading "x" puts the cap in the middle of one.
    let text = format!("x{}", "é".repeat(MAX_SEED_BYTES as usize));
    let seed = seed_of(&[("Next-step.md", &text)]).unwrap();
    let kept = seed.content.split("\n\n[palingenesis:").next().unwrap();
    assert_eq!(kept.len(), MAX_SEED_BYTES as usize - 1);
    assert!(kept.starts_with("xé") && kept.ends_with('é'));
    assert!(!seed.content.contains('\u{fffd}'));
}

#[test]
fn missing_project_dir_has_no_seed() {
    let dir = project(&[]);
    assert_eq!(find_seed(&dir.path().join("gone"), &cfg()).unwrap(), None);
}

#[test]
fn source_is_the_file_read() {
    let dir = project(&[("notes/NEXT.md", "x")]);
    let cfg = SeedConfig {
        next_step_file: "notes/NEXT.md".into(),
        ..cfg()
    };
    let seed = find_seed(dir.path(), &cfg).unwrap().unwrap();
    assert_eq!(seed.source, dir.path().join("notes/NEXT.md"));
}

fn seed(step: Option<&str>, description: Option<&str>, content: &str) -> Seed {
    Seed {
        source: PathBuf::from("/p/Next-step.md"),
        step: step.map(String::from),
        description: description.map(String::from),
        content: content.into(),
    }
}

#[rstest]
#[case::all(
    "{step}{description}\n{next_step} in {project}",
    Some("4"),
    Some("Write tests"),
    "N",
    "Next step: 4. Write tests\nN in /p"
)]
#[case::no_step("{step}{description}|{next_step}", None, None, "N", "|N")]
#[case::step_without_description("[{step}{description}]", Some("2"), None, "", "[Next step: 2. ]")]
#[case::inserted_text_not_rescanned(
    "{next_step}",
    Some("1"),
    None,
    "see {project} and {step}",
    "see {project} and {step}"
)]
#[case::unknown_fields_kept("{foo} {next_step} {", None, None, "N", "{foo} N {")]
#[case::nested_brace("{{next_step}}", None, None, "N", "{N}")]
#[case::repeated("{project}{project}", None, None, "", "/p/p")]
#[case::unicode(
    "Étape {step}— {description} ✅",
    Some("3"),
    Some("Écrire"),
    "",
    "Étape Next step: 3. — Écrire ✅"
)]
#[case::no_fields("plain", Some("1"), Some("x"), "N", "plain")]
fn render_prompt_cases(
    #[case] template: &str,
    #[case] step: Option<&str>,
    #[case] description: Option<&str>,
    #[case] content: &str,
    #[case] expected: &str,
) {
    let got = render_prompt(template, &seed(step, description, content), Path::new("/p"));
    assert_eq!(got, expected);
}

#[test]
fn render_default_template_end_to_end() {
    let dir = project(&[(
        WF,
        "---\nstepsCompleted: [1]\n---\n## Step 2: Add the API\n",
    )]);
    let seed = find_seed(dir.path(), &cfg()).unwrap().unwrap();
    let template = "Work in {project}.\n{step}{description}\n\n{next_step}";
    let expected = format!(
        "Work in {}.\nNext step: 2. Add the API\n\n---\nstepsCompleted: [1]\n---\n## Step 2: Add the API\n",
        dir.path().display()
    );
    assert_eq!(render_prompt(template, &seed, dir.path()), expected);
}

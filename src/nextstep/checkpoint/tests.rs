use std::fs;

use chrono::{TimeZone, Utc};

use super::*;

fn target(dir: &Path, backups: bool) -> CheckpointTarget {
    CheckpointTarget {
        project: dir.join("project"),
        next_step_file: "Next-step.md".into(),
        workflow_files: vec!["workflow.md".into()],
        backup: backups.then(|| (dir.join("backups"), "checkpoint-project".into(), 5)),
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

fn setup() -> (tempfile::TempDir, CheckpointTarget) {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("project")).unwrap();
    let t = target(tmp.path(), true);
    (tmp, t)
}

#[test]
fn writes_next_step_and_backs_up_the_old_one() {
    let (_tmp, t) = setup();
    let file = t.project.join("Next-step.md");
    fs::write(&file, "old plan\n").unwrap();
    let w = write_checkpoint(&t, "Step 4: write the parser tests\r\n", &[], now()).unwrap();
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "Step 4: write the parser tests\n"
    );
    let copy = w.next_step_backup.expect("the old file was copied");
    assert!(
        copy.ends_with("checkpoint-project/20261130-120000.md"),
        "{copy:?}"
    );
    assert_eq!(fs::read_to_string(copy).unwrap(), "old plan\n");
    assert!(w.workflow.is_none());
    let leftovers: Vec<_> = fs::read_dir(&t.project).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

#[test]
fn refuses_bad_input_and_writes_nothing() {
    let (_tmp, t) = setup();
    let file = t.project.join("Next-step.md");
    fs::write(&file, "keep me\n").unwrap();
    assert!(matches!(
        write_checkpoint(&t, "  \n", &[], now()),
        Err(CheckpointError::Empty)
    ));
    let huge = "x".repeat(MAX_SEED_BYTES as usize + 1);
    assert!(matches!(
        write_checkpoint(&t, &huge, &[], now()),
        Err(CheckpointError::TooLarge(_))
    ));
    assert!(matches!(
        write_checkpoint(&t, "plan", &["a\nb".into()], now()),
        Err(CheckpointError::BadStep(_))
    ));
    // Steps named but no workflow file: refused before the next-step file is touched.
    assert!(matches!(
        write_checkpoint(&t, "plan", &["3".into()], now()),
        Err(CheckpointError::NoWorkflow(_))
    ));
    fs::write(
        t.project.join("workflow.md"),
        "---\nstepsCompleted: [1\n---\n",
    )
    .unwrap();
    let e = write_checkpoint(&t, "plan", &["3".into()], now()).unwrap_err();
    assert!(e.to_string().contains("workflow.md"), "{e}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "keep me\n");
    let mut missing = t.clone();
    missing.project = t.project.join("nope");
    assert!(matches!(
        write_checkpoint(&missing, "plan", &[], now()),
        Err(CheckpointError::NoProject(_))
    ));
}

#[test]
fn adds_steps_to_workflow_frontmatter_keeping_the_body() {
    let (_tmp, t) = setup();
    let wf = t.project.join("workflow.md");
    fs::write(
        &wf,
        "---\ntitle: Parser\nstepsCompleted: [1, 2]\nlastStep: 2\n---\n## Step 3: Tests\nbody text\n",
    )
    .unwrap();
    let w = write_checkpoint(&t, "do step 4", &["2".into(), "3".into()], now()).unwrap();
    let (path, added) = w.workflow.unwrap();
    assert_eq!(path, wf);
    assert_eq!(added, ["3"], "a step already recorded is not added twice");
    let text = fs::read_to_string(&wf).unwrap();
    assert!(
        text.ends_with("---\n## Step 3: Tests\nbody text\n"),
        "{text}"
    );
    assert!(text.starts_with("---\ntitle: Parser\n"), "{text}");
    let seed = crate::nextstep::find_seed(
        &t.project,
        &crate::nextstep::SeedConfig {
            next_step_file: "absent.md".into(),
            workflow_files: vec!["workflow.md".into()],
            prompt_template: "{next_step}".into(),
        },
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        seed.step.as_deref(),
        Some("4"),
        "the seed reader sees the new progress"
    );
    assert!(text.contains("lastStep: 3"), "{text}");
    assert!(w.workflow_backup.is_some());
}

#[test]
fn without_backups_nothing_is_copied() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("project")).unwrap();
    let t = target(tmp.path(), false);
    fs::write(t.project.join("Next-step.md"), "old").unwrap();
    let w = write_checkpoint(&t, "new", &[], now()).unwrap();
    assert!(w.next_step_backup.is_none());
    assert!(!tmp.path().join("backups").exists());
}

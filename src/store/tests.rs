use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use super::*;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Sample {
    name: String,
    count: u32,
}

fn sample() -> Sample {
    Sample {
        name: "resume".into(),
        count: 3,
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn round_trip_writes_the_versioned_wrapper() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    save_atomic(&path, &sample()).unwrap();

    let raw: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        raw,
        json!({"version": CURRENT_VERSION, "data": {"name": "resume", "count": 3}})
    );
    assert_eq!(load::<Sample>(&path).unwrap(), Some(sample()));
    assert!(!with_suffix(&path, ".tmp").exists());
}

#[test]
fn missing_file_is_none() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(load::<Sample>(&dir.path().join("nope.json")).unwrap(), None);
}

#[test]
fn creates_private_parents_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/state.json");
    save_atomic(&path, &sample()).unwrap();
    assert_eq!(mode(&dir.path().join("a")), 0o700);
    assert_eq!(mode(&dir.path().join("a/b")), 0o700);
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn overwrites_and_ignores_a_stale_tmp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    save_atomic(&path, &sample()).unwrap();
    fs::write(with_suffix(&path, ".tmp"), b"half a file from a crash").unwrap();
    let newer = Sample {
        name: "newer".into(),
        count: 4,
    };
    save_atomic(&path, &newer).unwrap();
    assert_eq!(load::<Sample>(&path).unwrap(), Some(newer));
    assert!(!with_suffix(&path, ".tmp").exists());
}

fn corrupt_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .collect();
    v.sort();
    v
}

#[rstest::rstest]
#[case::not_json(&b"{\"version\": 1, \"data\": {\"name\""[..])]
#[case::empty(&b""[..])]
#[case::no_wrapper(&br#"{"name": "resume", "count": 3}"#[..])]
#[case::wrong_data_type(&br#"{"version": 1, "data": {"name": 7}}"#[..])]
fn corrupt_file_is_moved_aside(#[case] content: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    fs::write(&path, content).unwrap();

    let err = load::<Sample>(&path).unwrap_err();
    let StoreError::Corrupt { moved_to, .. } = &err else {
        panic!("expected Corrupt, got {err:?}");
    };
    let moved_to = moved_to.as_ref().expect("moved aside");
    assert_eq!(fs::read(moved_to).unwrap(), content);
    assert_eq!(corrupt_files(dir.path()), vec![moved_to.clone()]);
    assert!(!path.exists());
    assert!(err.to_string().contains("moved aside"), "{err}");
    // The next start sees no file and begins fresh.
    assert_eq!(load::<Sample>(&path).unwrap(), None);
}

#[test]
fn repeated_corruption_keeps_every_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    for i in 0..3 {
        fs::write(&path, format!("garbage {i}")).unwrap();
        assert!(matches!(
            load::<Sample>(&path),
            Err(StoreError::Corrupt {
                moved_to: Some(_),
                ..
            })
        ));
    }
    assert_eq!(corrupt_files(dir.path()).len(), 3);
}

#[test]
fn newer_version_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let content = format!(r#"{{"version": {}, "data": {{}}}}"#, CURRENT_VERSION + 1);
    fs::write(&path, &content).unwrap();
    let err = load::<Sample>(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, supported, .. }
            if found == CURRENT_VERSION + 1 && supported == CURRENT_VERSION),
        "{err:?}"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), content);
    assert!(corrupt_files(dir.path()).is_empty());
}

/// A chain like the one `migrate` grows into: v1 had `title`, v2 renamed it to `name`, v3 added `count`.
fn test_migration(version: u32, data: Value) -> Result<Value, MigrationError> {
    let fail = |reason: &str| MigrationError {
        from: version,
        reason: reason.into(),
    };
    match version {
        3 => Ok(data),
        2 => {
            let mut obj = data
                .as_object()
                .cloned()
                .ok_or_else(|| fail("not an object"))?;
            obj.insert("count".into(), json!(0));
            test_migration(3, Value::Object(obj))
        }
        1 => {
            let mut obj = data
                .as_object()
                .cloned()
                .ok_or_else(|| fail("not an object"))?;
            let title = obj.remove("title").ok_or_else(|| fail("no title"))?;
            obj.insert("name".into(), title);
            test_migration(2, Value::Object(obj))
        }
        _ => Err(fail("unknown version")),
    }
}

#[rstest::rstest]
#[case::v1(r#"{"version": 1, "data": {"title": "old"}}"#, 0)]
#[case::v2(r#"{"version": 2, "data": {"name": "old"}}"#, 0)]
#[case::v3(r#"{"version": 3, "data": {"name": "old", "count": 9}}"#, 9)]
fn old_versions_are_migrated(#[case] content: &str, #[case] count: u32) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    fs::write(&path, content).unwrap();
    let loaded: Sample = load_versioned(&path, 3, test_migration).unwrap().unwrap();
    assert_eq!(
        loaded,
        Sample {
            name: "old".into(),
            count
        }
    );
}

#[test]
fn failed_migration_counts_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    fs::write(&path, r#"{"version": 1, "data": {"no_title": true}}"#).unwrap();
    let err = load_versioned::<Sample>(&path, 3, test_migration).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("no title"), "{err}");
}

#[test]
fn save_versioned_writes_the_given_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    save_versioned(&path, 3, &sample()).unwrap();
    let loaded: Sample = load_versioned(&path, 3, test_migration).unwrap().unwrap();
    assert_eq!(loaded, sample());
    let err = load::<Sample>(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found: 3, .. }),
        "{err:?}"
    );
}

#[test]
fn default_migration_accepts_only_the_current_version() {
    assert_eq!(
        migrate(CURRENT_VERSION, json!({"a": 1})).unwrap(),
        json!({"a": 1})
    );
    assert_eq!(migrate(0, json!({})).unwrap_err().from, 0);
}

#[tokio::test]
async fn async_wrappers_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/state.json");
    save_atomic_async(&path, sample()).await.unwrap();
    assert_eq!(load_async::<Sample>(&path).await.unwrap(), Some(sample()));
    assert_eq!(
        load_async::<Sample>(dir.path().join("missing"))
            .await
            .unwrap(),
        None
    );
}

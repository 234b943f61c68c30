use std::io;

use chrono::TimeZone;
use rstest::rstest;

use super::*;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::seconds(secs)
}

struct Fixture {
    _tmp: tempfile::TempDir,
    src: PathBuf,
    backups: PathBuf,
}

fn fixture(content: &[u8]) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("session.jsonl");
    fs::write(&src, content).unwrap();
    let backups = tmp.path().join("backups");
    Fixture {
        src,
        backups,
        _tmp: tmp,
    }
}

/// File names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn copies_to_session_dir_named_by_time() {
    let f = fixture(b"{\"a\":1}\n{\"b\":2}\n");
    let dest = backup_file(&f.src, &f.backups, "sess-1", 10, at(0)).unwrap();
    assert_eq!(dest, f.backups.join("sess-1/20250102-030405.jsonl"));
    assert_eq!(fs::read(&dest).unwrap(), b"{\"a\":1}\n{\"b\":2}\n");
    assert_eq!(fs::read(&f.src).unwrap(), b"{\"a\":1}\n{\"b\":2}\n");
}

#[test]
fn empty_transcript_gives_empty_backup() {
    let f = fixture(b"");
    let dest = backup_file(&f.src, &f.backups, "s", 10, at(0)).unwrap();
    assert_eq!(fs::read(dest).unwrap(), b"");
}

#[test]
fn same_second_gets_suffixes() {
    let f = fixture(b"x");
    let paths: Vec<PathBuf> = (0..3)
        .map(|i| {
            fs::write(&f.src, format!("v{i}")).unwrap();
            backup_file(&f.src, &f.backups, "s", 10, at(0)).unwrap()
        })
        .collect();
    let dir = f.backups.join("s");
    assert_eq!(
        paths,
        [
            dir.join("20250102-030405.jsonl"),
            dir.join("20250102-030405-1.jsonl"),
            dir.join("20250102-030405-2.jsonl"),
        ]
    );
    for (i, p) in paths.iter().enumerate() {
        assert_eq!(fs::read_to_string(p).unwrap(), format!("v{i}"));
    }
}

#[test]
fn prunes_oldest_beyond_keep() {
    let f = fixture(b"x");
    for i in 0..5 {
        backup_file(&f.src, &f.backups, "s", 3, at(i * 61)).unwrap();
    }
    assert_eq!(
        names(&f.backups.join("s")),
        [
            "20250102-030607.jsonl",
            "20250102-030708.jsonl",
            "20250102-030809.jsonl"
        ]
    );
}

#[test]
fn prune_orders_suffixes_numerically() {
    // Lexically "-10" < "-2" < ".jsonl"; the real order is none, 1, 2, … 11.
    let f = fixture(b"x");
    for _ in 0..12 {
        backup_file(&f.src, &f.backups, "s", 3, at(0)).unwrap();
    }
    assert_eq!(
        names(&f.backups.join("s")),
        [
            "20250102-030405-10.jsonl",
            "20250102-030405-11.jsonl",
            "20250102-030405-9.jsonl"
        ]
    );
}

#[test]
fn prune_orders_across_seconds_and_suffixes() {
    let f = fixture(b"x");
    backup_file(&f.src, &f.backups, "s", 10, at(0)).unwrap();
    backup_file(&f.src, &f.backups, "s", 10, at(0)).unwrap();
    backup_file(&f.src, &f.backups, "s", 10, at(1)).unwrap();
    backup_file(&f.src, &f.backups, "s", 2, at(2)).unwrap();
    assert_eq!(
        names(&f.backups.join("s")),
        ["20250102-030406.jsonl", "20250102-030407.jsonl"]
    );
}

#[test]
fn new_backup_survives_a_clock_going_back() {
    let f = fixture(b"x");
    for i in [10, 20, 30] {
        backup_file(&f.src, &f.backups, "s", 3, at(i)).unwrap();
    }
    let dest = backup_file(&f.src, &f.backups, "s", 2, at(-60)).unwrap();
    assert!(dest.exists());
    assert_eq!(
        names(&f.backups.join("s")),
        ["20250102-030305.jsonl", "20250102-030435.jsonl"]
    );
}

#[test]
fn keep_zero_keeps_the_new_backup() {
    let f = fixture(b"x");
    backup_file(&f.src, &f.backups, "s", 0, at(0)).unwrap();
    let dest = backup_file(&f.src, &f.backups, "s", 0, at(1)).unwrap();
    assert_eq!(names(&f.backups.join("s")), ["20250102-030406.jsonl"]);
    assert!(dest.exists());
}

#[test]
fn prune_leaves_other_files_and_sessions_alone() {
    let f = fixture(b"x");
    let dir = f.backups.join("s");
    fs::create_dir_all(&dir).unwrap();
    for foreign in [
        "notes.txt",
        "20250101-000000.jsonl.partial",
        "2025-01-01.jsonl",
    ] {
        fs::write(dir.join(foreign), "keep me").unwrap();
    }
    fs::create_dir(dir.join("20250101-000000.jsonl")).unwrap();
    backup_file(&f.src, &f.backups, "other", 1, at(0)).unwrap();
    for i in 0..3 {
        backup_file(&f.src, &f.backups, "s", 1, at(i)).unwrap();
    }
    assert_eq!(
        names(&dir),
        [
            "2025-01-01.jsonl",
            "20250101-000000.jsonl",
            "20250101-000000.jsonl.partial",
            "20250102-030407.jsonl",
            "notes.txt"
        ]
    );
    assert_eq!(names(&f.backups.join("other")), ["20250102-030405.jsonl"]);
}

#[rstest]
#[case::empty("")]
#[case::dot(".")]
#[case::dotdot("..")]
#[case::slash("a/b")]
#[case::escape("../x")]
#[case::absolute("/tmp")]
#[case::backslash("a\\b")]
#[case::space("a b")]
#[case::nul("a\0b")]
#[case::too_long(&"a".repeat(201))]
fn unsafe_session_ids_are_refused(#[case] id: &str) {
    let f = fixture(b"x");
    let err = backup_file(&f.src, &f.backups, id, 10, at(0)).unwrap_err();
    assert!(
        matches!(err, BackupError::BadSessionId(ref s) if s == id),
        "{err}"
    );
    assert!(!f.backups.exists());
}

#[rstest]
#[case::uuid("3f2b9c1e-8d7a-4e5f-9b6c-0a1d2e3f4a5b")]
#[case::opencode("ses_5a1b2c3d4e5fXyZ")]
#[case::dotted("rollout.2025-01-02")]
fn real_session_ids_are_accepted(#[case] id: &str) {
    let f = fixture(b"x");
    let dest = backup_file(&f.src, &f.backups, id, 10, at(0)).unwrap();
    assert_eq!(dest.parent().unwrap(), f.backups.join(id));
}

#[test]
fn missing_source_is_an_error_and_creates_nothing() {
    let f = fixture(b"x");
    let gone = f.src.with_file_name("gone.jsonl");
    let err = backup_file(&gone, &f.backups, "s", 10, at(0)).unwrap_err();
    match &err {
        BackupError::Io { path, source, .. } => {
            assert_eq!(path, &gone);
            assert_eq!(source.kind(), io::ErrorKind::NotFound);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("gone.jsonl"));
    assert!(!f.backups.exists());
}

#[test]
fn directory_source_is_an_error() {
    let f = fixture(b"x");
    let err = backup_file(f.src.parent().unwrap(), &f.backups, "s", 10, at(0)).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    assert!(!f.backups.exists());
}

#[test]
fn source_growing_during_copy_is_cut_at_its_starting_size() {
    let f = fixture(b"");
    let dir = f.backups.join("s");
    let mut grown: &[u8] = b"line1\nline2-appended-later\n";
    let dest = write_backup(&mut grown, 6, &f.src, &dir, "jsonl", at(0)).unwrap();
    assert_eq!(fs::read(dest).unwrap(), b"line1\n");
}

#[test]
fn short_copy_is_an_error_and_removed() {
    let f = fixture(b"");
    let dir = f.backups.join("s");
    let mut shrunk: &[u8] = b"only";
    let err = write_backup(&mut shrunk, 10, &f.src, &dir, "jsonl", at(0)).unwrap_err();
    assert!(
        matches!(
            err,
            BackupError::Incomplete {
                expected: 10,
                copied: 4,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(names(&dir).is_empty());
}

/// Yields some bytes, then fails like a disk error would.
struct Failing(usize);

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0 == 0 {
            return Err(io::Error::other("disk on fire"));
        }
        let n = self.0.min(buf.len());
        buf[..n].fill(b'x');
        self.0 -= n;
        Ok(n)
    }
}

#[test]
fn read_error_mid_copy_removes_the_partial_backup() {
    let f = fixture(b"");
    let dir = f.backups.join("s");
    let err = write_backup(&mut Failing(3), 100, &f.src, &dir, "jsonl", at(0)).unwrap_err();
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert!(names(&dir).is_empty());
}

#[rstest]
#[case("20250102-030405.jsonl", Some(0))]
#[case("20250102-030405-7.jsonl", Some(7))]
#[case("20250102-030405-.jsonl", None)]
#[case("20251302-030405.jsonl", None)]
#[case("20250102-030405.jsonl.tmp", None)]
#[case("x20250102-030405.jsonl", None)]
fn backup_names(#[case] name: &str, #[case] suffix: Option<u32>) {
    assert_eq!(backup_order(name).map(|(_, n)| n), suffix);
}

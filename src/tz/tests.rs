use chrono::{DateTime, NaiveDate, Utc};

use super::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn wall(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn system_dirs() -> Vec<PathBuf> {
    ZONEINFO_DIRS.iter().map(Into::into).collect()
}

#[test]
fn utc_and_its_other_names_are_utc_without_any_file() {
    for name in UTC_NAMES {
        let tz = Tz::named(name).unwrap();
        assert!(tz.is_utc(), "{name}");
        assert_eq!(tz, Tz::UTC);
    }
    let t = at("2026-07-01T12:00:00Z").with_timezone(&Tz::UTC);
    assert_eq!(t.format("%H:%M %Z").to_string(), "12:00 UTC");
}

#[test]
fn a_named_zone_follows_its_daylight_saving_rules() {
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    let summer = at("2026-07-01T12:00:00Z").with_timezone(&berlin);
    assert_eq!(
        summer.format("%H:%M %Z %:z").to_string(),
        "14:00 CEST +02:00"
    );
    let winter = at("2026-12-01T12:00:00Z").with_timezone(&berlin);
    assert_eq!(
        winter.format("%H:%M %Z %:z").to_string(),
        "13:00 CET +01:00"
    );
    // Beyond the file's table its POSIX rule applies.
    let far = at("2100-07-01T12:00:00Z").with_timezone(&berlin);
    assert_eq!(far.format("%H:%M %Z").to_string(), "14:00 CEST");
    assert_eq!(berlin.name(), "Europe/Berlin");
    assert_eq!(berlin.to_string(), "Europe/Berlin");
}

#[test]
fn wall_times_map_to_instants_with_gaps_and_overlaps() {
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    let one = berlin
        .from_local_datetime(&wall("2026-11-27 00:40"))
        .single()
        .unwrap();
    assert_eq!(one.with_timezone(&Utc), at("2026-11-26T23:40:00Z"));
    // Spring forward: 02:30 does not happen.
    assert!(matches!(
        berlin.from_local_datetime(&wall("2026-03-29 02:30")),
        MappedLocalTime::None
    ));
    // Fall back: 02:30 happens twice, in summer time first.
    match berlin.from_local_datetime(&wall("2026-10-25 02:30")) {
        MappedLocalTime::Ambiguous(first, second) => {
            assert_eq!(first.with_timezone(&Utc), at("2026-10-25T00:30:00Z"));
            assert_eq!(second.with_timezone(&Utc), at("2026-10-25T01:30:00Z"));
            assert_eq!(first.offset().abbreviation(), "CEST");
        }
        other => panic!("{other:?}"),
    }
    let date = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
    assert_eq!(
        berlin.offset_from_utc_date(&date).fix().local_minus_utc(),
        7200
    );
}

#[test]
fn half_hour_zones_and_legacy_names() {
    let calcutta: Tz = "Asia/Calcutta".parse().unwrap();
    let t = at("2026-12-01T13:10:00Z").with_timezone(&calcutta);
    assert_eq!(t.format("%H:%M %Z").to_string(), "18:40 IST");
    assert_eq!(calcutta.name(), "Asia/Calcutta");
}

#[test]
fn a_legacy_name_the_system_has_no_file_for_is_read_under_its_current_name() {
    let dir = tempfile::tempdir().unwrap();
    let kolkata = system_dirs()
        .iter()
        .map(|d| d.join("Asia/Kolkata"))
        .find(|p| p.exists())
        .expect("the test machine has zoneinfo");
    std::fs::create_dir_all(dir.path().join("Asia")).unwrap();
    std::fs::copy(kolkata, dir.path().join("Asia/Kolkata")).unwrap();
    let dirs = vec![dir.path().to_path_buf()];
    assert!(read_rules("Asia/Calcutta", &dirs).is_none());
    let Some(Rules::Table(table)) = load("Asia/Calcutta", &dirs) else {
        panic!("not loaded")
    };
    assert_eq!(
        table
            .find_local_time_type(1_795_000_000)
            .unwrap()
            .ut_offset(),
        19_800
    );
    assert!(read_rules("Europe/Berlin", &dirs).is_none());
}

#[test]
fn etc_gmt_zones_need_no_file_and_count_west() {
    let none: Vec<PathBuf> = Vec::new();
    let Some(Rules::Fixed {
        seconds_east,
        abbreviation,
    }) = load("Etc/GMT+8", &none)
    else {
        panic!()
    };
    assert_eq!((seconds_east, abbreviation), (-8 * 3600, "-08"));
    let Some(Rules::Fixed { seconds_east, .. }) = load("Etc/GMT-14", &none) else {
        panic!()
    };
    assert_eq!(seconds_east, 14 * 3600);
    for bad in ["Etc/GMT+13", "Etc/GMT-15", "Etc/GMT+x", "Etc/GMT8"] {
        assert!(load(bad, &none).is_none(), "{bad}");
    }
}

#[test]
fn names_that_are_not_zones_are_refused_without_leaving_the_zoneinfo_directory() {
    for bad in [
        "",
        "Mars/Olympus_Mons",
        "../../etc/passwd",
        "/etc/localtime",
        "Europe/../Europe/Berlin",
        "Europe//Berlin",
        "posixrules ",
        "EST5EDT,M3.2.0,M11.1.0",
    ] {
        assert_eq!(Tz::named(bad), Err(UnknownZone(bad.to_string())), "{bad:?}");
    }
}

#[test]
fn misses_are_remembered_only_up_to_a_bound() {
    for i in 0..MISSES_KEPT + 50 {
        assert!(Tz::named(&format!("Nowhere/Zone_{i}")).is_err());
    }
    let loaded = LOADED.lock().unwrap();
    assert!(loaded.values().filter(|v| v.is_none()).count() <= MISSES_KEPT);
}

#[test]
fn the_database_is_found_where_tzdir_says() {
    let found = database_dir().expect("the test machine has zoneinfo");
    assert!(found.join("Europe/Berlin").is_file());
}

#[test]
fn the_machine_zone_is_read_whether_localtime_is_a_link_or_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let berlin = database_dir().unwrap().join("Europe/Berlin");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&berlin, &link).unwrap();
    let linked = Tz::local_from(&link).unwrap();
    assert_eq!(linked.name(), "Europe/Berlin");
    let copy = dir.path().join("copy");
    std::fs::copy(&berlin, &copy).unwrap();
    let copied = Tz::local_from(&copy).unwrap();
    assert_eq!(copied.name(), "localtime");
    let t = at("2026-07-01T12:00:00Z").with_timezone(&copied);
    assert_eq!(t.format("%H:%M %Z").to_string(), "14:00 CEST");
    assert!(
        std::ptr::eq(Tz::local_from(&copy).unwrap().0, copied.0),
        "read once"
    );
    assert!(Tz::local_from(&dir.path().join("none")).is_none());
}

#[test]
fn without_a_database_the_built_in_rules_stand_in() {
    let none: Vec<PathBuf> = Vec::new();
    for (name, july_offset) in [
        ("Asia/Calcutta", 19_800),
        ("Asia/Kolkata", 19_800),
        ("Europe/Berlin", 7_200),
        ("America/New_York", -14_400),
        ("US/Pacific", -25_200),
    ] {
        let Some(Rules::Table(table)) = load(name, &none) else {
            panic!("{name} not loaded")
        };
        let july = table.find_local_time_type(1_782_907_200).unwrap();
        assert_eq!(july.ut_offset(), july_offset, "{name}");
    }
    assert!(load("Mars/Olympus_Mons", &none).is_none());
}

#[test]
fn the_built_in_rules_agree_with_the_system_database_of_the_same_release() {
    let dir = database_dir().expect("the test machine has zoneinfo");
    let release = std::fs::read_to_string(dir.join("tzdata.zi"))
        .ok()
        .and_then(|t| {
            t.lines()
                .next()?
                .strip_prefix("# version ")
                .map(str::to_string)
        });
    if release.as_deref() != Some(builtin_release()) {
        // Another release may have changed some zone's rules since: nothing to compare.
        return;
    }
    let dirs = vec![dir];
    let none: Vec<PathBuf> = Vec::new();
    // Every week of two years from 2026 on.
    let instants: Vec<i64> = (0..104).map(|w| 1_767_225_600 + w * 7 * 86_400).collect();
    for line in include_str!("rules.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let zone = line.split_once(' ').unwrap().0;
        let (Some(Rules::Table(system)), Some(Rules::Table(built_in))) =
            (read_rules(zone, &dirs), load(zone, &none))
        else {
            continue;
        };
        // Zones whose file lists future transitions itself (Morocco's Ramadan changes) have a rule that
        // does not describe them: the built-in table is right for them only outside those dates.
        let listed_until = system
            .as_ref()
            .transitions()
            .last()
            .map(|t| t.unix_leap_time());
        if listed_until.is_some_and(|last| last > instants[0]) {
            continue;
        }
        for &t in &instants {
            let (a, b) = (
                system.find_local_time_type(t).unwrap(),
                built_in.find_local_time_type(t).unwrap(),
            );
            assert_eq!(a.ut_offset(), b.ut_offset(), "{zone} at {t}");
        }
    }
}

/// A zone first named on a runtime worker (in a hook's payload) is read without holding up the worker's other
/// tasks: here the read waits on a FIFO that only another task on the same single worker fills.
#[test]
fn a_zone_read_on_a_runtime_worker_lets_the_workers_other_tasks_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("Test")).unwrap();
    let fifo = dir.path().join("Test/Slow_Zone");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let tzif = std::fs::read(system_dirs()[0].join("Asia/Kolkata")).unwrap();
    let dirs = vec![dir.path().to_path_buf()];

    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let found = runtime.block_on(async move {
            let reader = tokio::spawn(async move { Tz::named_from("Test/Slow_Zone", || dirs) });
            tokio::task::yield_now().await;
            let writer = tokio::spawn(async move {
                let mut file = tokio::fs::OpenOptions::new()
                    .write(true)
                    .open(&fifo)
                    .await
                    .unwrap();
                tokio::io::AsyncWriteExt::write_all(&mut file, &tzif)
                    .await
                    .unwrap();
            });
            writer.await.unwrap();
            reader.await.unwrap()
        });
        let _ = done.send(found.map(|tz| tz.offset_at(0).fixed));
    });
    let offset = result
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the zone read held the only worker, and the task that feeds it never ran");
    assert_eq!(
        offset,
        Ok(chrono::FixedOffset::east_opt(5 * 3600 + 30 * 60).unwrap())
    );
}

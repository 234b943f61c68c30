//! Time zones from the system's time-zone database.
//!
//! A [`Tz`] is UTC, a fixed offset (`Etc/GMT+8`), or an IANA zone (`Asia/Kolkata`) read from the TZif file
//! under `$TZDIR` or the usual zoneinfo directories, and it implements [`chrono::TimeZone`], so
//! `at.with_timezone(&tz)` and `tz.from_local_datetime(..)` work as with any chrono zone. The system's
//! database is used rather than one compiled in: it is kept current by the system's updates, and a built-in
//! copy of every zone's history is about 1 MB of executable that every process relocates at start.
//!
//! Names that newer systems no longer ship as files (the legacy links of the IANA `backward` file, such as
//! `Asia/Calcutta`, which Node's `Intl` still reports) are followed to their current name here. A zone is
//! read once per process and kept (there are a few hundred at most). Where a system has no zoneinfo at all,
//! each zone's current rule from a built-in table (`builtin`, from a tzdata release) stands in for its file:
//! right for the instants palingenesis converts, which lie within days of now.

mod aliases;
mod builtin;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{LazyLock, Mutex};

use chrono::{FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, Offset, TimeZone};

/// A time zone; cheap to copy.
#[derive(Clone, Copy)]
pub struct Tz(&'static Zone);

struct Zone {
    name: &'static str,
    rules: Rules,
}

enum Rules {
    Fixed {
        seconds_east: i32,
        abbreviation: &'static str,
    },
    Table(tz::TimeZone),
}

const UTC_ZONE: Zone = Zone {
    name: "UTC",
    rules: Rules::Fixed {
        seconds_east: 0,
        abbreviation: "UTC",
    },
};

/// The names of UTC itself.
const UTC_NAMES: [&str; 9] = [
    "UTC",
    "Etc/UTC",
    "Universal",
    "Etc/Universal",
    "Zulu",
    "Etc/Zulu",
    "UCT",
    "Etc/UCT",
    "Etc/GMT",
];

/// Directories searched for TZif files after `$TZDIR`.
const ZONEINFO_DIRS: [&str; 4] = [
    "/usr/share/zoneinfo",
    "/usr/lib/zoneinfo",
    "/usr/share/lib/zoneinfo",
    "/etc/zoneinfo",
];

/// Zones read so far, by the name they were asked for; and names found to be no zone (at most
/// [`MISSES_KEPT`] of them, so that names read from messages cannot grow it without bound).
static LOADED: LazyLock<Mutex<HashMap<String, Option<Tz>>>> = LazyLock::new(Default::default);
const MISSES_KEPT: usize = 256;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown time zone {0:?}")]
pub struct UnknownZone(pub String);

impl Tz {
    pub const UTC: Tz = Tz(&UTC_ZONE);

    /// The zone an IANA name names (`Europe/Berlin`, `Asia/Calcutta`, `UTC`, `Etc/GMT-5`).
    pub fn named(name: &str) -> Result<Tz, UnknownZone> {
        Tz::named_from(name, || zoneinfo_dirs().collect())
    }

    /// [`Tz::named`], reading a zone not read before from the first of `dirs` that has it.
    fn named_from(name: &str, dirs: impl FnOnce() -> Vec<PathBuf>) -> Result<Tz, UnknownZone> {
        let unknown = || UnknownZone(name.to_string());
        if !plausible_name(name) {
            return Err(unknown());
        }
        if UTC_NAMES.contains(&name) {
            return Ok(Tz::UTC);
        }
        let cached = || {
            LOADED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(name)
                .copied()
        };
        if let Some(known) = cached() {
            return known.ok_or_else(unknown);
        }
        // A zone is read once per process, without holding the lock (others keep finding theirs meanwhile)
        // and off the runtime's workers (see `blocking`).
        let rules = blocking(|| load(name, &dirs()));
        let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = loaded.get(name) {
            // Read meanwhile by another thread: one zone per name.
            return known.ok_or_else(unknown);
        }
        let found = rules.map(|rules| Tz::keep(Box::leak(name.into()), rules));
        let misses = loaded.values().filter(|v| v.is_none()).count();
        if found.is_some() || misses < MISSES_KEPT {
            loaded.insert(name.to_string(), found);
        }
        found.ok_or_else(unknown)
    }

    /// The machine's own zone, from `/etc/localtime`: the IANA zone it links to, or, where it is a copy of a
    /// zone file rather than a link (as in many containers), that file's rules under the name `localtime`.
    /// `None` when there is no such file. Blocking: reads a link and maybe a file.
    pub fn machine_local() -> Option<Tz> {
        Tz::local_from(std::path::Path::new("/etc/localtime"))
    }

    fn local_from(localtime: &std::path::Path) -> Option<Tz> {
        if let Some(tz) = std::fs::read_link(localtime)
            .ok()
            .and_then(|target| Tz::named_by_link(&target))
        {
            return Some(tz);
        }
        let table = tz::TimeZone::from_tz_data(&std::fs::read(localtime).ok()?).ok()?;
        // Kept like a named zone: read again after a reload, it is the same zone unless the file changed.
        let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(Some(known)) = loaded.get("localtime")
            && matches!(&known.0.rules, Rules::Table(t) if *t == table)
        {
            return Some(*known);
        }
        let tz = Tz::keep("localtime", Rules::Table(table));
        loaded.insert("localtime".to_string(), Some(tz));
        Some(tz)
    }

    /// The zone a `TZ` value names: an IANA name, optionally after `:` (`Europe/Berlin`, `:Asia/Tokyo`), or a
    /// zoneinfo file's path (`:/usr/share/zoneinfo/Asia/Tokyo`). `None` for anything else (a POSIX rule such
    /// as `IST-5:30`, or no zone).
    pub fn from_tz_variable(value: &str) -> Option<Tz> {
        let value = value.trim().trim_start_matches(':');
        Tz::named(value)
            .ok()
            .or_else(|| Tz::named_by_link(std::path::Path::new(value)))
    }

    /// A zone read for the rest of the process (zones are few and read once each, see [`LOADED`]).
    fn keep(name: &'static str, rules: Rules) -> Tz {
        Tz(Box::leak(Box::new(Zone { name, rules })))
    }

    /// The zone named by the target of an `/etc/localtime` symlink (`/usr/share/zoneinfo/Asia/Tokyo`,
    /// `../usr/share/zoneinfo/Europe/Berlin`).
    pub fn named_by_link(target: &std::path::Path) -> Option<Tz> {
        let (_, name) = target.to_str()?.split_once("zoneinfo/")?;
        Tz::named(name.trim_start_matches("posix/")).ok()
    }

    /// The name the zone was asked for.
    pub fn name(&self) -> &'static str {
        self.0.name
    }

    pub fn is_utc(&self) -> bool {
        UTC_NAMES.contains(&self.0.name)
    }

    /// The offset in force at `unix_time`.
    fn offset_at(&self, unix_time: i64) -> ZoneOffset {
        let (seconds_east, abbreviation) = match &self.0.rules {
            Rules::Fixed {
                seconds_east,
                abbreviation,
            } => (*seconds_east, *abbreviation),
            Rules::Table(table) => match table.find_local_time_type(unix_time) {
                Ok(t) => (t.ut_offset(), t.time_zone_designation()),
                // Outside what the file and its rule describe (not for any time palingenesis meets).
                Err(_) => (0, "UTC"),
            },
        };
        ZoneOffset {
            zone: *self,
            fixed: FixedOffset::east_opt(seconds_east).unwrap_or(FixedOffset::east_opt(0).unwrap()),
            abbreviation,
        }
    }
}

/// Runs `read` (a zone file read) where blocking is allowed. A zone is first named where it is met: in a
/// transcript line (classified on the blocking pool), but also in a hook's payload or an agent's output,
/// classified on a runtime worker; there the runtime is told (`block_in_place`), so that the worker's other
/// tasks move on meanwhile. Elsewhere (a blocking-pool thread, a single-threaded runtime, no runtime) it just
/// runs.
fn blocking<T>(read: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(read)
        }
        _ => read(),
    }
}

/// A relative path of name-like segments: never `..`, never absolute, so a name read from a message cannot
/// point outside the zoneinfo directory.
fn plausible_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.split('/').all(|segment| {
            segment
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-'))
        })
}

fn zoneinfo_dirs() -> impl Iterator<Item = PathBuf> {
    let tzdir = std::env::var_os("TZDIR").filter(|d| !d.is_empty());
    tzdir
        .into_iter()
        .map(Into::into)
        .chain(ZONEINFO_DIRS.iter().map(Into::into))
}

/// The zoneinfo directory zones are read from: the first that holds the database (`$TZDIR`, then the usual
/// places). `None` when the system has none, and the built-in rules stand in.
pub fn database_dir() -> Option<PathBuf> {
    zoneinfo_dirs().find(|dir| dir.join("Etc/UTC").is_file() || dir.join("UTC").is_file())
}

/// The tzdata release of the built-in rules.
pub fn builtin_release() -> &'static str {
    builtin::release()
}

/// The rules of zone `name`: its TZif file in the first of `dirs` that has one, else the file of the name
/// it has now if it is a legacy name, else a fixed `Etc/GMT±N` offset, else the built-in rule (where the
/// system has no database).
fn load(name: &str, dirs: &[PathBuf]) -> Option<Rules> {
    let current = aliases::current_name(name);
    read_rules(name, dirs)
        .or_else(|| current.and_then(|current| read_rules(current, dirs)))
        .or_else(|| etc_gmt(name))
        .or_else(|| {
            let rule = builtin::rule(name).or_else(|| builtin::rule(current?))?;
            builtin::zone_of(rule).map(Rules::Table)
        })
}

fn read_rules(name: &str, dirs: &[PathBuf]) -> Option<Rules> {
    dirs.iter().find_map(|dir| {
        let bytes = std::fs::read(dir.join(name)).ok()?;
        let table = tz::TimeZone::from_tz_data(&bytes).ok()?;
        Some(Rules::Table(table))
    })
}

/// `Etc/GMT+8` (eight hours *west* of UTC, as POSIX counts) without a file.
fn etc_gmt(name: &str) -> Option<Rules> {
    let rest = name.strip_prefix("Etc/GMT")?;
    let (sign, hours) = rest.split_at_checked(1)?;
    let hours: i32 = hours.parse().ok()?;
    let seconds_west = match sign {
        "+" if (0..=12).contains(&hours) => hours * 3600,
        "-" if (0..=14).contains(&hours) => -hours * 3600,
        _ => return None,
    };
    Some(Rules::Fixed {
        seconds_east: -seconds_west,
        abbreviation: Box::leak(
            format!("{}{hours:02}", if sign == "+" { '-' } else { '+' }).into(),
        ),
    })
}

impl PartialEq for Tz {
    fn eq(&self, other: &Tz) -> bool {
        std::ptr::eq(self.0, other.0) || self.0.name == other.0.name
    }
}

impl Eq for Tz {}

impl fmt::Debug for Tz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tz({})", self.0.name)
    }
}

impl fmt::Display for Tz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

impl FromStr for Tz {
    type Err = UnknownZone;
    fn from_str(s: &str) -> Result<Tz, UnknownZone> {
        Tz::named(s)
    }
}

/// The offset of a [`Tz`] at some instant, with the zone's abbreviation for it (`%Z` in formats).
#[derive(Clone, Copy, Debug)]
pub struct ZoneOffset {
    zone: Tz,
    fixed: FixedOffset,
    abbreviation: &'static str,
}

impl ZoneOffset {
    pub fn abbreviation(&self) -> &'static str {
        self.abbreviation
    }
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abbreviation)
    }
}

impl TimeZone for Tz {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Tz {
        offset.zone
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<ZoneOffset> {
        self.offset_from_local_datetime(&local.and_time(chrono::NaiveTime::MIN))
    }

    /// The offsets under which the wall time `local` happens: none in a spring-forward gap, two in a
    /// fall-back overlap (earlier instant first).
    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<ZoneOffset> {
        let wall = local.and_utc().timestamp();
        // The offsets in force a day either side cover any one transition near this wall time.
        let mut found: Vec<(i64, ZoneOffset)> = Vec::with_capacity(2);
        for probe in [wall - 86_400, wall + 86_400] {
            let guess = self.offset_at(probe).fixed.local_minus_utc() as i64;
            let instant = wall - guess;
            let actual = self.offset_at(instant);
            if actual.fixed.local_minus_utc() as i64 == guess
                && !found.iter().any(|(at, _)| *at == instant)
            {
                found.push((instant, actual));
            }
        }
        found.sort_by_key(|(at, _)| *at);
        match found.as_slice() {
            [] => MappedLocalTime::None,
            [(_, one)] => MappedLocalTime::Single(*one),
            [(_, earlier), (_, later), ..] => MappedLocalTime::Ambiguous(*earlier, *later),
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_from_utc_datetime(&utc.and_time(chrono::NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        self.offset_at(utc.and_utc().timestamp())
    }
}

#[cfg(test)]
mod tests;

//! Which versions of an assistant's client palingenesis is proven against, and reading a version from what
//! `--version` prints.

use std::fmt;

/// A `major.minor.patch` version (pre-release and build suffixes ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u64, pub u64, pub u64);

impl Version {
    /// The first `x.y.z` in `text` (`2.1.332 (Claude Code)`, `codex-cli 0.171.0`, `v1.2.3`).
    pub fn find_in(text: &str) -> Option<Version> {
        text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .find_map(Version::parse)
    }

    /// Exactly `x.y.z` (a trailing `.` or more parts are ignored).
    pub fn parse(s: &str) -> Option<Version> {
        let mut parts = s.split('.').map(|p| p.parse::<u64>().ok());
        match (parts.next(), parts.next(), parts.next()) {
            (Some(Some(a)), Some(Some(b)), Some(Some(c))) => Some(Version(a, b, c)),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The versions the test suite proves an adapter against, inclusive: `oldest` is the oldest observed (its
/// facts are in `docs/client-facts.md`), `newest` the client pinned in `tests/clients/package.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestedRange {
    /// The npm package the pin names.
    pub package: &'static str,
    pub oldest: &'static str,
    pub newest: &'static str,
}

impl TestedRange {
    /// Whether `v` lies in the range (`None` when a bound does not parse, which a test rules out).
    pub fn contains(&self, v: Version) -> Option<bool> {
        let (lo, hi) = (Version::parse(self.oldest)?, Version::parse(self.newest)?);
        Some(lo <= v && v <= hi)
    }
}

impl fmt::Display for TestedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.oldest == self.newest {
            true => write!(f, "{}", self.newest),
            false => write!(f, "{} to {}", self.oldest, self.newest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_found_in_what_clients_print() {
        for (text, want) in [
            ("2.1.332 (Claude Code)", Some(Version(2, 1, 332))),
            ("codex-cli 0.171.0", Some(Version(0, 171, 0))),
            ("v1.18.33", Some(Version(1, 18, 33))),
            ("0.24.4-preview.1", Some(Version(0, 24, 4))),
            ("version 12", None),
            ("", None),
        ] {
            assert_eq!(Version::find_in(text), want, "{text}");
        }
    }

    #[test]
    fn ranges_are_inclusive() {
        let r = TestedRange {
            package: "x",
            oldest: "1.2.3",
            newest: "1.10.0",
        };
        assert_eq!(r.contains(Version(1, 2, 3)), Some(true));
        assert_eq!(r.contains(Version(1, 10, 0)), Some(true));
        assert_eq!(r.contains(Version(1, 9, 99)), Some(true));
        assert_eq!(r.contains(Version(1, 2, 2)), Some(false));
        assert_eq!(r.contains(Version(1, 10, 1)), Some(false));
        assert_eq!(r.to_string(), "1.2.3 to 1.10.0");
    }
}

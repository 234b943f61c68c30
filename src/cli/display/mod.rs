//! How the CLI shows things to a person: colour ([`color`]), local times and countdowns ([`clock`]),
//! column tables ([`table`]), the sessions table ([`Display::sessions`]) and the live `--watch` views ([`watch`]).
//! JSON output bypasses all of it.

pub mod clock;
pub mod color;
mod sessions;
pub mod table;
mod term;
pub mod watch;

use std::io::IsTerminal;

pub use color::ColorWhen;
pub use sessions::TITLES as SESSION_TITLES;

/// Colour on or off and the zone times are shown in, decided once per command from the global flags and
/// the environment.
#[derive(Clone, Copy, Debug)]
pub struct Display {
    pub paint: color::Paint,
    pub zone: clock::Zone,
}

impl Display {
    /// From `--color` and `--utc`, the environment and whether stdout is a terminal.
    pub fn from_env(when: ColorWhen, utc: bool) -> Display {
        let env = |name: &str| std::env::var(name).ok();
        Display {
            paint: color::Paint {
                on: color::enabled(when, env, std::io::stdout().is_terminal()),
            },
            zone: clock::Zone::from_env(utc),
        }
    }

    /// No colour, UTC: for output that must read the same everywhere (tests, other machines' tables).
    pub fn plain() -> Display {
        Display {
            paint: color::Paint { on: false },
            zone: clock::Zone::Utc,
        }
    }
}

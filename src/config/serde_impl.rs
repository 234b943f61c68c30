//! How the config file maps onto [`Config`]: core sections into their types, a section named after a known
//! assistant kept as written (its folder reads it), anything else an error that names what is allowed.
//! Hand-written rather than derived so that errors inside core sections keep their position in the file.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Config;
use crate::adapter::Section;

/// Calls `$m!` with every core section, so the list is written once.
macro_rules! core_sections {
    ($m:ident) => {
        $m!(
            daemon,
            monitoring,
            resume,
            new_session,
            checkpoint,
            backup,
            audit,
            notifications,
            chat,
            http,
            otel,
            fleet,
            fallback
        )
    };
}

macro_rules! names {
    ($($f:ident),*) => { &[$(stringify!($f)),*] };
}

const CORE: &[&str] = core_sections!(names);

impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ConfigVisitor)
    }
}

struct ConfigVisitor;

impl<'de> Visitor<'de> for ConfigVisitor {
    type Value = Config;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a palingenesis configuration")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Config, A::Error> {
        let mut c = Config::default();
        while let Some(key) = map.next_key::<String>()? {
            macro_rules! read {
                ($($f:ident),*) => {
                    match key.as_str() {
                        $(stringify!($f) => {
                            c.$f = map.next_value()?;
                            continue;
                        })*
                        _ => {}
                    }
                };
            }
            core_sections!(read);
            match crate::assistants::find(&key) {
                Some(adapter) if adapter.assistant().as_str() == key => {
                    let section: Section = map.next_value()?;
                    c.assistants.insert(adapter.assistant(), section);
                }
                _ => return Err(de::Error::unknown_field(&key, allowed())),
            }
        }
        Ok(c)
    }
}

/// Every top-level key a config file may have.
fn allowed() -> &'static [&'static str] {
    static ALLOWED: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        let mut all = CORE.to_vec();
        all.extend(crate::assistants::names());
        all
    });
    &ALLOWED
}

impl Serialize for Config {
    /// Core sections as typed; each assistant's section with its defaults filled and secrets redacted, as its
    /// folder renders it (so `config show` prints the configuration in force).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        macro_rules! write {
            ($($f:ident),*) => { $(map.serialize_entry(stringify!($f), &self.$f)?;)* };
        }
        core_sections!(write);
        for adapter in crate::assistants::all() {
            let a = adapter.assistant();
            let shown = adapter
                .show_section(self.section(a))
                .map_err(serde::ser::Error::custom)?;
            map.serialize_entry(a.as_str(), &shown)?;
        }
        map.end()
    }
}

/// Core sections as they are; each assistant's section as `config show` renders it, so secrets in it (an API
/// key in `env`, a server password) never reach a log.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Config");
        macro_rules! field {
            ($($f:ident),*) => { $(d.field(stringify!($f), &self.$f);)* };
        }
        core_sections!(field);
        for (assistant, section) in &self.assistants {
            let shown = crate::assistants::get(*assistant)
                .and_then(|a| a.show_section(section).ok())
                .map_or_else(|| "<unreadable>".to_owned(), |t| t.to_string());
            d.field(assistant.as_str(), &shown);
        }
        d.finish()
    }
}

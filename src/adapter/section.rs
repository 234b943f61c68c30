//! An assistant's config section (`[claude]`, …): the core keeps it as TOML, the assistant reads its own type.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserializer, Serialize};

/// One assistant's section as written (after environment overrides).
pub type Section = toml::Table;

/// A section that does not fit its assistant's type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct SectionError(pub String);

/// Read a section into the assistant's own type.
///
/// Through TOML text, as the file itself is read: every type is deserialized by the one deserializer, not
/// also by `toml::Value`'s, whose copy of each type's deserialization code made the executable larger.
pub fn parse_section<T: DeserializeOwned>(section: &Section) -> Result<T, SectionError> {
    let text = toml::to_string(section).map_err(|e| SectionError(first_line(&e)))?;
    toml::from_str(&text).map_err(|e: toml::de::Error| SectionError(first_line(&e.message())))
}

/// A section's type serialized back (defaults filled, secrets as their type shows them).
pub fn render_section<T: Serialize>(value: &T) -> Result<toml::Table, SectionError> {
    toml::Table::try_from(value).map_err(|e| SectionError(e.to_string()))
}

/// Check the section `name` of the config file `text` against `T`, so that an error carries its place in the
/// file. Other sections are skipped (the core checks its own).
pub fn check_in_file<T: DeserializeOwned>(text: &str, name: &str) -> Result<(), toml::de::Error> {
    let de = toml::Deserializer::parse(text)?;
    OnlySection::<T> {
        name,
        _t: PhantomData,
    }
    .deserialize(de)
}

fn first_line(e: &impl fmt::Display) -> String {
    let s = e.to_string();
    s.lines().next().unwrap_or_default().trim().to_owned()
}

/// Deserializes a whole document, reading only the key `name` as `T`.
struct OnlySection<'n, T> {
    name: &'n str,
    _t: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for OnlySection<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for OnlySection<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a config document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == self.name {
                map.next_value::<T>()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The four [`Adapter`](super::Adapter) methods about an assistant's config section, for an assistant whose
/// section type is `$section` (serde, `deny_unknown_fields`), whose commented template is `$template`, and whose
/// section is named `$name`.
macro_rules! config_section_methods {
    ($section:ty, $template:expr, $name:expr) => {
        fn config_template(&self) -> &'static str {
            $template
        }

        fn check_section(&self, text: &str) -> Result<(), toml::de::Error> {
            $crate::adapter::check_in_file::<$section>(text, $name)
        }

        fn check_table(
            &self,
            section: &$crate::adapter::Section,
        ) -> Result<(), $crate::adapter::SectionError> {
            $crate::adapter::parse_section::<$section>(section).map(drop)
        }

        fn show_section(
            &self,
            section: &$crate::adapter::Section,
        ) -> Result<toml::Table, $crate::adapter::SectionError> {
            $crate::adapter::render_section(&$crate::adapter::parse_section::<$section>(section)?)
        }
    };
}
pub(crate) use config_section_methods;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Serialize, Debug, Default, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Mine {
        binary: Option<String>,
        port: u16,
    }

    #[test]
    fn errors_in_a_section_point_into_the_file() {
        let text = "[other]\nx = 1\n\n[mine]\nport = \"eighty\"\n";
        let e = check_in_file::<Mine>(text, "mine").unwrap_err();
        let span = e.span().expect("a position");
        assert_eq!(&text[span.clone()], "\"eighty\"");
        assert!(check_in_file::<Mine>("[mine]\nport = 80\n", "mine").is_ok());
        assert!(check_in_file::<Mine>("[mine]\nbinry = \"x\"\n", "mine").is_err());
        assert!(check_in_file::<Mine>("", "mine").is_ok());
    }

    #[test]
    fn a_section_reads_into_its_type_and_back() {
        let section: Section = "port = 8\n".parse().unwrap();
        let mine: Mine = parse_section(&section).unwrap();
        assert_eq!(mine.port, 8);
        assert_eq!(render_section(&mine).unwrap()["port"].as_integer(), Some(8));
        let bad: Section = "port = -1\n".parse().unwrap();
        assert!(parse_section::<Mine>(&bad).is_err());
    }
}

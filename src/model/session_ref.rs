//! How a person names a session: its full id, `assistant:id`, or a unique prefix of either (like git's
//! abbreviated commits), and the shortest prefix that names each tracked session. Every surface that takes a
//! session id (CLI, HTTP, MCP, chat, `inspect`) resolves it here, and every table that prints one shortens it
//! here, so what is shown is always accepted.

use std::collections::HashMap;

use super::SessionKey;

/// Shown ids are never shorter than this, even when fewer characters would be unique.
pub const MIN_SHOWN: usize = 8;

/// What a session reference names among the tracked sessions.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved<'a> {
    One(&'a SessionKey),
    None,
    /// Several sessions start with it; the candidates, sorted.
    Ambiguous(Vec<&'a SessionKey>),
}

/// Resolve `wanted` among `keys`: an exact id or `assistant:id` wins; else the sessions whose id (or
/// `assistant:id`) starts with it.
pub fn resolve<'a>(keys: impl IntoIterator<Item = &'a SessionKey>, wanted: &str) -> Resolved<'a> {
    let wanted = wanted.trim();
    if wanted.is_empty() {
        return Resolved::None;
    }
    let keys: Vec<&SessionKey> = keys.into_iter().collect();
    let exact: Vec<&SessionKey> = keys
        .iter()
        .copied()
        .filter(|k| k.id == wanted || k.to_string() == wanted)
        .collect();
    let mut found = if exact.is_empty() {
        keys.into_iter()
            .filter(|k| k.id.starts_with(wanted) || k.to_string().starts_with(wanted))
            .collect()
    } else {
        exact
    };
    found.sort();
    match found.len() {
        0 => Resolved::None,
        1 => Resolved::One(found[0]),
        _ => Resolved::Ambiguous(found),
    }
}

/// The message for an ambiguous reference: every candidate, by the prefix that names it.
pub fn ambiguity(wanted: &str, candidates: &[&SessionKey]) -> String {
    let short = ShortIds::new(candidates.iter().copied());
    let names: Vec<String> = candidates
        .iter()
        .map(|k| format!("{} ({})", short.of(k), k.assistant))
        .collect();
    format!(
        "`{wanted}` matches {} sessions: {}; give more of the id",
        candidates.len(),
        names.join(", ")
    )
}

/// The shortest unique prefix (at least [`MIN_SHOWN`] characters) of every session id in a set.
#[derive(Debug, Default, Clone)]
pub struct ShortIds {
    len: HashMap<String, usize>,
}

impl ShortIds {
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a SessionKey>) -> ShortIds {
        ShortIds::of_ids(keys.into_iter().map(|k| k.id.as_str()))
    }

    /// The same over bare session ids.
    pub fn of_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> ShortIds {
        let mut ids: Vec<&str> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        let mut len = HashMap::with_capacity(ids.len());
        // In sorted order, an id shares its longest prefix with a neighbour.
        for (i, id) in ids.iter().enumerate() {
            let shared = [i.checked_sub(1), Some(i + 1)]
                .into_iter()
                .flatten()
                .filter_map(|j| ids.get(j))
                .map(|other| common_prefix(id, other))
                .max()
                .unwrap_or(0);
            len.insert(id.to_string(), shared + 1);
        }
        ShortIds { len }
    }

    /// The prefix that names `key`'s id (the whole id when it is short, or a prefix of another id).
    pub fn of<'k>(&self, key: &'k SessionKey) -> &'k str {
        self.id(&key.id)
    }

    /// The prefix that names `id` (at least [`MIN_SHOWN`] characters of an id not in the set).
    pub fn id<'k>(&self, id: &'k str) -> &'k str {
        let wanted = self.len.get(id).copied().unwrap_or(0).max(MIN_SHOWN);
        match id.char_indices().nth(wanted) {
            Some((cut, _)) => &id[..cut],
            None => id,
        }
    }
}

/// Characters two strings share at their start.
fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Assistant;

    fn key(assistant: &'static str, id: &str) -> SessionKey {
        SessionKey::new(Assistant::named(assistant), id)
    }

    #[test]
    fn shown_ids_are_the_shortest_unique_prefix_of_at_least_eight() {
        let keys = [
            key("claude", "7a1b2c3d-0000-4000-8000-000000000001"),
            key("claude", "7a1b2c3d-9999-4000-8000-000000000002"),
            key("codex", "0199aaaa-bbbb-7000-8000-000000000003"),
            key("qwen", "abc"),
        ];
        let short = ShortIds::new(&keys);
        assert_eq!(short.of(&keys[0]), "7a1b2c3d-0");
        assert_eq!(short.of(&keys[1]), "7a1b2c3d-9");
        assert_eq!(short.of(&keys[2]), "0199aaaa");
        assert_eq!(short.of(&keys[3]), "abc");
        for k in &keys {
            assert_eq!(resolve(&keys, short.of(k)), Resolved::One(k), "{k}");
        }
    }

    #[test]
    fn exact_ids_win_and_prefixes_must_be_unique() {
        let keys = [
            key("claude", "abc"),
            key("claude", "abcdef"),
            key("codex", "abd"),
        ];
        assert_eq!(resolve(&keys, "abc"), Resolved::One(&keys[0]));
        assert_eq!(resolve(&keys, "claude:abc"), Resolved::One(&keys[0]));
        assert_eq!(resolve(&keys, "abcd"), Resolved::One(&keys[1]));
        assert_eq!(resolve(&keys, "codex:a"), Resolved::One(&keys[2]));
        assert_eq!(resolve(&keys, "zz"), Resolved::None);
        assert_eq!(resolve(&keys, " "), Resolved::None);
        let Resolved::Ambiguous(many) = resolve(&keys, "ab") else {
            panic!("ambiguous");
        };
        assert_eq!(many.len(), 3);
        let msg = ambiguity("ab", &many);
        assert!(msg.contains("matches 3 sessions"), "{msg}");
        assert!(
            msg.contains("abcdef (claude)") && msg.contains("abd (codex)"),
            "{msg}"
        );
    }
}

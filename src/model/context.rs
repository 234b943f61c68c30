//! How full a session's context window is, as the assistant itself recorded it.

use serde::{Deserialize, Serialize};

/// A session's context use after its latest model response: the tokens the model took in (and, where the
/// assistant counts it, gave out) for that response, and the window they must fit in. Assistants record it
/// (Claude Code's `message.usage`, Codex's `token_count` events); each assistant's folder reads its own
/// records and knows its models' windows where the record does not state one.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextUse {
    pub used_tokens: u64,
    /// The model's context window, when the record states it or the assistant's table knows the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_tokens: Option<u64>,
}

impl ContextUse {
    /// What a record reported: `None` when it counted nothing (an empty or failed response); a window of 0
    /// is unknown.
    pub fn reported(used_tokens: u64, window_tokens: Option<u64>) -> Option<ContextUse> {
        (used_tokens > 0).then_some(ContextUse {
            used_tokens,
            window_tokens: window_tokens.filter(|w| *w > 0),
        })
    }

    /// The share of `window` (or of the recorded window when `window` is `None`) in use, in percent;
    /// `None` when no window is known.
    pub fn percent_of(&self, window: Option<u64>) -> Option<u8> {
        let window = window.or(self.window_tokens).filter(|w| *w > 0)?;
        let pct = self.used_tokens.saturating_mul(100) / window;
        Some(u8::try_from(pct).unwrap_or(u8::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::ContextUse;

    #[test]
    fn percent_uses_the_override_then_the_recorded_window() {
        let u = ContextUse {
            used_tokens: 170_000,
            window_tokens: Some(200_000),
        };
        assert_eq!(u.percent_of(None), Some(85));
        assert_eq!(u.percent_of(Some(1_000_000)), Some(17));
        let unknown = ContextUse {
            window_tokens: None,
            ..u
        };
        assert_eq!(unknown.percent_of(None), None);
        assert_eq!(unknown.percent_of(Some(0)), None);
        let over = ContextUse {
            used_tokens: u64::MAX,
            window_tokens: Some(1),
        };
        assert_eq!(over.percent_of(None), Some(u8::MAX));
    }
}

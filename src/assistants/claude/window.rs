//! The context window a Claude model runs with, from the model id its transcript records.
//!
//! The transcript records the API's model id (`claude-opus-5-5`, `claude-sonnet-4-5-20250929`, on Bedrock
//! `us.anthropic.claude-opus-4-8-v1:0`, on Vertex `claude-sonnet-4-5@20250929`), never the window. Claude Code
//! 2.1.332 knows each model's window from its own model table; what follows is the rule that table holds:
//!
//! - a window of 1,000,000 tokens natively: every model of generation 5 and later (Opus 5 and 5.5, Sonnet 5
//!   and 5.5, Haiku 5.5, …) and Opus 4.7 and 4.8;
//! - 200,000 tokens for the older ones (Sonnet 4 to 4.6, Opus 4 to 4.6, Haiku 4.5, the Claude 3 models). Those
//!   can run with a 1,000,000-token window when the user picks it (`sonnet[1m]`, `/model`), which Claude Code
//!   asks for with a request header and does not record: the window is then known only once the session
//!   holds more than 200,000 tokens. Until then palingenesis takes it for 200,000 (and so may ask for a
//!   checkpoint early), never the other way round;
//! - an id it does not know (a gateway's own name): 200,000, Claude Code's default.

/// The window of the older models, and of models palingenesis does not know.
pub const STANDARD_WINDOW: u64 = 200_000;
/// The window of the models that have it natively, and of the older ones run with the long-context option.
pub const LONG_WINDOW: u64 = 1_000_000;

/// The window `model` runs with, given that the session holds `used` tokens.
pub fn window_of(model: &str, used: u64) -> u64 {
    let window = if model.contains("[1m]") || natively_long(model) {
        LONG_WINDOW
    } else {
        STANDARD_WINDOW
    };
    if used > window { LONG_WINDOW } else { window }
}

/// Whether the model id names a model whose window is 1,000,000 tokens without any option.
fn natively_long(model: &str) -> bool {
    let Some(version) = Version::of(model) else {
        return false;
    };
    version.major >= 5 || (version.family == "opus" && version.major == 4 && version.minor >= 7)
}

/// `claude-<family>-<major>[-<minor>]`, as the ids of Claude 4 and later read.
#[derive(Debug, PartialEq)]
struct Version<'a> {
    family: &'a str,
    major: u32,
    minor: u32,
}

impl<'a> Version<'a> {
    fn of(model: &'a str) -> Option<Version<'a>> {
        let mut words = model
            .split(|c: char| !c.is_ascii_alphanumeric())
            .skip_while(|w| !w.eq_ignore_ascii_case("claude"))
            .skip(1);
        // Claude 3 ids put the version first (`claude-3-7-sonnet`): all of them have the standard window.
        let family = words
            .next()
            .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()))?;
        let number = |w: &str| {
            (w.len() <= 2 && w.chars().all(|c| c.is_ascii_digit()))
                .then(|| w.parse::<u32>().ok())
                .flatten()
        };
        let major = number(words.next()?)?;
        // A date (`20250929`) or a provider's suffix (`v1`) is not a minor version.
        let minor = words.next().and_then(number).unwrap_or(0);
        Some(Version {
            family,
            major,
            minor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    // Claude Code 2.1.332's defaults (`claude`, `--model sonnet`, `--model haiku`), seen on the wire.
    #[case::opus_5_5("claude-opus-5-5", LONG_WINDOW)]
    #[case::sonnet_5_5("claude-sonnet-5-5", LONG_WINDOW)]
    #[case::haiku_5_5("claude-haiku-5-5", LONG_WINDOW)]
    #[case::sonnet_5("claude-sonnet-5", LONG_WINDOW)]
    #[case::fable_5_2("claude-fable-5-2", LONG_WINDOW)]
    #[case::opus_4_8("claude-opus-4-8", LONG_WINDOW)]
    #[case::opus_4_7_bedrock("us.anthropic.claude-opus-4-7-v1:0", LONG_WINDOW)]
    #[case::opus_4_6("claude-opus-4-6", STANDARD_WINDOW)]
    #[case::opus_4_dated("claude-opus-4-20250514", STANDARD_WINDOW)]
    #[case::sonnet_4_5_dated("claude-sonnet-4-5-20250929", STANDARD_WINDOW)]
    #[case::sonnet_4_5_vertex("claude-sonnet-4-5@20250929", STANDARD_WINDOW)]
    #[case::sonnet_4_6("claude-sonnet-4-6", STANDARD_WINDOW)]
    #[case::haiku_4_5("claude-haiku-4-5-20251001", STANDARD_WINDOW)]
    #[case::claude_3_7("claude-3-7-sonnet-20250219", STANDARD_WINDOW)]
    #[case::long_option("claude-sonnet-4-5[1m]", LONG_WINDOW)]
    #[case::a_gateways_name("gpt-4o", STANDARD_WINDOW)]
    #[case::the_tests_fake("claude-fake", STANDARD_WINDOW)]
    #[case::empty("", STANDARD_WINDOW)]
    fn each_model_runs_with_its_window(#[case] model: &str, #[case] window: u64) {
        assert_eq!(window_of(model, 1_000), window);
    }

    #[test]
    fn more_than_the_standard_window_in_use_means_the_long_one() {
        assert_eq!(window_of("claude-sonnet-4-5", 200_000), STANDARD_WINDOW);
        assert_eq!(window_of("claude-sonnet-4-5", 200_001), LONG_WINDOW);
        assert_eq!(window_of("gpt-4o", 350_000), LONG_WINDOW);
    }
}

//! Quota warnings ("You've used 90% of your weekly limit") announce a limit ahead; they stay not-a-stop.

use rstest::rstest;

use super::ctx;
use crate::classify::classify_text;

#[rstest]
#[case("You've used 90% of your weekly limit · resets Nov 29, 9am")]
#[case("Over 90% of your weekly limit used · resets Nov 27, 12:40am")]
#[case("Approaching usage limit · resets at 3pm")]
fn a_warning_is_still_not_a_stop(#[case] text: &str) {
    assert_eq!(classify_text(text, &ctx()), None, "{text}");
}

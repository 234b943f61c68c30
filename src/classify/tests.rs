//! Free-text classification: real stop messages, and the look-alikes that are not stops.

use crate::tz::Tz;
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use rstest::rstest;

use super::*;
use crate::model::{HumanCause, HumanCause::*, StopReason::*, UsageWindow};

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad test instant {s}: {e}"))
        .with_timezone(&Utc)
}

/// 2025-11-24 00:12 UTC, agent in UTC.
pub(crate) fn ctx() -> ClassifyContext {
    ClassifyContext::new(at("2025-11-24T00:12:00Z"), Tz::UTC)
}

fn usage(resets: Option<&str>, window: UsageWindow) -> StopReason {
    UsageLimit {
        resets_at: resets.map(at),
        window,
        precision: crate::model::Precision::Minute,
    }
}

fn human(cause: HumanCause) -> StopReason {
    NeedsHuman { cause }
}

#[rstest]
// Claude Code.
#[case(
    "You've hit your session limit · resets 12:57am (UTC)",
    usage(Some("2025-11-24T00:57:00Z"), UsageWindow::Session)
)]
#[case(
    "You’ve hit your session limit · resets 2am",
    usage(Some("2025-11-24T02:00:00Z"), UsageWindow::Session)
)]
#[case(
    "You've hit your weekly limit · resets Nov 27, 12:40am (Europe/Berlin)",
    usage(Some("2025-11-26T23:40:00Z"), UsageWindow::Weekly)
)]
#[case(
    "You've hit your limit · resets 4am (UTC)",
    usage(Some("2025-11-24T04:00:00Z"), UsageWindow::Session)
)]
#[case(
    "5-hour limit reached ∙ resets 3am",
    usage(Some("2025-11-24T03:00:00Z"), UsageWindow::Session)
)]
#[case(
    "Weekly limit reached · resets Nov 28, 7pm (Europe/Moscow) ·",
    usage(Some("2025-11-28T16:00:00Z"), UsageWindow::Weekly)
)]
#[case(
    "You're out of extra usage · resets 9pm",
    usage(Some("2025-11-24T21:00:00Z"), UsageWindow::ExtraUsage)
)]
#[case(
    "Claude AI usage limit reached|1763949600",
    UsageLimit { resets_at: Some(at("2025-11-24T02:00:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Exact }
)]
#[case(
    "Claude usage limit reached. Your limit will reset at 3am (UTC).",
    usage(Some("2025-11-24T03:00:00Z"), UsageWindow::Session)
)]
#[case(
    "  ⎿  You've hit your session limit · resets 1am (UTC)",
    usage(Some("2025-11-24T01:00:00Z"), UsageWindow::Session)
)]
#[case("API Error: Request rejected (429) · this may be a temporary capacity issue", RateLimit { retry_after_secs: None })]
#[case("API Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your account's rate limit. Please try again later.\"}}", RateLimit { retry_after_secs: None })]
#[case("API Error: Server is temporarily limiting requests (not your usage limit) · Rate limited", RateLimit { retry_after_secs: None })]
#[case("Prompt is too long", ContextExhausted)]
#[case(
    "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is too long: 210000 tokens > 200000 maximum\"}}",
    ContextExhausted
)]
#[case("API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.", Transient { status: Some(529) })]
#[case("  ⎿  API Error: Repeated 529 Overloaded errors", Transient { status: Some(529) })]
#[case("API Error: 500 {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}", Transient { status: Some(500) })]
#[case("API Error: Unable to connect to API (ConnectionRefused)", Transient { status: None })]
#[case("API Error: Request timed out.", Transient { status: None })]
#[case("API Error: Connection error.", Transient { status: None })]
#[case("Invalid API key · Please run /login", human(Authentication))]
#[case(
    "OAuth token has expired. Please obtain a new token or refresh your existing token.",
    human(Authentication)
)]
#[case(
    "API Error: 401 {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}",
    human(Authentication)
)]
#[case(
    "API Error: 403 {\"type\":\"error\",\"error\":{\"type\":\"permission_error\",\"message\":\"OAuth authentication is currently not allowed for this organization.\"}}",
    human(OrgNotAllowed)
)]
#[case("Credit balance is too low", human(Billing))]
#[case(
    "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"Your credit balance is too low to access the Anthropic API.\"}}",
    human(Billing)
)]
#[case(
    "There's an issue with the selected model (claude-opus-9). It may not exist or you may not have access to it. Run /model to pick a different model.",
    human(ModelNotFound)
)]
// Codex CLI.
#[case(
    "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing), visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 2:46 AM.",
    usage(Some("2025-11-24T02:46:00Z"), UsageWindow::Session)
)]
#[case(
    "ERROR: You've hit your usage limit. Try again later.",
    usage(None, UsageWindow::Unknown)
)]
#[case(
    "You've hit your usage limit. Limits reset every 5h and every week.",
    usage(None, UsageWindow::Unknown)
)]
#[case(
    "■ You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 4 days 6 hours 37 minutes.",
    usage(Some("2025-11-28T06:49:00Z"), UsageWindow::Weekly)
)]
#[case(
    "You've hit your usage limit. Upgrade to Plus to continue using Codex (https://openai.com/chatgpt/pricing).",
    human(QuotaOrPlan)
)]
#[case(
    "Quota exceeded. Check your plan and billing details.",
    human(QuotaOrPlan)
)]
#[case(
    "To use Codex with your ChatGPT plan, upgrade to Plus: https://openai.com/chatgpt/pricing.",
    human(QuotaOrPlan)
)]
#[case("exceeded retry limit, last status: 429 Too Many Requests", RateLimit { retry_after_secs: None })]
#[case("exceeded retry limit, last status: 503 Service Unavailable, request id: abc", Transient { status: Some(503) })]
#[case(
    "Codex ran out of room in the model's context window. Start a new conversation or clear earlier history before retrying.",
    ContextExhausted
)]
#[case("We're currently experiencing high demand, which may cause temporary errors.", Transient { status: None })]
#[case("Selected model is at capacity. Please try a different model.", Transient { status: None })]
#[case("stream disconnected before completion: error sending request for url", Transient { status: None })]
#[case("unexpected status 502 Bad Gateway: upstream error", Transient { status: Some(502) })]
#[case(
    "unexpected status 401 Unauthorized: Missing bearer authentication",
    human(Authentication)
)]
#[case(
    "Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again.",
    human(Authentication)
)]
// Provider wording seen through opencode.
#[case("Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2.4s.", RateLimit { retry_after_secs: Some(3) })]
#[case("Too Many Requests", RateLimit { retry_after_secs: None })]
#[case(
    "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
    ContextExhausted
)]
#[case(
    "You exceeded your current quota, please check your plan and billing details.",
    human(QuotaOrPlan)
)]
#[case("Service Unavailable", Transient { status: None })]
// Whole screens: the last telling line decides.
#[case("⏺ Working on it\n  ⎿  API Error: 529 Overloaded\n\n❯ \n  ? for shortcuts", Transient { status: Some(529) })]
#[case(
    "⎿  Session limit reached · Retrying in 4s (12:28am) · attempt 1/3\n⎿  You've hit your session limit · resets 1am (UTC)\n❯",
    usage(Some("2025-11-24T01:00:00Z"), UsageWindow::Session)
)]
#[case(
    "OpenAI Codex v0.169.0\n--------\nuser\nhi\nERROR: You've hit your usage limit. Try again at 3:00 AM.\n",
    usage(Some("2025-11-24T03:00:00Z"), UsageWindow::Session)
)]
fn stop_messages(#[case] text: &str, #[case] want: StopReason) {
    assert_eq!(classify_text(text, &ctx()), Some(want.clone()), "{text}");
}

#[rstest]
#[case("Approaching usage limit · resets at 3pm")]
#[case("Approaching Opus usage limit · /model to use best available model")]
#[case("You've used 98% of your session limit · resets 3pm")]
#[case("98% of weekly limit used · resets Nov 27")]
#[case("Session limit reached · Retrying in 4s (12:28am) · attempt 1/3")]
#[case("API Error (429 Too Many Requests) · Retrying in 5 seconds… (attempt 3/10)")]
#[case("⎿  API Error: 529 Overloaded\n⎿  Retrying in 8s (12:30am) · attempt 2/10")]
#[case("Claude Opus 4 limit reached, now using Sonnet 4")]
#[case("Usage limit reached, continuing automatically with extra usage")]
#[case("Reconnecting... 2/5")]
#[case("When you hit your session limit, Claude shows a reset time.")]
#[case("I noticed the log says \"You've hit your session limit\" earlier.")]
#[case("> You've hit your session limit · resets 3pm")]
#[case("You've hit your session limit and I need to wait")]
#[case("The prompt is too long to read aloud, so here is a summary.")]
#[case("All 42 tests passed; the rate of change is fine")]
#[case("Rate limits reset every 5 hours.")]
#[case("Here is how to handle `exceeded retry limit` errors in your client.")]
#[case("Error: something else went wrong")]
#[case("Done. The usage limit handling now reports resets correctly.")]
#[case("")]
#[case("\n\n   \n")]
fn not_stop_messages(#[case] text: &str) {
    assert_eq!(classify_text(text, &ctx()), None, "{text}");
}

#[test]
fn unstructured_evidence_that_is_no_stop_is_unknown() {
    let e = Evidence::new(crate::assistants::claude::ASSISTANT, "All tests pass.");
    assert_eq!(classify(&e, &ctx(), |_, _| unreachable!()), Unknown);
}

#[test]
fn unstructured_evidence_falls_back_to_its_status() {
    let e = Evidence {
        http_status: Some(503),
        ..Evidence::new(crate::assistants::opencode::ASSISTANT, "upstream hiccup")
    };
    assert_eq!(
        classify(&e, &ctx(), |_, _| unreachable!()),
        Transient { status: Some(503) }
    );
}

proptest! {
    #[test]
    fn classify_text_never_panics(text in "\\PC{0,300}", nl in "(\n|\r\n)?") {
        let text = format!("{text}{nl}{text}");
        let _ = classify_text(&text, &ctx());
    }

    #[test]
    fn quoted_limits_inside_prose_are_not_stops(
        lead in "[A-Z][a-z]{2,10} [a-z]{2,10} ",
        quote in prop::sample::select(vec![
            "You've hit your session limit · resets 3pm",
            "API Error: 529 Overloaded",
            "Prompt is too long",
            "You've hit your usage limit. Try again later.",
        ]),
    ) {
        let text = format!("{lead}\"{quote}\" in the log.");
        prop_assert_eq!(classify_text(&text, &ctx()), None);
    }
}

mod classes;
mod quota;
mod reset;
mod structured;

//! Every class of stop from issue 12, in each assistant's real wording (Claude Code issues and binary,
//! Codex's `codex-rs/protocol/src/error.rs`, opencode issues), read as free text by every assistant and as
//! structured evidence by the one that writes it.

use crate::tz::Tz;
use rstest::rstest;

use super::at;
use super::*;
use crate::assistants::claude::ASSISTANT as CLAUDE;
use crate::assistants::codex::ASSISTANT as CODEX;
use crate::assistants::opencode::ASSISTANT as OPENCODE;
use crate::model::UsageWindow::*;

/// Monday 2026-11-30 19:00 UTC, agent in UTC.
fn ctx() -> ClassifyContext {
    ClassifyContext::new(at("2026-11-30T19:00:00Z"), Tz::UTC)
}

fn usage(resets: Option<&str>, window: UsageWindow) -> StopReason {
    UsageLimit {
        resets_at: resets.map(at),
        window,
        precision: crate::model::Precision::Minute,
    }
}

/// Free text, as a terminal shows it: every assistant's adapter reads it the same way.
#[rstest]
// Reset instants.
#[case::date_with_at(
    "You've hit your weekly limit · resets Dec 3 at 9pm (Europe/Rome)",
    usage(Some("2026-12-03T20:00:00Z"), Weekly)
)]
#[case::weekday_later_this_week(
    "You've hit your weekly limit · resets Thu 9am (UTC)",
    usage(Some("2026-12-03T09:00:00Z"), Weekly)
)]
#[case::weekday_full_at(
    "You've hit your weekly limit · resets Friday at 2pm (UTC)",
    usage(Some("2026-12-04T14:00:00Z"), Weekly)
)]
#[case::weekday_today_is_next_week(
    "You've hit your weekly limit · resets Mon 5pm (UTC)",
    usage(Some("2026-12-07T17:00:00Z"), Weekly)
)]
#[case::relative_days_hours(
    "You've hit your weekly limit · resets in 2d 3h",
    usage(Some("2026-12-02T22:00:00Z"), Weekly)
)]
#[case::relative_hours_minutes(
    "You've hit your session limit · resets in 3h 20m",
    usage(Some("2026-11-30T22:20:00Z"), Session)
)]
#[case::codex_ordinal(
    "You've hit your usage limit. Try again at Dec 3rd, 2026 4:05 AM.",
    usage(Some("2026-12-03T04:05:00Z"), Weekly)
)]
#[case::codex_commas(
    "You've hit your usage limit. Try again at Dec 3, 2026, 4:05 AM.",
    usage(Some("2026-12-03T04:05:00Z"), Weekly)
)]
#[case::codex_model_time(
    "You've hit your usage limit for GPT-5.3-Codex-Spark. Switch to another model now, or try again at 9:40 PM.",
    usage(Some("2026-11-30T21:40:00Z"), Session)
)]
#[case::codex_model_dated(
    "You’ve hit your usage limit for gpt-5.6-sol. Switch to another model now, or try again at Dec 2nd, 2026 12:30 AM.",
    usage(Some("2026-12-02T00:30:00Z"), Weekly)
)]
#[case::codex_model_later(
    "You've hit your usage limit for gpt-5.6-sol. Switch to another model now, or try again later.",
    usage(None, UsageWindow::Unknown)
)]
#[case::codex_past_is_now(
    "You've hit your usage limit. Try again at Nov 30th, 2026 9:05 AM.",
    usage(Some("2026-11-30T19:00:00Z"), Session)
)]
#[case::opencode_no_time("The usage limit has been reached", usage(None, UsageWindow::Unknown))]
#[case::opencode_go_weekly(
    "Weekly usage limit reached. It will reset in 5 days 10 hours.",
    usage(Some("2026-12-06T05:00:00Z"), Weekly)
)]
#[case::subagent_limit(
    "Agent terminated early due to an API error: You've hit your session limit · resets 12am",
    usage(Some("2026-12-01T00:00:00Z"), Session)
)]
#[case::subagent_in_tool_result(
    "  ⎿  Error: Agent terminated early due to an API error: You've hit your 5-hour limit · resets 10pm (UTC)",
    usage(Some("2026-11-30T22:00:00Z"), Session)
)]
// Needs a person.
#[case::workspace_credits_owner("Your workspace is out of credits. Add credits to continue.", NeedsHuman { cause: OutOfCredits })]
#[case::workspace_credits_member("Your workspace is out of credits. Ask your workspace owner to refill in order to continue.", NeedsHuman { cause: OutOfCredits })]
#[case::personal_credits("You're out of credits. Buy more credits to continue.", NeedsHuman { cause: OutOfCredits })]
#[case::spend_cap_owner("You hit your spend cap set in your workspace. Increase your spend cap to continue.", NeedsHuman { cause: SpendCap })]
#[case::spend_cap_member("You hit your spend cap set by the owner of your workspace. Ask an owner to increase your spend cap to continue.", NeedsHuman { cause: SpendCap })]
#[case::api_spend_limit("API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC.\"}}", NeedsHuman { cause: SpendCap })]
#[case::api_spend_limit_bare("You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC.", NeedsHuman { cause: SpendCap })]
#[case::codex_owner_limit("Usage limit reached. Request a limit increase from your owner to continue", NeedsHuman { cause: SpendCap })]
#[case::monthly_go("Monthly usage limit reached. It will reset in 10 days 19 hours.", NeedsHuman { cause: MonthlyCap })]
#[case::org_monthly("You've hit your org's monthly usage limit", NeedsHuman { cause: MonthlyCap })]
#[case::org_reached("Your organization has reached its monthly usage limit. Contact your admin.", NeedsHuman { cause: MonthlyCap })]
#[case::free_tier("Free usage exceeded, subscribe to Go", NeedsHuman { cause: FreeTierExhausted })]
#[case::free_tier_error("FreeUsageLimitError: Rate limit exceeded. Please try again later.", NeedsHuman { cause: FreeTierExhausted })]
#[case::policy_claude("API Error: Claude Code is unable to respond to this request, which appears to violate our Usage Policy (https://www.anthropic.com/legal/aup). Please double press esc to edit your last message or start a new session for Claude Code to assist with a different task.", NeedsHuman { cause: PolicyRefusal })]
#[case::policy_openai("Invalid prompt: your prompt was flagged as potentially violating our usage policy. Please try again with a different prompt.", NeedsHuman { cause: PolicyRefusal })]
// Context exhausted.
#[case::max_tokens_exceed(
    "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"input length and `max_tokens` exceed context limit: 193125 + 21333 > 200000, decrease input length or `max_tokens` and try again\"}}",
    ContextExhausted
)]
#[case::max_tokens_plain(
    "input length and max_tokens exceed context limit: 189727 + 16000 > 200000, decrease input length or max_tokens and try again",
    ContextExhausted
)]
#[case::compaction_failed(
    "  ⎿  Error: Error during compaction: Error: Conversation too long. Press esc twice to go up a few messages and try again.",
    ContextExhausted
)]
#[case::compaction_failed_old(
    "Error: Error during compaction: Error: Conversation too long. Press esc to go up a few messages and try again.",
    ContextExhausted
)]
#[case::codex_context(
    "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.",
    ContextExhausted
)]
#[case::provider_context(
    "API Error: 400 {\"detail\":\"The input (233781 tokens) is longer than the model's context length (202752 tokens).\"}",
    ContextExhausted
)]
// Transient interruptions: the machine slept, the network went away.
#[case::claude_timeout("API Error: Request timed out.", Transient { status: None })]
#[case::claude_connection("API Error: Connection error.", Transient { status: None })]
#[case::codex_stream_read("Error while reading the server response: error decoding response body, request id: abc", Transient { status: None })]
#[case::codex_connection("Connection failed: error sending request for url (https://chatgpt.com/backend-api/codex/responses)", Transient { status: None })]
#[case::codex_stream("stream disconnected before completion: Transport error: error decoding response body", Transient { status: None })]
#[case::codex_request_timeout("request timed out", Transient { status: None })]
#[case::bun_socket("The socket connection was closed unexpectedly. For more information, pass `verbose: true` in the second argument to fetch()", Transient { status: None })]
#[case::macos_network("The network connection was lost.", Transient { status: None })]
#[case::undici_terminated("TypeError: terminated", Transient { status: None })]
fn every_class_in_every_assistant(#[case] text: &str, #[case] want: StopReason) {
    for assistant in [CLAUDE, CODEX, OPENCODE] {
        let adapter = crate::assistants::get(assistant).expect("registered");
        assert_eq!(
            adapter.classify_text(text, &ctx()),
            Some(want.clone()),
            "{assistant}: {text}"
        );
    }
}

/// Not stops: quoted text, warnings, an assistant still retrying by itself.
#[rstest]
#[case::quoted(
    "The log said \"You've hit your usage limit for gpt-5. Switch to another model now\" yesterday"
)]
#[case::prose_credits("I think your workspace is out of credits, check the billing page")]
#[case::warning_90("You've used 90% of your weekly limit · resets Dec 3, 9am")]
#[case::approaching("Approaching usage limit · resets at 9pm")]
#[case::opencode_retrying("Free usage exceeded, subscribe to Go [retrying in 9h 51m attempt #1]")]
#[case::claude_retrying("Session limit reached · Retrying in 4s (12:28am) · attempt 1/3")]
#[case::codex_reconnecting("Reconnecting... 2/5")]
#[case::claude_auto_continue("Usage limit reached · set to continue automatically at 4:30pm")]
fn not_stops(#[case] text: &str) {
    for assistant in [CLAUDE, CODEX, OPENCODE] {
        let adapter = crate::assistants::get(assistant).expect("registered");
        assert_eq!(
            adapter.classify_text(text, &ctx()),
            None,
            "{assistant}: {text}"
        );
    }
}

/// Structured evidence: the assistant's own code with the same wording.
#[rstest]
#[case::codex_credits(CODEX, Some("usage_limit_exceeded"), "Your workspace is out of credits. Add credits to continue.", NeedsHuman { cause: OutOfCredits })]
#[case::codex_spend(CODEX, Some("usageLimitExceeded"), "You hit your spend cap set in your workspace. Increase your spend cap to continue.", NeedsHuman { cause: SpendCap })]
#[case::codex_model(
    CODEX,
    Some("usage_limit_exceeded"),
    "You've hit your usage limit for gpt-5.6-sol. Switch to another model now, or try again at 9:40 PM.",
    usage(Some("2026-11-30T21:40:00Z"), Session)
)]
#[case::codex_cyber(CODEX, Some("cyber_policy"), "This request was flagged for possible cybersecurity risk.", NeedsHuman { cause: PolicyRefusal })]
#[case::codex_context(
    CODEX,
    Some("context_window_exceeded"),
    "Codex ran out of room in the model's context window.",
    ContextExhausted
)]
#[case::codex_stream(CODEX, Some("response_stream_disconnected"), "stream disconnected before completion", Transient { status: None })]
#[case::claude_spend(CLAUDE, Some("invalid_request"), "API Error: 400 You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC.", NeedsHuman { cause: SpendCap })]
#[case::claude_context(
    CLAUDE,
    Some("invalid_request"),
    "API Error: 400 input length and `max_tokens` exceed context limit: 193125 + 21333 > 200000",
    ContextExhausted
)]
#[case::claude_policy(CLAUDE, None, "API Error: Claude Code is unable to respond to this request, which appears to violate our Usage Policy", NeedsHuman { cause: PolicyRefusal })]
#[case::claude_monthly(CLAUDE, Some("rate_limit"), "You've hit your org's monthly usage limit", NeedsHuman { cause: MonthlyCap })]
#[case::claude_subagent(
    CLAUDE,
    Some("rate_limit"),
    "Agent terminated early due to an API error: You've hit your session limit · resets 12am",
    usage(Some("2026-12-01T00:00:00Z"), Session)
)]
#[case::opencode_usage(
    OPENCODE,
    Some("APIError"),
    "The usage limit has been reached",
    usage(None, UsageWindow::Unknown)
)]
#[case::opencode_free(OPENCODE, Some("APIError"), "429: {\"type\":\"FreeUsageLimitError\",\"message\":\"Rate limit exceeded. Please try again later.\"}", NeedsHuman { cause: FreeTierExhausted })]
#[case::opencode_filter(OPENCODE, Some("ContentFilterError"), "content filter", NeedsHuman { cause: PolicyRefusal })]
#[case::opencode_socket(OPENCODE, Some("UnknownError"), "The socket connection was closed unexpectedly.", Transient { status: None })]
fn structured_classes(
    #[case] assistant: Assistant,
    #[case] code: Option<&str>,
    #[case] text: &str,
    #[case] want: StopReason,
) {
    let e = Evidence::structured(assistant, code, text);
    let got = match assistant {
        CLAUDE => crate::assistants::claude::classify::classify(&e, &ctx()),
        CODEX => crate::assistants::codex::classify::classify(&e, &ctx()),
        _ => crate::assistants::opencode::classify::classify(&e, &ctx()),
    };
    assert_eq!(got, want, "{assistant}: {text}");
}

/// What `palingenesis classify` tells a person about the announced reset.
#[rstest]
#[case::found("You've hit your session limit · resets 9pm (UTC)", ResetReport::At { at: at("2026-11-30T21:00:00Z"), in_secs: 7200 })]
#[case::passed("You've hit your usage limit. Try again at Nov 30th, 2026 9:05 AM.", ResetReport::AlreadyPassed { announced: at("2026-11-30T09:05:00Z") })]
#[case::beyond("You've hit your session limit · resets Dec 5, 9pm (UTC)", ResetReport::BeyondWindow { announced: at("2026-12-05T21:00:00Z") })]
#[case::none("The usage limit has been reached", ResetReport::NoneAnnounced)]
fn reports_the_announced_reset(#[case] text: &str, #[case] want: ResetReport) {
    let reason = classify_text(text, &ctx()).expect("a stop");
    assert_eq!(report_reset(&reason, text, &ctx()), Some(want));
}

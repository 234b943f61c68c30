//! Structured evidence: each assistant's error codes, refined by text, status and retry hints.

use rstest::rstest;

use super::*;
use super::{at, ctx};
use crate::assistants::claude::ASSISTANT as CLAUDE;
use crate::assistants::codex::ASSISTANT as CODEX;
use crate::assistants::opencode::ASSISTANT as OPENCODE;
use crate::model::{HumanCause, UsageWindow};

/// Each assistant's own reading of structured evidence.
fn classify(e: &Evidence, ctx: &ClassifyContext) -> StopReason {
    match e.assistant {
        CLAUDE => crate::assistants::claude::classify::classify(e, ctx),
        CODEX => crate::assistants::codex::classify::classify(e, ctx),
        OPENCODE => crate::assistants::opencode::classify::classify(e, ctx),
        other => panic!("no rules for {other}"),
    }
}

fn human(cause: HumanCause) -> StopReason {
    NeedsHuman { cause }
}

fn ev(
    assistant: Assistant,
    code: Option<&str>,
    status: Option<u16>,
    text: &str,
    details: Option<&str>,
) -> Evidence {
    Evidence {
        http_status: status,
        details: details.map(str::to_owned),
        ..Evidence::structured(assistant, code, text)
    }
}

#[rstest]
#[case::rate_limit_api_key(Some("rate_limit"), Some(429), "API Error: Request rejected (429) · this may be a temporary capacity issue", None, RateLimit { retry_after_secs: None })]
#[case::usage_session(Some("rate_limit"), Some(429), "You've hit your session limit · resets 12:57am (UTC)", None, UsageLimit { resets_at: Some(at("2025-11-24T00:57:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Minute  })]
#[case::usage_weekly(Some("rate_limit"), Some(429), "You've hit your weekly limit · resets Nov 27, 12:40am (Europe/Berlin)", None, UsageLimit { resets_at: Some(at("2025-11-26T23:40:00Z")), window: UsageWindow::Weekly, precision: crate::model::Precision::Minute  })]
#[case::usage_opus(Some("rate_limit"), Some(429), "You've hit your Opus limit · resets Nov 26, 9am (UTC)", None, UsageLimit { resets_at: Some(at("2025-11-26T09:00:00Z")), window: UsageWindow::Weekly, precision: crate::model::Precision::Minute  })]
#[case::usage_extra(Some("rate_limit"), Some(429), "You're out of extra usage · resets 9pm (UTC)", None, UsageLimit { resets_at: Some(at("2025-11-24T21:00:00Z")), window: UsageWindow::ExtraUsage, precision: crate::model::Precision::Minute  })]
#[case::usage_no_time(Some("rate_limit"), Some(429), "You've hit your session limit", None, UsageLimit { resets_at: None, window: UsageWindow::Session, precision: crate::model::Precision::Minute  })]
#[case::server_limiting(Some("rate_limit"), Some(429), "API Error: Server is temporarily limiting requests (not your usage limit) · Rate limited", None, RateLimit { retry_after_secs: None })]
#[case::context(
    Some("invalid_request"),
    Some(400),
    "Prompt is too long",
    Some("prompt is too long: 210000 tokens > 200000 maximum"),
    ContextExhausted
)]
#[case::context_in_details(
    Some("invalid_request"),
    Some(400),
    "API Error: 400 · invalid request",
    Some("prompt is too long: 210000 tokens > 200000 maximum"),
    ContextExhausted
)]
#[case::bad_request(
    Some("invalid_request"),
    Some(400),
    "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"tools.0: unexpected field\"}}",
    None,
    Unknown
)]
#[case::credit_400(
    Some("invalid_request"),
    Some(400),
    "Credit balance is too low",
    None,
    human(Billing)
)]
#[case::overloaded_529(Some("server_error"), Some(529), "API Error: 529 Overloaded. This is a server-side issue, usually temporary", None, Transient { status: Some(529) })]
#[case::server_500(Some("server_error"), Some(500), "API Error: 500 Internal server error", None, Transient { status: Some(500) })]
#[case::connection_refused(Some("server_error"), None, "API Error: Unable to connect to API (ConnectionRefused)", None, Transient { status: None })]
#[case::overloaded_hook(Some("overloaded"), None, "API Error: Overloaded", None, Transient { status: Some(529) })]
#[case::auth(
    Some("authentication_failed"),
    Some(401),
    "Invalid API key · Please run /login",
    None,
    human(Authentication)
)]
#[case::org(
    Some("oauth_org_not_allowed"),
    Some(403),
    "Your organization does not allow OAuth",
    None,
    human(OrgNotAllowed)
)]
#[case::billing(
    Some("billing_error"),
    Some(400),
    "Credit balance is too low",
    None,
    human(Billing)
)]
#[case::model(
    Some("model_not_found"),
    Some(404),
    "There's an issue with the selected model (x).",
    None,
    human(ModelNotFound)
)]
#[case::max_output(
    Some("max_output_tokens"),
    None,
    "API Error: Claude's response exceeded the 32000 output token maximum.",
    None,
    Unknown
)]
#[case::unknown_epoch(Some("unknown"), None, "Claude AI usage limit reached|1763949600", None, UsageLimit { resets_at: Some(at("2025-11-24T02:00:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Exact  })]
#[case::no_code_429(None, Some(429), "API Error: 429 rate_limit_error", None, RateLimit { retry_after_secs: None })]
#[case::no_code_503(None, Some(503), "upstream trouble", None, Transient { status: Some(503) })]
#[case::no_code_lenient_usage(None, None, "⚠ Claude usage limit hit your session limit · resets 1am (UTC)", None, UsageLimit { resets_at: Some(at("2025-11-24T01:00:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Minute  })]
#[case::unknown_code(Some("unknown"), None, "Something odd happened", None, Unknown)]
#[case::future_code(Some("brand_new_error"), None, "API Error: Connection error.", None, Transient { status: None })]
fn claude_codes(
    #[case] code: Option<&str>,
    #[case] status: Option<u16>,
    #[case] text: &str,
    #[case] details: Option<&str>,
    #[case] want: StopReason,
) {
    assert_eq!(
        classify(&ev(CLAUDE, code, status, text, details), &ctx()),
        want
    );
}

#[rstest]
#[case::usage_time(Some("usage_limit_exceeded"), None, "You've hit your usage limit. Try again at 2:46 AM.", None, UsageLimit { resets_at: Some(at("2025-11-24T02:46:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Minute  })]
#[case::usage_window_field(Some("usage_limit_exceeded"), None, "You've hit your usage limit. Try again later.", Some("2025-11-24T03:00:00Z"), UsageLimit { resets_at: Some(at("2025-11-24T03:00:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Exact  })]
#[case::usage_window_field_wins(Some("usage_limit_exceeded"), None, "You've hit your usage limit. Try again at 2:46 AM.", Some("2025-11-25T03:00:00Z"), UsageLimit { resets_at: Some(at("2025-11-25T03:00:00Z")), window: UsageWindow::Weekly, precision: crate::model::Precision::Exact  })]
#[case::usage_window_field_implausible(Some("usage_limit_exceeded"), None, "You've hit your usage limit. Try again later.", Some("2026-03-01T00:00:00Z"), UsageLimit { resets_at: None, window: UsageWindow::Unknown, precision: crate::model::Precision::Minute  })]
#[case::usage_later(Some("usage_limit_exceeded"), None, "You've hit your usage limit. Try again later.", None, UsageLimit { resets_at: None, window: UsageWindow::Unknown, precision: crate::model::Precision::Minute  })]
#[case::usage_camel(Some("usageLimitExceeded"), None, "You've hit your usage limit. Try again in 2 hours.", None, UsageLimit { resets_at: Some(at("2025-11-24T02:12:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Minute  })]
#[case::quota(
    Some("usage_limit_exceeded"),
    None,
    "Quota exceeded. Check your plan and billing details.",
    None,
    human(QuotaOrPlan)
)]
#[case::not_included(
    Some("usage_limit_exceeded"),
    None,
    "To use Codex with your ChatGPT plan, upgrade to Plus: https://openai.com/chatgpt/pricing.",
    None,
    human(QuotaOrPlan)
)]
#[case::free_plan(
    Some("usage_limit_exceeded"),
    None,
    "You've hit your usage limit. Upgrade to Plus to continue using Codex (https://openai.com/chatgpt/pricing).",
    None,
    human(QuotaOrPlan)
)]
#[case::free_plan_with_time(Some("usage_limit_exceeded"), None, "You've hit your usage limit. Upgrade to Plus to continue using Codex (https://chatgpt.com/explore/plus), or try again at Nov 30th, 2025 8:19 PM.", None, UsageLimit { resets_at: Some(at("2025-11-30T20:19:00Z")), window: UsageWindow::Weekly, precision: crate::model::Precision::Minute  })]
#[case::retry_429(Some("response_too_many_failed_attempts"), Some(429), "exceeded retry limit, last status: 429 Too Many Requests", None, RateLimit { retry_after_secs: None })]
#[case::retry_429_text(Some("response_too_many_failed_attempts"), None, "exceeded retry limit, last status: 429 Too Many Requests", None, RateLimit { retry_after_secs: None })]
#[case::retry_502(Some("response_too_many_failed_attempts"), None, "exceeded retry limit, last status: 502 Bad Gateway", None, Transient { status: Some(502) })]
#[case::retry_camel(Some("responseTooManyFailedAttempts"), Some(429), "exceeded retry limit", None, RateLimit { retry_after_secs: None })]
#[case::rate_limit_exceeded(Some("rate_limit_exceeded"), None, "Rate limit exceeded", None, RateLimit { retry_after_secs: None })]
#[case::context(
    Some("context_window_exceeded"),
    None,
    "Codex ran out of room in the model's context window. Start a new conversation or clear earlier history before retrying.",
    None,
    ContextExhausted
)]
#[case::internal(Some("internal_server_error"), None, "We're currently experiencing high demand, which may cause temporary errors.", None, Transient { status: None })]
#[case::overloaded(Some("server_overloaded"), Some(503), "Selected model is at capacity. Please try a different model.", None, Transient { status: Some(503) })]
#[case::connection(Some("http_connection_failed"), None, "Connection failed: error sending request", None, Transient { status: None })]
#[case::stream(Some("response_stream_disconnected"), None, "stream disconnected before completion", None, Transient { status: None })]
#[case::unauthorized(
    Some("unauthorized"),
    Some(401),
    "Your access token could not be refreshed",
    None,
    human(Authentication)
)]
#[case::other_high_demand(Some("other"), None, "We're currently experiencing high demand, which may cause temporary errors.", None, Transient { status: None })]
#[case::turn_failed_capacity(None, None, "Selected model is at capacity. Please try a different model.", None, Transient { status: None })]
#[case::turn_failed_usage(None, None, "You've hit your usage limit. Try again at 3:00 AM.", None, UsageLimit { resets_at: Some(at("2025-11-24T03:00:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Minute  })]
#[case::bad_request(
    Some("bad_request"),
    Some(400),
    "Invalid value for tools",
    None,
    Unknown
)]
#[case::sandbox(
    Some("sandbox_error"),
    None,
    "sandbox denied exec error",
    None,
    Unknown
)]
fn codex_codes(
    #[case] code: Option<&str>,
    #[case] status: Option<u16>,
    #[case] text: &str,
    #[case] window_resets_at: Option<&str>,
    #[case] want: StopReason,
) {
    let e = Evidence {
        window_resets_at: window_resets_at.map(at),
        ..ev(CODEX, code, status, text, None)
    };
    assert_eq!(classify(&e, &ctx()), want);
}

#[test]
fn codex_model_cap_resets_after_its_delay() {
    let e = Evidence {
        retry_after_secs: Some(3600),
        ..ev(
            CODEX,
            Some("model_cap"),
            None,
            "Model cap reached for gpt-5-codex",
            None,
        )
    };
    let want = UsageLimit {
        resets_at: Some(at("2025-11-24T01:12:00Z")),
        window: UsageWindow::Session,
        precision: crate::model::Precision::Exact,
    };
    assert_eq!(classify(&e, &ctx()), want);
}

#[rstest]
#[case::rate_limit(Some("APIError"), Some(429), Some(30), "Too Many Requests", None, RateLimit { retry_after_secs: Some(30) })]
#[case::rate_limit_no_header(Some("APIError"), Some(429), None, "Rate limit exceeded", None, RateLimit { retry_after_secs: None })]
#[case::insufficient_quota(
    Some("APIError"),
    Some(429),
    None,
    "You exceeded your current quota, please check your plan and billing details.",
    Some("{\"error\":{\"code\":\"insufficient_quota\"}}"),
    human(QuotaOrPlan)
)]
#[case::usage_limit(Some("APIError"), Some(429), None, "You've hit your session limit · resets 2am (UTC)", None, UsageLimit { resets_at: Some(at("2025-11-24T02:00:00Z")), window: UsageWindow::Session, precision: crate::model::Precision::Minute  })]
#[case::unavailable(Some("APIError"), Some(503), None, "Service Unavailable", None, Transient { status: Some(503) })]
#[case::internal(Some("APIError"), Some(500), None, "Internal Server Error", None, Transient { status: Some(500) })]
#[case::overloaded(Some("APIError"), Some(529), None, "Overloaded", None, Transient { status: Some(529) })]
#[case::unauthorized(
    Some("APIError"),
    Some(401),
    None,
    "Incorrect API key provided",
    None,
    human(Authentication)
)]
#[case::payment(
    Some("APIError"),
    Some(402),
    None,
    "Payment Required",
    None,
    human(Billing)
)]
#[case::context_400(
    Some("APIError"),
    Some(400),
    None,
    "This model's maximum context length is 128000 tokens.",
    None,
    ContextExhausted
)]
#[case::model_404(
    Some("APIError"),
    Some(404),
    None,
    "The model `gpt-9` does not exist or you do not have access to it.",
    None,
    human(ModelNotFound)
)]
#[case::not_found_404(Some("APIError"), Some(404), None, "Not Found", None, Unknown)]
#[case::no_status_connect(Some("APIError"), None, None, "Unable to connect. Is the computer able to access the url?", None, Transient { status: None })]
#[case::no_status_auth(
    Some("APIError"),
    None,
    None,
    "Invalid API key",
    None,
    human(Authentication)
)]
#[case::overflow(
    Some("ContextOverflowError"),
    None,
    None,
    "Input exceeds context window of this model",
    None,
    ContextExhausted
)]
#[case::auth(
    Some("ProviderAuthError"),
    None,
    None,
    "Missing API key",
    None,
    human(Authentication)
)]
#[case::abort(
    Some("MessageAbortedError"),
    None,
    None,
    "The operation was aborted.",
    None,
    UserExit
)]
#[case::length(Some("MessageOutputLengthError"), None, None, "", None, Unknown)]
#[case::unknown_fetch(Some("UnknownError"), None, None, "fetch failed", None, Transient { status: None })]
#[case::unknown_text(
    Some("UnknownError"),
    None,
    None,
    "Codex ran out of room in the model's context window.",
    None,
    ContextExhausted
)]
#[case::unknown_boom(Some("UnknownError"), None, None, "boom", None, Unknown)]
fn opencode_errors(
    #[case] code: Option<&str>,
    #[case] status: Option<u16>,
    #[case] retry_after: Option<u64>,
    #[case] text: &str,
    #[case] body: Option<&str>,
    #[case] want: StopReason,
) {
    let e = Evidence {
        retry_after_secs: retry_after,
        ..ev(OPENCODE, code, status, text, body)
    };
    assert_eq!(classify(&e, &ctx()), want);
}

#[rstest]
#[case("usage_limit_exceeded", "usage_limit_exceeded")]
#[case("usageLimitExceeded", "usage_limit_exceeded")]
#[case("UsageLimitExceeded", "usage_limit_exceeded")]
#[case(
    "response-too-many-failed-attempts",
    "response_too_many_failed_attempts"
)]
fn normalizes_codex_kinds(#[case] raw: &str, #[case] want: &str) {
    assert_eq!(
        crate::assistants::codex::classify::normalize_kind(raw),
        want
    );
}

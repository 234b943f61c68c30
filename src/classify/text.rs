//! Text patterns: the strict, line-anchored ones that decide free text, and the lenient ones that
//! refine structured evidence.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;

use super::{ClassifyContext, usage_limit};
use crate::model::{HumanCause, StopReason};

/// What kind of stop a strictly matched line announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    Usage,
    QuotaOrPlan,
    RateLimit,
    /// "exceeded retry limit, last status: N": a rate limit or a server error, by N.
    RetryLimit,
    Context,
    Transient,
    Human(HumanCause),
}

pub(super) use super::pattern::built_in as re;

/// What may follow a limit phrase on a real stop line: the end, or a separator before the reset part.
const AFTER: &str = r"(?:\s*$|\s*[·∙•|.,:;()\-–—])";

/// Caps only a person lifts, whatever the assistant: (pattern, cause). Some open like a usage limit
/// ("Usage limit reached. Request a limit increase …"), so they are tried before the usage rules; structured
/// evidence is checked against them anywhere in its text ([`human_cap`]).
const HUMAN_CAPS: &[(&str, HumanCause)] = &[
    (
        r"(?:your )?workspace is out of credits\b",
        HumanCause::OutOfCredits,
    ),
    (
        r"you(?:['’]re| are) out of (?:\w+ )?credits\b",
        HumanCause::OutOfCredits,
    ),
    (r"you hit your spend cap\b", HumanCause::SpendCap),
    (
        r"(?:api error:.{0,200})?you have reached your specified api usage limits",
        HumanCause::SpendCap,
    ),
    (
        r"usage limit reached\.?\s*(?:you(?:['’]ve| have) reached your usage limit\. increase|request a limit increase)",
        HumanCause::SpendCap,
    ),
    (
        r"(?:you(?:['’]ve| have) (?:hit|reached) (?:your |the )?)?(?:(?:org|organi[sz]ation)(?:['’]s)? )?monthly (?:usage |spend(?:ing)? )?(?:limit|cap)\b",
        HumanCause::MonthlyCap,
    ),
    (
        r"your organi[sz]ation (?:has )?(?:reached|hit|exceeded|run out of) its (?:monthly )?(?:usage|spend)",
        HumanCause::MonthlyCap,
    ),
    (
        r"free (?:usage|tier|plan)(?: limit)? (?:exceeded|exhausted|reached|used up)",
        HumanCause::FreeTierExhausted,
    ),
    (r"freeusagelimiterror\b", HumanCause::FreeTierExhausted),
    (
        r"(?:api error:\s*)?[\w ]{1,40} is unable to respond to this request, which appears to violate",
        HumanCause::PolicyRefusal,
    ),
    (
        r"(?:invalid prompt:\s*)?(?:your prompt was|this (?:content|request) was) flagged\b",
        HumanCause::PolicyRefusal,
    ),
    (
        r"invalid prompt:.{0,120}\b(?:usage policy|safety reasons)",
        HumanCause::PolicyRefusal,
    ),
];

static RULES: LazyLock<Vec<(Regex, Rule)>> = LazyLock::new(|| {
    use HumanCause::*;
    let r = |p: &str, rule: Rule| (re(&format!("(?i)^{p}")), rule);
    // Contains "usage limit", so it must come before the usage rules.
    let mut rules = vec![r(
        r"api error:\s*server is temporarily limiting requests",
        Rule::RateLimit,
    )];
    rules.extend(
        HUMAN_CAPS
            .iter()
            .map(|(p, cause)| r(p, Rule::Human(*cause))),
    );
    rules.extend(vec![
        r(r"quota exceeded\b", Rule::QuotaOrPlan),
        r(r"to use \w+ with your chatgpt plan", Rule::QuotaOrPlan),
        r(r"you exceeded your current quota", Rule::QuotaOrPlan),
        r(
            &format!(r"you(?:['’]ve| have) hit your (?:[\w\-]+ ){{0,3}}?limit{AFTER}"),
            Rule::Usage,
        ),
        // Codex names the model whose own limit was hit: "… usage limit for gpt-5.3-codex-spark. Switch …".
        r(
            r"you(?:['’]ve| have) hit your usage limit for \S+",
            Rule::Usage,
        ),
        // opencode, relaying a subscription provider's limit, without a time.
        r(r"(?:the )?usage limit has been reached\b", Rule::Usage),
        r(r"you(?:['’]re| are) out of extra usage\b", Rule::Usage),
        r(
            &format!(
                r"(?:[a-z]+\s+)?(?:(?:ai|opus|sonnet|5-hour|five-hour|session|weekly|daily|monthly|usage|\d(?:\.\d)?)\s+){{1,4}}limit reached{AFTER}"
            ),
            Rule::Usage,
        ),
        r(r"prompt is too long\b", Rule::Context),
        r(r"api error:.{0,80}prompt is too long", Rule::Context),
        r(
            r"\w+ ran out of room in the model['’]?s context window",
            Rule::Context,
        ),
        r(r"this model['’]?s maximum context length is", Rule::Context),
        r(
            r"(?:api error:.{0,200})?input length and .?max_tokens.? exceed context limit",
            Rule::Context,
        ),
        // Claude Code's own compaction failed: the conversation cannot go on as it is.
        r(
            r"(?:error:\s*)?(?:error during compaction:\s*(?:error:\s*)?)?conversation too long\b",
            Rule::Context,
        ),
        r(
            r"(?:api error:.{0,200})?the input \(\d+ tokens\) is longer than the model['’]?s context length",
            Rule::Context,
        ),
        r(
            r"(?:api error:.{0,200})?your input exceeds the context window",
            Rule::Context,
        ),
        r(r"context (?:window|length) exceeded\b", Rule::Context),
        r(
            r"exceeded retry limit, last status:?\s*\d{3}",
            Rule::RetryLimit,
        ),
        r(
            r"api error:\s*(?:request rejected \(429\)|429\b|rate limit)",
            Rule::RateLimit,
        ),
        r(r"(?:429 )?too many requests\b", Rule::RateLimit),
        r(r"rate limit(?:ed| exceeded| reached)\b", Rule::RateLimit),
        r(r"unexpected status 429\b", Rule::RateLimit),
        r(r"invalid api key\b", Rule::Human(Authentication)),
        r(
            r"(?:api error:\s*)?oauth token has expired",
            Rule::Human(Authentication),
        ),
        r(
            r"(?:api error:|unexpected status)\s*401\b",
            Rule::Human(Authentication),
        ),
        r(
            r"your access token could not be refreshed",
            Rule::Human(Authentication),
        ),
        r(r"not logged in\b", Rule::Human(Authentication)),
        r(r"please run /login\b", Rule::Human(Authentication)),
        r(
            r"api error:\s*403\b.*not allowed for this organization",
            Rule::Human(OrgNotAllowed),
        ),
        r(
            r"(?:api error:|unexpected status)\s*403\b",
            Rule::Human(Authentication),
        ),
        r(
            r"(?:api error:.{0,80})?(?:your )?credit balance is too low",
            Rule::Human(Billing),
        ),
        r(
            r"there['’]?s an issue with the selected model",
            Rule::Human(ModelNotFound),
        ),
        r(
            r"api error:\s*404\b.{0,200}\bmodel\b",
            Rule::Human(ModelNotFound),
        ),
        r(r"the model \S+ does not exist", Rule::Human(ModelNotFound)),
        r(r"model not found\b", Rule::Human(ModelNotFound)),
        r(r"api error:\s*(?:repeated\s+)?5\d\d\b", Rule::Transient),
        r(
            r"api error:\s*(?:repeated 529 )?overloaded",
            Rule::Transient,
        ),
        r(
            r"api error:\s*(?:unable to connect to api|request timed out|connection error|fetch failed|socket hang up|terminated|internal server error)",
            Rule::Transient,
        ),
        r(
            r"we['’]?re currently experiencing high demand",
            Rule::Transient,
        ),
        r(r"selected model is at capacity", Rule::Transient),
        r(r"stream disconnected before completion", Rule::Transient),
        // The connection went away before or during a response (a laptop that slept, a network change).
        r(
            r"error while reading the server response\b",
            Rule::Transient,
        ),
        r(r"connection failed:", Rule::Transient),
        r(r"request timed out\b", Rule::Transient),
        r(
            r"the socket connection was closed unexpectedly",
            Rule::Transient,
        ),
        r(r"the network connection was lost", Rule::Transient),
        r(
            r"unable to connect\. is the computer able to access the url",
            Rule::Transient,
        ),
        r(r"(?:typeerror:\s*)?(?:fetch failed|terminated)$", Rule::Transient),
        r(r"unexpected status 5\d\d\b", Rule::Transient),
        r(
            r"(?:internal server error|bad gateway|service unavailable|gateway timeout|overloaded)(?:\s*$|\s*[.:(])",
            Rule::Transient,
        ),
        r(
            r"(?:connection (?:refused|reset|error)|econnrefused|econnreset|etimedout)\b",
            Rule::Transient,
        ),
    ]);
    rules
});

static HUMAN_CAPS_ANYWHERE: LazyLock<Vec<(Regex, HumanCause)>> = LazyLock::new(|| {
    HUMAN_CAPS
        .iter()
        .map(|(p, cause)| (re(&format!("(?i){p}")), *cause))
        .collect()
});

/// A cap only a person lifts, named anywhere in `t` (for structured evidence, whose text need not start
/// with it).
pub(crate) fn human_cap(t: &str) -> Option<HumanCause> {
    HUMAN_CAPS_ANYWHERE
        .iter()
        .find(|(r, _)| r.is_match(t))
        .map(|(_, cause)| *cause)
}

/// Lines that look like a limit but announce that the assistant goes on by itself, or only warn.
static NOT_A_STOP: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?i)approaching\b.{0,40}\blimit",
        r"(?i)you(?:['’]ve| have) used \d+(?:\.\d+)?\s*% of",
        r"(?i)\b\d+(?:\.\d+)?\s*% of (?:your )?(?:current )?(?:session|weekly|daily|5-hour|usage|opus|sonnet)",
        r"(?i)\bretrying in \d",
        r"(?i)^retrying\b",
        r"(?i)\battempt \d+\s*/\s*\d+",
        r"(?i)continu(?:ing|e) automatically",
        r"(?i)\breconnecting\b",
        r"(?i)\bnow using\b",
    ]
    .into_iter()
    .map(re)
    .collect()
});

/// Labels before the message itself: "Error:", "[fatal]", and the note a subagent's result carries when
/// the API stopped it ("Agent terminated early due to an API error: You've hit your session limit …").
static LEADING_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:(?:\[(?:error|fatal)\]|error:|fatal:|agent terminated early due to an api error:)\s*)+",
    )
});

/// A line without the terminal decoration around messages (`⎿`, `■`, `●`, box borders, "ERROR:").
pub(crate) fn strip_decoration(line: &str) -> &str {
    const DECOR: &[char] = &[
        '■', '⎿', '●', '⏺', '✗', '✘', '×', '⚠', '│', '┃', '║', '|', '*',
    ];
    let trimmed = line.trim_matches(|c: char| c.is_whitespace() || DECOR.contains(&c));
    let rest = match LEADING_LABEL.find(trimmed) {
        Some(m) => &trimmed[m.end()..],
        None => trimmed,
    };
    rest.trim_start_matches(|c: char| c.is_whitespace() || DECOR.contains(&c))
}

pub(crate) fn is_not_a_stop(line: &str) -> bool {
    NOT_A_STOP.iter().any(|r| r.is_match(line))
}

/// The rule a decoration-free line matches, anchored at its start.
pub(crate) fn match_stop_line(line: &str) -> Option<Rule> {
    RULES
        .iter()
        .find(|(r, _)| r.is_match(line))
        .map(|(_, rule)| *rule)
}

/// The stop reason a matched rule stands for, reading details from the whole message.
pub(crate) fn reason_for(
    rule: Rule,
    message: &str,
    known_reset: Option<DateTime<Utc>>,
    ctx: &ClassifyContext,
) -> StopReason {
    match rule {
        Rule::Usage => usage_or_plan(message, known_reset, ctx),
        Rule::QuotaOrPlan => StopReason::NeedsHuman {
            cause: HumanCause::QuotaOrPlan,
        },
        Rule::RateLimit => StopReason::RateLimit {
            retry_after_secs: retry_after_in_text(message),
        },
        Rule::RetryLimit => match status_in_text(message) {
            Some(s) if s >= 500 => StopReason::Transient { status: Some(s) },
            _ => StopReason::RateLimit {
                retry_after_secs: None,
            },
        },
        Rule::Context => StopReason::ContextExhausted,
        Rule::Transient => StopReason::Transient {
            status: status_in_text(message),
        },
        Rule::Human(cause) => StopReason::NeedsHuman { cause },
    }
}

static QUOTA: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)quota exceeded|to use \w+ with your chatgpt plan|exceeded your current quota|insufficient_quota",
    )
});
static TRY_AGAIN: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\btry again\b|\bresets?\b|limits reset|\|\d{9,}"));
static UPGRADE_PLUS: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)upgrade to plus"));

/// A usage-limit message: a usage limit that resets by itself, or a quota/plan problem that does not
/// ("Quota exceeded", a free plan told to upgrade with no time to try again).
pub(crate) fn usage_or_plan(
    text: &str,
    known_reset: Option<DateTime<Utc>>,
    ctx: &ClassifyContext,
) -> StopReason {
    if let Some(cause) = human_cap(text) {
        return StopReason::NeedsHuman { cause };
    }
    let plan = QUOTA.is_match(text)
        || (known_reset.is_none() && !TRY_AGAIN.is_match(text) && UPGRADE_PLUS.is_match(text));
    if plan {
        StopReason::NeedsHuman {
            cause: HumanCause::QuotaOrPlan,
        }
    } else {
        usage_limit(text, known_reset, ctx)
    }
}

static RETRY_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:try again|retry|retry-after:?)\s+(?:in|after)?\s*(\d{1,6}(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\b",
    )
});

/// A short retry delay a rate-limit message states ("Please try again in 1.2s"), in whole seconds.
pub(crate) fn retry_after_in_text(text: &str) -> Option<u64> {
    let c = RETRY_AFTER.captures(text)?;
    let n: f64 = c[1].parse().ok()?;
    let unit = c[2].to_ascii_lowercase();
    let secs = if unit.starts_with("ms") || unit.starts_with("milli") {
        n / 1000.0
    } else if unit.starts_with('m') {
        n * 60.0
    } else {
        n
    };
    let secs = secs.ceil();
    (secs <= 6.0 * 3600.0).then_some(secs as u64)
}

static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)(?:api error:\s*(?:repeated\s+)?|status:?\s*|unexpected status\s+|\()([1-5]\d\d)\b")
});
static OVERLOADED: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\boverloaded\b"));

/// The HTTP status a message states ("API Error: 529", "last status: 503"); 529 for "Overloaded".
pub(crate) fn status_in_text(text: &str) -> Option<u16> {
    STATUS
        .captures(text)
        .and_then(|c| c[1].parse().ok())
        .or_else(|| OVERLOADED.is_match(text).then_some(529))
}

static USAGE_ANYWHERE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)hit your (?:[\w\-]+ ){0,3}?limit\b|out of extra usage|usage limit (?:has been )?reached|(?:session|weekly|5-hour|five-hour|opus|sonnet) limit reached|limit reached\|\d",
    )
});
static SERVER_LIMITING: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)temporarily limiting requests|not your usage limit"));
static CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)prompt is too long|context (?:window|length)|maximum context|context_length_exceeded|ran out of room|too many tokens|input is too long|exceed context limit|conversation too long|exceeds the (?:available )?context|longer than the model['’]?s context|exceeds the maximum number of tokens",
    )
});
static CAPACITY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)high demand|at capacity|overloaded|temporarily unavailable"));
static CONNECTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)unable to connect|connection (?:refused|reset|error|failed|closed)|econnrefused|econnreset|etimedout|fetch failed|socket hang up|timed out|network error|stream disconnected|error while reading the server response|socket connection was closed|network connection was lost",
    )
});
static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)credit balance is too low|insufficient (?:credit|balance|funds)|billing|payment required",
    )
});
static AUTH: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)invalid api key|invalid x-api-key|unauthorized|authentication|oauth token|/login\b|not logged in|access token|incorrect api key",
    )
});
static MODEL_MISSING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)model[^.\n]{0,80}(?:not found|does not exist|not available|may not exist)|not_found_error|issue with the selected model",
    )
});

/// Lenient checks for structured evidence, whose category is already trusted.
pub(crate) fn mentions_usage_limit(t: &str) -> bool {
    USAGE_ANYWHERE.is_match(t) && !SERVER_LIMITING.is_match(t)
}
pub(crate) fn mentions_server_limiting(t: &str) -> bool {
    SERVER_LIMITING.is_match(t)
}
pub(crate) fn mentions_quota_or_plan(t: &str) -> bool {
    QUOTA.is_match(t)
}
pub(crate) fn mentions_context(t: &str) -> bool {
    CONTEXT.is_match(t)
}
pub(crate) fn mentions_capacity(t: &str) -> bool {
    CAPACITY.is_match(t)
}
pub(crate) fn mentions_connection(t: &str) -> bool {
    CONNECTION.is_match(t)
}
pub(crate) fn mentions_credit(t: &str) -> bool {
    CREDIT.is_match(t)
}
pub(crate) fn mentions_auth(t: &str) -> bool {
    AUTH.is_match(t)
}
pub(crate) fn mentions_missing_model(t: &str) -> bool {
    MODEL_MISSING.is_match(t)
}

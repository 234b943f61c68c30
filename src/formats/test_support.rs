//! Helpers shared by the format tests.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde_json::Value;

use crate::model::{Signal, StopReason};

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad test instant {s}: {e}"))
        .with_timezone(&Utc)
}

pub(crate) fn stop(reason: StopReason, evidence: &str) -> Option<Signal> {
    Some(Signal::Stopped {
        reason,
        evidence: evidence.to_owned(),
    })
}

/// Arbitrary JSON values, for parsers that must never panic.
pub(crate) fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![
            "assistant",
            "user",
            "system",
            "rate_limit",
            "<synthetic>",
            "retry",
            "APIError",
            "StopFailure",
            "task_complete",
            "event_msg"
        ])
        .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "type",
                    "message",
                    "content",
                    "error",
                    "isApiErrorMessage",
                    "timestamp",
                    "hook_event_name",
                    "info",
                    "time",
                    "completed",
                    "finish",
                    "data",
                    "payload",
                    "codex_error_info",
                    "rate_limits",
                    "primary",
                    "used_percent",
                    "resets_at",
                    "text",
                    "name",
                    "statusCode",
                    "responseHeaders",
                    "retry-after",
                    "next",
                    "role",
                    "subtype",
                    "reason",
                    "source"
                ])
                .prop_map(str::to_owned),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

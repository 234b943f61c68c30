//! The last resort: what an HTTP status alone says, refined by the message text.

use super::text;
use crate::model::{HumanCause, StopReason};

/// The stop an HTTP status stands for, when the status is known and telling. `text` refines the
/// ambiguous ones (a 400 that is a context overflow, a 403 that is an organisation ban, a 404 that is a
/// missing model).
pub fn by_status(
    status: Option<u16>,
    text: &str,
    retry_after_secs: Option<u64>,
) -> Option<StopReason> {
    let human = |cause| Some(StopReason::NeedsHuman { cause });
    match status? {
        429 => Some(StopReason::RateLimit { retry_after_secs }),
        401 => human(HumanCause::Authentication),
        402 => human(HumanCause::Billing),
        403 if text.to_ascii_lowercase().contains("organization") => {
            human(HumanCause::OrgNotAllowed)
        }
        403 => human(HumanCause::Authentication),
        404 if text::mentions_missing_model(text) => human(HumanCause::ModelNotFound),
        413 => Some(StopReason::ContextExhausted),
        400 if text::mentions_context(text) => Some(StopReason::ContextExhausted),
        400 if text::mentions_credit(text) => human(HumanCause::Billing),
        s @ (408 | 500..=599) => Some(StopReason::Transient { status: Some(s) }),
        _ => None,
    }
}

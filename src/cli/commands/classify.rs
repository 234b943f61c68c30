//! `palingenesis classify`: one message text or transcript line per stdin line → one JSON line each, saying
//! whether it is a stop and why. Lets anyone check a message they saw.

use std::io::{BufRead, Write};

use anyhow::Context;
use serde_json::json;

use crate::adapter::{Adapter, RecordReader};
use crate::classify::{ClassifyContext, env_tz, report_reset};
use crate::cli::args::ClassifyArgs;
use crate::cli::exit;
use crate::model::Signal;

pub fn run(args: ClassifyArgs) -> anyhow::Result<u8> {
    let now = match &args.now {
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .with_context(|| format!("--now `{s}` is not RFC 3339"))?
            .with_timezone(&chrono::Utc),
        None => chrono::Utc::now(),
    };
    let tz = match &args.tz {
        Some(name) => name
            .parse::<crate::tz::Tz>()
            .map_err(|_| anyhow::anyhow!("--tz `{name}` is not an IANA time zone"))?,
        None => env_tz(),
    };
    let ctx = ClassifyContext::new(now, tz);
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let adapter = crate::assistants::get(args.assistant)
        .ok_or_else(|| anyhow::anyhow!("unknown assistant {}", args.assistant))?;
    let mut reader = adapter.record_reader(ctx);
    for line in stdin.lock().lines() {
        let line = line.context("reading stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        let verdict = classify_line(adapter, reader.as_mut(), &line, &ctx);
        writeln!(out, "{}", serde_json::to_string(&verdict)?)?;
    }
    Ok(exit::OK)
}

/// A JSON line is read as the assistant's own record format; anything else as message text.
fn classify_line(
    adapter: &dyn Adapter,
    reader: &mut dyn RecordReader,
    line: &str,
    ctx: &ClassifyContext,
) -> serde_json::Value {
    let looks_json = line.trim_start().starts_with('{');
    if looks_json {
        return match reader.read(line) {
            Ok(record) => signal_json(line, record.signal, ctx),
            Err(e) => json!({ "input": line, "error": e }),
        };
    }
    match adapter.classify_text(line, ctx) {
        Some(reason) => match report_reset(&reason, line, ctx) {
            Some(reset) => json!({ "input": line, "stop": true, "reason": reason, "reset": reset }),
            None => json!({ "input": line, "stop": true, "reason": reason }),
        },
        None => json!({ "input": line, "stop": false }),
    }
}

fn signal_json(line: &str, signal: Option<Signal>, ctx: &ClassifyContext) -> serde_json::Value {
    match signal {
        Some(Signal::Stopped { reason, evidence }) => match report_reset(&reason, &evidence, ctx) {
            Some(reset) => json!({
                "input": line, "stop": true, "reason": reason, "evidence": evidence, "reset": reset
            }),
            None => json!({ "input": line, "stop": true, "reason": reason, "evidence": evidence }),
        },
        Some(other) => json!({ "input": line, "stop": false, "signal": other }),
        None => json!({ "input": line, "stop": false }),
    }
}

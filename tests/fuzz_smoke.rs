//! The short fuzz run that is part of every `cargo test`, on the stable toolchain: a seeded mutator (bit
//! flips, byte and token insertions, deletions, duplications, splices, huge numbers) over real fixtures and
//! hand-picked seeds, fed to every parser that reads untrusted input (the same ones as the cargo-fuzz targets
//! in `fuzz/`): Claude transcript lines and hook payloads, Codex rollout lines, opencode events and messages,
//! Qwen chat lines, reset times, config text and socket frames. About half a second per parser; no input may
//! panic, and none may take more than a few seconds (a hang or runaway work). A failure prints the seed and
//! the input. `PALINGENESIS_FUZZ_SEED=N` changes the seed, `PALINGENESIS_FUZZ_MS=N` the time per parser.
//! The long runs (libFuzzer, nightly flags) are `scripts/fuzz.sh`; their figures are in docs/robustness.md.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Inputs never grow past this (the daemon caps lines and frames well below what a parser could choke on).
const MAX_INPUT: usize = 64 * 1024;
/// Any one input taking this long is a hang or runaway work (debug build, shared CI cores: generous).
const MAX_PER_INPUT: Duration = Duration::from_secs(3);

const TOKENS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "-1",
    "0",
    "1e308",
    "-9223372036854775809",
    "18446744073709551616",
    "99999999999999999999999",
    "94608000000",
    "1700000000000000000",
    "\\u0000",
    "\\ud800",
    "é",
    "🦀",
    "\n",
    "resets ",
    "try again at ",
    "12:57am",
    "Nov 27, 12:40am (Europe/Berlin)",
    "in 2 hours",
    "2099-01-01T00:00:00Z",
    "\"type\":\"assistant\"",
    "\"isApiErrorMessage\":true",
    "\"error\":\"rate_limit\"",
    "\"retry_delay_ms\":",
    "\"resets_at\":",
    "[resume]\n",
    "verify_timeout_secs = ",
    "= \"",
];

fn seed() -> u64 {
    std::env::var("PALINGENESIS_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x005e_ed13)
}

fn budget() -> Duration {
    let ms = std::env::var("PALINGENESIS_FUZZ_MS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    Duration::from_millis(ms)
}

fn mutate(rng: &mut StdRng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    for _ in 0..rng.random_range(1..=4) {
        let len = input.len();
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                input[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let i = rng.random_range(0..=len);
                input.insert(i, rng.random());
            }
            2 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = rng.random_range(a..=len.min(a + 64));
                input.drain(a..b);
            }
            3 if len > 0 => {
                let a = rng.random_range(0..len);
                let b = rng.random_range(a..=len.min(a + 256));
                let chunk = input[a..b].to_vec();
                let at = rng.random_range(0..=input.len());
                input.splice(at..at, chunk);
            }
            4 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())].as_bytes();
                let at = rng.random_range(0..=len);
                input.splice(at..at, token.iter().copied());
            }
            5 => {
                let other = &corpus[rng.random_range(0..corpus.len())];
                let cut = rng.random_range(0..=len);
                let from = rng.random_range(0..=other.len());
                input.truncate(cut);
                input.extend_from_slice(&other[from..]);
            }
            _ => {
                // Deep nesting, as a hostile line would have it.
                let depth = rng.random_range(1..2000);
                let at = rng.random_range(0..=len);
                let open: Vec<u8> = std::iter::repeat_n(b'[', depth).collect();
                input.splice(at..at, open);
            }
        }
    }
    input.truncate(MAX_INPUT);
}

/// Every line of every fixture file whose path `pick` accepts (a `.json` file whole), plus `extra`.
fn corpus(pick: impl Fn(&str) -> bool, extra: &[&str]) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if pick(&path.to_string_lossy()) {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out: Vec<Vec<u8>> = extra.iter().map(|s| s.as_bytes().to_vec()).collect();
    for file in files {
        let text = std::fs::read(&file).unwrap();
        if file.extension().is_some_and(|e| e == "json") {
            out.push(text);
        } else {
            out.extend(
                text.split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(<[u8]>::to_vec),
            );
        }
    }
    out
}

/// Feed mutated inputs to `target` for the time budget; returns how many ran.
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, target: impl Fn(&[u8])) -> u64 {
    assert!(!seeds.is_empty(), "{name}: no seed inputs");
    let mut rng =
        StdRng::seed_from_u64(seed() ^ name.len() as u64 ^ (name.as_bytes()[0] as u64) << 8);
    let end = Instant::now() + budget();
    let mut runs = 0u64;
    let mut slowest = Duration::ZERO;
    while Instant::now() < end || runs < seeds.len() as u64 {
        let mut input = seeds[(runs as usize) % seeds.len()].clone();
        if runs >= seeds.len() as u64 {
            mutate(&mut rng, &mut input, &seeds);
        }
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| target(&input)));
        let took = started.elapsed();
        slowest = slowest.max(took);
        let shown = String::from_utf8_lossy(&input[..input.len().min(2000)]).into_owned();
        assert!(
            outcome.is_ok(),
            "{name} panicked (seed {}, run {runs}) on:\n{shown}",
            seed()
        );
        assert!(
            took < MAX_PER_INPUT,
            "{name} took {took:?} (seed {}, run {runs}) on:\n{shown}",
            seed()
        );
        runs += 1;
    }
    eprintln!("fuzz {name}: {runs} inputs, slowest {slowest:?}, 0 panics");
    runs
}

fn text(data: &[u8]) -> &str {
    // The daemon reads lines as UTF-8 (invalid lines are counted, never parsed).
    std::str::from_utf8(data).unwrap_or("")
}

fn ctx() -> palingenesis::classify::ClassifyContext {
    let now = "2026-11-24T10:00:00Z".parse().unwrap();
    palingenesis::classify::ClassifyContext::new(now, "Europe/Paris".parse().unwrap())
}

#[test]
fn claude_transcript_lines_and_hook_payloads() {
    use palingenesis::assistants::claude::records::{parse_hook_payload, parse_transcript_line};
    let seeds = corpus(
        |p| p.contains("claude") && p.ends_with(".jsonl"),
        &[
            r#"{"session_id":"s","transcript_path":"/t.jsonl","cwd":"/w","hook_event_name":"StopFailure","error":"rate_limit","last_assistant_message":"You've hit your session limit · resets 12:57am (UTC)"}"#,
        ],
    );
    let (ctx, seeds2) = (ctx(), seeds.clone());
    fuzz("claude_transcript_line", seeds, |d| {
        let _ = parse_transcript_line(text(d), palingenesis::tz::Tz::UTC);
    });
    fuzz("claude_hook_payload", seeds2, |d| {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(d) {
            let _ = parse_hook_payload(&v, &ctx);
        }
    });
}

#[test]
fn codex_rollout_lines() {
    use palingenesis::assistants::codex::records::{CodexRolloutState, parse_exec_json_line};
    let seeds = corpus(|p| p.contains("codex") && p.ends_with(".jsonl"), &[]);
    fuzz("codex_rollout", seeds, |d| {
        let mut state = CodexRolloutState::new(palingenesis::tz::Tz::UTC);
        for line in text(d).lines() {
            let _ = state.feed(line);
            let _ = parse_exec_json_line(line);
        }
    });
}

#[test]
fn opencode_events_and_messages() {
    use palingenesis::assistants::opencode::records::{classify_message, parse_session_status};
    use palingenesis::assistants::opencode::source::sse::Event;
    let seeds = corpus(
        |p| p.contains("opencode") && (p.ends_with(".json") || p.ends_with(".jsonl")),
        &[
            r#"{"type":"session.status","properties":{"sessionID":"s","status":{"type":"retry","attempt":2,"message":"429","next":1764000000000}}}"#,
            r#"{"type":"idle"}"#,
        ],
    );
    let ctx = ctx();
    fuzz("opencode_event", seeds, |d| {
        let data = text(d);
        let _ = Event::parse(data);
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(data) {
            let _ = classify_message(&v, &ctx);
            let _ = parse_session_status(&v);
        }
    });
}

#[test]
fn qwen_chat_lines() {
    let seeds = corpus(|p| p.contains("qwen") && p.ends_with(".chat.jsonl"), &[]);
    fuzz("qwen_chat_line", seeds, |d| {
        let _ = palingenesis::assistants::qwen::records::parse_chat_line(
            text(d),
            palingenesis::tz::Tz::UTC,
        );
    });
}

#[test]
fn reset_times() {
    let seeds = [
        "You've hit your session limit · resets 12:57am (UTC)",
        "You've hit your weekly limit · resets Nov 27, 12:40am (Europe/Berlin)",
        "You've hit your usage limit. Upgrade to Pro or try again at Nov 24th, 2026 12:57 AM.",
        "try again in 2 hours",
        "Your quota will reset after 8h44m7s.",
        "limit reached|1764000000",
        "Access resets at 5:04 PM UTC.",
    ]
    .map(|s| s.as_bytes().to_vec())
    .to_vec();
    let ctx = ctx();
    fuzz("reset_time", seeds, |d| {
        let _ = palingenesis::classify::parse_reset(text(d), &ctx);
    });
}

#[test]
fn config_text() {
    let template = palingenesis::config::template::template();
    let seeds = vec![
        template.into_bytes(),
        b"[resume]\nverify_timeout_secs = 100000000\n[claude]\nenv = { K = \"v\" }\n".to_vec(),
        b"[http]\nenabled = true\nbind = \"0.0.0.0:1\"\ntoken = \"\"\n".to_vec(),
    ];
    fuzz("config", seeds, |d| {
        let _ = palingenesis::config::validate_text(text(d), Path::new("config.toml"));
    });
}

#[test]
fn socket_frames() {
    let seeds = vec![
        br#"{"type":"status"}"#.to_vec(),
        br#"{"type":"hello","version":1}"#.to_vec(),
        br#"{"type":"sessions","page":{"offset":0,"limit":100}}"#.to_vec(),
        br#"{"type":"pause","session":"x"}"#.to_vec(),
        br#"{"type":"ok"}"#.to_vec(),
        br#"{"type":"error","code":"internal","message":"m"}"#.to_vec(),
    ];
    fuzz("ipc_frame", seeds, |d| {
        let _ = serde_json::from_slice::<palingenesis::protocol::Request>(d);
        let _ = serde_json::from_slice::<palingenesis::protocol::Response>(d);
    });
}

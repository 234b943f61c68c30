//! The commented config template written by `palingenesis config init`. Every value in it is the default.

/// Default prompt that seeds a new session (`{reason}`: why the previous one could not go on).
pub const DEFAULT_PROMPT_TEMPLATE: &str = "You are continuing work in {project} that a previous session could not finish because {reason}.\n{step}{description}\nThe project's next-step notes follow. Carry on from there.\n\n{next_step}";

/// The core sections; [`template`] adds each assistant's.
const CORE: &str = r#"# palingenesis configuration. Every key is optional; the values shown are the defaults.
# Any key can be overridden from the environment: PALINGENESIS__<SECTION>__<KEY>=value
# (for example PALINGENESIS__RESUME__BACKOFF_BASE_SECS=10).

[daemon]
# palingenesis's log level (off, error, warn, info, debug, trace) when neither -v nor RUST_LOG is given.
log_level = "info"
# "text" or "json".
log_format = "text"
# The daemon log is rotated past this size; this many old files are kept.
log_max_bytes = 10485760
log_keep = 3
# Sessions with nothing pending that have been quiet this many days are forgotten (they come back if
# they write again). 0: never. `palingenesis sessions forget <id>` forgets one now.
forget_after_days = 7
# Sessions with nothing pending that have been quiet this many seconds leave the daemon's memory: they
# are kept on disk (still listed by `sessions`) and come back when they write again or a command names
# them. 0: never.
park_after_secs = 14400

[monitoring]
# Assistants to watch: any of {assistants}. Empty: every one found on this machine.
assistants = []
# Stops older than this many seconds (by their own timestamp) are recorded but not acted on.
freshness_secs = 900
# Transcript lines longer than this are skipped and counted, never held in memory.
max_line_bytes = 4194304
# At start, a transcript modified within this many seconds whose last record is a stop nobody handled
# (a limit hit before the daemon ran) is acted on as a fresh stop. 0 turns this off. Older history is
# never replayed.
catch_up_secs = 14400

[resume]
enabled = true
# What is typed to continue a stopped session.
prompt = "continue"
# Exponential backoff when no reset time is known: min(base * 2^(n-1), max), +/- jitter.
backoff_base_secs = 30
backoff_max_secs = 300
# Attempts for one stop before the session is marked failed.
max_retries = 5
jitter = true
jitter_fraction = 0.1
# Margin added after a reset time known only to the minute ("resets 4:31pm", "try again at 6:14 PM").
reset_margin_secs = 60
# Margin added after an exactly known instant (Retry-After, a rollout's resets_at, an epoch), in milliseconds,
# plus up to exact_jitter_ms of random delay when jitter is on.
exact_margin_ms = 1000
exact_jitter_ms = 500
# Sessions of one assistant due at the same moment (one account, one reset) are resumed in turn, most
# recently active first, this many seconds apart.
stagger_secs = 5
# No session is resumed more often than this in any hour.
max_resumes_per_hour = 10
# A resume that shows no new assistant output within this many seconds failed.
verify_timeout_secs = 300
# Context window exhausted: "new_session" (seeded from Next-step.md), "same_session", or "summarize" (where the assistant can).
context_strategy = "new_session"
# An assistant that continues by itself when its limit resets (its own auto-continue): "defer" to it and
# step in only if it has not continued self_continue_grace_secs after its announced time, or "take_over"
# (resume at the reset like any other stop; turn the assistant's own auto-continue off then).
self_continue = "defer"
self_continue_grace_secs = 180

[new_session]
# Read from the session's project directory to seed the new session.
next_step_file = "Next-step.md"
# Without a next-step file: the first of these with `stepsCompleted` / `lastStep` YAML frontmatter.
workflow_files = ["workflow.md", "docs/workflow.md"]
# Placeholders: {next_step} (required), {step}, {description}, {project}, {reason} (why the last session ended).
prompt_template = "You are continuing work in {project} that a previous session could not finish because {reason}.\n{step}{description}\nThe project's next-step notes follow. Carry on from there.\n\n{next_step}"

[checkpoint]
# Ask an agent to write its checkpoint (the next-step file) once its context window is this full, so the new
# session after the context runs out starts from it. Asked once per session and threshold, through the
# assistant's hooks where they can ask (`palingenesis hooks install`), else typed at its idle prompt when it
# runs in a terminal palingenesis can type into (`palingenesis run`, tmux); otherwise recorded as not asked.
# enabled = true / false; left out: only in projects that have the next-step file or a workflow file.
threshold_percent = 85
# The context window in tokens; 0: as the assistant's records state it, else its table of models.
window_tokens = 0
# Placeholders: {percent}, {threshold}, {used}, {window}, {next_step_file}.
prompt = "palingenesis: your context window is {percent}% full ({used} of {window} tokens; the checkpoint threshold is {threshold}%). Before it runs out, write a checkpoint now: update {next_step_file} with what is done, what is in progress, the exact next steps and the files involved, so that a new session can carry on from it alone (the palingenesis MCP tool `checkpoint` writes it for you). Then go on with the task."
# Also ask once a usage window (the session or weekly limit) is this much spent, as the assistant's records
# say (a rate-limit snapshot in its records); once per session, window and threshold in each period of the
# window. 0: never.
quota_percent = 90
# Placeholders: {quota_percent}, {threshold}, {window} (session, weekly, usage), {resets}, {next_step_file}.
quota_prompt = "palingenesis: you have used {quota_percent}% of your {window} usage limit (it resets {resets}; the checkpoint threshold is {threshold}%). Before the limit stops you, write a checkpoint now: update {next_step_file} with what is done, what is in progress, the exact next steps and the files involved, so that the work can carry on from it alone after the reset (the palingenesis MCP tool `checkpoint` writes it for you). Then go on with the task."
# Per project (absolute path; the longest match wins): enabled, threshold_percent, prompt, quota_percent,
# quota_prompt.
# [checkpoint.projects."/home/me/big-project"]
# enabled = true
# threshold_percent = 75
# quota_percent = 0

[backup]
# Transcripts are copied before a new session replaces them; this many copies are kept per session.
enabled = true
keep = 10

[audit]
# audit.jsonl is rotated past this size, keeping this many old files.
max_bytes = 10485760
keep = 5

[notifications]
enabled = false
# Which audit events are sent.
events = ["NeedsAttention", "SessionFailed", "ServerGaveUp", "ResumeCompleted", "HandedOff"]
# Any of these channels; URLs and tokens are secrets and never logged.
# webhook_url = "https://example.invalid/hook"          # the audit event as JSON
# ntfy_url = "https://ntfy.example.invalid/my-topic"
# slack_webhook_url = "https://hooks.slack.invalid/services/..."
# discord_webhook_url = "https://discord.invalid/api/webhooks/..."
# telegram_bot_token = "123:abc"
# telegram_chat_id = "42"
telegram_api_url = "https://api.telegram.org"
timeout_secs = 10
# webhook_secret = "..."   # signs webhook bodies: X-Palingenesis-Signature: sha256=<hex HMAC-SHA256 of the body>
# Per-channel event lists (replacing `events` for that channel) and hourly caps; channels are
# webhook, ntfy, slack, discord, telegram.
channel_events = {}        # e.g. { telegram = ["NeedsAttention", "SessionFailed"] }
channel_max_per_hour = {}  # e.g. { ntfy = 20 }
# 429 and 5xx answers and network errors are retried (a Retry-After answer is honoured).
max_attempts = 4
retry_base_secs = 2
# Messages waiting per channel; past this the oldest is dropped (and audited).
queue_capacity = 256
# Above 0: one message every this many minutes with everything that happened (for noisy nights).
digest_minutes = 0
# daily_summary_at = "08:30"   # local time of a daily summary (stops handled, resumes, failures)

[http]
# HTTP API (/api/v1/...), live events (SSE) and Prometheus metrics (/metrics).
enabled = false
bind = "127.0.0.1:7654"
# Bearer token required on every request (metrics and events included). When unset, a random one is
# generated at first start (or by `config init`) into the file `http-token` of the state directory (0600);
# mandatory here when bind is not a loopback address. `daemon reload` applies a changed token.
# token = "..."
# Host header names accepted besides localhost, 127.0.0.1, [::1] and the bound address.
allowed_hosts = []

[chat]
# Commands from Telegram, Slack and Discord (see docs/chat.md). Only allowlisted senders are obeyed; when
# both lists of a platform are set, a sender must be on both.
# Telegram: polled with notifications.telegram_bot_token as soon as an allowlist is set.
telegram_allowed_chat_ids = []
telegram_allowed_user_ids = []
telegram_poll_timeout_secs = 30
# Slack: POST /chat/slack/commands (slash command) and /chat/slack/actions (buttons) on the HTTP server.
# slack_signing_secret = "..."
slack_allowed_team_ids = []
slack_allowed_user_ids = []
# Discord: POST /chat/discord/interactions on the HTTP server.
# discord_public_key = "<64 hex characters>"
discord_allowed_user_ids = []
discord_allowed_guild_ids = []

[otel]
# OpenTelemetry over OTLP/HTTP (protobuf): one trace per stop (detected, classified, waiting, resume attempts,
# verified), audit events as logs, and event metrics. OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS,
# OTEL_SERVICE_NAME, ...) are honoured and win over this endpoint (a collector's OTLP/HTTP port, normally 4318).
enabled = false
endpoint = "http://127.0.0.1:4318"

[fleet]
# Other machines' daemons, reached with the system ssh: `palingenesis --host user@box status`, and
# `palingenesis fleet status|sessions` for every host listed here (ssh destinations or ~/.ssh/config aliases).
hosts = []
ssh = "ssh"
# How the remote login shell runs palingenesis (e.g. "~/.cargo/bin/palingenesis").
remote_command = "palingenesis"

[fallback]
# When a session is stopped by a usage limit that resets more than after_hours away (a weekly limit; or a
# weekly limit with no announced reset), start a new session of the first listed assistant that is set up
# here, is another one, and is not itself at a limit right now, in the same project, seeded like a new
# session (new_session.next_step_file / workflow_files). At the stopped session's reset: at_reset = "notify"
# tells you (NeedsAttention) and resumes nothing (two agents on one tree would conflict); "resume" resumes it
# in place if the session it was handed to is no longer at work (else tells you).
# Nothing here ever spends money: no model switch, no credits, no paid overage, no permission bypass; the
# other assistant runs with its own section's extra_args only. One hand-off per stop.
enabled = false
after_hours = 6
assistants = []            # in order of preference; any of {assistants}
# prompt_template = "..."  # default: new_session.prompt_template
at_reset = "notify"
# Per project (every directory containing the session's applies, the deepest last); any key above may be set:
# [fallback.projects."/home/me/work/app"]
# enabled = true

"#;

/// The whole commented template: the core sections, then each assistant's own.
pub fn template() -> String {
    let names: Vec<String> = crate::assistants::names()
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect();
    let mut t = CORE.replace("{assistants}", &names.join(", "));
    for adapter in crate::assistants::all() {
        t.push_str(adapter.config_template());
    }
    t.truncate(t.trim_end().len());
    t.push('\n');
    t
}

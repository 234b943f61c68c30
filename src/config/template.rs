//! The commented config template written by `palingenesis config init`. Every value in it is the default.

/// Default prompt that seeds a new session after the context window filled up.
pub const DEFAULT_PROMPT_TEMPLATE: &str = "You are continuing work in {project} that a previous session could not finish because its context window filled up.\n{step}{description}\nThe project's next-step notes follow. Carry on from there.\n\n{next_step}";

pub const TEMPLATE: &str = r#"# palingenesis configuration. Every key is optional; the values shown are the defaults.
# Any key can be overridden from the environment: PALINGENESIS__<SECTION>__<KEY>=value
# (for example PALINGENESIS__RESUME__BACKOFF_BASE_SECS=10).

[daemon]
# tracing filter when neither -v nor RUST_LOG is given.
log_level = "info"
# "text" or "json".
log_format = "text"
# The daemon log is rotated past this size; this many old files are kept.
log_max_bytes = 10485760
log_keep = 3

[monitoring]
# Assistants to watch: any of "claude", "codex", "opencode". Empty: every one found on this machine.
assistants = []
# Stops older than this many seconds (by their own timestamp) are recorded but not acted on.
freshness_secs = 900
# Transcript lines longer than this are skipped and counted, never held in memory.
max_line_bytes = 4194304

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
# Safety margin added after an announced reset time or Retry-After.
reset_margin_secs = 60
# No session is resumed more often than this in any hour.
max_resumes_per_hour = 10
# A resume that shows no new assistant output within this many seconds failed.
verify_timeout_secs = 300
# Context window exhausted: "new_session" (seeded from Next-step.md), "same_session", or "summarize" (opencode).
context_strategy = "new_session"

[new_session]
# Read from the session's project directory to seed the new session.
next_step_file = "Next-step.md"
# Without a next-step file: the first of these with `stepsCompleted` / `lastStep` YAML frontmatter.
workflow_files = ["workflow.md", "docs/workflow.md"]
# Placeholders: {next_step} (required), {step}, {description}, {project}.
prompt_template = "You are continuing work in {project} that a previous session could not finish because its context window filled up.\n{step}{description}\nThe project's next-step notes follow. Carry on from there.\n\n{next_step}"

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
events = ["NeedsAttention", "SessionFailed", "ServerGaveUp", "ResumeCompleted"]
# Any of these channels; URLs and tokens are secrets and never logged.
# webhook_url = "https://example.invalid/hook"          # the audit event as JSON
# ntfy_url = "https://ntfy.example.invalid/my-topic"
# slack_webhook_url = "https://hooks.slack.invalid/services/..."
# discord_webhook_url = "https://discord.invalid/api/webhooks/..."
# telegram_bot_token = "123:abc"
# telegram_chat_id = "42"
telegram_api_url = "https://api.telegram.org"
timeout_secs = 10

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

[otel]
enabled = false
endpoint = "http://127.0.0.1:4317"

[claude]
# binary = "claude"
# projects_dir = "~/.claude/projects"
extra_args = []
env = {}

[codex]
# binary = "codex"
# home = "~/.codex"
extra_args = []
env = {}
# Codex compacts by itself on resume, so the default here is "same_session".
# context_strategy = "new_session"

[opencode]
# binary = "opencode"
# Own an `opencode serve` process, or attach to one you run (server_url).
supervise = false
# server_url = "http://127.0.0.1:4096"
auto_restart = true
serve_port = 4096
serve_hostname = "127.0.0.1"
# project_dir = "/path/to/project"
# A server that dies (or fails 3 health checks in a row) is restarted after restart_delay_secs, doubled for
# each recent restart; after max_restarts restarts within restart_window_secs it is left down.
restart_delay_secs = 2
health_check_interval_secs = 30
max_restarts = 5
restart_window_secs = 600
# Basic-auth password (user `opencode`), given to a supervised server as OPENCODE_SERVER_PASSWORD.
# server_password = "..."
# db_path = "~/.local/share/opencode/opencode.db"
env = {}
"#;

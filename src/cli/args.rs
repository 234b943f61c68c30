//! Argument definitions (clap derive). Completions and the man page are generated from these.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::model::Assistant;

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  failure (the error says why)
  2  invalid usage
  3  the daemon is not running (start it with `palingenesis daemon start`)
  4  the running daemon is a different version (restart it with `palingenesis daemon restart`)

Files: PALINGENESIS_HOME relocates config, state and runtime files below one directory.";

#[derive(Parser, Debug)]
#[command(name = "palingenesis", version, about = "Keeps AI coding agents working: detects stops, waits, resumes.", after_help = AFTER_HELP)]
pub struct Cli {
    /// More log output (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Run the command against another machine's daemon, over the system ssh (`user@box` or an ssh config
    /// alias; see `[fleet]` in the config for the ssh command and the remote palingenesis).
    #[arg(long, global = true, value_name = "DEST")]
    pub host: Option<String>,
    /// Colour the output: auto (on a terminal, honouring NO_COLOR and CLICOLOR_FORCE), always or never.
    /// JSON output is never coloured.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: crate::cli::display::ColorWhen,
    /// Show times in UTC instead of the local zone ($TZ, else the machine's). JSON is always UTC.
    #[arg(long, global = true)]
    pub utc: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start, stop, reload or query the daemon.
    #[command(subcommand)]
    Daemon(DaemonCmd),
    /// What the daemon is doing (`--watch`: a live view).
    Status(WatchArgs),
    /// Whether the daemon and its watchers are healthy.
    Health(JsonFlag),
    /// Check the whole setup (config, assistants, hooks, MCP, daemon, service, HTTP, PATH): one line per
    /// check, with the fix for each problem; exit 1 when something is broken.
    Doctor(JsonFlag),
    /// First-run set-up: finds the assistants installed here and offers, one by one, their hooks, the MCP
    /// server, the user service and a notification channel (asks on a terminal; flags decide otherwise).
    /// Running it again says what is already set up.
    Setup(SetupArgs),
    /// Notifications: `notify test [CHANNEL]` sends a test message to every configured channel (or one).
    #[command(subcommand)]
    Notify(NotifyCmd),
    /// Tracked sessions, their state, and what is planned for each; `sessions forget` drops one.
    Sessions(SessionsArgs),
    /// What the daemon would do next for every session, without doing it.
    Preview(JsonFlag),
    /// Stop automatic actions (sessions are still watched). Survives restarts.
    Pause(JsonFlag),
    /// Without SESSION: undo `pause` (automatic actions on again). With SESSION: resume that session now,
    /// in the same session with the continue prompt, whatever it was waiting for.
    Resume(TargetArg),
    /// Start a new session now for SESSION (default: the most recent stopped one).
    NewSession(TargetArg),
    /// Act now instead of waiting for SESSION's deadline.
    Skip(TargetArg),
    /// Cancel the pending action for SESSION and leave it alone.
    Abort(TargetArg),
    /// Show the daemon log.
    Logs(LogsArgs),
    /// Query the audit trail.
    Events(EventsArgs),
    /// Create, show, check or change the configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Receive an assistant hook on stdin and forward it to the daemon (used from the assistant's settings).
    Hook(HookArgs),
    /// Run an interactive agent under palingenesis's own terminal, so a stopped session is resumed right there:
    /// `palingenesis run -- claude`.
    Run(RunArgs),
    /// Install or remove palingenesis's hooks in an assistant's settings.
    #[command(subcommand)]
    Hooks(HooksCmd),
    /// Classify stop messages read from stdin, one per line, as JSON lines.
    Classify(ClassifyArgs),
    /// Explain what the daemon concludes about a transcript file or tracked session.
    Inspect(InspectArgs),
    /// Print shell completions.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff); `--dir DIR` writes it and one page per subcommand (the pages it refers
    /// to, e.g. palingenesis-daemon.1) into DIR.
    Man {
        /// Write every page into this directory (e.g. ~/.local/share/man/man1) instead of printing one.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
    /// Serve the control protocol as an MCP server on stdin/stdout (for MCP clients and agents); `mcp install
    /// <assistant>` registers it with an assistant.
    Mcp {
        #[command(subcommand)]
        action: Option<McpCmd>,
    },
    /// Install or remove the user service (systemd on Linux, launchd on macOS).
    #[command(subcommand)]
    Service(ServiceCmd),
    /// Every machine listed in `[fleet] hosts`, side by side (over ssh).
    #[command(subcommand)]
    Fleet(FleetCmd),
}

#[derive(Args, Debug)]
pub struct SetupArgs {
    /// Accept the default for every question not decided by another flag (hooks and MCP for every
    /// assistant found, the service); no notification channel unless --notify.
    #[arg(long, short)]
    pub yes: bool,
    /// Install hooks for these assistants (comma-separated), or `none`.
    #[arg(long, value_name = "A,B|none")]
    pub hooks: Option<String>,
    /// Register the MCP server with these assistants (comma-separated), or `none`.
    #[arg(long, value_name = "A,B|none")]
    pub mcp: Option<String>,
    /// Install the user service.
    #[arg(long, conflicts_with = "no_service")]
    pub service: bool,
    /// Do not install the user service.
    #[arg(long)]
    pub no_service: bool,
    /// Send notifications to URL: an ntfy topic URL (a host with "ntfy" in its name) or else a webhook,
    /// written to the config.
    #[arg(long, value_name = "URL")]
    pub notify: Option<String>,
    /// Print what it would do and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Machine-readable output (never asks).
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum FleetCmd {
    /// Each host's daemon: mode, sessions, next action, saves.
    Status(JsonFlag),
    /// Every host's tracked sessions in one table.
    Sessions(JsonFlag),
}

#[derive(Subcommand, Debug)]
pub enum DaemonCmd {
    /// Start the daemon (detached unless --foreground). Already running: says so and exits 0 (in the
    /// foreground: exits 1, as it cannot run a second one).
    Start {
        /// Run in this process, logging to stderr and the log file, until stopped.
        #[arg(long)]
        foreground: bool,
        /// In the foreground, log only to the log file.
        #[arg(long, hide = true)]
        no_stderr_log: bool,
        /// Machine-readable output: whether it was started or already running, its pid and version.
        #[arg(long, conflicts_with = "foreground")]
        json: bool,
    },
    /// Stop the daemon gracefully.
    Stop(JsonFlag),
    /// Stop, then start; the config is checked first, and a broken one leaves the running daemon alone.
    Restart(JsonFlag),
    /// Re-read the config file (same as SIGHUP) and apply every changed key that can change while running;
    /// the answer names what was applied and what waits for `daemon restart` (exit 0 either way; 1 when the
    /// new file is rejected and the old config kept).
    Reload(JsonFlag),
    /// Whether the daemon runs, and its pid and version.
    Status(JsonFlag),
}

#[derive(Args, Debug)]
pub struct JsonFlag {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SessionsArgs {
    #[command(subcommand)]
    pub action: Option<SessionsCmd>,
    #[command(flatten)]
    pub view: WatchArgs,
}

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Stay on screen, current: redrawn in place on a terminal with countdowns ticking (q or Ctrl-C quits);
    /// into a pipe, a fresh snapshot (with --json, one JSON line) each time something changes.
    #[arg(long, short)]
    pub watch: bool,
}

#[derive(Subcommand, Debug)]
pub enum SessionsCmd {
    /// Stop tracking SESSION and drop its transcript read offset (it comes back only if it writes again).
    /// Refused while a resume is pending or running, unless --force.
    Forget(ForgetArgs),
}

#[derive(Args, Debug)]
pub struct ForgetArgs {
    /// Session id (or unique prefix, or assistant:id).
    pub session: String,
    /// Cancel a pending or running resume first (as `abort` does), instead of refusing.
    #[arg(long)]
    pub force: bool,
    /// Machine-readable output: the daemon's answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct TargetArg {
    /// Session id (or unique prefix, or assistant:id).
    pub session: Option<String>,
    /// Machine-readable output: the daemon's answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Keep printing new lines as the daemon writes them.
    #[arg(short, long)]
    pub follow: bool,
    /// Show the last N lines.
    #[arg(short = 'n', long, default_value_t = 50)]
    pub tail: usize,
    /// One JSON object per line: `{"time": RFC 3339 or null, "line": text}`.
    #[arg(long)]
    pub json: bool,
    /// Only lines at or after TIME (RFC 3339, or a duration ago like 10m, 2h).
    #[arg(long)]
    pub since: Option<String>,
}

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Keep printing new events as they are recorded.
    #[arg(short, long)]
    pub follow: bool,
    /// Only events at or after TIME (RFC 3339, or a duration ago like 10m, 2h).
    #[arg(long)]
    pub since: Option<String>,
    /// Only this event type (repeatable), e.g. StopDetected.
    #[arg(long = "type")]
    pub types: Vec<String>,
    /// Only events of this session: its id, `assistant:id`, or a unique prefix of a tracked session's id.
    #[arg(long)]
    pub session: Option<String>,
    /// Show at most the last N events.
    #[arg(short = 'n', long)]
    pub limit: Option<usize>,
    /// One JSON object per line (the audit records as written).
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Write a commented config template (mode 0600).
    Init {
        /// Replace an existing file (the old one is kept as a backup).
        #[arg(long)]
        force: bool,
        /// Machine-readable output: what was written and kept.
        #[arg(long)]
        json: bool,
    },
    /// Show the effective configuration (file + environment).
    Show(JsonFlag),
    /// Check a config file (default: the active one) with the environment's overrides; every problem is
    /// reported, each with file:line:col (or the override variable).
    Validate {
        /// The file to check (default: the active config file).
        file: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Edit in $EDITOR; the file is only replaced when the result is valid.
    Edit,
    /// Set one key, keeping comments: `config set resume.backoff_base_secs 60`.
    Set {
        /// SECTION.KEY, e.g. resume.backoff_base_secs.
        key: String,
        /// A TOML value (`60`, `true`, `["a"]`), or plain text for a string.
        value: String,
        /// Machine-readable output: the key, its value (secrets redacted), the file and when it applies.
        #[arg(long)]
        json: bool,
    },
    /// Print the config file's path.
    Path(JsonFlag),
}

#[derive(Args, Debug)]
pub struct HookArgs {
    /// The assistant whose hook payload arrives on stdin (e.g. claude).
    #[arg(value_parser = crate::assistants::parse)]
    pub assistant: Assistant,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The agent's command line (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum NotifyCmd {
    /// Send a test message now, whatever the event filters say; exit 1 if a channel fails or none is set.
    Test {
        /// Only this channel: webhook, ntfy, slack, discord or telegram.
        channel: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum McpCmd {
    /// Register `palingenesis mcp` in the assistant's MCP configuration (a backup is kept).
    Install {
        /// The assistant whose MCP configuration gets the server (claude, codex, opencode, qwen, gemini).
        #[arg(value_parser = crate::assistants::parse)]
        assistant: Assistant,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Remove it again, leaving other servers alone.
    Uninstall {
        /// The assistant whose MCP configuration loses the server.
        #[arg(value_parser = crate::assistants::parse)]
        assistant: Assistant,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Whether the server is registered with each assistant (or one), without changing anything.
    Status(StatusArgs),
}

/// `hooks status` / `mcp status`: every assistant, or one.
#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Only this assistant.
    #[arg(value_parser = crate::assistants::parse)]
    pub assistant: Option<Assistant>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum HooksCmd {
    /// Add palingenesis's hooks to the assistant's settings (a backup of the previous file is kept; a file
    /// that is not valid settings is refused and left alone).
    Install {
        /// The assistant whose settings get the hooks (e.g. claude).
        #[arg(value_parser = crate::assistants::parse)]
        assistant: Assistant,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Remove them again, leaving other hooks alone.
    Uninstall {
        /// The assistant whose settings lose the hooks.
        #[arg(value_parser = crate::assistants::parse)]
        assistant: Assistant,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Whether the hooks are installed for each assistant that has hooks (or one), without changing anything.
    Status(StatusArgs),
}

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// Classify as this assistant's messages.
    #[arg(long, default_value = crate::assistants::DEFAULT)]
    #[arg(value_parser = crate::assistants::parse)]
    pub assistant: Assistant,
    /// The instant messages are read at (RFC 3339); default now.
    #[arg(long)]
    pub now: Option<String>,
    /// Time zone of the agent (IANA name); default $TZ or UTC.
    #[arg(long)]
    pub tz: Option<String>,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A transcript/rollout file, or a tracked session id.
    pub target: String,
    /// Read the file as this assistant's (default: guessed from where it is).
    #[arg(long)]
    #[arg(value_parser = crate::assistants::parse)]
    pub assistant: Option<Assistant>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum ServiceCmd {
    /// Write the user service file and print how to enable it.
    Install(JsonFlag),
    /// Remove the user service file.
    Uninstall(JsonFlag),
    /// Whether the service file is installed, and the PATH it gives the daemon.
    Status(JsonFlag),
    /// Print the service file without installing it.
    Print,
}

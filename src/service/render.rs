//! The text of the service files, and the escaping each format needs.

use std::fmt::Write as _;
use std::path::Path;

use super::LAUNCHD_LABEL;

/// The systemd user unit running `<exe> daemon start --foreground`. `exe` should be absolute (systemd
/// requires it; [`super::install`] checks). A non-UTF-8 path is converted lossily. `search_path` is the
/// `PATH` the daemon runs with (the installing user's: a user service otherwise gets systemd's bare
/// default, where agents installed under `~/.local/bin` or by nvm are not found).
pub fn systemd_unit(exe: &Path, search_path: Option<&str>) -> String {
    let path_env = search_path
        .filter(|p| !p.is_empty())
        .map(|p| format!("Environment={}\n", systemd_quoted(&format!("PATH={p}"))))
        .unwrap_or_default();
    format!(
        "\
# Written by palingenesis. Reinstalling the service overwrites this file.
[Unit]
Description=palingenesis daemon: keeps AI coding agents working

[Service]
Type=simple
ExecStart={exe} daemon start --foreground
Environment={arena_env}
{path_env}ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
",
        exe = systemd_exec_path(&exe.to_string_lossy()),
        arena_env = crate::daemon::lifecycle::MALLOC_ARENAS.join("="),
    )
}

/// The launchd agent running `<exe> daemon start --foreground` at login, restarted when it exits with a
/// failure (`KeepAlive.SuccessfulExit = false`, the counterpart of systemd's `Restart=on-failure`, so that
/// `palingenesis daemon stop` is not undone). launchd's own stdout/stderr capture goes to `log_dir`.
/// Non-UTF-8 paths are converted lossily and characters XML cannot hold become U+FFFD. `search_path` is the
/// `PATH` the daemon runs with (launchd's default is `/usr/bin:/bin:/usr/sbin:/sbin`).
pub fn launchd_plist(exe: &Path, log_dir: &Path, search_path: Option<&str>) -> String {
    let env = search_path
        .filter(|p| !p.is_empty())
        .map(|p| {
            format!(
                "\t<key>EnvironmentVariables</key>\n\t<dict>\n\t\t<key>PATH</key>\n\t\t<string>{}</string>\n\t</dict>\n",
                xml_escape(p)
            )
        })
        .unwrap_or_default();
    let exe = xml_escape(&exe.to_string_lossy());
    let out = xml_escape(&log_dir.join("launchd-stdout.log").to_string_lossy());
    let err = xml_escape(&log_dir.join("launchd-stderr.log").to_string_lossy());
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>{LAUNCHD_LABEL}</string>
	<key>ProgramArguments</key>
	<array>
		<string>{exe}</string>
		<string>daemon</string>
		<string>start</string>
		<string>--foreground</string>
	</array>
{env}	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ProcessType</key>
	<string>Background</string>
	<key>StandardOutPath</key>
	<string>{out}</string>
	<key>StandardErrorPath</key>
	<string>{err}</string>
</dict>
</plist>
"#
    )
}

/// One `Environment=` assignment as systemd reads it back: in double quotes, `%` doubled, `\\` and `"`
/// escaped.
fn systemd_quoted(assignment: &str) -> String {
    let mut out = String::with_capacity(assignment.len() + 2);
    out.push('"');
    for c in assignment.chars() {
        match c {
            '%' => out.push_str("%%"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes the executable path of an `Exec*=` line so systemd reads it back verbatim: `%` doubled
/// (specifiers are expanded everywhere), backslash escapes for `\`, `"` and control characters (systemd
/// C-unescapes every word), and double quotes when the path holds whitespace, quotes or escapes. `$` stays
/// as is: systemd does not expand variables in the executable path.
pub(super) fn systemd_exec_path(path: &str) -> String {
    let mut body = String::with_capacity(path.len() + 2);
    let mut quote = path.is_empty();
    for ch in path.chars() {
        match ch {
            '%' => body.push_str("%%"),
            '\\' => {
                body.push_str("\\\\");
                quote = true;
            }
            '"' => {
                body.push_str("\\\"");
                quote = true;
            }
            '\n' => {
                body.push_str("\\n");
                quote = true;
            }
            '\t' => {
                body.push_str("\\t");
                quote = true;
            }
            c if c.is_control() => {
                let _ = write!(body, "\\u{:04x}", u32::from(c));
                quote = true;
            }
            c => {
                quote |= c.is_whitespace() || c == '\'' || c == ';';
                body.push(c);
            }
        }
    }
    if quote { format!("\"{body}\"") } else { body }
}

/// Escapes text for an XML element: the five predefined entities; characters XML 1.0 cannot contain at
/// all (most C0 controls, and CR, which parsers turn into LF) become U+FFFD.
pub(super) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if !xml_safe(c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Whether `c` survives an XML 1.0 round trip unchanged.
pub(super) fn xml_safe(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Quotes a path for a POSIX shell command the user is told to run.
pub(super) fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+@%:,=~".contains(c));
    if plain && !text.starts_with('~') {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The `PATH` a service file written by [`systemd_unit`] or [`launchd_plist`] gives the daemon; `None` when
/// it sets none (the service manager's default then applies).
pub fn search_path_in(service_file: &str) -> Option<String> {
    if let Some(rest) = service_file
        .lines()
        .find_map(|l| l.strip_prefix("Environment=\"PATH="))
    {
        let body = rest.strip_suffix('"').unwrap_or(rest);
        let (mut out, mut chars) = (String::new(), body.chars());
        while let Some(c) = chars.next() {
            match (c, chars.clone().next()) {
                ('%', Some('%')) | ('\\', Some('\\' | '"')) => out.extend(chars.next()),
                (c, _) => out.push(c),
            }
        }
        return Some(out);
    }
    let after_key = service_file.split("<key>PATH</key>").nth(1)?;
    let value = after_key
        .split("<string>")
        .nth(1)?
        .split("</string>")
        .next()?;
    Some(
        value
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

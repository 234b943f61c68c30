//! Built-in patterns, compiled with ASCII Perl classes.
//!
//! The messages palingenesis reads are English: their words and digits are ASCII. Unicode `\w`, `\d` and
//! `\b` compile to large UTF-8 automata (in both directions), and the built-in set is about a hundred
//! patterns: 9.8 MB of heap with Unicode classes, 5.0 MB with ASCII ones, on the first stop a daemon
//! classifies. So `\d` and `\w` (also inside brackets) and `\b` are read as their ASCII forms; `\s` stays
//! Unicode (no-break and narrow no-break spaces appear in formatted times) and case folding stays Unicode.

use regex::Regex;

/// A built-in pattern, its Perl classes made ASCII; a bad one is a programming error caught by any test
/// that touches it.
pub fn built_in(pattern: &str) -> Regex {
    let ascii = ascii_perl_classes(pattern);
    Regex::new(&ascii).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

/// `pattern` with `\d`, `\w` and `\b` spelled in ASCII (`[0-9]`, `[0-9A-Za-z_]`, `(?-u:\b)`).
fn ascii_perl_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut chars = pattern.chars();
    let mut in_brackets = false;
    let mut bracket_start = false;
    while let Some(c) = chars.next() {
        let at_bracket_start = std::mem::take(&mut bracket_start);
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                match (next, in_brackets) {
                    ('d', false) => out.push_str("[0-9]"),
                    ('d', true) => out.push_str("0-9"),
                    ('w', false) => out.push_str("[0-9A-Za-z_]"),
                    ('w', true) => out.push_str("0-9A-Za-z_"),
                    ('b', false) => out.push_str(r"(?-u:\b)"),
                    _ => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            '[' if !in_brackets => {
                in_brackets = true;
                bracket_start = true;
                out.push(c);
            }
            '^' if at_bracket_start => {
                bracket_start = true;
                out.push(c);
            }
            // A `]` first in brackets is a literal.
            ']' if in_brackets && !at_bracket_start => {
                in_brackets = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_become_ascii_outside_and_inside_brackets() {
        assert_eq!(ascii_perl_classes(r"\d+"), "[0-9]+");
        assert_eq!(ascii_perl_classes(r"[\w\-]+"), r"[0-9A-Za-z_\-]+");
        assert_eq!(ascii_perl_classes(r"\bhit\b"), r"(?-u:\b)hit(?-u:\b)");
        assert_eq!(ascii_perl_classes(r"[^\d.]"), "[^0-9.]");
        assert_eq!(ascii_perl_classes(r"[]\w]\w"), "[]0-9A-Za-z_][0-9A-Za-z_]");
    }

    #[test]
    fn escapes_other_than_perl_classes_are_kept() {
        assert_eq!(
            ascii_perl_classes(r"\\d \s \. \(\d\)"),
            r"\\d \s \. \([0-9]\)"
        );
        assert_eq!(ascii_perl_classes(r"a\"), r"a\");
    }

    #[test]
    fn matching_is_unchanged_for_english_text_and_unicode_spaces() {
        let r = built_in(r"(?i)\bresets?\s+(\d{1,2}):(\d{2})\s*([ap])m\b");
        let caps = r.captures("limit · Resets\u{a0}6:40\u{202f}PM").unwrap();
        assert_eq!((&caps[1], &caps[2], &caps[3]), ("6", "40", "P"));
        assert!(!r.is_match("presets 6:40pm"));
        assert!(built_in(r"(?i)out of (?:\w+ )?credits\b").is_match("You're out of API credits."));
        assert!(
            !built_in(r"\d").is_match("٣"),
            "Arabic-Indic digits are not digits here"
        );
    }
}

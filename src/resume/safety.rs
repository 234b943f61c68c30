//! Lines palingenesis never crosses when it builds an agent's command line.

/// Flags that switch off an agent's permission checks. palingenesis never adds them, and refuses
/// configuration that asks for them.
const PERMISSION_BYPASS_FLAGS: &[&str] = &[
    "--dangerously-skip-permissions",
    "--allow-dangerously-skip-permissions",
    "--dangerously-bypass-approvals-and-sandbox",
    "--yolo",
    "--full-auto",
];

/// True when `arg` (or its `--flag=value` form) is a permission-bypass flag.
pub fn is_permission_bypass(arg: &str) -> bool {
    let flag = arg.split_once('=').map_or(arg, |(f, _)| f);
    PERMISSION_BYPASS_FLAGS.contains(&flag)
        || (flag == "--permission-mode" && arg.ends_with("bypassPermissions"))
}

/// Drops every permission-bypass flag from `args` (defence in depth behind config validation).
pub fn strip_bypass_flags(args: Vec<String>) -> Vec<String> {
    args.into_iter()
        .filter(|a| !is_permission_bypass(a))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_bypass_flags() {
        assert!(is_permission_bypass("--dangerously-skip-permissions"));
        assert!(is_permission_bypass("--yolo"));
        assert!(is_permission_bypass("--permission-mode=bypassPermissions"));
        assert!(!is_permission_bypass("--resume"));
        assert!(!is_permission_bypass("-p"));
        assert_eq!(
            strip_bypass_flags(vec!["-p".into(), "--yolo".into()]),
            vec!["-p".to_string()]
        );
    }
}

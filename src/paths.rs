//! Where the cockpit keeps its files (XDG base directories).

use std::path::PathBuf;

const APP_DIR: &str = "canary-cockpit";

fn xdg(var: &str, fallback: &str) -> PathBuf {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir)
            .join(fallback),
    }
}

/// `$XDG_STATE_HOME/canary-cockpit` (default `~/.local/state/canary-cockpit`).
pub fn state_dir() -> PathBuf {
    xdg("XDG_STATE_HOME", ".local/state").join(APP_DIR)
}

pub fn default_log_file() -> PathBuf {
    state_dir().join("canary.log")
}

/// The OS user who acts at the keyboard.
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "operator".to_string())
}

/// `NO_COLOR` set to anything but the empty string turns colour off (no-color.org).
pub fn colour_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

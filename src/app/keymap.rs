//! The key table, defined once: it drives the key handler, the help overlay and the footer hints.

pub use super::keybinding::{lookup, Command, Key, KeyBinding};

use super::keybinding::bind;
use crossterm::event::KeyCode;

use Command as C;
use Key::{Char, Code, Ctrl, Shift};

/// The cockpit's own keys (k9s habits).
pub const NORMAL: &[KeyBinding] = &[
    bind(
        &[Char('+'), Char('=')],
        "+ =",
        C::StepUp,
        "step the canary weight up to the next step",
        Some("step"),
    ),
    bind(
        &[Char('-')],
        "-",
        C::StepDown,
        "step the canary weight down to the previous step",
        None,
    ),
    bind(
        &[Char('w')],
        "w",
        C::SetWeight,
        "set an exact canary weight (0-100)",
        Some("weight"),
    ),
    bind(
        &[Char('p')],
        "p",
        C::TogglePause,
        "pause / resume automatic progression",
        Some("pause"),
    )
    .kept(),
    bind(
        &[Char('P')],
        "P",
        C::Promote,
        "promote the canary (asks to confirm)",
        Some("promote"),
    ),
    bind(
        &[Char('R')],
        "R",
        C::Rollback,
        "roll back to the primary (asks to confirm)",
        Some("rollback"),
    )
    .kept(),
    bind(
        &[Char('h')],
        "h",
        C::Route,
        "route testers by header or cookie; h again removes",
        Some("testers"),
    ),
    bind(&[Char('?')], "?", C::Help, "show this help", Some("help")).kept(),
    bind(
        &[Code(KeyCode::Tab)],
        "tab",
        C::FocusNext,
        "focus the next panel (pods, events)",
        None,
    ),
    bind(
        &[Char('j'), Code(KeyCode::Down)],
        "j ↓",
        C::ScrollDown,
        "scroll the focused panel down",
        None,
    ),
    bind(
        &[Char('k'), Code(KeyCode::Up)],
        "k ↑",
        C::ScrollUp,
        "scroll the focused panel up",
        None,
    ),
    bind(
        &[Char('m')],
        "m",
        C::Note,
        "write a note into the event log and the recording",
        None,
    ),
    bind(
        &[Char(':')],
        ":",
        C::Goto,
        "watch: open another release by typing its target",
        None,
    ),
    bind(
        &[Char('i')],
        "i",
        C::Inspect,
        "the Prometheus queries behind the numbers, to copy",
        None,
    ),
    bind(
        &[Char('a')],
        "a/x",
        C::KeelApprove,
        "Keel: approve / reject the pending approval (asks to confirm)",
        None,
    ),
    bind(
        &[Char('x')],
        "x",
        C::KeelReject,
        "Keel: reject the first pending approval (asks to confirm)",
        None,
    ),
    bind(
        &[Char('J')],
        "J",
        C::Judge,
        "the judge in detail: each metric's two distributions, test, interval, reason",
        None,
    ),
    bind(
        &[Code(KeyCode::Esc)],
        "esc",
        C::Close,
        "close a prompt, clear the filter; watch: the release list",
        None,
    ),
    bind(
        &[Char('q'), Ctrl('c')],
        "q ctrl-c",
        C::Quit,
        "quit",
        Some("quit"),
    ),
    bind(
        &[Char('/')],
        "/",
        C::Filter,
        "filter pods by name or status",
        Some("filter"),
    ),
    bind(
        &[Char('l')],
        "l",
        C::CycleLatency,
        "latency shown: p50 → p95 → p99 (the analysis judges p99)",
        Some("latency"),
    ),
];

/// The release list of `canary watch` without a target.
pub const PICKER: &[KeyBinding] = &[
    bind(
        &[Code(KeyCode::Enter)],
        "enter",
        C::Open,
        "open the selected release",
        Some("open"),
    ),
    bind(
        &[Char('j'), Code(KeyCode::Down)],
        "j ↓",
        C::ScrollDown,
        "next release",
        None,
    ),
    bind(
        &[Char('k'), Code(KeyCode::Up)],
        "k ↑",
        C::ScrollUp,
        "previous release",
        None,
    ),
    bind(
        &[Char('/')],
        "/",
        C::Filter,
        "filter by name, namespace, provider or phase",
        Some("filter"),
    ),
    bind(
        &[Char(':')],
        ":",
        C::Goto,
        "open a release by typing its target",
        Some("target"),
    ),
    bind(
        &[Char('r')],
        "r",
        C::Reload,
        "list the releases again",
        Some("reload"),
    ),
    bind(
        &[Code(KeyCode::Esc)],
        "esc",
        C::Close,
        "clear the filter",
        None,
    ),
    bind(
        &[Char('q'), Ctrl('c')],
        "q ctrl-c",
        C::Quit,
        "quit",
        Some("quit"),
    ),
];

pub const HELP: &[KeyBinding] = &[
    bind(
        &[Code(KeyCode::Esc), Char('?'), Char('q')],
        "esc ? q",
        C::Close,
        "close help",
        Some("close"),
    ),
    bind(&[Ctrl('c')], "ctrl-c", C::Quit, "quit", None),
];

pub const CONFIRM: &[KeyBinding] = &[
    bind(
        &[Char('y'), Char('Y')],
        "y",
        C::Confirm,
        "confirm",
        Some("confirm"),
    ),
    bind(
        &[Char('n'), Char('N'), Code(KeyCode::Esc)],
        "n esc",
        C::Cancel,
        "cancel",
        Some("cancel"),
    ),
    bind(&[Ctrl('c')], "ctrl-c", C::Quit, "quit", None),
];

pub const PROMPT: &[KeyBinding] = &[
    bind(
        &[Code(KeyCode::Enter)],
        "enter",
        C::Submit,
        "apply",
        Some("apply"),
    ),
    bind(
        &[Code(KeyCode::Esc)],
        "esc",
        C::Cancel,
        "cancel",
        Some("cancel"),
    ),
    bind(&[Ctrl('c')], "ctrl-c", C::Quit, "quit", None),
];

/// Replay's own keys; they come before the cockpit's view keys (scroll, focus, filter, help).
pub const REPLAY: &[KeyBinding] = &[
    bind(
        &[Char(' ')],
        "space",
        C::PlayPause,
        "play / pause the replay",
        Some("play"),
    ),
    bind(
        &[Char('>'), Char('.')],
        "</>",
        C::Faster,
        "play faster / slower (0.25× … 64×)",
        Some("speed"),
    ),
    bind(&[Char('<'), Char(',')], "<", C::Slower, "play slower", None),
    bind(
        &[Code(KeyCode::Right)],
        "←/→",
        C::Forward,
        "seek 10 s back / forward",
        Some("±10s"),
    ),
    bind(&[Code(KeyCode::Left)], "←", C::Back, "seek 10 s back", None),
    bind(
        &[Shift(KeyCode::Right)],
        "shift+←/→",
        C::ForwardLong,
        "seek 1 min back / forward",
        None,
    ),
    bind(
        &[Shift(KeyCode::Left)],
        "shift+←",
        C::BackLong,
        "seek 1 min back",
        None,
    ),
    bind(
        &[Char('n')],
        "n/N",
        C::NextMark,
        "jump to the next / previous marked event",
        Some("marks"),
    ),
    bind(
        &[Char('N')],
        "N",
        C::PrevMark,
        "jump to the previous marked event",
        None,
    ),
    bind(
        &[Char('g'), Code(KeyCode::Home)],
        "g/G",
        C::Start,
        "jump to the start / end",
        Some("start/end"),
    ),
    bind(
        &[Char('G'), Code(KeyCode::End)],
        "G",
        C::End,
        "jump to the end",
        None,
    ),
];

/// Said in replay's help overlay.
pub const REPLAY_NOTE: &str =
    "Replay is read-only: the action keys (+ - w p P R m) say so and change nothing.";

/// Said in the help overlay: what pause means.
pub const PAUSE_NOTE: &str =
    "Paused stops automatic progression only: the analysis keeps running and the automatic rollback stays armed.";

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEvent, KeyModifiers};

    #[test]
    fn shifted_letters_and_ctrl_are_told_apart() {
        let p = KeyEvent::new(KeyCode::Char('P'), KeyModifiers::SHIFT);
        assert_eq!(lookup(NORMAL, &p), Some(Command::Promote));
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(NORMAL, &c), Some(Command::Quit));
        let plain_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(lookup(NORMAL, &plain_c), None);
    }

    #[test]
    fn the_way_out_is_kept_in_the_footer() {
        let kept: Vec<&str> = NORMAL
            .iter()
            .filter(|b| b.kept)
            .filter_map(|b| b.hint)
            .collect();
        assert_eq!(kept, ["pause", "rollback", "help"]);
    }

    #[test]
    fn no_key_is_bound_twice_in_a_table() {
        for table in [NORMAL, HELP, CONFIRM, PROMPT, REPLAY, PICKER] {
            let keys: Vec<Key> = table.iter().flat_map(|b| b.keys.iter().copied()).collect();
            for (i, k) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(k), "{k:?} bound twice");
            }
        }
    }
}

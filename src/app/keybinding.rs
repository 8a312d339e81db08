//! What the key tables are made of: the commands, the keys, a binding of keys to a command, and
//! the lookup of a key press in a table.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    StepUp,
    StepDown,
    SetWeight,
    TogglePause,
    Promote,
    Rollback,
    Help,
    FocusNext,
    ScrollDown,
    ScrollUp,
    Filter,
    Note,
    Goto,
    Route,
    Inspect,
    /// The statistical judge's detail overlay.
    Judge,
    /// The latency sparkline's percentile: p50 → p95 → p99.
    CycleLatency,
    /// Keel's first pending approval: approve, reject (asks to confirm).
    KeelApprove,
    KeelReject,
    Open,
    Reload,
    Close,
    Quit,
    Confirm,
    Cancel,
    Submit,
    // replay
    PlayPause,
    Faster,
    Slower,
    Back,
    Forward,
    BackLong,
    ForwardLong,
    NextMark,
    PrevMark,
    Start,
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Code(KeyCode),
    Ctrl(char),
    /// A non-character key with shift held (`shift+→`).
    Shift(KeyCode),
}

impl Key {
    pub fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match self {
            Key::Char(c) => !ctrl && ev.code == KeyCode::Char(c),
            Key::Ctrl(c) => ctrl && ev.code == KeyCode::Char(c),
            Key::Code(code) => {
                !ctrl && !ev.modifiers.contains(KeyModifiers::SHIFT) && ev.code == code
            }
            Key::Shift(code) => {
                !ctrl && ev.modifiers.contains(KeyModifiers::SHIFT) && ev.code == code
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct KeyBinding {
    pub keys: &'static [Key],
    /// How the keys are written in help and hints.
    pub label: &'static str,
    pub command: Command,
    pub description: &'static str,
    /// Short text for the footer; `None` keeps the binding out of the footer.
    pub hint: Option<&'static str>,
    /// The way out (`R rollback`, `p pause`, `? help`): its hint is never dropped, a message in
    /// the footer gets only the room the kept hints leave.
    pub kept: bool,
}

pub(super) const fn bind(
    keys: &'static [Key],
    label: &'static str,
    command: Command,
    description: &'static str,
    hint: Option<&'static str>,
) -> KeyBinding {
    KeyBinding {
        keys,
        label,
        command,
        description,
        hint,
        kept: false,
    }
}

impl KeyBinding {
    /// Keeps the binding's hint in the footer whatever else it shows.
    pub(super) const fn kept(self) -> Self {
        KeyBinding { kept: true, ..self }
    }
}

impl Command {
    /// Whether the command changes the release (refused in replay).
    pub fn acts(self) -> bool {
        matches!(
            self,
            Command::StepUp
                | Command::StepDown
                | Command::SetWeight
                | Command::TogglePause
                | Command::Promote
                | Command::Rollback
                | Command::Note
                | Command::Route
                | Command::KeelApprove
                | Command::KeelReject
        )
    }
}

pub fn lookup(table: &[KeyBinding], ev: &KeyEvent) -> Option<Command> {
    table
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.command)
}

//! Modes scope the keys: a modal or a prompt takes the keys before the cockpit does.

use tui_input::Input;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirm {
    Promote,
    Rollback,
    /// `h` on a release with the cockpit's testers' routes: remove them.
    ClearRoutes,
    /// `a` / `x`: vote on the first pending Keel approval (the one in `App::keel_asked`).
    Keel(crate::model::approval::Vote),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// `w`: an exact canary weight.
    Weight,
    /// `/`: filter the pod list by name or status.
    Filter,
    /// `m`: a note for the event log and the recording.
    Note,
    /// `:`: another release to open, by its target.
    Goto,
    /// `h`: a testers' route (`header NAME=VALUE`, `header NAME~REGEX`, `cookie NAME`).
    Route,
}

#[derive(Clone, Debug, Default)]
pub struct Prompt {
    pub kind: Option<PromptKind>,
    pub input: Input,
    /// Shown under the prompt after a rejected entry.
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub enum Mode {
    #[default]
    Normal,
    Help,
    /// `i`: the Prometheus queries behind the numbers, to copy.
    Inspect,
    /// `J`: the statistical judge in detail, each metric's distributions, test and interval.
    Judge,
    Confirm(Confirm),
    Prompt(Prompt),
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Help => "help",
            Mode::Inspect => "inspect",
            Mode::Judge => "judge",
            Mode::Confirm(_) => "confirm",
            Mode::Prompt(_) => "prompt",
        }
    }
}

/// Panels that take the scroll keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Panel {
    #[default]
    Pods,
    Events,
}

impl Panel {
    pub fn next(self) -> Panel {
        match self {
            Panel::Pods => Panel::Events,
            Panel::Events => Panel::Pods,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// The latest message in the footer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub level: Level,
    pub text: String,
}

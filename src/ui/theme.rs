//! Every colour the cockpit uses, in one place. With `NO_COLOR` the theme hands out no colours at
//! all: meaning is then carried by symbols, bold and reversed text.

use crate::app::{Level, LogKind};
use crate::model::{Outcome, Phase, Side};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType};

/// Marker of the canary version, shown next to its pods, series and labels.
pub const CANARY_MARK: &str = "◆";
/// Marker of the primary version.
pub const PRIMARY_MARK: &str = "○";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn plain(self) -> Style {
        Style::new()
    }

    pub fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// Secondary text: labels, units, timestamps.
    pub fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn canary(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn primary(self) -> Style {
        self.fg(Color::LightBlue)
    }

    pub fn side(self, side: Side) -> Style {
        match side {
            Side::Primary => self.primary(),
            Side::Canary => self.canary(),
        }
    }

    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn bad(self) -> Style {
        self.fg(Color::Red)
    }

    /// Something over a threshold or failing: red, and bold so it stands out without colour.
    pub fn alarm(self) -> Style {
        self.bad().add_modifier(Modifier::BOLD)
    }

    pub fn accent(self) -> Style {
        self.fg(Color::Cyan)
    }

    pub fn key(self) -> Style {
        self.accent().add_modifier(Modifier::BOLD)
    }

    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.accent().add_modifier(Modifier::BOLD)
        } else {
            self.dim()
        }
    }

    /// The frame of a panel that takes the scroll keys: thick and accented while focused.
    pub fn focusable_block(self, focused: bool) -> Block<'static> {
        Block::bordered()
            .border_type(if focused {
                BorderType::Thick
            } else {
                BorderType::Plain
            })
            .border_style(self.border(focused))
    }

    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The text cursor of a prompt, visible in any terminal.
    pub fn cursor(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn phase(self, phase: Phase) -> Style {
        let color = match phase {
            Phase::Progressing => Color::Cyan,
            Phase::Paused => Color::Yellow,
            Phase::Promoted => Color::Green,
            Phase::RolledBack | Phase::Failed => Color::Red,
            Phase::Promoting | Phase::RollingBack => Color::Magenta,
        };
        self.fg(color).add_modifier(Modifier::BOLD)
    }

    pub fn outcome(self, outcome: Outcome) -> Style {
        match outcome {
            Outcome::Pass => self.good(),
            Outcome::Fail => self.alarm(),
            Outcome::Inconclusive => self.warn(),
        }
    }

    pub fn log(self, kind: LogKind) -> Style {
        match kind {
            LogKind::Verdict(outcome) => self.outcome(outcome),
            LogKind::Alert => self.alarm(),
            LogKind::Error => self.bad(),
            LogKind::Action => self.accent(),
            LogKind::Weight => self.warn(),
            LogKind::Phase => self.fg(Color::Magenta),
            LogKind::Note => Style::new().add_modifier(Modifier::ITALIC),
            LogKind::Info => Style::new(),
        }
    }

    pub fn level(self, level: Level) -> Style {
        match level {
            Level::Info => self.good(),
            Level::Warn => self.warn(),
            Level::Error => self.alarm(),
        }
    }
}

/// A symbol per phase so the phase reads without colour.
pub fn phase_mark(phase: Phase) -> &'static str {
    match phase {
        Phase::Progressing => "▶",
        Phase::Paused => "‖",
        Phase::Promoting | Phase::RollingBack => "…",
        Phase::Promoted => "✔",
        Phase::RolledBack => "↺",
        Phase::Failed => "✖",
    }
}

pub fn outcome_mark(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "✔",
        Outcome::Fail => "✖",
        Outcome::Inconclusive => "?",
    }
}

pub fn side_mark(side: Side) -> &'static str {
    match side {
        Side::Primary => PRIMARY_MARK,
        Side::Canary => CANARY_MARK,
    }
}

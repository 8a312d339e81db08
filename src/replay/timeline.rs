//! The timeline's markers: operator and controller actions, verdicts, phase changes, alerts and
//! notes, taken from the event log as the recording is fed through the cockpit.

use crate::app::{Event, EventLog, LogKind};
use crate::model::Severity;
use crate::model::{Millis, Outcome};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    Action,
    Verdict(Outcome),
    Phase,
    Alert,
    Note,
}

impl MarkKind {
    /// The glyph on the timeline bar.
    pub fn glyph(self) -> &'static str {
        match self {
            MarkKind::Action => "◆",
            MarkKind::Verdict(Outcome::Fail) => "✖",
            MarkKind::Verdict(Outcome::Pass) => "·",
            MarkKind::Verdict(Outcome::Inconclusive) => "?",
            MarkKind::Phase => "▲",
            MarkKind::Alert => "!",
            MarkKind::Note => "✎",
        }
    }

    /// When markers share a cell of the bar, the highest rank is drawn.
    pub fn rank(self) -> u8 {
        match self {
            MarkKind::Verdict(Outcome::Pass) => 0,
            MarkKind::Verdict(Outcome::Inconclusive) => 1,
            MarkKind::Verdict(Outcome::Fail) => 2,
            MarkKind::Phase => 3,
            MarkKind::Note => 4,
            MarkKind::Action => 5,
            MarkKind::Alert => 6,
        }
    }

    fn of(kind: LogKind) -> Option<MarkKind> {
        match kind {
            LogKind::Action => Some(MarkKind::Action),
            LogKind::Verdict(outcome) => Some(MarkKind::Verdict(outcome)),
            LogKind::Phase => Some(MarkKind::Phase),
            LogKind::Alert => Some(MarkKind::Alert),
            LogKind::Note => Some(MarkKind::Note),
            LogKind::Weight | LogKind::Error | LogKind::Info => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub at: Millis,
    pub kind: MarkKind,
    /// The event log's line for it.
    pub text: String,
}

/// Appends markers for the log entries added since `seen` entries; updates `seen`.
pub fn collect(log: &EventLog, seen: &mut u64, markers: &mut Vec<Marker>) {
    for entry in log.since(*seen) {
        if let Some(kind) = MarkKind::of(entry.kind) {
            markers.push(Marker {
                at: entry.at,
                kind,
                text: entry.text.clone(),
            });
        }
    }
    *seen = log.appended();
}

/// Marks a recorded alert that the event log does not tell as one (the warn and info ones, which
/// repeat a verdict, an action or a gate change): every alert sent is on the timeline.
pub fn alert(event: &Event, markers: &mut Vec<Marker>) {
    if let Event::AlertRaised { alert } = event {
        if alert.severity != Severity::Error {
            markers.push(Marker {
                at: alert.at,
                kind: MarkKind::Alert,
                text: format!("ALERT {}", alert.line()),
            });
        }
    }
}

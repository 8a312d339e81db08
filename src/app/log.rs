//! The event log panel's entries: weight changes, verdicts, operator actions, rollbacks, alerts, notes.

use crate::model::{Millis, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    Weight,
    Verdict(Outcome),
    Action,
    Phase,
    Alert,
    Note,
    Error,
    Info,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub at: Millis,
    pub kind: LogKind,
    pub text: String,
}

/// A bounded log; `appended` counts every entry ever added so readers can follow it.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    entries: VecDeque<LogEntry>,
    appended: u64,
}

impl EventLog {
    const CAPACITY: usize = 5000;

    /// Adds an entry; its text, which quotes outside text (notes, cluster events, images,
    /// webhook answers), passes the text hygiene as one line.
    pub fn push(&mut self, at: Millis, kind: LogKind, text: impl Into<String>) {
        if self.entries.len() == Self::CAPACITY {
            self.entries.pop_front();
        }
        let mut text = text.into();
        if crate::hygiene::has_hazard(&text) {
            text = crate::hygiene::field(&text).into_owned();
        }
        self.entries.push_back(LogEntry { at, kind, text });
        self.appended += 1;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&LogEntry> {
        self.entries.get(index)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + ExactSizeIterator {
        self.entries.iter()
    }

    /// Number of entries ever appended.
    pub fn appended(&self) -> u64 {
        self.appended
    }

    /// Entries appended after the first `seen` ones (those still held).
    pub fn since(&self, seen: u64) -> impl Iterator<Item = &LogEntry> {
        let new = self.appended.saturating_sub(seen) as usize;
        self.entries
            .iter()
            .skip(self.entries.len().saturating_sub(new))
    }
}

//! What the live layer tells the board: a system's releases in a context as now observed, a
//! context lost and found again, a note, an action's result on one row.

use crate::model::Millis;

use super::entry::{Facts, Key};
use super::state::Board;

#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    /// Every release of `kind` (a target prefix: `rollout`) in `context`.
    Releases {
        context: String,
        kind: &'static str,
        facts: Vec<Facts>,
        at: Millis,
    },
    /// The context's API server stopped answering at `since`.
    Unreachable {
        context: String,
        since: Millis,
        why: String,
    },
    /// It answers again: its releases are listed anew.
    Reachable { context: String },
    /// Every watch of every context has its first list.
    Listed,
    /// Something the operator should know, once (`may not list rollouts in every namespace`).
    Note { warn: bool, text: String },
    /// The result of an action on one row.
    Result {
        key: Key,
        result: Result<String, String>,
    },
}

impl Board {
    /// Applies what the live layer observed.
    pub fn apply(&mut self, update: Update) {
        match update {
            Update::Releases {
                context,
                kind,
                facts,
                at,
            } => self.replace(&context, kind, facts, at),
            Update::Unreachable {
                context,
                since,
                why,
            } => self.unreachable(&context, since, why),
            Update::Reachable { context } => self.reachable(&context),
            Update::Listed => self.listed = true,
            Update::Note { warn, text } => self.say(warn, &text),
            Update::Result { key, result } => self.result(key, result),
        }
    }
}

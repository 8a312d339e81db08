//! The post-mortem's Keel votes: each answer an operator gave to a Keel approval from the
//! cockpit, with what Keel said.

use super::labels::{offset_label, utc};
use super::Summary;
use crate::app::Actor;
use crate::hygiene::field;
use crate::model::approval::{Approval, Vote};
use crate::model::Millis;
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeelVoteRecord {
    pub t_ms: i64,
    pub at: String,
    pub who: String,
    /// `deployment/NAMESPACE/NAME:VERSION`.
    pub identifier: String,
    pub version: String,
    pub vote: Vote,
    /// Votes received and required after the vote, as Keel answered.
    pub votes: Option<(u32, u32)>,
    pub ok: bool,
    pub error: Option<String>,
}

impl KeelVoteRecord {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        t_ms: i64,
        t: Millis,
        actor: &Actor,
        identifier: &str,
        version: &str,
        vote: Vote,
        approval: Option<&Approval>,
        error: Option<&str>,
    ) -> KeelVoteRecord {
        KeelVoteRecord {
            t_ms,
            at: utc(t),
            who: actor.to_string(),
            identifier: identifier.to_string(),
            version: version.to_string(),
            vote,
            votes: approval.map(|a| (a.votes_received, a.votes_required)),
            ok: error.is_none(),
            error: error.map(str::to_string),
        }
    }
}

impl Summary {
    /// `Keel votes`, when there were any: `+00:42  alice (alice)  approved 1.5.0 … votes 2/2`.
    pub(super) fn write_keel_votes(&self, out: &mut String) {
        if self.keel_votes.is_empty() {
            return;
        }
        let _ = write!(out, "\nKeel votes\n");
        for v in &self.keel_votes {
            let result = match (&v.error, v.votes) {
                (Some(e), _) => format!("failed: {e}"),
                (None, Some((got, need))) => format!("votes {got}/{need}"),
                (None, None) => "ok".to_string(),
            };
            let _ = writeln!(
                out,
                "  {}  {}  {} {} ({})  {}",
                offset_label(v.t_ms),
                field(&v.who),
                v.vote.done(),
                field(&v.version),
                field(&v.identifier),
                field(&result)
            );
        }
    }
}

//! Keel's approvals of the release's workloads: kept as Keel last told them, each change of
//! votes said once in the event log, the first pending one shown on the gauge.

use super::log::LogKind;
use super::{Actor, App, Confirm, Effect, Event, Level, Mode};
use crate::model::approval::{Approval, Vote};
use crate::model::Millis;

impl App {
    pub(super) fn on_keel(&mut self, at: Millis, approvals: Vec<Approval>) {
        self.now = self.now.max(at);
        for a in &approvals {
            let before = self.keel.iter().find(|b| b.identifier == a.identifier);
            let changed = before.is_none_or(|b| {
                (b.votes_received, b.rejected, &b.voters)
                    != (a.votes_received, a.rejected, &a.voters)
            });
            if changed {
                self.log.push(
                    at,
                    LogKind::Info,
                    format!("{} ({})", a.line(), a.identifier),
                );
            }
        }
        self.keel = approvals;
    }

    /// The approval the gauge shows: the first that still waits for votes.
    pub fn keel_pending(&self) -> Option<&Approval> {
        self.keel.iter().find(|a| a.pending())
    }
}

/// The outcome of a vote, as `Event::KeelVoted` carries it.
struct Voted {
    pub identifier: String,
    pub version: String,
    pub vote: Vote,
    pub actor: Actor,
    pub approval: Option<Approval>,
    pub error: Option<String>,
}

impl App {
    /// `a` / `x`: asks to confirm a vote on the first pending approval.
    pub(super) fn keel_ask(&mut self, vote: Vote) {
        if self.config.read_only {
            self.set_status(Level::Warn, "replay is read-only: votes are cast live");
            return;
        }
        if self.config.no_writes {
            self.set_status(
                Level::Warn,
                "read-only cockpit (--readonly): no vote is cast",
            );
            return;
        }
        let Some(approval) = self.keel_pending().cloned() else {
            self.set_status(Level::Info, "no pending Keel approval to vote on");
            return;
        };
        self.keel_asked = Some(approval);
        self.mode = Mode::Confirm(Confirm::Keel(vote));
    }

    /// The vote was confirmed: Keel is asked beside the loop.
    pub(super) fn keel_vote(&mut self, vote: Vote) -> Vec<Effect> {
        let Some(a) = self.keel_asked.take() else {
            return Vec::new();
        };
        let actor = self.operator();
        self.set_status(
            Level::Info,
            format!(
                "{} {} as {}: asking Keel",
                vote.action(),
                a.new_version,
                actor.voter()
            ),
        );
        vec![Effect::KeelVote {
            identifier: a.identifier,
            version: a.new_version,
            vote,
            actor,
        }]
    }

    /// Keel answered a vote: `approved 1.5.0 as alice: votes 2/2`, or the error in words. The
    /// approval as Keel answered takes the place of the one shown.
    pub(super) fn on_keel_voted(&mut self, event: Event) -> Vec<Effect> {
        let Event::KeelVoted {
            at,
            identifier,
            version,
            vote,
            actor,
            approval,
            error,
        } = event
        else {
            return Vec::new();
        };
        let v = Voted {
            identifier,
            version,
            vote,
            actor,
            approval,
            error,
        };
        self.now = self.now.max(at);
        let voter = v.actor.voter();
        let (kind, level, text) = match (&v.error, &v.approval) {
            (Some(e), _) => (
                LogKind::Error,
                Level::Error,
                format!("{} {} as {voter} failed: {e}", v.vote.action(), v.version),
            ),
            (None, Some(a)) => (
                LogKind::Action,
                Level::Info,
                format!(
                    "{} {} as {voter}: votes {}/{}",
                    v.vote.done(),
                    v.version,
                    a.votes_received,
                    a.votes_required
                ),
            ),
            (None, None) => (
                LogKind::Action,
                Level::Info,
                format!("{} {} as {voter}", v.vote.done(), v.version),
            ),
        };
        self.log
            .push(at, kind, format!("{text} ({})", v.identifier));
        self.set_status(level, text);
        let effects = self.alert_keel_vote(at, &v);
        if let Some(a) = v.approval {
            match self.keel.iter_mut().find(|b| b.identifier == a.identifier) {
                Some(b) => *b = a,
                None => self.keel.push(a),
            }
        }
        effects
    }
}

impl App {
    /// A vote Keel took is told to the team's channels, as the operator's other actions are.
    fn alert_keel_vote(&mut self, at: Millis, v: &Voted) -> Vec<Effect> {
        if v.error.is_some() {
            return Vec::new();
        }
        let votes = v.approval.as_ref().map_or_else(String::new, |a| {
            format!(": votes {}/{}", a.votes_received, a.votes_required)
        });
        self.raise(
            at,
            crate::model::AlertEvent::KeelVote,
            crate::model::Severity::Info,
            format!(
                "{} {} the Keel approval {}{votes}",
                v.actor,
                v.vote.done(),
                v.identifier
            ),
            Some(&v.actor),
        )
    }
}

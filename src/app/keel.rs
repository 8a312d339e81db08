//! Keel's approvals of the release's workloads: kept as Keel last told them, each change of
//! votes said once in the event log, the first pending one shown on the gauge.

use super::log::LogKind;
use super::App;
use crate::model::approval::Approval;
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

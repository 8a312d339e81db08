//! Both judges' view of the canary, refreshed with each metrics sample so the analysis panel
//! shows them side by side ("thresholds: pass · judge: 62/100 marginal") without computing
//! anything while it draws.

use super::App;
use crate::controller::{judge, statistical};
use crate::model::{JudgeReport, Outcome};

/// What each judge makes of the canary now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Judging {
    /// The thresholds over the last interval.
    pub thresholds: Option<Outcome>,
    /// The statistical judge over its window.
    pub report: Option<JudgeReport>,
}

impl App {
    /// Judges the canary with both judges over the samples kept so far.
    pub(super) fn refresh_judging(&mut self, at: crate::model::Millis) {
        if self.history.is_empty() {
            self.judging = Judging::default();
            return;
        }
        let now = self.now.max(at);
        let thresholds = judge::judge_metrics(&self.settings, &self.history, now).outcome;
        let report = statistical::judge(
            &self.settings.statistical,
            &self.history,
            &self.usage.history,
            now,
        );
        self.judging = Judging {
            thresholds: Some(thresholds),
            report: Some(report),
        };
    }
}

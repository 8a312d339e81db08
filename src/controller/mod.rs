//! The release controller: Flagger's analysis and progression as a pure state machine.
//!
//! It reads observations (weight, pods, metrics) and decides what should happen next; it performs no
//! I/O. The app turns its decisions into effects. The demo runs on it, and so does `watch --drive`
//! on a live release whose traffic system has no controller of its own: ingress-nginx, Istio,
//! Gateway API, Traefik or Contour. Argo Rollouts, Flagger and KubeSphere run their own analysis;
//! the cockpit shows it and drives none of them.

pub mod judge;
pub mod statistical;
pub mod stats;

use crate::model::{
    AnalysisSettings, JudgeKind, JudgeReport, JudgeVerdict, MetricsHistory, Millis, Outcome, Phase,
    Plan, PodSet, ResourceHistory, Verdict, Weight,
};

/// The statistical judge's report as a check: a pass passes, a fail fails, and a marginal or
/// inconclusive canary holds its weight.
pub fn statistical_check(report: &JudgeReport) -> judge::Check {
    let outcome = match report.verdict {
        JudgeVerdict::Pass => Outcome::Pass,
        JudgeVerdict::Fail => Outcome::Fail,
        JudgeVerdict::Marginal | JudgeVerdict::Inconclusive => Outcome::Inconclusive,
    };
    judge::Check {
        outcome,
        reason: format!("judge {}: {}", report.summary(), report.reason),
    }
}

/// What the controller wants done after a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Nothing changes (inconclusive, paused, or a failure below the threshold).
    Hold,
    /// Shift traffic to this canary weight.
    SetWeight(Weight),
    /// Max weight reached with a passing check: promote the canary.
    Promote,
    /// Failed checks reached the threshold: roll back automatically.
    Rollback,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    pub step: Step,
}

/// What the controller sees of the release at check time.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub phase: Phase,
    pub paused: bool,
    pub weight: Weight,
    pub pods: &'a PodSet,
    pub history: &'a MetricsHistory,
    /// CPU and memory samples, for the memory check.
    pub resources: &'a ResourceHistory,
    /// Failed checks before this one.
    pub failed_checks: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Controller {
    pub settings: AnalysisSettings,
    pub plan: Plan,
    next_check_at: Option<Millis>,
}

impl Controller {
    pub fn new(settings: AnalysisSettings, plan: Plan) -> Self {
        Self {
            settings,
            plan,
            next_check_at: None,
        }
    }

    /// When the next check is due, once the first observation has arrived.
    pub fn next_check_at(&self) -> Option<Millis> {
        self.next_check_at
    }

    /// Called whenever time moves on. Returns a decision when a check is due.
    pub fn on_time(&mut self, now: Millis, view: View<'_>) -> Option<Decision> {
        let due = *self
            .next_check_at
            .get_or_insert(now.plus_ms(self.settings.interval_ms()));
        if now < due || view.phase.is_final() || view.phase.is_transition() {
            return None;
        }
        self.next_check_at = Some(due.plus_ms(self.settings.interval_ms()).max(now));
        Some(self.check(now, view))
    }

    fn check(&self, now: Millis, view: View<'_>) -> Decision {
        let mut check = match judge::readiness(view.pods) {
            Err(reason) => judge::Check {
                outcome: Outcome::Fail,
                reason,
            },
            Ok(()) if view.weight == Weight::ZERO => judge::Check {
                outcome: Outcome::Pass,
                reason: format!(
                    "canary ready ({}/{} pods)",
                    view.pods.ready_count(crate::model::Side::Canary),
                    view.pods.canary.len()
                ),
            },
            Ok(()) => match self.settings.judge {
                JudgeKind::Threshold => judge::judge_metrics(&self.settings, view.history, now),
                JudgeKind::Statistical => statistical_check(&statistical::judge(
                    &self.settings.statistical,
                    view.history,
                    view.resources,
                    now,
                )),
            },
        };
        if let Some(memory) = judge::judge_memory(&self.settings, view.resources) {
            check.reason = match check.outcome {
                Outcome::Fail => format!("{}, {memory}", check.reason),
                _ => memory,
            };
            check.outcome = Outcome::Fail;
        }
        let failed_checks = view.failed_checks + u32::from(check.outcome == Outcome::Fail);
        let step = match check.outcome {
            Outcome::Fail if failed_checks >= self.settings.threshold => Step::Rollback,
            Outcome::Fail | Outcome::Inconclusive => Step::Hold,
            Outcome::Pass if view.paused => Step::Hold,
            Outcome::Pass => match self.plan.next_above(view.weight) {
                Some(next) => Step::SetWeight(next),
                None => Step::Promote,
            },
        };
        Decision {
            verdict: Verdict {
                at: now,
                outcome: check.outcome,
                reason: check.reason,
                failed_checks,
            },
            step,
        }
    }
}

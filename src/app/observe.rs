//! How observations, action results and the controller's decisions change the state.

use super::{Action, Actor, App, Effect, Event, Level, LogKind, ReleaseOutcome};
use crate::controller::{Step, View};
use crate::model::release::restarts;
use crate::model::{
    AlertEvent, Millis, Outcome, Phase, PodSet, ReleaseSnapshot, RouteChange, Severity, Side,
    Verdict,
};

impl App {
    pub(super) fn on_release(&mut self, at: Millis, release: ReleaseSnapshot) {
        self.touch(at);
        let held = self.held();
        if let Some(prev) = &self.release {
            if prev.weight != release.weight {
                self.log.push(
                    at,
                    LogKind::Weight,
                    format!("weight {}→{}", prev.weight, release.weight),
                );
            }
            // a version scaled to 0 has no pods to read an image from: nothing new about it
            if prev.primary.image != release.primary.image && !release.primary.image.is_empty() {
                self.log.push(
                    at,
                    LogKind::Info,
                    format!("primary now runs {}", release.primary.described()),
                );
            }
            if prev.rules != release.rules {
                let now: Vec<String> = release.rules.iter().map(|r| r.describe()).collect();
                let text = if now.is_empty() {
                    "testers' routes: none; every request follows the weight".to_string()
                } else {
                    format!("testers' routes: {} → canary", now.join(", "))
                };
                self.log.push(at, LogKind::Info, text);
            }
            // a take-over (or its rollback) swaps the sides: the old version is no new canary
            let swapped = prev.primary.name == release.canary.name
                && prev.canary.name == release.primary.name;
            if prev.canary.image != release.canary.image
                && !release.canary.image.is_empty()
                && !swapped
            {
                self.log.push(
                    at,
                    LogKind::Info,
                    format!("new canary {}", release.canary.described()),
                );
            }
        } else {
            self.log.push(
                at,
                LogKind::Info,
                format!(
                    "watching {}/{}: primary {}, canary {}, weight {} %",
                    release.namespace,
                    release.name,
                    release.primary.described(),
                    release.canary.described(),
                    release.weight
                ),
            );
        }
        if let Some(phase) = release.phase {
            self.set_phase(at, phase);
        }
        // a pause recorded on the cluster (by another cockpit or `canary pause`) holds here too
        if let Some(paused) = release.paused.filter(|p| *p != self.paused) {
            self.paused = paused;
            if !paused {
                self.paused_by = None;
            }
            // a controller's phase is its own to report
            match (paused, self.phase, release.phase) {
                (true, Phase::Progressing, None) => self.set_phase(at, Phase::Paused),
                (false, Phase::Paused, None) => self.set_phase(at, Phase::Progressing),
                _ => {}
            }
        }
        self.release = Some(release);
        // whose pause it is, when that changed
        match (held, self.held()) {
            (before, Some(now)) if before.as_ref() != Some(&now) => {
                self.log.push(at, LogKind::Info, now.text);
            }
            (Some(_), None) => self.log.push(at, LogKind::Info, "progression resumed"),
            _ => {}
        }
        self.follow_controller(at);
        self.rebuild_rows();
    }

    pub(super) fn on_pods(&mut self, at: Millis, pods: PodSet) {
        self.touch(at);
        for side in [Side::Primary, Side::Canary] {
            for pod in pods.side(side) {
                let before = self.pods.side(side).iter().find(|p| p.name == pod.name);
                // one line per crash: entering a failing state from a healthy one
                let newly_failing =
                    pod.status.is_failing() && before.is_none_or(|b| !b.status.is_failing());
                if newly_failing {
                    self.log.push(
                        at,
                        LogKind::Error,
                        format!(
                            "{} pod {} {} ({})",
                            side.label(),
                            pod.name,
                            pod.status.label(),
                            restarts(pod.restarts)
                        ),
                    );
                }
            }
        }
        self.pods = pods;
        self.rebuild_rows();
    }

    pub(crate) fn rebuild_rows(&mut self) {
        let (p, c) = self.release.as_ref().map_or(("", ""), |r| {
            (r.primary.name.as_str(), r.canary.name.as_str())
        });
        self.pod_rows = super::rows::build(&self.pods, p, c, &self.pod_filter);
        self.pods_scroll = self.pods_scroll.min(self.pod_rows.len().saturating_sub(1));
    }

    pub(super) fn on_action_result(
        &mut self,
        at: Millis,
        action: Action,
        actor: Actor,
        error: Option<String>,
    ) {
        if let Some(err) = error {
            let text = format!("{actor}: {action} failed: {err}");
            self.log.push(at, LogKind::Error, text.clone());
            self.set_status(Level::Error, text);
            if actor == Actor::Controller && matches!(action, Action::Promote | Action::Rollback) {
                self.set_phase(at, Phase::Failed);
            }
            return;
        }
        if self.await_controller(at, action, &actor) {
            // the controller carries it out: requested until its status says done
            return;
        }
        let by_operator = matches!(actor, Actor::Operator { .. });
        if by_operator || !matches!(action, Action::SetWeight { .. }) {
            self.log
                .push(at, LogKind::Action, format!("{actor}: {action} ok"));
        }
        if by_operator {
            self.set_status(Level::Info, format!("{action}: done"));
        }
        match action {
            Action::SetWeight { .. } | Action::NextStep | Action::Retry => {}
            Action::Pause => {
                self.paused = true;
                self.paused_by = by_operator.then_some(actor);
                if self.phase == Phase::Progressing {
                    self.set_phase(at, Phase::Paused);
                }
            }
            Action::Resume => {
                self.paused = false;
                self.paused_by = None;
                if self.phase == Phase::Paused {
                    self.set_phase(at, Phase::Progressing);
                }
            }
            Action::Promote => self.set_phase(at, Phase::Promoted),
            Action::Rollback => self.set_phase(at, Phase::RolledBack),
        }
    }

    /// A change to the testers' routes was written, or refused.
    pub(super) fn on_route_result(
        &mut self,
        at: Millis,
        change: RouteChange,
        actor: Actor,
        error: Option<String>,
    ) {
        self.now = self.now.max(at);
        match error {
            Some(err) => {
                let text = format!("{actor}: {change} failed: {err}");
                self.log.push(at, LogKind::Error, text.clone());
                self.set_status(Level::Error, text);
            }
            None => {
                self.log
                    .push(at, LogKind::Action, format!("{actor}: {change} ok"));
                self.set_status(Level::Info, format!("{change}: done"));
            }
        }
    }

    pub(super) fn set_phase(&mut self, at: Millis, phase: Phase) {
        if self.phase != phase {
            self.log.push(
                at,
                LogKind::Phase,
                format!("phase {}→{}", self.phase, phase),
            );
            if phase.is_final() {
                // the versions as they were when it ended: a controller may rename them after
                self.ended_from = self
                    .release
                    .as_ref()
                    .map(|r| (r.primary.name.clone(), r.canary.name.clone()));
            }
            self.phase = phase;
        }
        self.outcome = match phase {
            Phase::Promoted => Some(ReleaseOutcome::Promoted),
            Phase::RolledBack => Some(ReleaseOutcome::RolledBack),
            Phase::Failed => Some(ReleaseOutcome::Failed),
            _ => self.outcome,
        };
    }

    /// Time moved on: let the controller check the canary when a check is due.
    pub(super) fn advance(&mut self, at: Millis) -> Vec<Effect> {
        self.now = self.now.max(at);
        self.started_at.get_or_insert(at);
        let Some(release) = &self.release else {
            return Vec::new();
        };
        let Some(controller) = self.controller.as_mut() else {
            return Vec::new();
        };
        if self.analysis_plan.is_none() {
            let started = Event::AnalysisStarted {
                at: self.now,
                settings: controller.settings.clone(),
                plan: controller.plan.clone(),
            };
            self.analysis_plan = Some(controller.plan.clone());
            self.produced.push(started);
        }
        let view = View {
            phase: self.phase,
            paused: self.paused,
            weight: release.weight,
            pods: &self.pods,
            history: &self.history,
            resources: &self.usage.history,
            failed_checks: self.analysis.failed,
        };
        let Some(decision) = controller.on_time(self.now, view) else {
            return Vec::new();
        };
        self.produced.push(Event::Verdict {
            verdict: decision.verdict.clone(),
            step: decision.step,
        });
        self.apply_verdict(decision.verdict, decision.step)
    }

    /// Applies a verdict of the cockpit's analysis: the log line, the totals, and the step it
    /// decided. Live, the effects go to the executor; in replay they are dropped.
    pub(super) fn apply_verdict(&mut self, verdict: Verdict, step: Step) -> Vec<Effect> {
        let threshold = self.settings.threshold;
        let now = verdict.at;
        let counted = match verdict.outcome {
            Outcome::Fail => format!(" {}/{threshold}", verdict.failed_checks),
            _ => String::new(),
        };
        let held = if step == Step::Hold && verdict.outcome == Outcome::Pass {
            " — paused, weight held"
        } else {
            ""
        };
        self.log.push(
            now,
            LogKind::Verdict(verdict.outcome),
            format!(
                "check {} ({}){counted}{held}",
                verdict.outcome.label(),
                verdict.reason
            ),
        );
        let (name, primary, canary) = self.release.as_ref().map_or_else(Default::default, |r| {
            (
                r.name.clone(),
                r.primary.name.clone(),
                r.canary.name.clone(),
            )
        });
        let failed = (verdict.outcome == Outcome::Fail).then(|| verdict.reason.clone());
        self.analysis.record(verdict);
        let act = |action| Effect::Act {
            action,
            actor: Actor::Controller,
        };
        let mut effects = match step {
            Step::Hold => Vec::new(),
            Step::SetWeight(weight) => vec![act(Action::SetWeight { weight })],
            Step::Promote => {
                self.set_phase(now, Phase::Promoting);
                self.log.push(
                    now,
                    LogKind::Info,
                    format!("max weight reached with passing checks: promoting {canary}"),
                );
                vec![act(Action::Promote)]
            }
            Step::Rollback => {
                self.set_phase(now, Phase::RollingBack);
                let reason = format!(
                    "automatic rollback of {canary} to {primary} after {} failed checks (threshold {threshold})",
                    self.analysis.failed
                );
                self.set_status(Level::Error, format!("{name}: {reason}"));
                let mut effects = vec![act(Action::Rollback)];
                effects.extend(self.raise(
                    now,
                    AlertEvent::AutomaticRollback,
                    Severity::Error,
                    reason,
                    None,
                ));
                return effects;
            }
        };
        if let Some(reason) = failed {
            effects.extend(self.alert_check(now, &reason));
        }
        effects
    }
}

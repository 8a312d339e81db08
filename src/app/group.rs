//! A group of releases in one cockpit: one [`App`] per member, the group's plan between their
//! own analysis and the executor, and one event log for the group.
//!
//! Each member's app judges its own canary as alone. What its controller asks for (the next
//! weight, a promotion, a rollback) goes to the group's plan instead of the executor; the plan
//! answers with the writes the group makes, in order, as the controller's actions on that
//! member. Everything else a member asks for (alerts, testers' routes, an operator's action
//! on a focused member) goes to the executor as it would alone.

use super::{Action, Actor, App, Effect, Event, EventLog, LogKind, ReleaseOutcome};
use crate::group::{
    Command, GroupAction, GroupPhase, GroupPlan, GroupVerdict, MemberState, MemberVerdict, Report,
    Step,
};
use crate::model::{Millis, Phase, PodStatus, Side};

/// One member: its name and its cockpit.
#[derive(Clone, Debug)]
pub struct GroupMember {
    pub name: String,
    pub app: App,
    /// Entries of its log already copied into the group's.
    copied: u64,
    /// When the cockpit first saw it promoted: its take-over has rolled out once every primary
    /// pod is one made since, and ready.
    promoted_at: Option<Millis>,
}

/// The group's cockpit state.
#[derive(Clone, Debug)]
pub struct GroupApp {
    pub plan: GroupPlan,
    /// In promotion order, as the plan has them.
    pub members: Vec<GroupMember>,
    /// The group's event log: the members' entries, each named, and the group's own.
    pub log: EventLog,
    pub now: Millis,
    pub started_at: Option<Millis>,
    /// The member whose full cockpit is shown (`Tab`), if any.
    pub focus: Option<usize>,
    pub should_quit: bool,
    /// The member `Tab` opens and `j`/`k` move.
    pub selected: usize,
    /// A promotion or rollback of the group waiting for its `y`.
    pub confirm: Option<super::group_keys::GroupConfirm>,
    /// The footer's message of the moment.
    pub status: Option<String>,
    /// The group's end has removed the testers' rules.
    routes_cleared: bool,
    /// The writes the group asked for whose results have not come back.
    pending: Vec<(usize, Action)>,
    /// What the members' cockpits produced, for the recorder, with their member.
    produced: Vec<(usize, Event)>,
}

impl GroupApp {
    pub fn new(plan: GroupPlan, members: Vec<(String, App)>) -> Self {
        Self {
            plan,
            members: members
                .into_iter()
                .map(|(name, app)| GroupMember {
                    name,
                    app,
                    copied: 0,
                    promoted_at: None,
                })
                .collect(),
            log: EventLog::default(),
            now: Millis(0),
            started_at: None,
            focus: None,
            should_quit: false,
            selected: 0,
            confirm: None,
            status: None,
            routes_cleared: false,
            pending: Vec::new(),
            produced: Vec::new(),
        }
    }

    /// One member's event: its cockpit sees it, the group's plan hears what it asks for and how
    /// it stands; returns the writes to perform, each with its member, in order.
    pub fn update(&mut self, member: usize, event: Event) -> Vec<(usize, Effect)> {
        let Some(m) = self.members.get_mut(member) else {
            return Vec::new();
        };
        if let Some(at) = event.at() {
            self.now = self.now.max(at);
            self.started_at.get_or_insert(at);
        }
        let refused = match &event {
            Event::ActionResult { action, error, .. } => {
                let ours = self.pending.iter().position(|p| *p == (member, *action));
                ours.map(|i| self.pending.remove(i))
                    .and(error.clone().map(|e| (*action, e)))
            }
            _ => None,
        };
        let effects = m.app.update(event);
        if m.app.phase == Phase::Promoted && m.promoted_at.is_none() {
            m.promoted_at = Some(m.app.now);
        }
        let mut step = Step::default();
        for ev in m.app.take_produced() {
            if let Event::Verdict { verdict, .. } = &ev {
                if verdict.outcome != crate::model::Outcome::Pass {
                    step.extend(self.plan.report(member, Report::Holds));
                }
            }
            self.produced.push((member, ev));
        }
        let mut out = Vec::new();
        for effect in effects {
            let asked = match &effect {
                Effect::Act {
                    action,
                    actor: Actor::Controller,
                } => Some(*action),
                _ => None,
            };
            let report = match asked {
                Some(Action::SetWeight { weight }) => Some(Report::WantsStep { to: weight }),
                Some(Action::Promote) => Some(Report::WantsPromote),
                Some(Action::Rollback) => Some(Report::Failed {
                    reason: self.failed_checks(member),
                }),
                _ => None,
            };
            match report {
                Some(report) => {
                    // the group decides when: nothing is in flight for this member meanwhile
                    self.members[member].app.in_flight = None;
                    step.extend(self.plan.report(member, report));
                }
                None => out.push((member, effect)),
            }
        }
        if let Some((action, error)) = refused {
            if let Some(action) = group_action(action) {
                step.extend(self.plan.refused(member, action, &error));
            }
        }
        step.extend(self.plan.observe(member, self.state_of(member)));
        self.copy_log(member);
        out.extend(self.perform(step));
        // the end of the group removes the testers' rules the cockpit wrote, on every member
        if self.plan.phase.is_final() && !self.routes_cleared {
            self.routes_cleared = true;
            out.extend(self.clear_routes("the group has ended"));
        }
        out
    }

    /// The writes and notes of a plan's step: notes to the group log, writes as the
    /// controller's actions on their members.
    pub(super) fn perform(&mut self, step: Step) -> Vec<(usize, Effect)> {
        for note in step.notes {
            self.log.push(self.now, LogKind::Phase, note);
        }
        step.commands
            .into_iter()
            .map(|Command { member, action }| {
                let action = app_action(action);
                self.pending.push((member, action));
                (
                    member,
                    Effect::Act {
                        action,
                        actor: Actor::Controller,
                    },
                )
            })
            .collect()
    }

    /// `5 failed checks (threshold 5): error rate 14 % > 1 %`.
    fn failed_checks(&self, member: usize) -> String {
        let app = &self.members[member].app;
        let last = app
            .analysis
            .last()
            .map(|v| format!(": {}", v.reason))
            .unwrap_or_default();
        format!(
            "{} failed checks (threshold {}){last}",
            app.analysis.failed, app.settings.threshold
        )
    }

    /// How a member stands, for the plan.
    fn state_of(&self, member: usize) -> MemberState {
        let m = &self.members[member];
        let app = &m.app;
        let controller = app.release.as_ref().and_then(|r| r.controller.as_deref());
        let primary = app.pods.side(Side::Primary);
        let rolled_out = m.promoted_at.is_some_and(|since| {
            !primary.is_empty()
                && primary
                    .iter()
                    .all(|p| p.ready && p.status != PodStatus::Terminating && p.created_at >= since)
        });
        MemberState {
            phase: app.phase,
            weight: app.weight(),
            position: controller.and_then(|c| c.current_step),
            holding: controller.is_some_and(|c| c.hold.is_some()) || app.paused,
            rolled_out,
        }
    }

    fn copy_log(&mut self, member: usize) {
        let m = &mut self.members[member];
        for entry in m.app.log.since(m.copied) {
            self.log
                .push(entry.at, entry.kind, format!("{}: {}", m.name, entry.text));
        }
        m.copied = m.app.log.appended();
    }

    /// Takes what the members' cockpits produced since the last call, with their member.
    pub fn take_produced(&mut self) -> Vec<(usize, Event)> {
        std::mem::take(&mut self.produced)
    }

    /// How the group ended, once it has.
    pub fn outcome(&self) -> Option<ReleaseOutcome> {
        match self.plan.phase {
            GroupPhase::Promoted => Some(ReleaseOutcome::Promoted),
            GroupPhase::RolledBack | GroupPhase::Mixed => Some(ReleaseOutcome::RolledBack),
            GroupPhase::Failed => Some(ReleaseOutcome::Failed),
            _ => None,
        }
    }

    /// Each member's verdict and the group's.
    pub fn verdicts(&self) -> (Vec<MemberVerdict>, GroupVerdict) {
        let rows: Vec<MemberVerdict> = self
            .members
            .iter()
            .zip(&self.plan.members)
            .map(|(m, p)| MemberVerdict {
                name: m.name.clone(),
                last: m.app.analysis.last().map(|v| v.outcome),
                failed_checks: m.app.analysis.failed,
                threshold: m.app.settings.threshold,
                failure: p.failure.clone(),
            })
            .collect();
        let verdict = GroupVerdict::of(&rows);
        (rows, verdict)
    }

    pub fn elapsed_ms(&self) -> i64 {
        self.started_at.map_or(0, |s| self.now.since(s))
    }
}

fn app_action(action: GroupAction) -> Action {
    match action {
        GroupAction::SetWeight(weight) => Action::SetWeight { weight },
        GroupAction::Pause => Action::Pause,
        GroupAction::Resume => Action::Resume,
        GroupAction::Promote => Action::Promote,
        GroupAction::Rollback => Action::Rollback,
    }
}

fn group_action(action: Action) -> Option<GroupAction> {
    Some(match action {
        Action::SetWeight { weight } => GroupAction::SetWeight(weight),
        Action::Pause => GroupAction::Pause,
        Action::Resume => GroupAction::Resume,
        Action::Promote => GroupAction::Promote,
        Action::Rollback => GroupAction::Rollback,
        Action::NextStep | Action::Retry => return None,
    })
}

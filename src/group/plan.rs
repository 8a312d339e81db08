//! The group's plan: step and set the weight together, pause and resume all, promote in order
//! (each member fully rolled out before the next), roll back in reverse order; what a failing
//! member does to the others is the policy's ([`super::GroupPolicy`]).
//!
//! Pure: members report what their own analysis wants ([`Report`]) and how they stand
//! ([`MemberState`]); each call answers with the writes to make, in order, and the lines for
//! the group's event log ([`Step`]). Members whose controller owns the weight (Argo Rollouts,
//! Flagger) follow their own steps; the group's next step waits until each of them has moved
//! on from its last one and is not holding at a pause.

use super::{GroupPhase, GroupPolicy};
use crate::model::{Phase, Weight};
use std::collections::VecDeque;

/// A write the group asks of one member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupAction {
    SetWeight(Weight),
    Pause,
    Resume,
    Promote,
    Rollback,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    pub member: usize,
    pub action: GroupAction,
}

/// What a member's own analysis asks of the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// Its check passed: it would go on to `to`.
    WantsStep { to: Weight },
    /// Its check passed at its max weight: it would be promoted.
    WantsPromote,
    /// Its check did not pass: it stays where it is, and what it asked before is void.
    Holds,
    /// It failed: its checks reached the threshold, its write was refused, or its controller
    /// aborted.
    Failed { reason: String },
}

/// How a member stands, as last observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberState {
    pub phase: Phase,
    pub weight: Weight,
    /// Its own controller's steps done (Argo Rollouts, Flagger).
    pub position: Option<usize>,
    /// Its own controller holds at a pause step.
    pub holding: bool,
    /// After a promotion: the primary runs the new version, every pod ready.
    pub rolled_out: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Want {
    Step(Weight),
    Promote,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MemberPlan {
    pub name: String,
    pub owns_weight: bool,
    pub(super) want: Option<Want>,
    /// It took traffic (or changed) during the release: a rollback of the group includes it.
    pub moved: bool,
    pub state: Option<MemberState>,
    /// Why it failed, once it did.
    pub failure: Option<String>,
    /// Its own controller's position at the group's last step.
    pub(super) mark: Option<usize>,
}

impl MemberPlan {
    pub(super) fn phase(&self) -> Option<Phase> {
        self.state.map(|s| s.phase)
    }

    /// Still in the release: not failed and not ended.
    pub(super) fn active(&self) -> bool {
        self.failure.is_none() && !self.phase().is_some_and(Phase::is_final)
    }
}

/// What one call decided: the writes to make, in order, and the group log's lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub commands: Vec<Command>,
    pub notes: Vec<String>,
}

impl Step {
    pub(super) fn act(&mut self, member: usize, action: GroupAction) {
        self.commands.push(Command { member, action });
    }

    pub fn extend(&mut self, other: Step) {
        self.commands.extend(other.commands);
        self.notes.extend(other.notes);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flow {
    Promote,
    Rollback,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupPlan {
    pub name: String,
    pub policy: GroupPolicy,
    /// In promotion order.
    pub members: Vec<MemberPlan>,
    pub phase: GroupPhase,
    /// Group steps taken.
    pub steps: usize,
    pub(super) flow: Option<Flow>,
    pub(super) queue: VecDeque<usize>,
    pub(super) current: Option<usize>,
    pub(super) cause: String,
    /// A rollback write failed.
    pub(super) broken: bool,
}

impl GroupPlan {
    /// `members`: name and whether its controller owns the weight, in promotion order.
    pub fn new(name: &str, policy: GroupPolicy, members: &[(String, bool)]) -> Self {
        Self {
            name: name.to_string(),
            policy,
            members: members
                .iter()
                .map(|(name, owns)| MemberPlan {
                    name: name.clone(),
                    owns_weight: *owns,
                    want: None,
                    moved: false,
                    state: None,
                    failure: None,
                    mark: None,
                })
                .collect(),
            phase: GroupPhase::Progressing,
            steps: 0,
            flow: None,
            queue: VecDeque::new(),
            current: None,
            cause: String::new(),
            broken: false,
        }
    }

    /// The member promoted or rolled back right now, if any.
    pub fn current(&self) -> Option<usize> {
        self.current
    }

    /// What a member's analysis asks for.
    pub fn report(&mut self, member: usize, report: Report) -> Step {
        let Some(m) = self.members.get_mut(member) else {
            return Step::default();
        };
        match report {
            Report::Failed { reason } => self.fail(member, reason),
            _ if !m.active() || self.phase.is_final() => Step::default(),
            Report::WantsStep { to } => {
                m.want = Some(Want::Step(to));
                self.try_step()
            }
            Report::Holds => {
                m.want = None;
                Step::default()
            }
            Report::WantsPromote => {
                m.want = Some(Want::Promote);
                self.try_step()
            }
        }
    }

    /// A member's newest observation.
    pub fn observe(&mut self, member: usize, state: MemberState) -> Step {
        let Some(m) = self.members.get_mut(member) else {
            return Step::default();
        };
        let before = m.phase();
        m.state = Some(state);
        if m.mark.is_none() {
            m.mark = state.position;
        }
        if state.weight > Weight::ZERO {
            m.moved = true;
        }
        let name = m.name.clone();
        let mut step = Step::default();
        if self.current == Some(member) {
            match (self.flow, state.phase) {
                (Some(Flow::Promote), Phase::Promoted) if state.rolled_out => {
                    step.notes.push(format!("{name} promoted and rolled out"));
                    step.extend(self.next_in_flow());
                }
                (Some(Flow::Promote), Phase::RolledBack | Phase::Failed) => {
                    step.extend(self.fail(
                        member,
                        format!("{name} ended {} while promoted", state.phase),
                    ));
                }
                (Some(Flow::Rollback), Phase::RolledBack | Phase::Failed) => {
                    step.notes.push(format!("{name} rolled back"));
                    step.extend(self.next_in_flow());
                }
                _ => {}
            }
            return step;
        }
        let m = &self.members[member];
        let ended_alone = matches!(state.phase, Phase::RolledBack | Phase::Failed)
            && before != Some(state.phase)
            && m.failure.is_none()
            && !self.queue.contains(&member);
        if ended_alone {
            return self.fail(member, format!("its controller ended it {}", state.phase));
        }
        step.extend(self.try_step());
        step
    }

    /// A write the group asked for failed: a refused or conflicting write fails the member.
    pub fn refused(&mut self, member: usize, action: GroupAction, error: &str) -> Step {
        let Some(m) = self.members.get_mut(member) else {
            return Step::default();
        };
        let name = m.name.clone();
        if action == GroupAction::Rollback {
            self.broken = true;
            m.failure
                .get_or_insert_with(|| format!("its rollback failed: {error}"));
            let mut step = Step::default();
            step.notes.push(format!(
                "rollback of {name} failed: {error}; look at it by hand"
            ));
            if self.current == Some(member) {
                step.extend(self.next_in_flow());
            }
            return step;
        }
        let what = match action {
            GroupAction::SetWeight(w) => format!("set weight {w} %"),
            GroupAction::Pause => "pause".to_string(),
            GroupAction::Resume => "resume".to_string(),
            GroupAction::Promote => "promote".to_string(),
            GroupAction::Rollback => "roll back".to_string(),
        };
        self.fail(member, format!("{what} refused: {error}"))
    }

    /// Moves the members together when each has reached the group's step.
    pub(super) fn try_step(&mut self) -> Step {
        if self.phase != GroupPhase::Progressing || self.flow.is_some() {
            return Step::default();
        }
        let active: Vec<usize> = (0..self.members.len())
            .filter(|&i| self.members[i].active())
            .collect();
        if active.is_empty() {
            return self.finish();
        }
        let owners_ready = active.iter().all(|&i| {
            let m = &self.members[i];
            !m.owns_weight
                || m.state.is_some_and(|s| {
                    !s.holding && s.position.zip(m.mark).is_some_and(|(p, mark)| p > mark)
                })
        });
        let owners_done = active.iter().all(|&i| {
            let m = &self.members[i];
            !m.owns_weight || m.phase().is_some_and(|p| p == Phase::Promoting)
        });
        let wants: Vec<(usize, Option<Want>)> = active
            .iter()
            .filter(|&&i| !self.members[i].owns_weight)
            .map(|&i| (i, self.members[i].want))
            .collect();
        if wants.iter().any(|(_, w)| w.is_none()) {
            return Step::default();
        }
        if wants.iter().all(|(_, w)| *w == Some(Want::Promote)) && owners_done {
            return self.promote();
        }
        if !owners_ready || wants.iter().all(|(_, w)| *w == Some(Want::Promote)) {
            return Step::default();
        }
        let mut step = Step::default();
        let mut moves = Vec::new();
        for (i, want) in wants {
            if let Some(Want::Step(to)) = want {
                step.act(i, GroupAction::SetWeight(to));
                moves.push(format!("{} {to} %", self.members[i].name));
                self.members[i].want = None;
            }
        }
        for &i in &active {
            let m = &mut self.members[i];
            if m.owns_weight {
                m.mark = m.state.and_then(|s| s.position);
                moves.push(format!("{} on its own steps", m.name));
            }
        }
        self.steps += 1;
        step.notes
            .push(format!("group step {}: {}", self.steps, moves.join(" · ")));
        step
    }

    /// The operator sets the weight of every member whose weight the cockpit writes.
    pub fn set_weight(&mut self, weight: Weight) -> Result<Step, String> {
        if self.flow.is_some() || self.phase.is_final() {
            return Err(format!("the group is {}: the weight stays", self.phase));
        }
        let mut step = Step::default();
        let mut moves = Vec::new();
        let mut own = Vec::new();
        for (i, m) in self.members.iter_mut().enumerate() {
            if !m.active() {
                continue;
            }
            if m.owns_weight {
                own.push(m.name.clone());
                continue;
            }
            m.want = None;
            step.act(i, GroupAction::SetWeight(weight));
            moves.push(format!("{} {weight} %", m.name));
        }
        let mut line = moves.join(" · ");
        if !own.is_empty() {
            line.push_str(&format!(
                "; {} follow their controller's steps",
                own.join(", ")
            ));
        }
        step.notes.push(line);
        Ok(step)
    }

    /// Pauses (`true`) or resumes every member still in the release.
    pub fn pause(&mut self, pause: bool) -> Result<Step, String> {
        let (from, to, action) = if pause {
            (
                GroupPhase::Progressing,
                GroupPhase::Paused,
                GroupAction::Pause,
            )
        } else {
            (
                GroupPhase::Paused,
                GroupPhase::Progressing,
                GroupAction::Resume,
            )
        };
        if self.phase != from {
            return Err(format!("the group is {}", self.phase));
        }
        self.phase = to;
        let mut step = Step::default();
        for i in 0..self.members.len() {
            if self.members[i].active() {
                step.act(i, action);
            }
        }
        step.notes.push(format!(
            "group {} ({} members)",
            if pause { "paused" } else { "resumed" },
            step.commands.len()
        ));
        if !pause {
            step.extend(self.try_step());
        }
        Ok(step)
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;

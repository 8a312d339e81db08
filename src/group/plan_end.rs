//! How the group ends: promotion in order, rollback in reverse order, a failing member and the
//! policy, and the final phase.

use super::plan::{Flow, GroupAction, GroupPlan, Step};
use super::{GroupPhase, GroupPolicy};
use crate::model::Phase;

impl GroupPlan {
    /// Promotes every member still in the release, in order: each fully rolled out before the
    /// next starts.
    pub fn promote(&mut self) -> Step {
        if self.flow.is_some() || self.phase.is_final() {
            return Step::default();
        }
        self.flow = Some(Flow::Promote);
        self.queue = (0..self.members.len())
            .filter(|&i| self.members[i].active())
            .collect();
        let order: Vec<&str> = self
            .queue
            .iter()
            .map(|&i| self.members[i].name.as_str())
            .collect();
        let mut step = Step::default();
        step.notes.push(format!(
            "group promotes in order: {}",
            order.join(", then ")
        ));
        step.extend(self.next_in_flow());
        step
    }

    /// Rolls every member that moved back, in reverse order (the operator's `R`, whatever the
    /// policy).
    pub fn rollback(&mut self, cause: &str) -> Step {
        if self.phase.is_final() || self.flow == Some(Flow::Rollback) {
            return Step::default();
        }
        self.roll_back_all(cause, None)
    }

    /// A member failed: the policy decides what the others do.
    pub(super) fn fail(&mut self, member: usize, reason: String) -> Step {
        let m = &mut self.members[member];
        if m.failure.is_some() {
            return Step::default();
        }
        m.failure = Some(reason.clone());
        m.want = None;
        let name = m.name.clone();
        let needs_rollback = !m.phase().is_some_and(Phase::is_final);
        let mut step = Step::default();
        step.notes.push(format!("{name} failed: {reason}"));
        if self.flow == Some(Flow::Rollback) {
            if needs_rollback && self.current != Some(member) && !self.queue.contains(&member) {
                self.queue.push_back(member);
            }
            return step;
        }
        match self.policy {
            GroupPolicy::Independent => {
                if needs_rollback {
                    step.act(member, GroupAction::Rollback);
                }
                let others: Vec<&str> = self
                    .members
                    .iter()
                    .filter(|m| m.active())
                    .map(|m| m.name.as_str())
                    .collect();
                if !others.is_empty() {
                    let verb = if others.len() == 1 { "goes" } else { "go" };
                    step.notes.push(format!(
                        "independent: {name} rolls back alone; {} {verb} on",
                        others.join(", ")
                    ));
                }
                if self.current == Some(member) {
                    step.extend(self.next_in_flow());
                } else if self.flow.is_none() {
                    step.extend(self.try_step());
                }
                step
            }
            GroupPolicy::AllOrNone => {
                step.extend(self.roll_back_all(&format!("{name} failed"), Some(member)));
                step
            }
        }
    }

    fn roll_back_all(&mut self, cause: &str, failing: Option<usize>) -> Step {
        let mut step = Step::default();
        let mut queue = Vec::new();
        for i in (0..self.members.len()).rev() {
            let m = &self.members[i];
            let promoting =
                self.flow == Some(Flow::Promote) && self.current == Some(i) && failing != Some(i);
            match m.phase() {
                Some(Phase::Promoted) => {
                    step.notes
                        .push(format!("{} stays promoted: it was before {cause}", m.name));
                }
                _ if promoting => {
                    step.notes.push(format!(
                        "{} stays promoted: its promotion was under way",
                        m.name
                    ));
                }
                Some(p) if p.is_final() => {}
                _ if m.moved || failing == Some(i) || failing.is_none() => queue.push(i),
                _ => {}
            }
        }
        self.flow = Some(Flow::Rollback);
        self.current = None;
        self.cause = cause.to_string();
        let order: Vec<&str> = queue
            .iter()
            .map(|&i| self.members[i].name.as_str())
            .collect();
        if !order.is_empty() {
            step.notes.push(format!(
                "group stops ({cause}): rolling back {}",
                order.join(", then ")
            ));
        }
        self.queue = queue.into();
        step.extend(self.next_in_flow());
        step
    }

    /// The next member of the promotion or the rollback, or the group's end.
    pub(super) fn next_in_flow(&mut self) -> Step {
        let mut step = Step::default();
        let Some(flow) = self.flow else {
            return step;
        };
        while let Some(i) = self.queue.pop_front() {
            let m = &self.members[i];
            let skip = match flow {
                Flow::Promote => !m.active(),
                Flow::Rollback => m.phase().is_some_and(Phase::is_final),
            };
            if skip {
                continue;
            }
            let name = m.name.clone();
            self.current = Some(i);
            self.phase = match flow {
                Flow::Promote => GroupPhase::Promoting { member: name },
                Flow::Rollback => GroupPhase::RollingBack {
                    member: name,
                    cause: self.cause.clone(),
                },
            };
            step.act(
                i,
                match flow {
                    Flow::Promote => GroupAction::Promote,
                    Flow::Rollback => GroupAction::Rollback,
                },
            );
            return step;
        }
        self.current = None;
        self.flow = None;
        step.extend(self.finish());
        step
    }

    /// The group's end, once nothing is under way: its phase from its members'.
    pub(super) fn finish(&mut self) -> Step {
        let mut step = Step::default();
        if self.phase.is_final() {
            return step;
        }
        let promoted = self
            .members
            .iter()
            .filter(|m| m.phase() == Some(Phase::Promoted))
            .count();
        let phase = if self.broken
            || self
                .members
                .iter()
                .any(|m| m.phase() == Some(Phase::Failed))
        {
            GroupPhase::Failed
        } else if promoted == self.members.len() {
            GroupPhase::Promoted
        } else if promoted == 0 {
            GroupPhase::RolledBack
        } else {
            GroupPhase::Mixed
        };
        step.notes.push(format!("group {}", phase.label()));
        self.phase = phase;
        step
    }
}

use super::*;
use crate::group::GroupPhase;

fn w(p: u8) -> Weight {
    Weight::new(p).unwrap()
}

fn state(phase: Phase, weight: u8) -> MemberState {
    MemberState {
        phase,
        weight: w(weight),
        position: None,
        holding: false,
        rolled_out: false,
    }
}

/// backend (0) then frontend (1), both weighted by the cockpit.
fn pair(policy: GroupPolicy) -> GroupPlan {
    let mut plan = GroupPlan::new(
        "shop",
        policy,
        &[("backend".into(), false), ("frontend".into(), false)],
    );
    plan.observe(0, state(Phase::Progressing, 0));
    plan.observe(1, state(Phase::Progressing, 0));
    plan
}

fn cmd(member: usize, action: GroupAction) -> Command {
    Command { member, action }
}

#[test]
fn the_group_steps_when_every_member_wants_to() {
    let mut plan = pair(GroupPolicy::AllOrNone);
    let first = plan.report(0, Report::WantsStep { to: w(5) });
    assert!(first.commands.is_empty(), "frontend has not passed yet");
    let both = plan.report(1, Report::WantsStep { to: w(5) });
    assert_eq!(
        both.commands,
        [
            cmd(0, GroupAction::SetWeight(w(5))),
            cmd(1, GroupAction::SetWeight(w(5)))
        ]
    );
    assert_eq!(both.notes, ["group step 1: backend 5 % · frontend 5 %"]);
    // a member whose next check does not pass voids what it asked before
    plan.report(1, Report::WantsStep { to: w(10) });
    plan.report(1, Report::Holds);
    assert!(plan
        .report(0, Report::WantsStep { to: w(10) })
        .commands
        .is_empty());
    plan.report(0, Report::Holds);
    // the wants were spent: one more pass alone moves nothing
    assert!(plan
        .report(0, Report::WantsStep { to: w(10) })
        .commands
        .is_empty());
}

#[test]
fn promotion_goes_in_order_each_rolled_out_before_the_next() {
    let mut plan = pair(GroupPolicy::AllOrNone);
    plan.observe(0, state(Phase::Progressing, 50));
    plan.observe(1, state(Phase::Progressing, 50));
    plan.report(1, Report::WantsPromote);
    let s = plan.report(0, Report::WantsPromote);
    assert_eq!(s.commands, [cmd(0, GroupAction::Promote)]);
    assert_eq!(
        s.notes[0],
        "group promotes in order: backend, then frontend"
    );
    assert_eq!(
        plan.phase,
        GroupPhase::Promoting {
            member: "backend".into()
        }
    );
    // promoted but its new primary is still rolling out: the frontend waits
    assert!(plan
        .observe(0, state(Phase::Promoted, 0))
        .commands
        .is_empty());
    let done = MemberState {
        rolled_out: true,
        ..state(Phase::Promoted, 0)
    };
    assert_eq!(
        plan.observe(0, done).commands,
        [cmd(1, GroupAction::Promote)]
    );
    plan.observe(1, state(Phase::Promoted, 0));
    let end = plan.observe(1, done);
    assert_eq!(
        end.notes,
        ["frontend promoted and rolled out", "group Promoted"]
    );
    assert_eq!(plan.phase, GroupPhase::Promoted);
}

#[test]
fn all_or_none_rolls_back_the_frontend_first_when_the_backend_fails() {
    let mut plan = pair(GroupPolicy::AllOrNone);
    plan.observe(0, state(Phase::Progressing, 10));
    plan.observe(1, state(Phase::Progressing, 10));
    plan.observe(0, state(Phase::RollingBack, 10));
    let s = plan.report(
        0,
        Report::Failed {
            reason: "5 failed checks".into(),
        },
    );
    assert_eq!(s.commands, [cmd(1, GroupAction::Rollback)]);
    assert_eq!(
        s.notes,
        [
            "backend failed: 5 failed checks",
            "group stops (backend failed): rolling back frontend, then backend"
        ]
    );
    let next = plan.observe(1, state(Phase::RolledBack, 0));
    assert_eq!(next.commands, [cmd(0, GroupAction::Rollback)]);
    let end = plan.observe(0, state(Phase::RolledBack, 0));
    assert_eq!(end.notes, ["backend rolled back", "group RolledBack"]);
    assert_eq!(plan.phase, GroupPhase::RolledBack);
}

#[test]
fn a_conflict_on_the_second_member_rolls_back_the_first_unless_independent() {
    let mut plan = pair(GroupPolicy::AllOrNone);
    plan.observe(0, state(Phase::Progressing, 20));
    let s = plan.refused(1, GroupAction::SetWeight(w(20)), "409 Conflict");
    // the failing member first (it may hold a canary), then the one that moved
    assert_eq!(s.commands, [cmd(1, GroupAction::Rollback)]);
    assert_eq!(
        s.notes[0],
        "frontend failed: set weight 20 % refused: 409 Conflict"
    );
    let next = plan.observe(1, state(Phase::RolledBack, 0));
    assert_eq!(next.commands, [cmd(0, GroupAction::Rollback)]);

    let mut plan = pair(GroupPolicy::Independent);
    plan.observe(0, state(Phase::Progressing, 20));
    let s = plan.refused(1, GroupAction::SetWeight(w(20)), "409 Conflict");
    assert_eq!(s.commands, [cmd(1, GroupAction::Rollback)]);
    assert_eq!(
        s.notes[1],
        "independent: frontend rolls back alone; backend goes on"
    );
    // the backend goes on alone
    let alone = plan.report(0, Report::WantsStep { to: w(50) });
    assert_eq!(alone.commands, [cmd(0, GroupAction::SetWeight(w(50)))]);
}

#[test]
fn a_promoted_member_stays_when_the_next_fails() {
    let mut plan = pair(GroupPolicy::AllOrNone);
    plan.observe(0, state(Phase::Progressing, 50));
    plan.observe(1, state(Phase::Progressing, 50));
    plan.promote();
    let done = MemberState {
        rolled_out: true,
        ..state(Phase::Promoted, 0)
    };
    plan.observe(0, done);
    let s = plan.refused(1, GroupAction::Promote, "admission webhook said no");
    assert_eq!(s.commands, [cmd(1, GroupAction::Rollback)]);
    assert!(
        s.notes
            .iter()
            .any(|n| n.starts_with("backend stays promoted")),
        "{s:?}"
    );
    plan.observe(1, state(Phase::RolledBack, 0));
    assert_eq!(plan.phase, GroupPhase::Mixed);
}

#[test]
fn an_owner_of_its_weight_holds_the_group_at_its_pause_step() {
    let mut plan = GroupPlan::new(
        "shop",
        GroupPolicy::AllOrNone,
        &[("backend".into(), true), ("frontend".into(), false)],
    );
    let argo = |position, holding| MemberState {
        position: Some(position),
        holding,
        ..state(Phase::Progressing, 20)
    };
    plan.observe(0, argo(0, false));
    plan.observe(1, state(Phase::Progressing, 0));
    assert!(plan
        .report(1, Report::WantsStep { to: w(20) })
        .commands
        .is_empty());
    // at its pause step: the frontend still waits
    assert!(plan.observe(0, argo(1, true)).commands.is_empty());
    let s = plan.observe(0, argo(2, false));
    assert_eq!(s.commands, [cmd(1, GroupAction::SetWeight(w(20)))]);
    assert_eq!(
        s.notes,
        ["group step 1: frontend 20 % · backend on its own steps"]
    );
    // the operator's weight skips the owner and says so
    let set = plan.set_weight(w(30)).unwrap();
    assert_eq!(set.commands, [cmd(1, GroupAction::SetWeight(w(30)))]);
    assert_eq!(
        set.notes,
        ["frontend 30 %; backend follow their controller's steps"]
    );
}

#[test]
fn pause_and_resume_reach_every_member_and_the_operator_rolls_back_in_reverse() {
    let mut plan = pair(GroupPolicy::Independent);
    let p = plan.pause(true).unwrap();
    assert_eq!(
        p.commands,
        [cmd(0, GroupAction::Pause), cmd(1, GroupAction::Pause)]
    );
    assert!(plan.pause(true).is_err());
    let r = plan.pause(false).unwrap();
    assert_eq!(
        r.commands,
        [cmd(0, GroupAction::Resume), cmd(1, GroupAction::Resume)]
    );
    let back = plan.rollback("operator");
    assert_eq!(back.commands, [cmd(1, GroupAction::Rollback)]);
    assert_eq!(
        back.notes,
        ["group stops (operator): rolling back frontend, then backend"]
    );
}

#[test]
fn a_member_its_controller_aborts_fails_the_group() {
    let mut plan = pair(GroupPolicy::AllOrNone);
    plan.observe(0, state(Phase::Progressing, 20));
    plan.observe(1, state(Phase::Progressing, 20));
    let s = plan.observe(0, state(Phase::RolledBack, 0));
    assert_eq!(s.commands, [cmd(1, GroupAction::Rollback)]);
    assert_eq!(
        s.notes[0],
        "backend failed: its controller ended it RolledBack"
    );
    let failed = plan.refused(1, GroupAction::Rollback, "forbidden");
    assert!(failed.notes[0].starts_with("rollback of frontend failed: forbidden"));
    assert_eq!(plan.phase, GroupPhase::Failed);
}

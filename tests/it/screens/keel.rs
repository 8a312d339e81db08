//! Keel's approvals on the gauge: the first pending approval of the release's workloads, its
//! votes and deadline; once approved it leaves the gauge and the event log keeps the count.

use super::snapshot;
use crate::support::{self, draw, rows};
use canary_cockpit::app::Event;
use canary_cockpit::model::approval::Approval;

fn approval(received: u32) -> Approval {
    Approval {
        id: "a1".to_string(),
        identifier: "deployment/demo/frontend:1.5.0".to_string(),
        provider: "kubernetes".to_string(),
        current_version: "1.4.2".to_string(),
        new_version: "1.5.0".to_string(),
        votes_required: 2,
        votes_received: received,
        voters: ["alice", "bob"][..received as usize]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rejected: false,
        archived: false,
        deadline: "2026-01-01T14:00:00Z".to_string(),
        message: String::new(),
    }
}

#[test]
fn the_gauge_shows_keels_votes_until_they_are_in() {
    let mut h = support::mid_release(false);
    let at = h.now();
    h.send(Event::KeelApprovals {
        at,
        approvals: vec![approval(1)],
    });
    let lines = rows(draw(&h.app, 80, 24).backend().buffer());
    assert!(
        lines[2].contains("Keel: 1/2 approvals for 1.5.0, deadline 14:00"),
        "on the bar: {}",
        lines.join("\n")
    );
    snapshot("keel_one_of_two", &h.app, 80, 24);

    h.send(Event::KeelApprovals {
        at,
        approvals: vec![approval(2)],
    });
    let lines = rows(draw(&h.app, 120, 40).backend().buffer());
    let screen = lines.join("\n");
    // the bar (under the header and the gauge's top border) no longer shows it
    assert!(
        lines[2].contains("█") && !lines[2].contains("Keel:"),
        "{screen}"
    );
    assert!(
        screen.contains("Keel: 2/2 approvals for 1.5.0, deadline 14:00"),
        "the event log keeps the count: {screen}"
    );
    snapshot("keel_two_of_two", &h.app, 120, 40);
}

/// Hostile text in an approval reaches the screen through the hygiene only.
#[test]
fn keels_text_is_shown_never_sent() {
    let mut h = support::mid_release(false);
    let at = h.now();
    let mut a = approval(0);
    a.new_version = "1.5.0\u{1b}]0;x\u{7}".to_string();
    h.send(Event::KeelApprovals {
        at,
        approvals: vec![a],
    });
    let screen = rows(draw(&h.app, 80, 24).backend().buffer()).join("\n");
    assert!(screen.contains("for 1.5.0␛]0;x␇"), "{screen}");
    assert!(!screen.contains('\u{1b}'));
}

/// `a` asks to confirm, naming the version and the votes; `y` casts the vote as the operator's
/// Kubernetes user, beside the loop (an effect); Keel's answer is told in the event log.
#[test]
fn a_approves_after_a_confirmation_naming_version_and_votes() {
    use canary_cockpit::app::{Effect, Mode};
    use canary_cockpit::model::approval::Vote;
    let mut h = support::mid_release(false);
    h.app.config.kube_user = Some("alice".to_string());
    let at = h.now();
    h.send(Event::KeelApprovals {
        at,
        approvals: vec![approval(1)],
    });
    assert!(
        h.app.update(support::key('a')).is_empty(),
        "nothing before y"
    );
    assert!(matches!(h.app.mode, Mode::Confirm(_)), "{:?}", h.app.mode);
    let screen = rows(draw(&h.app, 80, 24).backend().buffer()).join("\n");
    assert!(
        screen.contains("approve 1.5.0 for deployment/demo/frontend? votes 1/2"),
        "{screen}"
    );
    snapshot("keel_confirm_approve", &h.app, 80, 24);
    snapshot("keel_confirm_approve_wide", &h.app, 120, 40);

    let effects = h.app.update(support::key('y'));
    let [Effect::KeelVote {
        identifier,
        version,
        vote,
        actor,
    }] = effects.as_slice()
    else {
        panic!("one vote: {effects:?}");
    };
    assert_eq!(identifier, "deployment/demo/frontend:1.5.0");
    assert_eq!((version.as_str(), *vote), ("1.5.0", Vote::Approve));
    assert_eq!(actor.voter(), "alice");

    let at = h.now();
    h.app.update(Event::KeelVoted {
        at,
        identifier: identifier.clone(),
        version: version.clone(),
        vote: *vote,
        actor: actor.clone(),
        approval: Some(approval(2)),
        error: None,
    });
    let screen = rows(draw(&h.app, 120, 40).backend().buffer()).join("\n");
    assert!(
        screen.contains("approved 1.5.0 as alice: votes 2/2"),
        "{screen}"
    );
    assert!(h.app.keel_pending().is_none(), "the gauge leaves it");
}

/// `x` rejects after its own confirmation; Keel's refusal is said in words; `n` casts nothing.
#[test]
fn x_rejects_and_an_error_is_said_in_words() {
    use canary_cockpit::app::Effect;
    use canary_cockpit::model::approval::Vote;
    let mut h = support::mid_release(false);
    let at = h.now();
    h.send(Event::KeelApprovals {
        at,
        approvals: vec![approval(0)],
    });
    h.app.update(support::key('x'));
    let screen = rows(draw(&h.app, 80, 24).backend().buffer()).join("\n");
    assert!(
        screen.contains("reject 1.5.0 for deployment/demo/frontend? votes 0/2"),
        "{screen}"
    );
    snapshot("keel_confirm_reject", &h.app, 80, 24);
    assert!(h.app.update(support::key('n')).is_empty(), "cancelled");

    h.app.update(support::key('x'));
    let effects = h.app.update(support::key('y'));
    let [Effect::KeelVote { actor, .. }] = effects.as_slice() else {
        panic!("one vote: {effects:?}");
    };
    h.app.update(Event::KeelVoted {
        at,
        identifier: "deployment/demo/frontend:1.5.0".to_string(),
        version: "1.5.0".to_string(),
        vote: Vote::Reject,
        actor: actor.clone(),
        approval: None,
        error: Some("Keel refused the credentials from secret keel/keel-admin".to_string()),
    });
    let screen = rows(draw(&h.app, 120, 40).backend().buffer()).join("\n");
    assert!(
        screen.contains("reject 1.5.0 as") && screen.contains("failed: Keel refused"),
        "{screen}"
    );
}

/// With no pending approval, `a` says so and asks nothing.
#[test]
fn a_without_a_pending_approval_says_so() {
    use canary_cockpit::app::Mode;
    let mut h = support::mid_release(false);
    assert!(h.app.update(support::key('a')).is_empty());
    assert!(matches!(h.app.mode, Mode::Normal));
    let screen = rows(draw(&h.app, 120, 40).backend().buffer()).join("\n");
    assert!(screen.contains("no pending Keel approval"), "{screen}");
}

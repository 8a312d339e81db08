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

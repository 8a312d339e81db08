//! Confirm modals wrap their text like the analysis panel and grow to hold it: the longest
//! confirmation of each system is read whole at 80×24.

use super::snapshot;
use crate::support::{self, draw, rows};
use canary_cockpit::app::{App, Event};
use canary_cockpit::model::{ControllerView, Refusal};
use crossterm::event::KeyCode;

/// What each system's lever does, as its provider says it in the confirm modal, for a release
/// named `checkout-frontend` (the longest of each system's two).
const ARGO_PROMOTE: &str = "Promote checkout-frontend fully: status.promoteFull skips the remaining steps, analysis and pauses; the canary becomes stable.";
const ARGO_ROLLBACK: &str = "Abort checkout-frontend: status.abort returns all traffic to the stable version and scales the canary down; `canary retry` starts it again.";
const FLAGGER_PROMOTE: &str = "Promote checkout-frontend: spec.skipAnalysis = true. Flagger promotes without further analysis: failed metrics no longer stop it, and the skip stays until it is set back to false.";
const KUBESPHERE_ROLLBACK: &str =
    "Back to the principal: spec.governor = checkout-frontend-v1 sends all traffic to it.";

/// A release named `checkout-frontend` whose controller (`kind`) says `why` for `action`.
fn with_consequence(kind: &str, action: &str, why: &str) -> App {
    let h = support::mid_release(true);
    let mut app = App::new(support::config(true));
    let mut release = h.release.clone();
    release.name = "checkout-frontend".to_string();
    if !kind.is_empty() {
        release.source = kind.to_string();
        release.controller = Some(Box::new(ControllerView {
            kind: kind.to_string(),
            phase: "Progressing".to_string(),
            consequences: vec![Refusal {
                action: if action == "promote" {
                    canary_cockpit::model::Capability::Promote
                } else {
                    canary_cockpit::model::Capability::Rollback
                },
                why: why.to_string(),
            }],
            ..ControllerView::default()
        }));
    }
    app.update(Event::ReleaseObserved {
        at: support::T0,
        release,
    });
    app.update(Event::PodsObserved {
        at: support::T0,
        pods: h.pods.clone(),
    });
    let key = if action == "promote" { 'P' } else { 'R' };
    app.update(support::code(KeyCode::Char(key)));
    assert_eq!(app.mode.name(), "confirm", "{kind} {action}");
    app
}

/// The text inside the modal's double border, its rows joined by spaces.
fn modal_text(screen: &[String]) -> String {
    let inside: Vec<String> = screen
        .iter()
        .filter_map(|row| {
            let start = row.find('║')?;
            let end = row.rfind('║').filter(|e| *e > start)?;
            Some(row[start + '║'.len_utf8()..end].trim().to_string())
        })
        .filter(|s| !s.is_empty())
        .collect();
    inside.join(" ")
}

fn assert_whole(app: &App, said: &str, w: u16, ht: u16) -> String {
    let screen = rows(draw(app, w, ht).backend().buffer());
    let text = modal_text(&screen);
    assert!(
        text.contains(said),
        "{w}×{ht}: the modal says\n{text}\nnot\n{said}\n{}",
        screen.join("\n")
    );
    assert!(text.contains("y confirm"), "{w}×{ht}: {text}");
    screen.join("\n")
}

#[test]
fn the_longest_confirmation_of_each_system_wraps_whole_at_80x24() {
    let cockpit_rollback =
        "Roll back checkout-frontend: all traffic returns to v1 and the canary is scaled to 0.";
    let cases = [
        ("argo-rollouts", "rollback", ARGO_ROLLBACK, "argo"),
        ("flagger", "promote", FLAGGER_PROMOTE, "flagger"),
        ("kubesphere", "rollback", KUBESPHERE_ROLLBACK, "kubesphere"),
        ("", "rollback", cockpit_rollback, "cockpit"),
    ];
    for (kind, action, said, name) in cases {
        let app = with_consequence(kind, action, said);
        assert_whole(&app, said, 80, 24);
        snapshot(&format!("confirm_{name}_{action}"), &app, 80, 24);
        // and at the other sizes, down to the smallest the cockpit lays out
        for (w, ht) in [(120, 40), (60, 16)] {
            assert_whole(&app, said, w, ht);
        }
    }
}

/// The confirmation first seen clipped ("status.promoteFull skips the remaini"), whole at every
/// size.
#[test]
fn the_argo_promote_confirmation_is_never_clipped() {
    let app = with_consequence("argo-rollouts", "promote", ARGO_PROMOTE);
    for (w, ht) in [(60, 16), (80, 24), (120, 40), (200, 50)] {
        let screen = assert_whole(&app, ARGO_PROMOTE, w, ht);
        assert!(!screen.contains("remaini║"), "{w}×{ht}:\n{screen}");
    }
}

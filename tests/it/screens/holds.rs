//! Whose pause it is, and what is only requested: the analysis panel and the event log name the
//! holder of a pause (an Argo pause step is `argo_paused`); a promotion a controller was asked
//! for shows as requested in the footer and the panel, then as not acted on after the bound.

use super::snapshot;
use crate::support::{self, draw, key, rows};
use canary_cockpit::app::{Action, App, AppConfig, Event};
use canary_cockpit::model::{ControllerView, Hold, Phase, Weight};
use crossterm::event::KeyCode;

fn text(app: &App, w: u16, ht: u16) -> String {
    rows(draw(app, w, ht).backend().buffer()).join("\n")
}

/// A Flagger canary at 40 %, waiting at its confirm-promotion gate.
fn flagger_at_the_gate(config: AppConfig) -> App {
    let h = support::just_observed(false);
    let mut app = App::new(config);
    let mut release = h.release.clone();
    release.source = "flagger".to_string();
    release.primary.name = "frontend-primary".to_string();
    release.canary.name = "frontend".to_string();
    release.weight = Weight::clamped(40);
    release.phase = Some(Phase::Paused);
    release.paused = Some(false);
    release.controller = Some(Box::new(ControllerView {
        kind: "flagger".to_string(),
        phase: "WaitingPromotion".to_string(),
        message: "Confirm-promotion check promote failed".to_string(),
        analysis: vec!["failed checks 0/5 · iterations 0".to_string()],
        hold: Some(Hold::Gate {
            gate: "confirm-promotion".to_string(),
        }),
        ..ControllerView::default()
    }));
    app.update(Event::ReleaseObserved {
        at: support::T0,
        release,
    });
    app.update(Event::PodsObserved {
        at: support::T0,
        pods: h.pods.clone(),
    });
    app
}

#[test]
fn flagger_waits_at_its_gate() {
    let app = flagger_at_the_gate(support::config(false));
    for (w, ht) in [(80, 24), (120, 40)] {
        let screen = text(&app, w, ht);
        assert!(screen.contains("Flagger waits at the"), "{screen}");
        assert!(!screen.contains("armed"), "{screen}");
        snapshot("flagger_gate", &app, w, ht);
    }
}

/// The operator's pause in the cockpit driving the release: named, and the only pause that
/// keeps the automatic rollback armed.
#[test]
fn the_cockpits_own_pause() {
    let mut h = support::just_observed(false);
    h.run_until(24);
    h.key(KeyCode::Char('p'));
    h.run_until(40);
    let screen = text(&h.app, 80, 24);
    assert!(screen.contains("paused by alice"), "{screen}");
    assert!(screen.contains("rollback stays armed"), "{screen}");
    snapshot("paused", &h.app, 80, 24);
}

/// Promote asked of Flagger through its gate: requested and waiting, then not acted on.
#[test]
fn a_promotion_requested_of_the_controller() {
    let mut app = flagger_at_the_gate(AppConfig {
        confirm_within_ms: 30_000,
        ..support::config(false)
    });
    app.update(key('P'));
    app.update(key('y'));
    for event in [
        Event::Note {
            at: support::T0.plus_ms(1_000),
            author: "cockpit".to_string(),
            text: "promotion gate open".to_string(),
        },
        Event::ActionResult {
            at: support::T0.plus_ms(1_000),
            action: Action::Promote,
            actor: support::alice(),
            error: None,
        },
        Event::Heartbeat {
            at: support::T0.plus_ms(8_000),
        },
    ] {
        app.update(event);
    }
    let screen = text(&app, 120, 40);
    assert!(
        screen.contains("⧗ promote requested (promotion gate open) · waiting for Flagger · 7 s"),
        "{screen}"
    );
    assert!(screen.contains("R rollback"), "{screen}");
    assert!(!screen.contains("PROMOTED"), "{screen}");
    snapshot("promote_requested", &app, 120, 40);
    app.update(Event::Heartbeat {
        at: support::T0.plus_ms(40_000),
    });
    let screen = text(&app, 80, 24);
    assert!(
        screen.contains("! Flagger has not acted on the"),
        "{screen}"
    );
    assert!(screen.contains("R rollback"), "{screen}");
    snapshot("promote_not_acted", &app, 80, 24);
}

//! Say only what the cluster confirmed (state tests on the virtual clock): a promotion or
//! rollback a controller carries out is shown as requested until the controller's status says
//! it is done, with a warning once when the controller has not acted within the bound; and the
//! holder of a pause is named, the automatic rollback said armed only for the cockpit's own.

use crate::support::{self, alice, config, draw, key, rows, T0};
use canary_cockpit::app::{Action, App, AppConfig, Effect, Event, Level};
use canary_cockpit::model::{
    ControllerView, Hold, Millis, Phase, ReleaseSnapshot, Version, Weight,
};

/// The bound the tests use for a controller to act.
const BOUND_MS: i64 = 10_000;

fn at(secs: i64) -> Millis {
    T0.plus_ms(secs * 1000)
}

/// An Argo rollout at its indefinite pause step 2/4: stable rev 1, canary rev 2 at 20 %.
fn argo_paused() -> ReleaseSnapshot {
    let mut r = support::just_observed(false).release;
    r.source = "argo-rollouts".to_string();
    r.primary = Version {
        name: "rev 1 (shop:1.0)".to_string(),
        image: "shop:1.0".to_string(),
    };
    r.canary = Version {
        name: "rev 2 (shop:2.0)".to_string(),
        image: "shop:2.0".to_string(),
    };
    r.weight = Weight::clamped(20);
    r.phase = Some(Phase::Paused);
    r.paused = Some(true);
    r.controller = Some(Box::new(ControllerView {
        kind: "argo-rollouts".to_string(),
        phase: "Paused".to_string(),
        steps: [
            "setWeight 20",
            "pause (until resumed)",
            "setWeight 50",
            "pause 30s",
        ]
        .map(String::from)
        .to_vec(),
        current_step: Some(1),
        hold: Some(Hold::PauseStep {
            index: 1,
            steps: 4,
            duration: None,
        }),
        ..ControllerView::default()
    }));
    r
}

/// The same rollout once its controller promoted rev 2: Healthy, the stable is rev 2.
fn argo_promoted() -> ReleaseSnapshot {
    let mut r = argo_paused();
    r.primary = r.canary.clone();
    r.canary = Version {
        name: "no canary yet".to_string(),
        image: String::new(),
    };
    r.weight = Weight::ZERO;
    r.phase = Some(Phase::Promoted);
    r.paused = Some(false);
    if let Some(v) = r.controller.as_mut() {
        v.phase = "Healthy".to_string();
        v.current_step = Some(4);
        v.hold = None;
    }
    r
}

fn cockpit() -> App {
    let mut app = App::new(AppConfig {
        confirm_within_ms: BOUND_MS,
        ..config(false)
    });
    observe(&mut app, 0, argo_paused());
    app
}

fn observe(app: &mut App, secs: i64, release: ReleaseSnapshot) {
    app.update(Event::ReleaseObserved {
        at: at(secs),
        release,
    });
}

fn tick(app: &mut App, secs: i64) {
    app.update(Event::Heartbeat { at: at(secs) });
}

/// `P`, `y`: the promote the operator asks for; then what the executor says once its write
/// landed: what it wrote, and the result.
fn promote(app: &mut App, secs: i64) -> Vec<Event> {
    app.update(key('P'));
    let effects = app.update(key('y'));
    assert_eq!(
        effects,
        vec![Effect::Act {
            action: Action::Promote,
            actor: alice()
        }]
    );
    let events = vec![
        Event::Note {
            at: at(secs),
            author: "cockpit".to_string(),
            text: "status.promoteFull: true".to_string(),
        },
        Event::ActionResult {
            at: at(secs),
            action: Action::Promote,
            actor: alice(),
            error: None,
        },
    ];
    for e in &events {
        app.update(e.clone());
    }
    events
}

fn log(app: &App) -> Vec<String> {
    app.log.iter().map(|e| e.text.clone()).collect()
}

fn screen(app: &App) -> String {
    rows(draw(app, 120, 40).backend().buffer()).join("\n")
}

#[test]
fn a_promotion_is_requested_until_the_controller_confirms_it() {
    let mut app = cockpit();
    promote(&mut app, 1);
    // nothing claims it happened: the phase is the controller's
    assert_eq!(app.phase, Phase::Paused);
    assert_eq!(app.outcome, None);
    assert!(
        log(&app).iter().all(|l| !l.contains("Promoted")),
        "{:?}",
        log(&app)
    );
    assert!(log(&app).contains(
        &"alice: promote requested (status.promoteFull: true) · waiting for Argo Rollouts"
            .to_string()
    ));
    tick(&mut app, 5);
    assert_eq!(
        app.awaiting_line(),
        Some((
            Level::Info,
            "promote requested (status.promoteFull: true) · waiting for Argo Rollouts · 4 s"
                .to_string()
        ))
    );
    let text = screen(&app);
    assert!(
        text.contains(
            "⧗ promote requested (status.promoteFull: true) · waiting for Argo Rollouts · 4 s"
        ),
        "{text}"
    );
    assert!(!text.contains("PROMOTED"), "{text}");

    // our own write comes back through the watch: still the controller's phase, no warning yet
    let mut written = argo_paused();
    written.paused = Some(false);
    if let Some(v) = written.controller.as_mut() {
        v.hold = None;
    }
    observe(&mut app, 2, written);
    tick(&mut app, 10);
    assert!(app.awaiting.as_ref().is_some_and(|a| !a.warned));

    // the bound passes with nothing done: one warning, in the log and the footer
    let warning =
        "Argo Rollouts has not acted on the promotion for 10 s: is its controller running?";
    tick(&mut app, 11);
    tick(&mut app, 12);
    tick(&mut app, 20);
    assert_eq!(log(&app).iter().filter(|l| *l == warning).count(), 1);
    assert_eq!(
        app.awaiting_line(),
        Some((
            Level::Warn,
            "Argo Rollouts has not acted on the promotion for 19 s: is its controller running?"
                .to_string()
        ))
    );
    assert!(screen(&app).contains("! Argo Rollouts has not acted on the promotion for 19 s"));
    assert_eq!(app.phase, Phase::Paused);

    // the controller's status says promoted: only now
    observe(&mut app, 25, argo_promoted());
    assert_eq!(app.phase, Phase::Promoted);
    assert_eq!(app.awaiting, None);
    assert_eq!(app.awaiting_line(), None);
    let lines = log(&app);
    assert!(
        lines.contains(&"phase Paused→Promoted".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"Argo Rollouts confirmed: Promoted".to_string()),
        "{lines:?}"
    );
    // the version promoted is named as it was, though the controller renamed the sides
    let text = screen(&app);
    assert!(
        text.contains("PROMOTED: rev 2 (shop:2.0) is now the primary"),
        "{text}"
    );
}

#[test]
fn a_controller_that_acts_is_not_warned_about() {
    let mut app = cockpit();
    promote(&mut app, 1);
    // Argo Rollouts takes it up: past the pause, through the remaining steps
    let mut acting = argo_paused();
    acting.phase = Some(Phase::Progressing);
    acting.paused = Some(false);
    if let Some(v) = acting.controller.as_mut() {
        v.phase = "Progressing".to_string();
        v.current_step = Some(4);
        v.hold = None;
    }
    observe(&mut app, 3, acting);
    tick(&mut app, 30);
    assert!(
        log(&app).iter().all(|l| !l.contains("has not acted")),
        "{:?}",
        log(&app)
    );
    assert_eq!(
        app.awaiting_line().map(|(_, l)| l),
        Some(
            "promote requested (status.promoteFull: true) · Argo Rollouts at Progressing · 29 s"
                .to_string()
        )
    );
    assert_eq!(app.phase, Phase::Progressing);
    observe(&mut app, 31, argo_promoted());
    assert_eq!((app.phase, app.awaiting.is_none()), (Phase::Promoted, true));
}

#[test]
fn a_message_said_since_takes_the_footer_for_a_while() {
    let mut app = cockpit();
    promote(&mut app, 1);
    // a key that does not apply says why: that is what the footer shows
    app.update(key('-'));
    assert!(app.status.as_ref().is_some_and(|s| s.level == Level::Warn));
    assert_eq!(app.awaiting_line(), None);
    // later, the request is back in the footer
    tick(&mut app, 20);
    assert!(app.awaiting_line().is_some());
}

#[test]
fn the_release_the_cockpit_drives_is_promoted_by_the_cockpits_own_stages() {
    let mut h = support::just_observed(false);
    h.run_until(30);
    h.key(crossterm::event::KeyCode::Char('P'));
    h.key(crossterm::event::KeyCode::Char('y'));
    assert_eq!(h.app.phase, Phase::Promoted);
    assert_eq!(h.app.awaiting, None);
}

#[test]
fn replay_tells_the_same_story() {
    let mut live = cockpit();
    let mut recorded = vec![Event::ReleaseObserved {
        at: at(0),
        release: argo_paused(),
    }];
    recorded.extend(promote(&mut live, 1));
    for event in [
        Event::Heartbeat { at: at(12) },
        Event::ReleaseObserved {
            at: at(25),
            release: argo_promoted(),
        },
    ] {
        live.update(event.clone());
        recorded.push(event);
    }
    let mut replay = App::new(AppConfig::replay(AppConfig {
        confirm_within_ms: BOUND_MS,
        ..config(false)
    }));
    for event in recorded {
        replay.update(event);
    }
    assert_eq!(log(&replay), log(&live));
    assert_eq!(replay.phase, Phase::Promoted);
}

#[test]
fn whose_pause_it_is() {
    // Argo's own pause step: the log names it, and nothing says the rollback stays armed
    let app = cockpit();
    let lines = log(&app);
    assert!(
        lines.contains(&"Argo pause step 2/4 (until promoted): press P to promote".to_string()),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| !l.contains("recorded on the release")));
    let text = screen(&app);
    assert!(
        text.contains("‖ Argo pause step 2/4 (until promoted)"),
        "{text}"
    );
    assert!(!text.contains("stays armed"), "{text}");

    // Flagger at its promotion gate
    let mut flagger = App::new(config(false));
    let mut release = support::just_observed(false).release;
    release.source = "flagger".to_string();
    release.phase = Some(Phase::Paused);
    release.paused = Some(false);
    release.controller = Some(Box::new(ControllerView {
        kind: "flagger".to_string(),
        phase: "WaitingPromotion".to_string(),
        hold: Some(Hold::Gate {
            gate: "confirm-promotion".to_string(),
        }),
        ..ControllerView::default()
    }));
    flagger.update(Event::ReleaseObserved {
        at: T0,
        release: release.clone(),
    });
    assert!(log(&flagger).contains(&"Flagger waits at the confirm-promotion gate".to_string()));
    assert!(!screen(&flagger).contains("stays armed"));
    // Flagger moves on: said once
    release.phase = Some(Phase::Promoting);
    if let Some(v) = release.controller.as_mut() {
        v.phase = "Promoting".to_string();
        v.hold = None;
    }
    flagger.update(Event::ReleaseObserved { at: at(5), release });
    assert_eq!(
        log(&flagger).last().map(String::as_str),
        Some("progression resumed")
    );

    // the operator pauses an Argo rollout from the cockpit (spec.paused): named, not armed
    let mut argo = App::new(config(false));
    let mut running = argo_paused();
    running.phase = Some(Phase::Progressing);
    running.paused = Some(false);
    if let Some(v) = running.controller.as_mut() {
        v.phase = "Progressing".to_string();
        v.hold = None;
    }
    argo.update(Event::ReleaseObserved {
        at: T0,
        release: running.clone(),
    });
    assert_eq!(
        argo.update(key('p')),
        vec![Effect::Act {
            action: Action::Pause,
            actor: alice()
        }]
    );
    argo.update(Event::ActionResult {
        at: at(1),
        action: Action::Pause,
        actor: alice(),
        error: None,
    });
    running.paused = Some(true);
    running.phase = Some(Phase::Paused);
    if let Some(v) = running.controller.as_mut() {
        v.hold = Some(Hold::Paused {
            field: "spec.paused".to_string(),
        });
    }
    argo.update(Event::ReleaseObserved {
        at: at(2),
        release: running,
    });
    let held = argo.held().expect("held");
    assert_eq!(held.text, "paused by alice in the cockpit (spec.paused)");
    assert!(!held.rollback_armed(&argo));
    assert!(!screen(&argo).contains("stays armed"));

    // the cockpit's own pause while its analysis runs: the only one that keeps it armed
    let mut h = support::just_observed(false);
    h.run_until(24);
    h.key(crossterm::event::KeyCode::Char('p'));
    let held = h.app.held().expect("held");
    assert_eq!(held.text, "paused by alice in the cockpit");
    assert!(held.rollback_armed(&h.app));
    let text = screen(&h.app);
    assert!(
        text.contains("paused by alice in the cockpit: progression held;")
            && text.contains("stays armed"),
        "{text}"
    );
}

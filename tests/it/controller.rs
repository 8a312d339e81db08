//! State tests: events in, state and effects out. No terminal, no network, no clock.

use crate::support::{alice, code, key};
use canary_cockpit::app::{Action, Actor, App, AppConfig, Effect, Event, Mode, ReleaseOutcome};
use canary_cockpit::model::{AlertEvent, Severity};
use canary_cockpit::model::{
    AnalysisSettings, MetricsSample, Millis, Phase, Plan, Pod, PodSet, PodStatus, ReleaseSnapshot,
    Version, VersionSample, Weight,
};
use crossterm::event::KeyCode;

fn w(p: u8) -> Weight {
    Weight::new(p).unwrap()
}

fn settings() -> AnalysisSettings {
    AnalysisSettings {
        interval_secs: 10,
        threshold: 3,
        ..AnalysisSettings::default()
    }
}

fn plan() -> Plan {
    Plan::steps(vec![w(10), w(20), w(50)]).unwrap()
}

fn app() -> App {
    App::driving(
        AppConfig {
            user: "alice".into(),
            ..AppConfig::default()
        },
        settings(),
        plan(),
    )
}

fn release(weight: u8) -> ReleaseSnapshot {
    ReleaseSnapshot {
        name: "frontend".into(),
        namespace: "demo".into(),
        source: "test".into(),
        primary: Version {
            name: "v1".into(),
            image: "frontend:1".into(),
        },
        canary: Version {
            name: "v2".into(),
            image: "frontend:2".into(),
        },
        weight: w(weight),
        canary_replicas: 1,
        phase: None,
        plan: None,
        paused: None,
        controller: None,
        rules: Vec::new(),
        refusals: Vec::new(),
    }
}

fn pod(name: &str, ready: bool, status: PodStatus) -> Pod {
    Pod {
        name: name.into(),
        status,
        ready,
        restarts: 0,
        created_at: Millis(0),
        resources: Default::default(),
    }
}

fn healthy_pods() -> PodSet {
    PodSet {
        primary: vec![pod("p-1", true, PodStatus::Running)],
        canary: vec![pod("c-1", true, PodStatus::Running)],
    }
}

/// Canary traffic for one second: `rps` requests, `err` share of errors, `p99` ms.
fn sample(at_s: i64, rps: f64, err: f64, p99: f64) -> Event {
    Event::MetricsSampled {
        sample: MetricsSample {
            at: Millis::from_secs(at_s),
            period_ms: 1000,
            primary: VersionSample {
                rps: 100.0,
                requests: 100.0,
                errors: 0.0,
                p99_ms: Some(100.0),
                ..VersionSample::default()
            },
            canary: VersionSample {
                rps,
                requests: rps,
                errors: rps * err,
                p99_ms: (rps > 0.0).then_some(p99),
                ..VersionSample::default()
            },
        },
    }
}

/// Starts `app` at t=0 with the release at `weight` and healthy pods.
fn start(app: &mut App, weight: u8) {
    app.update(Event::ReleaseObserved {
        at: Millis(0),
        release: release(weight),
    });
    app.update(Event::PodsObserved {
        at: Millis(0),
        pods: healthy_pods(),
    });
}

/// Feeds one sample a second from `from` to `to` (inclusive) and collects the effects.
fn traffic(app: &mut App, from: i64, to: i64, rps: f64, err: f64, p99: f64) -> Vec<Effect> {
    (from..=to)
        .flat_map(|s| app.update(sample(s, rps, err, p99)))
        .collect()
}

/// Performs effects the way an executor would: a successful result, and the new weight observed.
fn execute(app: &mut App, effects: &[Effect], at: i64) {
    for e in effects {
        if let Effect::Act { action, actor } = e {
            let mut r = app.release.clone().unwrap();
            match action {
                Action::SetWeight { weight } => r.weight = *weight,
                Action::Rollback | Action::Promote => r.weight = Weight::ZERO,
                _ => {}
            }
            app.update(Event::ActionResult {
                at: Millis::from_secs(at),
                action: *action,
                actor: actor.clone(),
                error: None,
            });
            app.update(Event::ReleaseObserved {
                at: Millis::from_secs(at),
                release: r,
            });
        }
    }
}

fn set_weight(weight: u8, actor: Actor) -> Effect {
    Effect::Act {
        action: Action::SetWeight { weight: w(weight) },
        actor,
    }
}

#[test]
fn ready_canary_at_zero_moves_to_the_first_step() {
    let mut app = app();
    start(&mut app, 0);
    let effects = traffic(&mut app, 1, 10, 0.0, 0.0, 0.0);
    assert_eq!(effects, vec![set_weight(10, Actor::Controller)]);
    assert_eq!(app.analysis.passed, 1);
}

#[test]
fn passing_checks_walk_the_plan_then_promote() {
    let mut app = app();
    start(&mut app, 10);
    let e = traffic(&mut app, 1, 10, 50.0, 0.001, 120.0);
    assert_eq!(e, vec![set_weight(20, Actor::Controller)]);
    execute(&mut app, &e, 10);
    let e = traffic(&mut app, 11, 20, 50.0, 0.0, 120.0);
    assert_eq!(e, vec![set_weight(50, Actor::Controller)]);
    execute(&mut app, &e, 20);
    let e = traffic(&mut app, 21, 30, 50.0, 0.0, 120.0);
    assert_eq!(
        e,
        vec![Effect::Act {
            action: Action::Promote,
            actor: Actor::Controller
        }]
    );
    assert_eq!(app.phase, Phase::Promoting);
    execute(&mut app, &e, 30);
    assert_eq!(app.phase, Phase::Promoted);
    assert_eq!(app.outcome, Some(ReleaseOutcome::Promoted));
    assert_eq!(app.weight(), Weight::ZERO);
    // nothing more happens once promoted
    assert!(traffic(&mut app, 31, 60, 50.0, 0.5, 900.0).is_empty());
}

#[test]
fn failed_checks_reach_the_threshold_and_roll_back_with_an_alert() {
    let mut app = app();
    start(&mut app, 10);
    let e = traffic(&mut app, 1, 20, 50.0, 0.15, 900.0);
    // two failures stay below the threshold of 3; the first one is told, once in five minutes
    let [Effect::Alert { alert }] = e.as_slice() else {
        panic!("one failed-check alert and no action: {e:?}");
    };
    assert_eq!(alert.event, AlertEvent::CheckFailed);
    assert_eq!(alert.severity, Severity::Warn);
    assert!(alert.reason.contains("error rate"), "{}", alert.reason);
    assert_eq!(app.analysis.failed, 2);
    assert_eq!(app.phase, Phase::Progressing);
    let e = traffic(&mut app, 21, 30, 50.0, 0.15, 900.0);
    assert_eq!(app.analysis.failed, 3);
    assert_eq!(e.len(), 2);
    assert_eq!(
        e[0],
        Effect::Act {
            action: Action::Rollback,
            actor: Actor::Controller
        }
    );
    let Effect::Alert { alert } = &e[1] else {
        panic!("second effect must be an alert: {e:?}");
    };
    assert_eq!(alert.event, AlertEvent::AutomaticRollback);
    assert_eq!(alert.severity, Severity::Error);
    assert!(
        alert.reason.contains("automatic rollback"),
        "{}",
        alert.reason
    );
    assert_eq!(
        (alert.primary.name.as_str(), alert.canary.name.as_str()),
        ("v1", "v2")
    );
    assert!(
        alert.canary.error_rate.is_some_and(|r| r > 0.1),
        "{alert:?}"
    );
    assert_eq!(app.phase, Phase::RollingBack);
    execute(&mut app, &e, 30);
    assert_eq!(app.phase, Phase::RolledBack);
    assert_eq!(app.outcome, Some(ReleaseOutcome::RolledBack));
    let last = app.analysis.last().unwrap();
    assert!(
        last.reason.contains("error rate 15 % > 1 %"),
        "{}",
        last.reason
    );
    assert!(
        last.reason.contains("p99 900 ms > 500 ms"),
        "{}",
        last.reason
    );
}

#[test]
fn too_few_requests_is_inconclusive_not_a_pass() {
    let mut app = app();
    start(&mut app, 10);
    // 1 request a second: 10 in the interval, below the minimum of 20
    let e = traffic(&mut app, 1, 10, 1.0, 0.0, 100.0);
    assert!(e.is_empty());
    assert_eq!(app.analysis.inconclusive, 1);
    assert_eq!((app.analysis.passed, app.analysis.failed), (0, 0));
}

#[test]
fn paused_holds_the_weight_but_keeps_the_rollback_armed() {
    let mut app = app();
    start(&mut app, 10);
    let e = app.update(key('p'));
    assert_eq!(
        e,
        vec![Effect::Act {
            action: Action::Pause,
            actor: alice()
        }]
    );
    execute(&mut app, &e, 0);
    assert!(app.paused);
    assert_eq!(app.phase, Phase::Paused);
    // passing checks: no progression while paused
    assert!(traffic(&mut app, 1, 30, 50.0, 0.0, 100.0).is_empty());
    assert_eq!(app.analysis.passed, 3);
    assert_eq!(app.weight(), w(10));
    // failing checks still roll back
    let e = traffic(&mut app, 31, 60, 50.0, 0.2, 100.0);
    assert!(e.contains(&Effect::Act {
        action: Action::Rollback,
        actor: Actor::Controller
    }));
    // resume
    let mut app2 = self::app();
    start(&mut app2, 10);
    let e = app2.update(key('p'));
    execute(&mut app2, &e, 0);
    let e = app2.update(key('p'));
    assert_eq!(
        e,
        vec![Effect::Act {
            action: Action::Resume,
            actor: alice()
        }]
    );
    execute(&mut app2, &e, 0);
    assert_eq!(app2.phase, Phase::Progressing);
    assert!(!app2.paused);
}

#[test]
fn manual_steps_and_progression_continues_from_a_manual_weight() {
    let mut app = app();
    start(&mut app, 10);
    // a write refused by the cluster leaves the weight where it was
    let refused = |app: &mut App, weight: u8| {
        app.update(Event::ActionResult {
            at: Millis::from_secs(0),
            action: Action::SetWeight { weight: w(weight) },
            actor: alice(),
            error: Some("conflict".to_string()),
        });
    };
    assert_eq!(app.update(key('+')), vec![set_weight(20, alice())]);
    // one action at a time: a key while the first is in flight is refused with the reason
    assert!(app.update(key('-')).is_empty());
    let status = app.status.clone().unwrap().text;
    assert!(status.contains("set weight 20 % in flight"), "{status}");
    refused(&mut app, 20);
    assert_eq!(app.update(key('=')), vec![set_weight(20, alice())]);
    refused(&mut app, 20);
    assert_eq!(app.update(key('-')), vec![set_weight(0, alice())]);
    refused(&mut app, 0);
    // an exact weight through the prompt
    app.update(key('w'));
    for c in "35".chars() {
        app.update(key(c));
    }
    let e = app.update(code(KeyCode::Enter));
    assert_eq!(e, vec![set_weight(35, alice())]);
    execute(&mut app, &e, 0);
    assert_eq!(app.weight(), w(35));
    // the next passing check goes to the first plan step above 35
    let e = traffic(&mut app, 1, 10, 50.0, 0.0, 100.0);
    assert_eq!(e, vec![set_weight(50, Actor::Controller)]);
    execute(&mut app, &e, 10);
    // at the max weight, + explains instead of acting
    assert!(app.update(key('+')).is_empty());
    let status = app.status.clone().unwrap().text;
    assert!(status.contains("max"), "{status}");
}

#[test]
fn invalid_weights_show_an_error_and_send_nothing() {
    let mut app = app();
    start(&mut app, 10);
    for bad in ["abc", "101", "-5", "", "12.5"] {
        app.update(key('w'));
        for c in bad.chars() {
            app.update(key(c));
        }
        let e = app.update(code(KeyCode::Enter));
        assert!(e.is_empty(), "{bad:?} must send nothing");
        let Mode::Prompt(p) = &app.mode else {
            panic!("the prompt stays open after {bad:?}");
        };
        assert!(p.error.is_some(), "{bad:?} must show an error");
        app.update(code(KeyCode::Esc));
        assert!(matches!(app.mode, Mode::Normal));
    }
    assert_eq!(app.weight(), w(10));
}

#[test]
fn promote_and_rollback_ask_for_confirmation() {
    let mut app = app();
    start(&mut app, 10);
    assert!(app.update(key('P')).is_empty());
    assert!(matches!(app.mode, Mode::Confirm(_)));
    assert!(app.update(key('n')).is_empty());
    assert!(matches!(app.mode, Mode::Normal));
    app.update(key('R'));
    let e = app.update(key('y'));
    assert_eq!(
        e,
        vec![Effect::Act {
            action: Action::Rollback,
            actor: alice()
        }]
    );
    execute(&mut app, &e, 1);
    assert_eq!(app.phase, Phase::RolledBack);
    // after the end, actions say why they do not apply
    assert!(app.update(key('+')).is_empty());
    assert!(app.update(key('P')).is_empty());
    assert!(matches!(app.mode, Mode::Normal));
    assert!(app.status.unwrap().text.contains("RolledBack"));
}

#[test]
fn a_failed_action_is_reported_and_changes_nothing() {
    let mut app = app();
    start(&mut app, 10);
    app.update(Event::ActionResult {
        at: Millis(1),
        action: Action::SetWeight { weight: w(20) },
        actor: alice(),
        error: Some("connection refused".into()),
    });
    assert_eq!(app.weight(), w(10));
    let s = app.status.clone().unwrap();
    assert!(s.text.contains("connection refused"), "{}", s.text);
    assert!(app.log.iter().any(|e| e.text.contains("failed")));
}

#[test]
fn crashlooping_canary_fails_checks_without_traffic() {
    let mut app = app();
    start(&mut app, 0);
    let mut crashing = healthy_pods();
    crashing.canary = vec![Pod {
        restarts: 2,
        ..pod("c-1", false, PodStatus::CrashLoopBackOff)
    }];
    app.update(Event::PodsObserved {
        at: Millis(1),
        pods: crashing,
    });
    let e = traffic(&mut app, 1, 30, 0.0, 0.0, 0.0);
    assert_eq!(app.analysis.failed, 3);
    assert!(e.iter().any(|e| matches!(
        e,
        Effect::Act {
            action: Action::Rollback,
            ..
        }
    )));
    assert!(app
        .analysis
        .last()
        .unwrap()
        .reason
        .contains("CrashLoopBackOff"));
}

#[test]
fn stale_data_is_detected_from_event_times() {
    let mut app = app();
    start(&mut app, 10);
    app.update(sample(1, 10.0, 0.0, 100.0));
    assert!(!app.is_stale());
    app.update(Event::Tick {
        at: Millis::from_secs(30),
    });
    assert_eq!(app.data_age_ms(), Some(29_000));
    assert!(app.is_stale());
}

#[test]
fn pod_filter_narrows_the_rows() {
    let mut app = app();
    start(&mut app, 10);
    app.update(key('/'));
    for c in "c-".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    assert_eq!(app.pod_filter, "c-");
    let pods: Vec<_> = app
        .pod_rows
        .iter()
        .filter(|r| matches!(r, canary_cockpit::app::PodRow::Pod { .. }))
        .collect();
    assert_eq!(pods.len(), 1);
    app.update(code(KeyCode::Esc));
    assert!(app.pod_filter.is_empty());
    assert_eq!(app.pod_rows.len(), 4);
}

#[test]
fn a_canary_scaled_to_zero_is_no_new_canary() {
    let mut app = App::new(AppConfig::default());
    app.update(Event::ReleaseObserved {
        at: Millis(1000),
        release: release(20),
    });
    // after a rollback the canary has no pods, so no image to read
    let mut gone = release(0);
    gone.canary.image = String::new();
    gone.canary_replicas = 0;
    app.update(Event::ReleaseObserved {
        at: Millis(2000),
        release: gone,
    });
    let lines: Vec<&str> = app.log.iter().map(|e| e.text.as_str()).collect();
    assert!(
        !lines.iter().any(|l| l.starts_with("new canary")),
        "{lines:?}"
    );
    // a real new canary is still told
    let mut next = release(0);
    next.canary.image = "frontend:3".into();
    app.update(Event::ReleaseObserved {
        at: Millis(3000),
        release: next,
    });
    assert!(app
        .log
        .iter()
        .any(|e| e.text == "new canary v2 (frontend:3)"));
}

/// One second of canary traffic with `share_4xx` of 4xx and no 5xx, fast.
fn sample_4xx(at_s: i64, share_4xx: f64) -> Event {
    let Event::MetricsSampled { mut sample } = sample(at_s, 50.0, 0.0, 120.0) else {
        unreachable!("sample builds a MetricsSampled");
    };
    sample.canary.errors_4xx = Some(50.0 * share_4xx);
    Event::MetricsSampled { sample }
}

#[test]
fn four_xx_fails_checks_only_with_max_4xx_rate() {
    // without --max-4xx-rate: 20 % 4xx pass and the weight moves on
    let mut app = app();
    start(&mut app, 10);
    let e: Vec<Effect> = (1..=10)
        .flat_map(|s| app.update(sample_4xx(s, 0.2)))
        .collect();
    assert_eq!(e, vec![set_weight(20, Actor::Controller)]);
    assert_eq!((app.analysis.passed, app.analysis.failed), (1, 0));

    // with it: the same traffic fails each check, and the third rolls back
    let strict = AnalysisSettings {
        max_4xx_rate: Some(5.0),
        ..settings()
    };
    let mut app = App::driving(AppConfig::default(), strict, plan());
    start(&mut app, 10);
    let e: Vec<Effect> = (1..=30)
        .flat_map(|s| app.update(sample_4xx(s, 0.2)))
        .collect();
    assert_eq!(app.analysis.failed, 3);
    let last = app.analysis.last().expect("a verdict");
    assert_eq!(last.reason, "4xx rate 20 % > 5 %");
    assert!(
        e.contains(&Effect::Act {
            action: Action::Rollback,
            actor: Actor::Controller
        }),
        "{e:?}"
    );
    // under the maximum it passes
    let mut app = App::driving(
        AppConfig::default(),
        AnalysisSettings {
            max_4xx_rate: Some(25.0),
            ..settings()
        },
        plan(),
    );
    start(&mut app, 10);
    let e: Vec<Effect> = (1..=10)
        .flat_map(|s| app.update(sample_4xx(s, 0.2)))
        .collect();
    assert_eq!(e, vec![set_weight(20, Actor::Controller)]);
}

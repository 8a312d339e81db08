//! Alerts inside the cockpit: a sink that hangs holds up no frame and costs one message in the
//! event log; the events the cockpit tells (an operator's rollback naming who, a finished
//! promotion, an outage of more than a minute and its recovery, failed checks at most once in
//! five minutes) and the ones it does not repeat.

use crate::support::alert_receiver::AlertReceiver;
use crate::support::{self, runtime, Harness, T0};
use canary_cockpit::alert::{Notifier, Policy, SecretUrl, Settings, Sink, SinkKind};
use canary_cockpit::app::{Action, Actor, App, Effect, Event};
use canary_cockpit::model::{
    Alert, AlertEvent, DeliveryOutcome, MetricsSample, Severity, VersionSample,
};
use canary_cockpit::record::Tap;
use canary_cockpit::tui::{self, Cockpit};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream::{self, StreamExt};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

fn press(c: char) -> TermEvent {
    TermEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn sink(kind: SinkKind, url: &str) -> Sink {
    Sink::new(kind.name(), kind, SecretUrl::parse(url).unwrap())
}

fn alerts(effects: &[Effect]) -> Vec<&Alert> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Alert { alert } => Some(alert.as_ref()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_hanging_sink_stalls_no_frame_and_costs_one_message() {
    let rt = runtime();
    let rx = rt.block_on(AlertReceiver::start());
    rx.hang("/slack");
    let settings = Settings {
        policy: Policy {
            timeout: Duration::from_millis(400),
            attempts: 2,
            backoff: Duration::from_millis(100),
            ..Policy::default()
        },
        session: None,
    };
    let sinks = vec![
        sink(SinkKind::Slack, &rx.url("/slack/T/B/token")),
        sink(SinkKind::Webhook, &rx.url("/webhook")),
    ];
    let notifier = {
        let _inside = rt.enter();
        Notifier::start(sinks, settings).unwrap()
    };
    let h = Harness::new(false);
    let (release, pods) = (h.release.clone(), h.pods.clone());
    let source = move |events: mpsc::Sender<Event>,
                       mut effects: mpsc::UnboundedReceiver<Effect>| async move {
        let _ = events
            .send(Event::ReleaseObserved { at: T0, release })
            .await;
        let _ = events.send(Event::PodsObserved { at: T0, pods }).await;
        while let Some(effect) = effects.recv().await {
            // the notifier takes the alerts: only actions reach the source
            let Effect::Act { action, actor } = effect else {
                panic!("an alert reached the source: {effect:?}");
            };
            let result = Event::ActionResult {
                at: T0.plus_ms(1000),
                action,
                actor,
                error: None,
            };
            let _ = events.send(result).await;
        }
    };
    let cockpit = Cockpit::new(
        App::new(support::config(false)),
        Tap::default().keeping(),
        notifier.handle().beside(source),
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    // p at once, q 300 ms later: the loop ends on time although one sink never answers (a
    // timeline on purpose: the time the quit takes is what is checked)
    let keys = stream::iter([(10, press('p')), (300, press('q'))])
        .then(|(ms, e)| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(e)
        })
        .chain(stream::pending())
        .boxed();
    let started = Instant::now();
    let (mut app, mut tap) = rt
        .block_on(tui::drive(
            &mut terminal,
            keys,
            stream::pending::<()>().boxed(),
            cockpit,
        ))
        .unwrap();
    let took = started.elapsed();
    assert!(app.paused && app.should_quit);
    assert!(
        took < Duration::from_millis(1500),
        "the loop waited on a sink: {took:?}"
    );
    assert!(notifier.busy(), "the hanging sink is still being tried");
    // the webhook answered while the cockpit ran; its outcome came back on the channel
    let delivered: Vec<_> = tap
        .kept()
        .iter()
        .filter_map(|e| match e {
            Event::AlertDelivered { delivery } => Some(delivery.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(delivered[0].sink, "webhook");
    assert!(delivered[0].outcome.is_delivered());
    assert_eq!(rx.requests_to("/webhook")[0].body["event"], "paused");
    // on quit the hanging one gets its grace, then is told once
    let late = rt.block_on(notifier.finish(Duration::from_secs(3)));
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0].sink, "slack");
    assert!(
        matches!(late[0].outcome, DeliveryOutcome::Failed { http: None, .. }),
        "{late:?}"
    );
    for delivery in late {
        tap.feed(&mut app, Event::AlertDelivered { delivery });
    }
    let told: Vec<_> = app
        .log
        .iter()
        .filter(|e| e.text.contains("not delivered"))
        .map(|e| e.text.clone())
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains("paused to slack"), "{told:?}");
    assert!(!told[0].contains("token"), "{told:?}");
    assert!(app
        .footer_message()
        .is_some_and(|(_, text)| text.contains("slack")));
}

fn observed(at: i64) -> App {
    let h = Harness::new(false);
    let mut app = App::new(support::config(false));
    app.update(Event::ReleaseObserved {
        at: T0.plus_ms(at),
        release: h.release,
    });
    app
}

fn tick(app: &mut App, at_ms: i64) -> Vec<Effect> {
    app.update(Event::Tick {
        at: T0.plus_ms(at_ms),
    })
}

#[test]
fn an_outage_of_more_than_a_minute_is_told_once_and_its_recovery_with_its_length() {
    let mut app = observed(0);
    app.update(Event::SourceError {
        at: T0.plus_ms(1000),
        source: "watch".into(),
        message: "connection refused".into(),
    });
    assert!(alerts(&tick(&mut app, 30_000)).is_empty());
    assert!(
        alerts(&tick(&mut app, 61_000)).is_empty(),
        "60 s is not more than a minute"
    );
    let e = tick(&mut app, 62_000);
    let a = alerts(&e);
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].event, a[0].severity),
        (AlertEvent::Outage, Severity::Warn)
    );
    assert!(
        a[0].reason.contains("watch of the cluster") && a[0].reason.contains("1m01s"),
        "{}",
        a[0].reason
    );
    assert!(alerts(&tick(&mut app, 90_000)).is_empty(), "told once");
    let e = app.update(Event::Heartbeat {
        at: T0.plus_ms(126_000),
    });
    let a = alerts(&e);
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].event, a[0].severity),
        (AlertEvent::Recovered, Severity::Info)
    );
    assert!(a[0].reason.contains("2m05s"), "{}", a[0].reason);
    assert!(app
        .log
        .iter()
        .any(|e| e.text == "API server back after 2m05s; relisted"));
    // a short outage is no alert, nor is its end
    app.update(Event::SourceError {
        at: T0.plus_ms(130_000),
        source: "metrics".into(),
        message: "Prometheus unreachable".into(),
    });
    assert!(alerts(&tick(&mut app, 150_000)).is_empty());
    let side = VersionSample {
        rps: 10.0,
        requests: 20.0,
        errors: 0.0,
        p99_ms: Some(100.0),
        ..VersionSample::default()
    };
    let sample = MetricsSample {
        at: T0.plus_ms(160_000),
        period_ms: 2000,
        primary: side,
        canary: side,
    };
    assert!(alerts(&app.update(Event::MetricsSampled { sample })).is_empty());
    // a short outage is still told in the log when it ends
    assert!(app.log.iter().any(|e| e.text == "metrics back after 30s"));
}

#[test]
fn an_operators_rollback_names_who_and_is_told_once() {
    let mut app = observed(0);
    let alice = Actor::Operator {
        user: "alice".into(),
        kube_user: Some("alice@prod".into()),
    };
    let e = app.update(Event::ActionResult {
        at: T0.plus_ms(5000),
        action: Action::Rollback,
        actor: alice,
        error: None,
    });
    let a = alerts(&e);
    assert_eq!(a.len(), 1, "{e:?}");
    assert_eq!(
        (a[0].event, a[0].severity),
        (AlertEvent::OperatorRollback, Severity::Warn)
    );
    assert_eq!(a[0].actor.as_deref(), Some("alice (alice@prod)"));
    assert!(
        a[0].reason
            .contains("alice (alice@prod) rolled v2 back to v1"),
        "{}",
        a[0].reason
    );
    // the cluster reports the release rolled back afterwards: no second alert
    let mut release = Harness::new(false).release;
    release.phase = Some(canary_cockpit::model::Phase::RolledBack);
    let e = app.update(Event::ReleaseObserved {
        at: T0.plus_ms(6000),
        release,
    });
    assert!(alerts(&e).is_empty(), "{e:?}");
}

#[test]
fn a_release_that_its_controller_rolls_back_or_promotes_is_told() {
    let mut app = observed(0);
    let mut release = Harness::new(false).release;
    release.phase = Some(canary_cockpit::model::Phase::Promoted);
    let e = app.update(Event::ReleaseObserved {
        at: T0.plus_ms(1000),
        release: release.clone(),
    });
    let a = alerts(&e);
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].event, a[0].severity),
        (AlertEvent::PromotionFinished, Severity::Info)
    );
    let mut app = observed(0);
    release.phase = Some(canary_cockpit::model::Phase::RolledBack);
    let e = app.update(Event::ReleaseObserved {
        at: T0.plus_ms(1000),
        release,
    });
    let a = alerts(&e);
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].event, a[0].severity),
        (AlertEvent::AutomaticRollback, Severity::Error)
    );
    assert!(app
        .log
        .iter()
        .any(|l| l.text.starts_with("ALERT frontend: v2 rolled back to v1")));
}

#[test]
fn a_promotion_stopped_at_a_stage_is_an_error_alert() {
    let mut app = observed(0);
    let e = app.update(Event::ActionResult {
        at: T0.plus_ms(1000),
        action: Action::Promote,
        actor: Actor::Controller,
        error: Some("scaling deployment frontend-v1: forbidden".into()),
    });
    let a = alerts(&e);
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].event, a[0].severity),
        (AlertEvent::PromotionStopped, Severity::Error)
    );
    assert!(a[0].reason.contains("forbidden"), "{}", a[0].reason);
}

#[test]
fn replayed_alerts_are_shown_and_never_raised_again() {
    let mut live = observed(0);
    let e = live.update(Event::ActionResult {
        at: T0.plus_ms(5000),
        action: Action::Pause,
        actor: Actor::Operator {
            user: "bob".into(),
            kube_user: None,
        },
        error: None,
    });
    assert_eq!(alerts(&e).len(), 1);
    let produced = live.take_produced();
    assert!(
        matches!(produced.as_slice(), [Event::AlertRaised { .. }]),
        "{produced:?}"
    );
    let mut replay = App::new(canary_cockpit::app::AppConfig::replay(support::config(
        false,
    )));
    let h = Harness::new(false);
    replay.update(Event::ReleaseObserved {
        at: T0,
        release: h.release,
    });
    let e = replay.update(Event::ActionResult {
        at: T0.plus_ms(5000),
        action: Action::Pause,
        actor: Actor::Operator {
            user: "bob".into(),
            kube_user: None,
        },
        error: None,
    });
    assert!(alerts(&e).is_empty());
    assert!(replay.take_produced().is_empty());
    assert!(replay.update(produced[0].clone()).is_empty());
    assert_eq!(replay.alerts.raised, 1);
}

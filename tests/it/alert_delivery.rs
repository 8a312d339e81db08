//! Alerts delivered over real HTTP to a receiver that checks every body against its service's
//! documented shape and answers like the service: each of the six payloads is accepted, a wrong
//! body is refused, a 429's `Retry-After` is honoured, a sink that is down or hangs fails in
//! bounded time without holding up the others, identical alerts go once, and a 4xx is not retried.

use crate::support::alert_receiver::{down_addr, AlertReceiver};
use crate::support::{runtime, T0};
use canary_cockpit::alert::deliver::{self, deliver};
use canary_cockpit::alert::payload::ERROR_COLOR;
use canary_cockpit::alert::{Notifier, Policy, SecretUrl, Settings, Sink, SinkKind, Waits};
use canary_cockpit::model::{
    Alert, AlertEvent, DeliveryOutcome, Phase, Severity, VersionNumbers, Weight,
};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An automatic rollback of v2 with numbers for both versions and a reason longer than any
/// service's limit, with markup characters and characters wider than a byte in it.
fn rollback() -> Alert {
    let head = "automatic rollback of v2 to v1 after 5 failed checks (threshold 5): ";
    let detail = "canary 5xx 12.0 % > 1.0 % & p99 640 ms > 500 ms <frontend-v2-7c9f8b6d4-h3c8n> — ";
    let mut reason = head.to_string();
    while reason.chars().count() < 5000 {
        reason.push_str(detail);
    }
    Alert {
        at: T0.plus_ms(97_000),
        event: AlertEvent::AutomaticRollback,
        severity: Severity::Error,
        release: "frontend".into(),
        namespace: "shop".into(),
        provider: "ingress-nginx".into(),
        phase: Phase::RolledBack,
        weight: Weight::clamped(30),
        actor: None,
        reason,
        primary: VersionNumbers {
            name: "v1".into(),
            image: "registry.local/frontend:1.4.2".into(),
            rps: Some(70.2),
            error_rate: Some(0.004),
            p99_ms: Some(121.0),
        },
        canary: VersionNumbers {
            name: "v2".into(),
            image: "registry.local/frontend:1.5.0".into(),
            rps: Some(29.8),
            error_rate: Some(0.12),
            p99_ms: Some(640.0),
        },
        judge: None,
    }
}

fn sink(kind: SinkKind, url: &str) -> Sink {
    Sink::new(kind.name(), kind, SecretUrl::parse(url).expect("a URL"))
}

/// A policy whose waits are logged, not waited.
fn stand_in(attempts: u32) -> (Policy, Arc<Mutex<Vec<Duration>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let policy = Policy {
        attempts,
        waits: Waits::StandInClock(log.clone()),
        ..Policy::default()
    };
    (policy, log)
}

async fn send(sink: &Sink, alert: &Alert, policy: &Policy) -> (DeliveryOutcome, u32) {
    let client = deliver::client(policy).expect("a client");
    deliver(&client, sink, alert, Some("session.jsonl.zst"), policy).await
}

#[test]
fn every_service_accepts_its_body() {
    runtime().block_on(async {
        let receiver = AlertReceiver::start().await;
        let alert = rollback();
        let (policy, waits) = stand_in(4);
        for kind in SinkKind::ALL {
            let mut s = sink(kind, &receiver.url(kind.name()));
            s.channel = Some("#releases".into());
            s.username = Some("canary-cockpit".into());
            let (outcome, attempts) = send(&s, &alert, &policy).await;
            let got = receiver.requests_to(kind.name());
            assert_eq!(got.len(), 1, "{kind}: one request");
            assert_eq!(
                got[0].problems,
                Vec::<String>::new(),
                "{kind}: {:#}",
                got[0].body
            );
            assert!(outcome.is_delivered(), "{kind}: {outcome}");
            assert_eq!(attempts, 1, "{kind}");
            assert_eq!(got[0].method, "POST");
            assert_eq!(got[0].content_type.as_deref(), Some("application/json"));
        }
        assert!(waits.lock().unwrap().is_empty());
        let answered: Vec<_> = receiver.requests().iter().map(|r| r.status).collect();
        let want = [204, 200, 202, 200, 200, 200].map(Some);
        assert_eq!(answered, want);

        let discord = &receiver.requests_to("discord")[0].body;
        let embed = &discord["embeds"][0];
        assert_eq!(embed["color"], json!(ERROR_COLOR));
        assert_eq!(embed["color"], json!(0xE74C3C));
        assert_eq!(embed["timestamp"], "2026-01-01T00:01:37Z");
        let fields = embed["fields"].as_array().expect("fields");
        for (name, numbers) in [
            ("Primary v1", "70.2 req/s · 0.40 % 5xx · p99 121 ms"),
            ("Canary v2", "29.8 req/s · 12.00 % 5xx · p99 640 ms"),
        ] {
            let field = fields.iter().find(|f| f["name"] == name);
            let value = field.and_then(|f| f["value"].as_str()).unwrap_or_default();
            assert!(value.ends_with(numbers), "{name}: {value:?}");
        }
        assert!(embed["description"].as_str().unwrap().ends_with('…'));
        assert_eq!(discord["username"], "canary-cockpit");

        let slack = &receiver.requests_to("slack")[0].body;
        assert_eq!(slack["channel"], "#releases");
        let section = slack["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(section.contains("&amp;") && section.contains("&lt;") && !section.contains('<'));

        let hook = &receiver.requests_to("webhook")[0].body;
        assert_eq!(hook["event"], "automatic_rollback");
        assert_eq!(
            hook["reason"],
            json!(alert.reason),
            "the webhook cuts nothing"
        );
        assert_eq!(hook["metrics"]["canary"]["error_rate"], json!(0.12));
        assert_eq!(hook["session"], "session.jsonl.zst");
    });
}

#[test]
fn the_receiver_refuses_a_wrong_discord_body() {
    runtime().block_on(async {
        let receiver = AlertReceiver::start().await;
        let client = reqwest::Client::new();
        let embeds: Vec<Value> = (0..11)
            .map(|i| json!({ "title": format!("e{i}") }))
            .collect();
        let wrong = json!({ "content": "x".repeat(2001), "embeds": embeds });
        let answer = client
            .post(receiver.url("discord"))
            .json(&wrong)
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status().as_u16(), 400);
        let said: Value = answer.json().await.expect("a JSON error");
        assert_eq!(said["code"], 50035);
        let got = receiver.requests_to("discord");
        let problems = &got[0].problems;
        assert!(
            problems.contains(&"embeds has 11 items, more than 10".to_string()),
            "{problems:?}"
        );
        assert!(problems.contains(&"content has 2001 characters, more than 2000".to_string()));

        // and a body without content or embeds, sent as something other than JSON
        let answer = client
            .post(receiver.url("discord"))
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status().as_u16(), 400);
        let problems = &receiver.requests_to("discord")[1].problems;
        assert!(
            problems.iter().any(|p| p.starts_with("content-type")),
            "{problems:?}"
        );
        assert!(problems
            .iter()
            .any(|p| p.starts_with("Cannot send an empty message")));
    });
}

#[test]
fn a_429_retry_after_is_waited_on_the_stand_in_clock() {
    runtime().block_on(async {
        let receiver = AlertReceiver::start().await;
        receiver.rate_limit("discord", 7, 1);
        let (policy, waits) = stand_in(4);
        let s = sink(SinkKind::Discord, &receiver.url("discord"));
        let (outcome, attempts) = send(&s, &rollback(), &policy).await;
        assert_eq!(outcome, DeliveryOutcome::Delivered { http: 204 });
        assert_eq!(attempts, 2);
        assert_eq!(*waits.lock().unwrap(), vec![Duration::from_secs(7)]);
        let statuses: Vec<_> = receiver.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, vec![Some(429), Some(204)]);
    });
}

#[test]
fn a_429_retry_after_is_waited_in_real_time() {
    runtime().block_on(async {
        let receiver = AlertReceiver::start().await;
        receiver.rate_limit("slack", 1, 1);
        let policy = Policy {
            timeout: Duration::from_secs(5),
            ..Policy::default()
        };
        let s = sink(SinkKind::Slack, &receiver.url("slack"));
        let (outcome, attempts) = send(&s, &rollback(), &policy).await;
        assert_eq!(outcome, DeliveryOutcome::Delivered { http: 200 });
        assert_eq!(attempts, 2);
        let got = receiver.requests_to("slack");
        assert_eq!(got.len(), 2);
        let apart = got[1].at.duration_since(got[0].at);
        assert!(apart >= Duration::from_secs(1), "{apart:?}");
        assert!(apart < Duration::from_secs(3), "{apart:?}");
    });
}

#[test]
fn a_down_receiver_fails_naming_the_host_only() {
    runtime().block_on(async {
        let addr = down_addr().await;
        let url = format!("http://{addr}/api/webhooks/112233/s3cr3t-t0ken?wait=true");
        let (policy, waits) = stand_in(4);
        let s = sink(SinkKind::Discord, &url);
        let (outcome, attempts) = send(&s, &rollback(), &policy).await;
        assert_eq!(attempts, policy.attempts);
        let DeliveryOutcome::Failed { http: None, error } = &outcome else {
            panic!("not a failure without a status: {outcome:?}");
        };
        assert!(
            error.contains(&format!("127.0.0.1:{}", addr.port())),
            "{error}"
        );
        for secret in ["s3cr3t", "t0ken", "/api/webhooks", "112233", "wait=true"] {
            assert!(!error.contains(secret), "{secret} in {error}");
            assert!(!outcome.to_string().contains(secret));
        }
        let secs: Vec<u64> = waits
            .lock()
            .unwrap()
            .iter()
            .map(Duration::as_secs)
            .collect();
        assert_eq!(secs, vec![1, 2, 4], "backoff from 1 s, doubling");
    });
}

#[test]
fn a_hanging_receiver_fails_in_bounded_time() {
    runtime().block_on(async {
        let receiver = AlertReceiver::start().await;
        receiver.hang("teams");
        let (mut policy, _) = stand_in(2);
        policy.timeout = Duration::from_millis(300);
        let s = sink(SinkKind::Teams, &receiver.url("teams"));
        let started = Instant::now();
        let (outcome, attempts) = send(&s, &rollback(), &policy).await;
        let took = started.elapsed();
        assert_eq!(attempts, 2);
        assert!(
            matches!(&outcome, DeliveryOutcome::Failed { http: None, error } if error.contains("no answer in time")),
            "{outcome:?}"
        );
        assert!(took >= Duration::from_millis(600), "{took:?}");
        assert!(took < Duration::from_secs(3), "{took:?}");
        assert_eq!(receiver.requests_to("teams").len(), 2);
        assert_eq!(receiver.requests_to("teams")[0].status, None);
    });
}

#[test]
fn a_hanging_sink_holds_up_no_other() {
    runtime().block_on(async {
        let receiver = AlertReceiver::start().await;
        receiver.hang("gchat");
        let (mut policy, _) = stand_in(2);
        policy.timeout = Duration::from_millis(300);
        let hanging = sink(SinkKind::Gchat, &receiver.url("gchat"));
        let ok = sink(SinkKind::Rocket, &receiver.url("rocket"));
        let settings = Settings {
            policy,
            session: None,
        };
        let notifier = Notifier::start(vec![hanging, ok], settings).expect("a notifier");
        let started = Instant::now();
        notifier.send(&rollback());
        let got = receiver.wait_for("rocket", 1, Duration::from_secs(5)).await;
        let ok_after = started.elapsed();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, Some(200));
        assert!(
            ok_after < Duration::from_millis(300),
            "the OK sink waited {ok_after:?}"
        );

        let deliveries = notifier.finish(Duration::from_secs(3)).await;
        assert!(started.elapsed() < Duration::from_secs(4));
        assert_eq!(deliveries.len(), 2, "{deliveries:?}");
        let of = |name: &str| deliveries.iter().find(|d| d.sink == name).expect(name);
        assert_eq!(
            of("rocket").outcome,
            DeliveryOutcome::Delivered { http: 200 }
        );
        let hung = of("gchat");
        assert!(
            matches!(
                hung.outcome,
                DeliveryOutcome::Failed { .. } | DeliveryOutcome::Undelivered
            ),
            "{hung:?}"
        );
        assert_eq!(hung.event, AlertEvent::AutomaticRollback);
        assert!(receiver
            .requests_to("gchat")
            .iter()
            .all(|r| r.problems.is_empty()));
    });
}

#[test]
fn the_same_alert_twice_is_sent_once() {
    runtime().block_on(async {
        let receiver = AlertReceiver::start().await;
        let (policy, _) = stand_in(4);
        let s = sink(SinkKind::Webhook, &receiver.url("webhook"));
        let settings = Settings {
            policy,
            session: None,
        };
        let notifier = Notifier::start(vec![s], settings).expect("a notifier");
        let alert = rollback();
        notifier.send(&alert);
        notifier.send(&alert);
        let mut other = alert.clone();
        other.reason = "rolled back by alice".into();
        other.event = AlertEvent::OperatorRollback;
        notifier.send(&other);
        let deliveries = notifier.finish(Duration::from_secs(3)).await;
        let got = receiver.requests_to("webhook");
        let events: Vec<_> = got.iter().map(|r| r.body["event"].clone()).collect();
        assert_eq!(
            events,
            vec![json!("automatic_rollback"), json!("operator_rollback")]
        );
        assert_eq!(deliveries.len(), 2, "{deliveries:?}");
        assert!(deliveries.iter().all(|d| d.outcome.is_delivered()));
    });
}

#[test]
fn a_slack_refusal_is_not_retried() {
    runtime().block_on(async {
        let receiver = AlertReceiver::start().await;
        receiver.refuse("slack", 1);
        let (policy, waits) = stand_in(4);
        let s = sink(SinkKind::Slack, &receiver.url("slack"));
        let (outcome, attempts) = send(&s, &rollback(), &policy).await;
        assert_eq!(
            outcome,
            DeliveryOutcome::Failed {
                http: Some(400),
                error: "invalid_blocks".into()
            }
        );
        assert_eq!(attempts, 1);
        assert!(waits.lock().unwrap().is_empty());
        assert_eq!(receiver.requests_to("slack").len(), 1);
    });
}

#[test]
fn a_500_is_retried_with_backoff() {
    runtime().block_on(async {
        let receiver = AlertReceiver::start().await;
        receiver.fail("rocket", 2);
        let (policy, waits) = stand_in(4);
        let s = sink(SinkKind::Rocket, &receiver.url("rocket"));
        let (outcome, attempts) = send(&s, &rollback(), &policy).await;
        assert_eq!(outcome, DeliveryOutcome::Delivered { http: 200 });
        assert_eq!(attempts, 3);
        let secs: Vec<u64> = waits
            .lock()
            .unwrap()
            .iter()
            .map(Duration::as_secs)
            .collect();
        assert_eq!(secs, vec![1, 2]);
    });
}

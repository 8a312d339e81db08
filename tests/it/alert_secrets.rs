//! What a delivery keeps of a webhook's answer, over real HTTP on loopback: a redirect is never
//! followed and fails naming where it pointed; a 500 whose body echoes the sink's secret path
//! is kept short, clean and without the path, as the recording and the log get it.

use crate::support::alert_receiver::AlertReceiver;
use crate::support::{runtime, T0};
use canary_cockpit::alert::deliver::{self, deliver};
use canary_cockpit::alert::redact::MAX_ERROR;
use canary_cockpit::alert::{Policy, SecretUrl, Sink, SinkKind, Waits};
use canary_cockpit::model::{
    Alert, AlertEvent, DeliveryOutcome, Phase, Severity, VersionNumbers, Weight,
};
use std::sync::{Arc, Mutex};

fn alert() -> Alert {
    Alert {
        at: T0,
        event: AlertEvent::OperatorRollback,
        severity: Severity::Warn,
        release: "frontend".into(),
        namespace: "shop".into(),
        provider: "ingress-nginx".into(),
        phase: Phase::RolledBack,
        weight: Weight::ZERO,
        actor: Some("alice".into()),
        reason: "alice rolled v2 back to v1".into(),
        primary: VersionNumbers::new("v1", "shop:1.0", None),
        canary: VersionNumbers::new("v2", "shop:2.0", None),
        judge: None,
    }
}

/// Four attempts whose waits are logged, not waited.
fn policy() -> Policy {
    Policy {
        attempts: 4,
        waits: Waits::StandInClock(Arc::new(Mutex::new(Vec::new()))),
        ..Policy::default()
    }
}

async fn send(url: &str) -> (DeliveryOutcome, u32) {
    let sink = Sink::new(
        "hook",
        SinkKind::Webhook,
        SecretUrl::parse(url).expect("a URL"),
    );
    let policy = policy();
    let client = deliver::client(&policy).expect("a client");
    deliver(&client, &sink, &alert(), None, &policy).await
}

#[test]
fn a_redirect_fails_naming_its_host_and_is_not_followed() {
    runtime().block_on(async {
        let rx = AlertReceiver::start().await;
        let port = rx.addr.port();
        // to a path of the same receiver, where a followed redirect would arrive as a GET
        rx.redirect(
            "webhook",
            1,
            &format!("http://localhost:{port}/slack/moved"),
        );
        let (outcome, attempts) = send(&rx.url("webhook/s3cr3t-token-abcdef")).await;
        assert_eq!(attempts, 1, "a redirect is not retried");
        let DeliveryOutcome::Failed {
            http: Some(302),
            error,
        } = &outcome
        else {
            panic!("not a failed 302: {outcome:?}");
        };
        assert!(error.contains(&format!("localhost:{port}")), "{error}");
        assert!(
            !error.contains("moved") && !error.contains("s3cr3t"),
            "{error}"
        );
        assert!(
            rx.requests_to("slack").is_empty(),
            "the redirect was followed"
        );
        assert_eq!(rx.requests_to("webhook").len(), 1);

        // a relative Location names the sink's own host
        rx.redirect("webhook", 1, "/login?next=x");
        let (outcome, _) = send(&rx.url("webhook/s3cr3t-token-abcdef")).await;
        assert!(
            outcome.to_string().contains(&format!("127.0.0.1:{port}")),
            "{outcome}"
        );
    });
}

#[test]
fn a_500_body_is_kept_short_clean_and_without_the_secret_path() {
    runtime().block_on(async {
        let rx = AlertReceiver::start().await;
        let path = "/webhook/T0001/s3cr3t-token-abcdef";
        let url = format!("http://{}{path}?sig=0123456789abcdef", rx.addr);
        let body = format!(
            "\u{1b}]52;c;aGk=\u{7}\u{202e} cannot post to {path}?sig=0123456789abcdef \
             (token s3cr3t-token-abcdef, url {url}) {}",
            "y".repeat(2000)
        );
        rx.fail_with("webhook", 4, &body);
        let (outcome, attempts) = send(&url).await;
        assert_eq!(attempts, 4);
        let DeliveryOutcome::Failed {
            http: Some(500),
            error,
        } = &outcome
        else {
            panic!("not a failed 500: {outcome:?}");
        };
        for secret in ["s3cr3t", "0123456789abcdef", "T0001"] {
            assert!(!error.contains(secret), "{secret} in {error}");
        }
        assert!(
            error.starts_with("␛]52;c;aGk=␇\\u{202e} cannot post to … (token …, url …) yyy"),
            "{error}"
        );
        assert!(canary_cockpit::hygiene::is_clean_output(error), "{error}");
        // 300 characters of the body, its cut marked, then how often it was tried, once
        let (kept, tries) = error.rsplit_once(" (after").expect("the attempts");
        assert_eq!(kept.chars().count(), MAX_ERROR + 1, "{kept}");
        assert!(kept.ends_with('…'));
        assert_eq!(tries, " 4 attempts)");
    });
}

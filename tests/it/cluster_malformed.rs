//! Moving to safety never depends on parsing the current state: against the real control plane,
//! a release whose canary weight cannot be read still rolls back (weight 0, canary scaled down)
//! and pauses, conditionally on the version read, while every action that moves it forward is
//! refused with the reason.

use crate::support::cluster::*;
use crate::support::{alice, runtime};
use canary_cockpit::app::{Action, Effect, Event};
use canary_cockpit::live::executor::Options;

const PAUSED: &str = "canary-cockpit.io/paused";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn rollback_on_a_malformed_weight_writes_0_and_scales_the_canary_down() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        let ns = shop(&client, "malformed", "abc", &[]).await;
        shop_deployments(&client, &ns).await;
        ns
    });
    let weight = || rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT));

    // forward is refused, with the reason, and nothing is written
    for args in [
        &["set-weight", "ingress/shop", "30"][..],
        &["promote", "ingress/shop", "--yes"][..],
    ] {
        let out = canary_at(&cp.kubeconfig, &ns, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("ingress/shop-canary: canary-weight is 'abc', not a whole number")
                && err.contains("is refused until it is set right; rollback and pause still work"),
            "{args:?}: {err}"
        );
        assert_eq!(weight().as_deref(), Some("abc"), "{args:?}");
    }
    assert_eq!(
        rt.block_on(deployment_image(&client, &ns, "shop-v1")),
        "shop:1.0"
    );

    // status says it, never a number
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["status", "ingress/shop", "-o", "json"],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(err.contains("`canary rollback` sets it right"), "{err}");

    // pause writes its annotation and leaves the weight, with a warning
    let out = canary_at(&cp.kubeconfig, &ns, &["pause", "ingress/shop"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning: ingress/shop-canary: canary-weight is 'abc', not a whole number; the pause leaves it as it is"),
        "{err}"
    );
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", PAUSED))
            .as_deref(),
        Some("true")
    );
    assert_eq!(weight().as_deref(), Some("abc"));

    // rollback: weight 0 whatever it held, then the canary scaled to 0
    let out = canary_at(&cp.kubeconfig, &ns, &["rollback", "ingress/shop", "--yes"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout.contains(
            "ingress/shop: ingress/shop-canary: warning: canary-weight was 'abc'; set to 0"
        ),
        "{stdout}"
    );
    in_order(
        &stdout,
        &[
            "canary-weight was 'abc'; set to 0",
            "ingress/shop-canary: canary weight 0 %",
            "deployment/shop-v2 scaled to 0",
        ],
    );
    assert_eq!(weight().as_deref(), Some("0"));
    assert_eq!(rt.block_on(deployment_replicas(&client, &ns, "shop-v2")), 0);
    assert_eq!(rt.block_on(deployment_replicas(&client, &ns, "shop-v1")), 2);
}

#[test]
fn the_cockpit_says_a_weight_it_cannot_read_and_still_rolls_back() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        let ns = shop(&client, "malformed-live", "20", &[]).await;
        shop_deployments(&client, &ns).await;
        ns
    });
    rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "ingress/shop").await;
        let Live {
            mut rx,
            effects,
            task,
        } = live_cockpit(cluster, seen, Options::default());
        until(&mut rx, "the first heartbeat", |e| {
            matches!(e, Event::Heartbeat { .. })
        })
        .await;
        // another hand writes a weight that is not a number
        set_annotation(&client, &ns, "shop-canary", WEIGHT, "12.5").await;
        let events = until(&mut rx, "the error", |e| {
            matches!(e, Event::SourceError { message, .. } if message.contains("canary-weight is '12.5'"))
        })
        .await;
        let refused = events.iter().any(|e| {
            matches!(e, Event::ReleaseObserved { release, .. }
                if release.refusal(canary_cockpit::model::Capability::SetWeight)
                    .is_some_and(|why| why.contains("rollback and pause still work")))
        });
        assert!(refused, "{events:?}");

        let act = |action| Effect::Act {
            action,
            actor: alice(),
        };
        effects
            .send(act(Action::SetWeight {
                weight: canary_cockpit::model::Weight::clamped(40),
            }))
            .unwrap();
        until(&mut rx, "the refusal", |e| {
            matches!(e, Event::ActionResult { error: Some(err), .. } if err.contains("is refused until it is set right"))
        })
        .await;
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT).await.as_deref(),
            Some("12.5")
        );

        effects.send(act(Action::Rollback)).unwrap();
        let events = until_within(&mut rx, 30, "the rollback's result", |e| {
            matches!(e, Event::ActionResult { action: Action::Rollback, .. })
        })
        .await;
        assert!(
            matches!(events.last(), Some(Event::ActionResult { error: None, .. })),
            "{events:?}"
        );
        let warned = events.iter().any(|e| {
            matches!(e, Event::Note { text, .. } if text.contains("canary-weight was '12.5'; set to 0"))
        });
        assert!(warned, "{events:?}");
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT).await.as_deref(),
            Some("0")
        );
        assert_eq!(deployment_replicas(&client, &ns, "shop-v2").await, 0);
        task.abort();
    });
}

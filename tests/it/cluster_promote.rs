//! Promotion of a release the cockpit drives, against the real control plane: all traffic to
//! the canary, the canary's pod template to the primary's Deployment, its rollout (the test plays
//! the kubelet), the traffic back, the canary scaled to 0; and a rollback that stops a promotion
//! whose rollout does not finish.

use crate::support::cluster::*;
use crate::support::{alice, runtime};
use canary_cockpit::app::{Action, Effect, Event};

/// An ingress-nginx release run by Deployments: shop-v1 (2 replicas, shop:1.0) behind Service
/// `shop`, shop-v2 (1 replica, shop:2.0) behind `shop-canary`, the canary Ingress at 20 %.
pub(crate) async fn deployed_shop(client: &kube::Client, prefix: &str) -> String {
    let ns = deployed_versions(client, prefix).await;
    shop_ingresses(client, &ns, "20", &[]).await;
    ns
}

#[test]
fn promote_moves_the_canary_into_the_primary_stage_by_stage() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(deployed_shop(&client, "promote"));
    let _kubelet = Kubelet::start(cp.kubeconfig.clone(), ns.clone());

    // without --yes nothing happens
    let out = canary_at(&cp.kubeconfig, &ns, &["promote", "ingress/shop"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
            .as_deref(),
        Some("20")
    );

    let out = canary_at(&cp.kubeconfig, &ns, &["promote", "ingress/shop", "--yes"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // the stages, in order
    let stages = [
        "ingress/shop-canary: all traffic to the canary (100 %)",
        "deployment/shop-v1 takes the canary's pod template (shop:2.0)",
        "deployment/shop-v1 rolled out",
        "ingress/shop-canary: all traffic back to the primary, now on shop:2.0",
        "deployment/shop-v2 scaled to 0",
    ];
    in_order(&text, &stages);
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        rt.block_on(annotation(
            &client,
            &ns,
            "shop-canary",
            "canary-cockpit.io/outcome"
        ))
        .as_deref(),
        Some("promoted")
    );
    assert_eq!(
        rt.block_on(deployment_image(&client, &ns, "shop-v1")),
        "shop:2.0"
    );
    assert_eq!(rt.block_on(deployment_replicas(&client, &ns, "shop-v1")), 2);
    assert_eq!(rt.block_on(deployment_replicas(&client, &ns, "shop-v2")), 0);

    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["status", "ingress/shop", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["phase"], "promoted");
    assert_eq!(json["versions"][0]["image"], "shop:2.0");
}

#[test]
fn a_promotion_without_a_canary_deployment_moves_nothing() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "promote-bare", "20", &[]));
    let out = canary_at(&cp.kubeconfig, &ns, &["promote", "ingress/shop", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no single Deployment"), "{err}");
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
            .as_deref(),
        Some("20")
    );
}

fn notes(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Note { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_rollback_stops_a_promotion_that_does_not_roll_out_and_restores_the_primary() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    // no kubelet: the primary's new pods never become ready, the rollout never finishes
    let ns = rt.block_on(deployed_shop(&client, "promote-stuck"));
    rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "ingress/shop").await;
        let Live { mut rx, effects, task } = live(cluster, seen, canary_cockpit::live::executor::Options::default());
        let operator = alice();
        effects
            .send(Effect::Act {
                action: Action::Promote,
                actor: operator.clone(),
            })
            .unwrap();
        let events = until_within(&mut rx, 30, "the rollout wait", |e| {
            matches!(e, Event::Note { text, .. } if text.contains("new replicas updated") || text.contains("updated replicas available"))
        })
        .await;
        let said = notes(&events);
        assert!(said.iter().any(|n| n.contains("all traffic to the canary")), "{said:?}");
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT).await.as_deref(),
            Some("100")
        );
        assert_eq!(deployment_image(&client, &ns, "shop-v1").await, "shop:2.0");

        // a second promotion is refused while the first runs
        effects
            .send(Effect::Act {
                action: Action::Promote,
                actor: operator.clone(),
            })
            .unwrap();
        until_within(&mut rx, 30, "the refusal", |e| {
            matches!(e, Event::ActionResult { action: Action::Promote, error: Some(err), .. } if err.contains("in flight"))
        })
        .await;

        effects
            .send(Effect::Act {
                action: Action::Rollback,
                actor: operator.clone(),
            })
            .unwrap();
        let events = until_within(&mut rx, 30, "the rollback's result", |e| {
            matches!(e, Event::ActionResult { action: Action::Rollback, .. })
        })
        .await;
        let stopped = events.iter().any(|e| {
            matches!(e, Event::ActionResult { action: Action::Promote, error: Some(err), .. } if err.contains("stopped by a rollback"))
        });
        assert!(stopped, "{events:?}");
        let said = notes(&events);
        for stage in [
            "rollback: ingress/shop-canary: canary weight 0 %",
            "rollback: deployment/shop-v1 back to its own pod template",
            "rollback: deployment/shop-v2 scaled to 0",
        ] {
            assert!(said.iter().any(|n| n == stage), "{stage:?} not in {said:?}: {events:?}");
        }
        assert!(
            matches!(events.last(), Some(Event::ActionResult { error: None, .. })),
            "{events:?}"
        );
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT).await.as_deref(),
            Some("0")
        );
        assert_eq!(deployment_image(&client, &ns, "shop-v1").await, "shop:1.0");
        assert_eq!(deployment_replicas(&client, &ns, "shop-v2").await, 0);
        task.abort();
    });
}

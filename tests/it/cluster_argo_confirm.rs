//! Say only what the cluster confirmed, on the real control plane with an Argo rollout and no
//! Argo controller (the test plays it by writing the Rollout's status): `P` `y` shows the
//! promotion requested and waiting for Argo Rollouts, then the warning once the (short) bound
//! passed; only after the test writes the controller's status (Healthy, the new stable
//! ReplicaSet) does the cockpit say promoted. The versions are named by revision and image
//! from the Rollout's ReplicaSets.

use crate::cluster_argo::{argo_release, controller_status, rollouts};
use crate::support::cluster::*;
use crate::support::{key, runtime};
use canary_cockpit::app::{App, AppConfig, Event, Level};
use canary_cockpit::live::executor;
use canary_cockpit::model::Phase;
use k8s_openapi::api::apps::v1::ReplicaSet;
use serde_json::json;
use tokio::sync::mpsc;

/// The Rollout's two ReplicaSets as its controller makes them: revision annotations, the hash
/// label, the pod template's image, owned by the Rollout. Scaled to 0, and selecting a label the
/// test's pods lack, so that no ReplicaSet controller adopts or deletes them.
async fn replica_sets(client: &kube::Client, ns: &str) {
    let ro = get_custom(client, ns, &rollouts(), "shop").await;
    let api: kube::Api<ReplicaSet> = kube::Api::namespaced(client.clone(), ns);
    for (hash, revision) in [("aaa", "1"), ("bbb", "2")] {
        let labels = json!({"app": "shop", "rollouts-pod-template-hash": hash, "fixture": "rs"});
        let rs: ReplicaSet = serde_json::from_value(json!({
            "metadata": {"name": format!("shop-{hash}"), "labels": labels,
                "annotations": {"rollout.argoproj.io/revision": revision},
                "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                    "name": "shop", "uid": ro["metadata"]["uid"], "controller": true}]},
            "spec": {"replicas": 0, "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels},
                    "spec": {"automountServiceAccountToken": false,
                        "containers": [{"name": "app", "image": format!("shop:{hash}")}]}}}
        }))
        .unwrap();
        api.create(&Default::default(), &rs)
            .await
            .expect("create replicaset");
    }
    // the controller keeps the current template's revision on the Rollout itself
    patch_custom(
        client,
        ns,
        &rollouts(),
        "shop",
        json!({"metadata": {"annotations": {"rollout.argoproj.io/revision": "2"}}}),
    )
    .await;
}

/// Feeds the live source's events through the cockpit, its effects back to the source, until
/// `done` holds of the cockpit; panics after `secs` with the cockpit's log.
async fn drive(
    app: &mut App,
    rx: &mut mpsc::Receiver<Event>,
    effects: &mpsc::UnboundedSender<canary_cockpit::app::Effect>,
    secs: u64,
    what: &str,
    done: impl Fn(&App) -> bool,
) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !done(app) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(event)) => {
                for effect in app.update(event) {
                    effects.send(effect).expect("the source takes effects");
                }
            }
            _ => {
                let log: Vec<&str> = app.log.iter().map(|e| e.text.as_str()).collect();
                panic!("no {what} within {secs} s; the cockpit's log: {log:#?}")
            }
        }
    }
}

#[test]
fn a_promotion_is_requested_until_the_rollouts_status_says_promoted() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(argo_release(&client, "argo-confirm"));
    rt.block_on(replica_sets(&client, &ns));
    rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "rollout/shop").await;
        // the versions by revision and image; their pods still by the template hash
        assert_eq!(seen.snapshot.canary.name, "rev 2 (shop:bbb)");
        assert_eq!(seen.snapshot.primary.name, "rev 1 (shop:aaa)");
        assert_eq!(pod_names(&seen.pods.canary), ["shop-bbb-1"]);
        assert_eq!(pod_names(&seen.pods.primary), ["shop-aaa-1", "shop-aaa-2"]);

        let mut app = App::new(AppConfig {
            confirm_within_ms: 2_000,
            ..AppConfig::default()
        });
        app.update(Event::ReleaseObserved {
            at: canary_cockpit::model::wall_clock(),
            release: seen.snapshot.clone(),
        });
        let Live {
            mut rx,
            effects,
            task,
        } = live(cluster, seen, executor::Options::default());
        app.update(key('P'));
        for effect in app.update(key('y')) {
            effects.send(effect).unwrap();
        }
        drive(&mut app, &mut rx, &effects, 20, "request", |a| {
            a.awaiting.is_some()
        })
        .await;
        let (level, line) = app.awaiting_line().expect("the request in the footer");
        assert_eq!(level, Level::Info);
        assert!(
            line.starts_with(
                "promote requested (status.promoteFull: true) · waiting for Argo Rollouts · "
            ),
            "{line}"
        );
        assert_ne!(app.phase, Phase::Promoted);
        assert_eq!(
            custom_field(&client, &ns, &rollouts(), "shop", &["status", "promoteFull"]).await,
            true
        );

        // nobody acts: after the bound, the warning, once
        let warning =
            "Argo Rollouts has not acted on the promotion for 2 s: is its controller running?";
        drive(&mut app, &mut rx, &effects, 20, "warning", |a| {
            a.log.iter().any(|e| e.text == warning)
        })
        .await;
        assert_eq!(
            app.awaiting_line().map(|(level, _)| level),
            Some(Level::Warn)
        );
        assert_ne!(app.phase, Phase::Promoted);
        assert_eq!(app.outcome, None);

        // the controller's status: Healthy, the stable ReplicaSet the new one
        controller_status(
            &client,
            &ns,
            json!({"phase": "Healthy", "stableRS": "bbb", "currentPodHash": "bbb",
                   "currentStepIndex": 5, "message": "healthy",
                   "canary": {"weights": {"canary": {"weight": 0, "podTemplateHash": "bbb", "serviceName": "shop-canary"},
                                          "stable": {"weight": 100, "podTemplateHash": "bbb", "serviceName": "shop"}}}}),
        )
        .await;
        drive(&mut app, &mut rx, &effects, 20, "promoted", |a| {
            a.phase == Phase::Promoted
        })
        .await;
        assert_eq!(app.awaiting, None);
        let log: Vec<&str> = app.log.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(log.iter().filter(|l| **l == warning).count(), 1, "{log:#?}");
        let said = |text: &str| log.iter().position(|l| *l == text);
        assert!(
            said(warning) < said("phase Paused→Promoted")
                && said("phase Paused→Promoted") < said("Argo Rollouts confirmed: Promoted"),
            "{log:#?}"
        );
        // the stable is now revision 2, named as it was the canary
        let primary = &app.release.as_ref().unwrap().primary.name;
        assert_eq!(primary, "rev 2 (shop:bbb)");
        task.abort();
    });
}

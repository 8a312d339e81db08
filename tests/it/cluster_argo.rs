//! Argo Rollouts releases against the real control plane (test CRDs in tests/fixtures/crds): the
//! test plays the Argo controller by patching the Rollout's status; every lever lands on the
//! field `kubectl argo rollouts` writes, read back from the API server.

use crate::support::cluster::*;
use crate::support::{key, runtime};
use canary_cockpit::app::Action;
use canary_cockpit::app::{App, AppConfig, Event};
use canary_cockpit::cluster::ClusterError;
use canary_cockpit::live::executor;
use canary_cockpit::model::{Millis, Phase, Weight};
use serde_json::json;

pub(crate) fn rollouts() -> kube::api::ApiResource {
    custom("argoproj.io", "v1alpha1", "Rollout", "rollouts")
}

fn analysis_runs() -> kube::api::ApiResource {
    custom("argoproj.io", "v1alpha1", "AnalysisRun", "analysisruns")
}

/// Plays the Argo controller: writes the Rollout's status through the status subresource.
pub(crate) async fn controller_status(client: &kube::Client, ns: &str, status: serde_json::Value) {
    patch_custom_status(client, ns, &rollouts(), "shop", status).await;
}

fn labelled_pod(name: &str, hash: &str) -> serde_json::Value {
    json!({"metadata": {"name": name, "labels": {"app": "shop", "rollouts-pod-template-hash": hash}},
           "spec": {"automountServiceAccountToken": false,
                    "containers": [{"name": "app", "image": format!("shop:{hash}")}]}})
}

/// A Rollout mid-release: paused at step 1 (after setWeight 20), stable hash `aaa`, canary
/// `bbb`, the router reporting 20 %; its pods; the canary Ingress Argo made (owned by the
/// Rollout); an AnalysisRun it owns.
pub(crate) async fn argo_release(client: &kube::Client, prefix: &str) -> String {
    let ns = namespace(client, prefix).await;
    create_custom(
        client,
        &ns,
        &rollouts(),
        json!({"metadata": {"name": "shop"}, "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "shop"}},
            "template": {"metadata": {"labels": {"app": "shop"}},
                         "spec": {"containers": [{"name": "app", "image": "shop:2"}]}},
            "strategy": {"canary": {
                "canaryService": "shop-canary", "stableService": "shop",
                "trafficRouting": {"nginx": {"stableIngress": "shop"}},
                "steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 50},
                          {"pause": {"duration": "30s"}}, {"setWeight": 80}]}}}}),
    )
    .await;
    controller_status(
        client,
        &ns,
        json!({"currentStepIndex": 1, "stableRS": "aaa", "currentPodHash": "bbb",
               "phase": "Paused", "message": "CanaryPauseStep",
               "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}],
               "canary": {"weights": {"canary": {"weight": 20, "podTemplateHash": "bbb", "serviceName": "shop-canary"},
                                      "stable": {"weight": 80, "podTemplateHash": "aaa", "serviceName": "shop"}}}}),
    )
    .await;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), &ns);
    for (name, hash) in [
        ("shop-aaa-1", "aaa"),
        ("shop-aaa-2", "aaa"),
        ("shop-bbb-1", "bbb"),
    ] {
        let pod = serde_json::from_value(labelled_pod(name, hash)).unwrap();
        pods.create(&Default::default(), &pod)
            .await
            .expect("create pod");
    }
    let ro = get_custom(client, &ns, &rollouts(), "shop").await;
    let owner = json!([{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "shop",
                        "uid": ro["metadata"]["uid"], "controller": true}]);
    // the user's stable Ingress, and the canary Ingress Argo made for it
    ingress(client, &ns, "shop", "shop.example", "shop", &[]).await;
    ingress(
        client,
        &ns,
        "shop-shop-canary",
        "shop.example",
        "shop-canary",
        &[(CANARY, "true"), (WEIGHT, "20")],
    )
    .await;
    let ing: kube::Api<k8s_openapi::api::networking::v1::Ingress> =
        kube::Api::namespaced(client.clone(), &ns);
    ing.patch(
        "shop-shop-canary",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(json!({"metadata": {"ownerReferences": owner}})),
    )
    .await
    .expect("own the canary ingress");
    create_custom(
        client,
        &ns,
        &analysis_runs(),
        json!({"metadata": {"name": "shop-bbb-2", "ownerReferences": owner},
               "spec": {"metrics": []},
               "status": {"phase": "Running", "metricResults": [{
                   "name": "success-rate", "phase": "Running", "count": 3, "successful": 3,
                   "failed": 0, "inconclusive": 0,
                   "measurements": [{"phase": "Successful", "value": "0.995",
                                     "startedAt": "2026-01-01T00:00:00Z"}]}]}}),
    )
    .await;
    ns
}

#[test]
fn a_rollout_reads_with_its_steps_pods_and_analysis() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(argo_release(&client, "argo-read"));
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "rollout/shop"));
    let s = &seen.snapshot;
    assert_eq!(s.source, "argo-rollouts");
    assert_eq!(s.weight, Weight::clamped(20));
    assert_eq!(s.phase, Some(Phase::Paused));
    assert_eq!(pod_names(&seen.pods.primary), ["shop-aaa-1", "shop-aaa-2"]);
    assert_eq!(pod_names(&seen.pods.canary), ["shop-bbb-1"]);
    let view = s.controller.as_ref().expect("the controller's view");
    assert_eq!(view.current_step, Some(1));
    assert_eq!(view.steps[1], "pause (until resumed)");
    assert_eq!(view.steps[3], "pause 30s");
    assert!(
        view.analysis
            .iter()
            .any(|l| l.contains("shop-bbb-2: Running")),
        "{:?}",
        view.analysis
    );
    assert!(
        view.analysis
            .iter()
            .any(|l| l.contains("success-rate") && l.contains("0.995")),
        "{:?}",
        view.analysis
    );
    assert!(view.message.contains("CanaryPauseStep"), "{}", view.message);

    // the cockpit's keys: no step down, no exact weight, each says why and sends nothing
    let mut app = App::new(AppConfig::default());
    app.update(Event::ReleaseObserved {
        at: Millis(1),
        release: s.clone(),
    });
    assert!(app.update(key('-')).is_empty());
    assert!(
        app.status
            .as_ref()
            .is_some_and(|st| st.text.contains("only forward")),
        "{:?}",
        app.status
    );
    assert!(app.update(key('w')).is_empty());
    assert!(
        app.status
            .as_ref()
            .is_some_and(|st| st.text.contains("by its steps")),
        "{:?}",
        app.status
    );
    // + asks the controller for the next step
    let effects = app.update(key('+'));
    assert!(
        matches!(
            effects.as_slice(),
            [canary_cockpit::app::Effect::Act {
                action: canary_cockpit::app::Action::NextStep,
                ..
            }]
        ),
        "{effects:?}"
    );

    // status: the controller's phase and the JSON contract
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["status", "rollout/shop", "-o", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["provider"], "argo-rollouts");
    assert_eq!(json["phase"], "Paused");
    assert_eq!(json["weight"], json!({"canary": 20, "primary": 80}));
    assert_eq!(json["versions"][1]["pods"][0]["name"], "shop-bbb-1");

    // metrics: the series of its traffic provider, with the Ingresses Argo routes through
    let queries = rt.block_on(release_queries(&cluster, &seen));
    assert_eq!(queries.template, "ingress-nginx");
    assert!(
        queries
            .requests
            .contains(r#"ingress=~"shop|shop-shop-canary""#),
        "{}",
        queries.requests
    );

    // the release list shows the Rollout, not the Ingress Argo made for it
    let (listed, _) = rt
        .block_on(canary_cockpit::live::discover::releases(&cluster, false))
        .unwrap();
    let targets: Vec<&str> = listed.iter().map(|l| l.target.as_str()).collect();
    assert_eq!(targets, ["rollout/shop"], "{listed:?}");
    assert!(
        listed[0].note.contains("manages ingress/shop-shop-canary"),
        "{listed:?}"
    );
}

#[test]
fn every_lever_lands_on_the_field_kubectl_argo_rollouts_writes() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(argo_release(&client, "argo-levers"));
    let rollout_field =
        |path: &[&str]| rt.block_on(custom_field(&client, &ns, &rollouts(), "shop", path));
    let run = |args: &[&str]| canary_at(&cp.kubeconfig, &ns, args);

    // paused at a pause step: next step = resume (spec.paused false, pauseConditions cleared)
    let out = run(&["promote", "rollout/shop", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rollout_field(&["spec", "paused"]), false);
    assert_eq!(
        rollout_field(&["status", "pauseConditions"]),
        serde_json::Value::Null
    );
    assert_eq!(rollout_field(&["status", "currentStepIndex"]), 1);

    // the controller moves to step 2 and runs: next step = currentStepIndex 3
    rt.block_on(controller_status(
        &client,
        &ns,
        json!({"currentStepIndex": 2, "phase": "Progressing"}),
    ));
    let (cluster, stale) = rt.block_on(read_release(&cp.kubeconfig, &ns, "rollout/shop"));
    let out = run(&["promote", "rollout/shop", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rollout_field(&["status", "currentStepIndex"]), 3);
    // a second press from a stale view does not skip another step
    let err = rt
        .block_on(executor::perform(
            &cluster,
            &stale,
            Action::NextStep,
            &executor::Options::default(),
            &mut executor::Reporter::Collect(Vec::new()),
        ))
        .unwrap_err();
    assert!(matches!(err, ClusterError::Conflict { .. }), "{err}");
    assert_eq!(rollout_field(&["status", "currentStepIndex"]), 3);

    // pause and resume
    let out = run(&["pause", "rollout/shop"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rollout_field(&["spec", "paused"]), true);
    let out = run(&["resume", "rollout/shop"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(rollout_field(&["spec", "paused"]), false);

    // no exact weights in Argo Rollouts: refused with the reason, nothing written
    let before = rollout_field(&["metadata", "resourceVersion"]);
    let out = run(&["set-weight", "rollout/shop", "30"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("by its steps"));
    assert_eq!(rollout_field(&["metadata", "resourceVersion"]), before);

    // promote fully
    let out = run(&["promote", "rollout/shop", "--full", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rollout_field(&["status", "promoteFull"]), true);

    // abort, then retry
    let out = run(&["rollback", "rollout/shop", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rollout_field(&["status", "abort"]), true);
    rt.block_on(controller_status(&client, &ns, json!({"phase": "Degraded", "message": "RolloutAborted: Rollout aborted update to revision 2",
               "canary": {"weights": {"canary": {"weight": 0}, "stable": {"weight": 100}}}})));
    let out = run(&["status", "rollout/shop", "-o", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["phase"], "Aborted");
    assert_eq!(json["weight"]["canary"], 0);
    let out = run(&["retry", "rollout/shop"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rollout_field(&["status", "abort"]), false);
    // retry of a rollout that is not aborted says so
    let out = run(&["retry", "rollout/shop"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not aborted"));
}

#[test]
fn a_rollout_with_a_workload_ref_and_the_live_source() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(namespace(&client, "argo-ref"));
    rt.block_on(async {
        deployment(&client, &ns, "shop", ("shop", "v1", "shop:1"), 0).await;
        create_custom(
            &client,
            &ns,
            &rollouts(),
            json!({"metadata": {"name": "shop"}, "spec": {
                "selector": {"matchLabels": {"app": "shop"}},
                "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "shop"},
                "strategy": {"canary": {"steps": [{"setWeight": 25}, {"pause": {}}]}}}}),
        )
        .await;
        controller_status(&client, &ns, json!({"currentStepIndex": 0, "stableRS": "aaa", "currentPodHash": "bbb", "phase": "Progressing"})).await;
    });
    rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "rollout/shop").await;
        // without traffic routing the weight is the current step's setWeight
        assert_eq!(seen.snapshot.weight, Weight::clamped(25));
        let view = seen.snapshot.controller.clone().unwrap();
        assert!(view.message.contains("Deployment/shop"), "{}", view.message);
        let Live { mut rx, effects: _effects, task } = live(cluster, seen, canary_cockpit::live::executor::Options::default());
        // the controller reaches the pause step; a new canary pod appears: both reach the cockpit
        controller_status(&client, &ns, json!({"currentStepIndex": 1, "phase": "Paused",
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}]})).await;
        let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(client.clone(), &ns);
        pods.create(&Default::default(), &serde_json::from_value(labelled_pod("shop-bbb-x", "bbb")).unwrap())
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        let (mut paused, mut pod) = (false, false);
        while !(paused && pod) {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(Event::ReleaseObserved { release, .. })) => {
                    paused |= release.phase == Some(Phase::Paused)
                        && release.controller.as_ref().and_then(|c| c.current_step) == Some(1);
                }
                Ok(Some(Event::PodsObserved { pods, .. })) => {
                    pod |= pods.canary.iter().any(|p| p.name == "shop-bbb-x");
                }
                Ok(Some(_)) => {}
                _ => panic!("the pause step ({paused}) or the new canary pod ({pod}) did not arrive"),
            }
        }
        task.abort();
    });
}

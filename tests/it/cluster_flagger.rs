//! Flagger and KubeSphere releases against the real control plane (test CRDs in
//! tests/fixtures/crds). For Flagger the test plays Flagger twice over: it writes the Canary's
//! status as Flagger would, and it calls the cockpit's gate endpoints over HTTP as Flagger's
//! webhooks do, checking 200/403 as the operator opens and closes gates.

use crate::support::cluster::*;
use crate::support::{alice, key, post, runtime};
use canary_cockpit::app::{Action, App, AppConfig, Effect, Event};
use canary_cockpit::model::{Millis, Phase, Weight};
use canary_cockpit::provider::flagger::gate::GateBook;
use serde_json::json;

fn canaries() -> kube::api::ApiResource {
    custom("flagger.app", "v1beta1", "Canary", "canaries")
}

fn strategies() -> kube::api::ApiResource {
    custom(
        "servicemesh.kubesphere.io",
        "v1alpha2",
        "Strategy",
        "strategies",
    )
}

/// Plays Flagger: writes the Canary's status.
async fn flagger_status(client: &kube::Client, ns: &str, status: serde_json::Value) {
    patch_custom_status(client, ns, &canaries(), "podinfo", status).await;
}

/// A Flagger release: Deployments podinfo (the canary target) and podinfo-primary, each with a
/// pod, a Canary at 10 % whose webhooks point at `gate` (when given).
pub(crate) async fn flagger_release(
    client: &kube::Client,
    prefix: &str,
    gate: Option<std::net::SocketAddr>,
) -> String {
    let ns = namespace(client, prefix).await;
    deployment(client, &ns, "podinfo", ("podinfo", "v2", "podinfo:6.1"), 0).await;
    deployment(
        client,
        &ns,
        "podinfo-primary",
        ("podinfo", "v1", "podinfo:6.0"),
        0,
    )
    .await;
    // pods as the Deployments would make them (labels of their selectors)
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), &ns);
    for (name, version, deployment, image) in [
        ("podinfo-primary-1", "v1", "podinfo-primary", "podinfo:6.0"),
        ("podinfo-1", "v2", "podinfo", "podinfo:6.1"),
    ] {
        let pod = serde_json::from_value(json!({
            "metadata": {"name": name, "labels": {"app": "podinfo", "version": version, "deployment": deployment}},
            "spec": {"automountServiceAccountToken": false, "containers": [{"name": "app", "image": image}]}
        }))
        .unwrap();
        pods.create(&Default::default(), &pod)
            .await
            .expect("create pod");
    }
    let webhooks = match gate {
        Some(addr) => json!([
            {"name": "step", "type": "confirm-traffic-increase", "url": format!("http://{addr}/gate/check")},
            {"name": "promote", "type": "confirm-promotion", "url": format!("http://{addr}/gate/check")},
            {"name": "back", "type": "rollback", "url": format!("http://{addr}/rollback/check")}]),
        None => json!([{"name": "load", "type": "rollout", "url": "http://loadtester/"}]),
    };
    create_custom(
        client,
        &ns,
        &canaries(),
        json!({"metadata": {"name": "podinfo"}, "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10,
                "metrics": [{"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "1m"}],
                "webhooks": webhooks}}}),
    )
    .await;
    flagger_status(
        client,
        &ns,
        json!({"phase": "Progressing", "canaryWeight": 10, "failedChecks": 1, "iterations": 1,
               "conditions": [{"type": "Promoted", "status": "Unknown", "reason": "Progressing",
                               "message": "New revision detected, progressing canary analysis."}]}),
    )
    .await;
    ns
}

#[test]
fn a_flagger_canary_reads_and_its_levers_write_the_spec() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(flagger_release(&client, "flagger", None));
    let canary_field =
        |path: &[&str]| rt.block_on(custom_field(&client, &ns, &canaries(), "podinfo", path));
    let run = |args: &[&str]| canary_at(&cp.kubeconfig, &ns, args);
    let out = run(&["status", "canary/podinfo", "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["provider"], "flagger");
    assert_eq!(json["phase"], "Progressing");
    assert_eq!(json["weight"], json!({"canary": 10, "primary": 90}));
    assert_eq!(json["versions"][0]["name"], "podinfo-primary");
    assert_eq!(json["versions"][0]["pods"][0]["name"], "podinfo-primary-1");
    assert_eq!(json["versions"][1]["pods"][0]["name"], "podinfo-1");

    // the analysis panel's view and the keys without a lever
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "canary/podinfo"));
    let view = seen.snapshot.controller.clone().unwrap();
    assert_eq!(view.analysis[0], "failed checks 1/5 · iterations 1");
    assert!(
        view.analysis
            .iter()
            .any(|l| l.contains("request-success-rate ≥ 99")),
        "{:?}",
        view.analysis
    );
    // metrics: Flagger's default provider is Istio, its workloads the target and -primary
    let queries = rt.block_on(release_queries(&cluster, &seen));
    assert_eq!(queries.template, "istio");
    assert!(
        queries
            .requests
            .contains(r#"destination_workload=~"podinfo-primary|podinfo""#),
        "{}",
        queries.requests
    );
    let mut app = App::new(AppConfig::default());
    app.update(Event::ReleaseObserved {
        at: Millis(1),
        release: seen.snapshot.clone(),
    });
    assert!(app.update(key('+')).is_empty());
    assert!(
        app.status
            .as_ref()
            .is_some_and(|s| s.text.contains("--gate-listen")),
        "{:?}",
        app.status
    );
    app.update(key('R'));
    assert!(
        app.status
            .as_ref()
            .is_some_and(|s| s.text.contains("rollback/check")),
        "{:?}",
        app.status
    );

    // pause and resume = spec.suspend
    let out = run(&["pause", "canary/podinfo"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(canary_field(&["spec", "suspend"]), true);
    let out = run(&["status", "canary/podinfo", "-o", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["phase"], "Progressing (suspended)");
    let out = run(&["resume", "canary/podinfo"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(canary_field(&["spec", "suspend"]), false);

    // rollback without a rollback webhook: explained, with the webhook to add; nothing written
    let out = run(&["rollback", "canary/podinfo", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("type: rollback") && err.contains("/rollback/check"),
        "{err}"
    );
    // promote without a promotion gate: skipAnalysis
    let out = run(&["promote", "canary/podinfo", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(canary_field(&["spec", "skipAnalysis"]), true);
    // an exact weight is Flagger's to set
    let out = run(&["set-weight", "canary/podinfo", "30"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stepWeight"));

    // Flagger fails the analysis and rolls back: status exits 3
    rt.block_on(flagger_status(
        &client,
        &ns,
        json!({"phase": "Failed", "canaryWeight": 0}),
    ));
    let out = run(&["status", "canary/podinfo", "-o", "json"]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn flagger_waits_at_the_cockpits_gates_until_the_operator_opens_them() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    rt.block_on(async {
        let listener = canary_cockpit::provider::flagger::gate::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let book = GateBook::new();
        let (calls_tx, _calls) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(canary_cockpit::provider::flagger::gate::serve(
            listener,
            book.clone(),
            calls_tx,
        ));
        let ns = flagger_release(&client, "flagger-gates", Some(addr)).await;
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "canary/podinfo").await;
        let options = canary_cockpit::live::executor::Options {
            gates: Some((book.clone(), addr.to_string())),
            ..Default::default()
        };
        let Live {
            mut rx,
            effects,
            task,
        } = live_cockpit(cluster, seen, options);
        until(&mut rx, "heartbeat", |e| {
            matches!(e, Event::Heartbeat { .. })
        })
        .await;
        let me =
            json!({"name": "podinfo", "namespace": ns, "phase": "Progressing", "metadata": {}})
                .to_string();
        let operator = alice();
        let act = |action: Action| Effect::Act {
            action,
            actor: operator.clone(),
        };

        // Flagger asks before it increases the traffic: closed
        assert_eq!(post(addr, "/gate/check", &me).await, 403);
        // + opens the gate for one step
        effects.send(act(Action::NextStep)).unwrap();
        until(&mut rx, "the step's result", |e| {
            matches!(
                e,
                Event::ActionResult {
                    action: Action::NextStep,
                    error: None,
                    ..
                }
            )
        })
        .await;
        assert_eq!(post(addr, "/gate/check", &me).await, 200);
        assert_eq!(
            post(addr, "/gate/check", &me).await,
            200,
            "open until the weight moves"
        );
        // Flagger takes the step: the gate closes again
        flagger_status(&client, &ns, json!({"canaryWeight": 20})).await;
        until(
            &mut rx,
            "the gate closing",
            |e| matches!(e, Event::Note { text, .. } if text.contains("gate closed again")),
        )
        .await;
        assert_eq!(post(addr, "/gate/check", &me).await, 403);
        // another canary's gate was never opened
        let other = json!({"name": "other", "namespace": ns, "phase": "Progressing"}).to_string();
        assert_eq!(post(addr, "/gate/check", &other).await, 403);

        // promote opens the promotion gate (no skipAnalysis needed)
        effects.send(act(Action::Promote)).unwrap();
        until(&mut rx, "the promotion", |e| {
            matches!(
                e,
                Event::ActionResult {
                    action: Action::Promote,
                    error: None,
                    ..
                }
            )
        })
        .await;
        assert_eq!(post(addr, "/gate/check", &me).await, 200);
        let c = get_custom(&client, &ns, &canaries(), "podinfo").await;
        assert!(c["spec"].get("skipAnalysis").is_none(), "{c}");

        // roll back opens the rollback gate: Flagger's rollback check says roll back now
        assert_eq!(post(addr, "/rollback/check", &me).await, 403);
        effects.send(act(Action::Rollback)).unwrap();
        until(&mut rx, "the rollback", |e| {
            matches!(
                e,
                Event::ActionResult {
                    action: Action::Rollback,
                    error: None,
                    ..
                }
            )
        })
        .await;
        assert_eq!(post(addr, "/rollback/check", &me).await, 200);

        // the release ends: every gate closes so the next one starts closed
        flagger_status(&client, &ns, json!({"phase": "Failed", "canaryWeight": 0})).await;
        until(
            &mut rx,
            "the gates closing",
            |e| matches!(e, Event::Note { text, .. } if text.contains("gates closed")),
        )
        .await;
        assert_eq!(post(addr, "/gate/check", &me).await, 403);
        assert_eq!(post(addr, "/rollback/check", &me).await, 403);
        // the load tester's own open/close paths work too
        assert_eq!(
            post(
                addr,
                "/gate/open",
                &json!({"name": "podinfo", "namespace": ns}).to_string()
            )
            .await,
            202
        );
        assert_eq!(post(addr, "/gate/check", &me).await, 200);
        task.abort();
    });
}

/// A KubeSphere release: a Strategy `reviews` with principal v1 splitting 80/20 between the
/// subsets v1 and v2 of its template, and a pod of each version.
pub(crate) async fn kubesphere_release(client: &kube::Client, prefix: &str) -> String {
    let ns = namespace(client, prefix).await;
    for (name, version) in [("reviews-v1-a", "v1"), ("reviews-v2-a", "v2")] {
        let image = format!("reviews:{version}");
        running_pod(client, &ns, name, ("reviews", version, &image), true, 0).await;
    }
    create_custom(
        client,
        &ns,
        &strategies(),
        json!({"metadata": {"name": "reviews"}, "spec": {
            "type": "Canary", "principal": "v1", "strategyPolicy": "Immediately",
            "selector": {"matchLabels": {"app": "reviews"}},
            "template": {"spec": {"hosts": ["reviews"], "http": [{"route": [
                {"destination": {"host": "reviews", "subset": "v1"}, "weight": 80},
                {"destination": {"host": "reviews", "subset": "v2"}, "weight": 20}]}]}}},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Applied"}]}}),
    )
    .await;
    ns
}

#[test]
fn a_kubesphere_strategy_sets_template_weights_and_its_governor() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(kubesphere_release(&client, "kubesphere"));
    let run = |args: &[&str]| canary_at(&cp.kubeconfig, &ns, args);
    let out = run(&["status", "strategy/reviews", "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["provider"], "kubesphere");
    assert_eq!(json["weight"], json!({"canary": 20, "primary": 80}));
    assert_eq!(json["versions"][1]["name"], "v2");
    assert_eq!(json["versions"][1]["pods"][0]["name"], "reviews-v2-a");

    let field =
        |path: &[&str]| rt.block_on(custom_field(&client, &ns, &strategies(), "reviews", path));
    // set weight = the template's route weights
    let out = run(&["set-weight", "strategy/reviews", "40"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let route = field(&["spec", "template", "spec", "http"]);
    assert_eq!(
        (
            route[0]["route"][0]["weight"].as_i64(),
            route[0]["route"][1]["weight"].as_i64()
        ),
        (Some(60), Some(40))
    );
    // promote = take over: the governor is the canary
    let out = run(&["promote", "strategy/reviews", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(field(&["spec", "governor"]), "v2");
    let out = run(&["status", "strategy/reviews", "-o", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["weight"]["canary"], 100);
    // a weight while governed is refused with the reason
    let out = run(&["set-weight", "strategy/reviews", "10"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("governed by v2"));
    // roll back = the principal governs
    let out = run(&["rollback", "strategy/reviews", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(field(&["spec", "governor"]), "v1");
    let (_, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "strategy/reviews"));
    assert_eq!(
        (seen.snapshot.weight, seen.snapshot.phase),
        (Weight::ZERO, Some(Phase::RolledBack))
    );
}

//! Istio VirtualService and Gateway API HTTPRoute releases against the real control plane (with
//! the test CRDs of tests/fixtures/crds): reading, the exact fields each write lands on, a write
//! race, an RBAC denial, pause/resume, rollback, and the live source following a change.

use crate::support::cluster::*;
use crate::support::runtime;
use canary_cockpit::app::Event;
use canary_cockpit::cluster::ClusterError;
use canary_cockpit::model::Weight;
use canary_cockpit::provider::common::write;
use serde_json::json;

/// An Istio release told apart by subsets: Service `shop` (app=shop), DestinationRule subsets
/// `stable` (version=v1) and `canary` (version=v2), the VirtualService at 80/20 with a header
/// route to the canary first. Pods: two v1, one v2, and a v1 pod of another app.
pub(crate) async fn istio_subsets(client: &kube::Client, prefix: &str) -> String {
    let ns = namespace(client, prefix).await;
    service_selecting(client, &ns, "shop", json!({"app": "shop"})).await;
    for (name, version, image) in [
        ("shop-v1-a", "v1", "shop:1.0"),
        ("shop-v1-b", "v1", "shop:1.0"),
        ("shop-v2-a", "v2", "shop:2.0"),
    ] {
        running_pod(client, &ns, name, ("shop", version, image), true, 0).await;
    }
    running_pod(client, &ns, "cart-v1", ("cart", "v1", "cart:1"), true, 0).await;
    create_custom(
        client,
        &ns,
        &destination_rules(),
        json!({"metadata": {"name": "shop"}, "spec": {
            "host": format!("shop.{ns}.svc.cluster.local"),
            "subsets": [{"name": "stable", "labels": {"version": "v1"}},
                        {"name": "canary", "labels": {"version": "v2"}}]}}),
    )
    .await;
    create_custom(
        client,
        &ns,
        &virtual_services(),
        json!({"metadata": {"name": "shop"}, "spec": {"hosts": ["shop"], "http": [
            {"name": "testers", "match": [{"headers": {"x-canary": {"exact": "yes"}}}],
             "route": [{"destination": {"host": "shop", "subset": "canary"}}]},
            {"name": "split", "route": [
                {"destination": {"host": "shop", "subset": "stable"}, "weight": 80},
                {"destination": {"host": "shop", "subset": "canary"}, "weight": 20}]}]}}),
    )
    .await;
    ns
}

/// A Gateway API release: Services `shop` (version=v1) and `shop-canary` (version=v2), Deployments
/// behind them, the HTTPRoute's second rule splitting between them (the primary without a weight,
/// which the schema defaults to 1; the canary at 0).
pub(crate) async fn gateway_release(client: &kube::Client, prefix: &str) -> String {
    let ns = deployed_versions(client, prefix).await;
    create_custom(
        client,
        &ns,
        &http_routes(),
        json!({"metadata": {"name": "shop"}, "spec": {
            "parentRefs": [{"name": "gateway"}], "hostnames": ["shop.example"],
            "rules": [
                {"matches": [{"path": {"type": "PathPrefix", "value": "/health"}}],
                 "backendRefs": [{"name": "shop", "port": 80}]},
                {"backendRefs": [{"name": "shop", "port": 80},
                                 {"name": "shop-canary", "port": 80, "weight": 0}]}]}}),
    )
    .await;
    ns
}

#[test]
fn an_istio_release_reads_by_subsets_and_writes_both_weights() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(istio_subsets(&client, "istio"));
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "vs/shop"));
    let s = &seen.snapshot;
    assert_eq!((s.name.as_str(), s.source.as_str()), ("shop", "istio"));
    assert_eq!(s.weight, Weight::clamped(20));
    assert_eq!(
        (s.primary.name.as_str(), s.primary.image.as_str()),
        ("stable", "shop:1.0")
    );
    assert_eq!(
        (s.canary.name.as_str(), s.canary.image.as_str()),
        ("canary", "shop:2.0")
    );
    // the other app's v1 pod is not the primary's: the Service's selector and the subset's
    // labels both apply
    assert_eq!(pod_names(&seen.pods.primary), ["shop-v1-a", "shop-v1-b"]);
    assert_eq!(pod_names(&seen.pods.canary), ["shop-v2-a"]);
    assert_eq!(seen.bypass().len(), 1, "{:?}", seen.bypass());
    assert!(seen.bypass()[0].contains("x-canary"), "{:?}", seen.bypass());

    // the CLI writes both weights of the split route, and nothing else
    let out = canary_at(&cp.kubeconfig, &ns, &["set-weight", "vs/shop", "35"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vs = rt.block_on(get_custom(&client, &ns, &virtual_services(), "shop"));
    let http = &vs["spec"]["http"];
    assert_eq!(http[1]["route"][0]["weight"], 65);
    assert_eq!(http[1]["route"][1]["weight"], 35);
    assert_eq!(http[1]["route"][1]["destination"]["subset"], "canary");
    assert!(http[0]["route"][0].get("weight").is_none(), "{http}");
    assert_eq!(http.as_array().map(Vec::len), Some(2));

    // a write after someone else changed the route is refused, and theirs stays
    let stale = seen;
    rt.block_on(patch_custom(
        &client,
        &ns,
        &virtual_services(),
        "shop",
        json!({"metadata": {"labels": {"touched": "yes"}}}),
    ));
    let err = rt
        .block_on(write::set_weight(
            &cluster,
            &stale.route,
            Weight::clamped(50),
            None,
        ))
        .unwrap_err();
    assert!(matches!(err, ClusterError::Conflict { .. }), "{err}");
    let vs = rt.block_on(get_custom(&client, &ns, &virtual_services(), "shop"));
    assert_eq!(vs["spec"]["http"][1]["route"][1]["weight"], 35);
}

#[test]
fn istio_destinations_told_apart_by_host_names() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(namespace(&client, "istio-hosts"));
    rt.block_on(async {
        service(&client, &ns, "shop-primary", "shop", "v1").await;
        service(&client, &ns, "shop-canary", "shop", "v2").await;
        running_pod(&client, &ns, "p1", ("shop", "v1", "shop:1.0"), true, 0).await;
        running_pod(&client, &ns, "c1", ("shop", "v2", "shop:2.0"), false, 0).await;
        create_custom(
            &client,
            &ns,
            &virtual_services(),
            json!({"metadata": {"name": "shop"}, "spec": {"hosts": ["shop"], "http": [
                {"route": [
                    {"destination": {"host": "shop-canary"}, "weight": 10},
                    {"destination": {"host": format!("shop-primary.{ns}.svc.cluster.local")}, "weight": 90}]}]}}),
        )
        .await;
    });
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["status", "virtualservice/shop", "-o", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["provider"], "istio");
    assert_eq!(json["weight"], json!({"canary": 10, "primary": 90}));
    assert_eq!(json["versions"][0]["name"], "shop-primary");
    assert_eq!(json["versions"][0]["pods"][0]["name"], "p1");
    assert_eq!(json["versions"][1]["pods"][0]["ready"], false);

    // YAML says the same
    let out = canary_at(&cp.kubeconfig, &ns, &["status", "vs/shop", "-o", "yaml"]);
    assert_eq!(out.status.code(), Some(0));
    let yaml = String::from_utf8_lossy(&out.stdout);
    assert!(yaml.contains("provider: istio"), "{yaml}");
    assert!(yaml.contains("canary: 10"), "{yaml}");

    // promote at the set-weight level: 100 % leaves the primary at 0
    let out = canary_at(&cp.kubeconfig, &ns, &["set-weight", "vs/shop", "100"]);
    assert_eq!(out.status.code(), Some(0));
    let vs = rt.block_on(get_custom(&client, &ns, &virtual_services(), "shop"));
    assert_eq!(vs["spec"]["http"][0]["route"][0]["weight"], 100);
    assert_eq!(vs["spec"]["http"][0]["route"][1]["weight"], 0);
}

#[test]
fn ambiguous_and_missing_objects_are_explained() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(namespace(&client, "istio-bad"));
    rt.block_on(create_custom(
        &client,
        &ns,
        &virtual_services(),
        json!({"metadata": {"name": "shop"}, "spec": {"http": [{"route": [
            {"destination": {"host": "shop", "subset": "blue"}, "weight": 90},
            {"destination": {"host": "shop", "subset": "green"}, "weight": 10}]}]}}),
    ));
    // names without versions, and nothing behind them to compare (no Service yet)
    let out = canary_at(&cp.kubeconfig, &ns, &["status", "vs/shop"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("canary-cockpit.io/canary-backend"), "{err}");
    assert!(err.contains("(blue or green)"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    // naming the canary's subset in the annotation settles it; its DestinationRule is missing
    rt.block_on(patch_custom(
        &client,
        &ns,
        &virtual_services(),
        "shop",
        json!({"metadata": {"annotations": {"canary-cockpit.io/canary-backend": "green"}}}),
    ));
    rt.block_on(service_selecting(
        &client,
        &ns,
        "shop",
        json!({"app": "shop"}),
    ));
    let out = canary_at(&cp.kubeconfig, &ns, &["status", "vs/shop"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DestinationRule"), "{err}");

    let out = canary_at(&cp.kubeconfig, &ns, &["status", "httproute/nope"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("httproute/nope not found"), "{err}");
}

#[test]
fn a_gateway_release_writes_backend_weights_and_rolls_back() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(gateway_release(&client, "gateway"));
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["status", "httproute/shop", "-o", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["provider"], "gateway-api");
    assert_eq!(json["phase"], "idle");
    assert_eq!(json["weight"]["canary"], 0);

    let out = canary_at(&cp.kubeconfig, &ns, &["set-weight", "httproute/shop", "30"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let route = rt.block_on(get_custom(&client, &ns, &http_routes(), "shop"));
    let refs = &route["spec"]["rules"][1]["backendRefs"];
    assert_eq!(
        (refs[0]["weight"].as_i64(), refs[1]["weight"].as_i64()),
        (Some(70), Some(30))
    );
    // the other rule is untouched: its backend still has the schema's default weight
    assert_eq!(route["spec"]["rules"][0]["backendRefs"][0]["weight"], 1);

    // pause and resume are recorded on the route
    let out = canary_at(&cp.kubeconfig, &ns, &["pause", "httproute/shop"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let route = rt.block_on(get_custom(&client, &ns, &http_routes(), "shop"));
    assert_eq!(
        route["metadata"]["annotations"]["canary-cockpit.io/paused"],
        "true"
    );
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["status", "httproute/shop", "-o", "json"],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["phase"], "paused");
    let out = canary_at(&cp.kubeconfig, &ns, &["resume", "httproute/shop"]);
    assert_eq!(out.status.code(), Some(0));
    let route = rt.block_on(get_custom(&client, &ns, &http_routes(), "shop"));
    assert!(
        route["metadata"]["annotations"]
            .get("canary-cockpit.io/paused")
            .is_none(),
        "{route}"
    );

    // rollback: weight 0 with the outcome, then the canary Deployment scaled to 0
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["rollback", "httproute/shop", "--yes"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("httproute/shop: canary weight 0 %"), "{text}");
    assert!(text.contains("deployment/shop-v2 scaled to 0"), "{text}");
    let route = rt.block_on(get_custom(&client, &ns, &http_routes(), "shop"));
    let refs = &route["spec"]["rules"][1]["backendRefs"];
    assert_eq!(
        (refs[0]["weight"].as_i64(), refs[1]["weight"].as_i64()),
        (Some(100), Some(0))
    );
    assert_eq!(
        route["metadata"]["annotations"]["canary-cockpit.io/outcome"],
        "rolled-back"
    );
    assert_eq!(rt.block_on(deployment_replicas(&client, &ns, "shop-v2")), 0);
    // status says so, with exit code 3
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["status", "httproute/shop", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["phase"], "rolled-back");
    // a new release starts with a weight above 0 and clears the outcome
    let out = canary_at(&cp.kubeconfig, &ns, &["set-weight", "httproute/shop", "5"]);
    assert_eq!(out.status.code(), Some(0));
    let route = rt.block_on(get_custom(&client, &ns, &http_routes(), "shop"));
    assert!(
        route["metadata"]["annotations"]
            .get("canary-cockpit.io/outcome")
            .is_none(),
        "{route}"
    );
}

#[test]
fn rbac_denial_on_a_custom_resource_names_verb_and_resource() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(gateway_release(&client, "gateway-rbac"));
    let out = canary_at(
        &cp.restricted_kubeconfig,
        &ns,
        &["status", "httproute/shop"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot get httproutes"), "{err}");
    assert!(err.contains(&ns), "{err}");
}

#[test]
fn the_live_source_follows_the_route_the_pods_and_their_warnings() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(istio_subsets(&client, "istio-watch"));
    rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "vs/shop").await;
        let Live { mut rx, effects: effects_tx, task } = live(cluster, seen, canary_cockpit::live::executor::Options::default());
        until(&mut rx, "heartbeat", |e| matches!(e, Event::Heartbeat { .. })).await;

        // someone else moves the weight: the cockpit sees it
        patch_custom(
            &client,
            &ns,
            &virtual_services(),
            "shop",
            json!({"spec": {"http": [{"route": [
                {"destination": {"host": "shop", "subset": "stable"}, "weight": 50},
                {"destination": {"host": "shop", "subset": "canary"}, "weight": 50}]}]}}),
        )
        .await;
        until(&mut rx, "the new weight", |e| {
            matches!(e, Event::ReleaseObserved { release, .. } if release.weight == Weight::clamped(50))
        })
        .await;

        // a new canary pod appears
        running_pod(&client, &ns, "shop-v2-b", ("shop", "v2", "shop:2.0"), false, 0).await;
        until(&mut rx, "the new pod", |e| {
            matches!(e, Event::PodsObserved { pods, .. } if pods.canary.len() == 2)
        })
        .await;

        // the kubelet warns about it: the event log hears it; a pod of another app does not count
        for (name, pod) in [("w1", "cart-v1"), ("w2", "shop-v2-b")] {
            warning_event(&client, &ns, name, pod, "BackOff", "Back-off restarting failed container").await;
        }
        let events = until(&mut rx, "the warning", |e| {
            matches!(e, Event::Note { text, .. } if text.contains("BackOff"))
        })
        .await;
        let warned: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                Event::Note { author, text, .. } if author == "cluster" => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(warned, ["pod shop-v2-b: BackOff: Back-off restarting failed container"]);

        // a pause from the cockpit lands on the VirtualService and comes back as observed
        effects_tx
            .send(canary_cockpit::app::Effect::Act {
                action: canary_cockpit::app::Action::Pause,
                actor: canary_cockpit::app::Actor::Controller,
            })
            .unwrap();
        until(&mut rx, "the pause observed", |e| {
            matches!(e, Event::ReleaseObserved { release, .. } if release.paused == Some(true))
        })
        .await;
        let vs = get_custom(&client, &ns, &virtual_services(), "shop").await;
        assert_eq!(vs["metadata"]["annotations"]["canary-cockpit.io/paused"], "true");
        task.abort();
    });
}

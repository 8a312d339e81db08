//! Traefik TraefikService releases against the real control plane (with the test CRD of
//! tests/fixtures/crds/traefik.yaml): the same verbs, exit codes and JSON keys as the other
//! providers, the exact fields each write lands on, a write race, the release list, promotion
//! stage by stage, and the live source.

use crate::support::cluster::*;
use crate::support::runtime;
use canary_cockpit::app::{Action, Actor, Effect, Event};
use canary_cockpit::cluster::ClusterError;
use canary_cockpit::live::executor::Options;
use canary_cockpit::model::Weight;
use canary_cockpit::provider::common::write;
use serde_json::json;

fn traefik_services() -> kube::api::ApiResource {
    custom(
        "traefik.io",
        "v1alpha1",
        "TraefikService",
        "traefikservices",
    )
}

/// A Traefik release: Services `shop` (version=v1) and `shop-canary` (version=v2), Deployments
/// behind them, the TraefikService `shop` weighting them 90/10; and `solo`, a TraefikService
/// with one Service, which is no canary release.
pub(crate) async fn traefik_release(client: &kube::Client, prefix: &str) -> String {
    let ns = deployed_versions(client, prefix).await;
    create_custom(
        client,
        &ns,
        &traefik_services(),
        json!({"metadata": {"name": "shop"}, "spec": {"weighted": {"services": [
            {"name": "shop", "port": 80, "weight": 90},
            {"name": "shop-canary", "port": "http", "weight": 10}]}}}),
    )
    .await;
    create_custom(
        client,
        &ns,
        &traefik_services(),
        json!({"metadata": {"name": "solo"}, "spec": {"weighted": {"services": [
            {"name": "shop", "port": 80}]}}}),
    )
    .await;
    ns
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn ok(out: &std::process::Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_traefik_release_reads_writes_both_weights_and_rolls_back() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(traefik_release(&client, "traefik"));
    // no Prometheus another test may put in `monitoring` meanwhile: the keys stay the same
    let status = |target: &str| {
        let args = ["status", target, "-o", "json", "--no-prometheus"];
        canary_at(&cp.kubeconfig, &ns, &args)
    };

    let out = status("ts/shop");
    ok(&out);
    let json = json_of(&out);
    assert_eq!(json["target"], "traefikservice/shop");
    assert_eq!(json["provider"], "traefik");
    assert_eq!(json["phase"], "progressing");
    assert_eq!(json["weight"], json!({"canary": 10, "primary": 90}));
    assert_eq!(json["versions"][0]["name"], "shop");
    assert_eq!(json["versions"][1]["name"], "shop-canary");
    assert_eq!(json["canary_by"], "name");
    // the same top-level keys as every other provider's status
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "canary_by",
            "metrics_source",
            "namespace",
            "phase",
            "provider",
            "routes",
            "target",
            "versions",
            "weight"
        ]
    );

    ok(&canary_at(
        &cp.kubeconfig,
        &ns,
        &["set-weight", "traefikservice/shop", "35"],
    ));
    let ts = rt.block_on(get_custom(&client, &ns, &traefik_services(), "shop"));
    let services = &ts["spec"]["weighted"]["services"];
    assert_eq!(
        (
            services[0]["weight"].as_i64(),
            services[1]["weight"].as_i64()
        ),
        (Some(65), Some(35))
    );
    // nothing else of the services moved
    assert_eq!(services[0]["port"], 80);
    assert_eq!(services[1]["port"], "http");
    assert_eq!(services[1]["name"], "shop-canary");

    // pause and resume are recorded on the TraefikService
    ok(&canary_at(&cp.kubeconfig, &ns, &["pause", "ts/shop"]));
    let ts = rt.block_on(get_custom(&client, &ns, &traefik_services(), "shop"));
    assert_eq!(
        ts["metadata"]["annotations"]["canary-cockpit.io/paused"],
        "true"
    );
    assert_eq!(json_of(&status("ts/shop"))["phase"], "paused");
    let out = canary_at(&cp.kubeconfig, &ns, &["pause", "ts/shop"]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("already paused"));
    ok(&canary_at(&cp.kubeconfig, &ns, &["resume", "ts/shop"]));
    let ts = rt.block_on(get_custom(&client, &ns, &traefik_services(), "shop"));
    assert!(
        ts["metadata"]["annotations"]
            .get("canary-cockpit.io/paused")
            .is_none(),
        "{ts}"
    );

    // a controller's lever is refused with its reason, and nothing is written
    let out = canary_at(&cp.kubeconfig, &ns, &["retry", "ts/shop"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Argo Rollouts"));

    // rollback: weight 0 with the outcome in one write, then the canary scaled to 0
    assert_eq!(
        canary_at(&cp.kubeconfig, &ns, &["rollback", "ts/shop"])
            .status
            .code(),
        Some(2)
    );
    let out = canary_at(&cp.kubeconfig, &ns, &["rollback", "ts/shop", "--yes"]);
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("traefikservice/shop: canary weight 0 %"),
        "{text}"
    );
    assert!(text.contains("deployment/shop-v2 scaled to 0"), "{text}");
    let ts = rt.block_on(get_custom(&client, &ns, &traefik_services(), "shop"));
    let services = &ts["spec"]["weighted"]["services"];
    assert_eq!(
        (
            services[0]["weight"].as_i64(),
            services[1]["weight"].as_i64()
        ),
        (Some(100), Some(0))
    );
    assert_eq!(
        ts["metadata"]["annotations"]["canary-cockpit.io/outcome"],
        "rolled-back"
    );
    assert_eq!(rt.block_on(deployment_replicas(&client, &ns, "shop-v2")), 0);
    let out = status("ts/shop");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json_of(&out)["phase"], "rolled-back");

    // a TraefikService without two services is not a release
    let out = status("ts/solo");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has no route with two weighted backends"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_stale_write_is_refused_and_the_list_shows_the_release() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(traefik_release(&client, "traefik-race"));
    rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "traefikservice/shop").await;
        assert_eq!(seen.snapshot.weight, Weight::clamped(10));
        // someone else writes first: the cockpit's write from the older read lands nowhere
        patch_custom(
            &client,
            &ns,
            &traefik_services(),
            "shop",
            json!({"metadata": {"labels": {"touched": "yes"}}}),
        )
        .await;
        let err = write::set_weight(&cluster, &seen.route, Weight::clamped(50), None)
            .await
            .unwrap_err();
        assert!(matches!(err, ClusterError::Conflict { .. }), "{err}");
        assert!(err.to_string().contains("nothing was written"), "{err}");
        let ts = get_custom(&client, &ns, &traefik_services(), "shop").await;
        assert_eq!(ts["spec"]["weighted"]["services"][1]["weight"], 10);

        let (listed, missing) = canary_cockpit::live::discover::releases(&cluster, false)
            .await
            .unwrap();
        assert!(missing.is_empty(), "{missing:?}");
        let ours: Vec<_> = listed.iter().filter(|l| l.provider == "traefik").collect();
        assert_eq!(ours.len(), 1, "{listed:?}");
        assert_eq!(ours[0].target, "traefikservice/shop");
        assert_eq!(ours[0].weight, Some(10));
        assert_eq!(ours[0].phase, "progressing");
    });
}

#[test]
fn a_traefik_release_is_promoted_stage_by_stage() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(traefik_release(&client, "traefik-promote"));
    let _kubelet = Kubelet::start(cp.kubeconfig.clone(), ns.clone());
    let out = canary_at(&cp.kubeconfig, &ns, &["promote", "ts/shop", "--yes"]);
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    let stages = [
        "traefikservice/shop: all traffic to the canary (100 %)",
        "deployment/shop-v1 takes the canary's pod template (shop:2.0)",
        "deployment/shop-v1 rolled out",
        "traefikservice/shop: all traffic back to the primary, now on shop:2.0",
        "deployment/shop-v2 scaled to 0",
    ];
    in_order(&text, &stages);
    let ts = rt.block_on(get_custom(&client, &ns, &traefik_services(), "shop"));
    assert_eq!(ts["spec"]["weighted"]["services"][1]["weight"], 0);
    assert_eq!(
        ts["metadata"]["annotations"]["canary-cockpit.io/outcome"],
        "promoted"
    );
    assert_eq!(
        rt.block_on(deployment_image(&client, &ns, "shop-v1")),
        "shop:2.0"
    );
    let out = canary_at(&cp.kubeconfig, &ns, &["status", "ts/shop", "-o", "json"]);
    ok(&out);
    assert_eq!(json_of(&out)["phase"], "promoted");
}

#[test]
fn the_live_source_follows_a_traefik_release_and_its_keys_write_it() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(traefik_release(&client, "traefik-watch"));
    rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "ts/shop").await;
        let Live { mut rx, effects, task } = live(cluster, seen, Options::default());
        until(&mut rx, "heartbeat", |e| matches!(e, Event::Heartbeat { .. })).await;

        // someone else moves the weight: the cockpit sees it
        patch_custom(
            &client,
            &ns,
            &traefik_services(),
            "shop",
            json!({"spec": {"weighted": {"services": [
                {"name": "shop", "port": 80, "weight": 60},
                {"name": "shop-canary", "port": "http", "weight": 40}]}}}),
        )
        .await;
        until(&mut rx, "the new weight", |e| {
            matches!(e, Event::ReleaseObserved { release, .. } if release.weight == Weight::clamped(40))
        })
        .await;

        // the operator's key: the weight lands on the object and comes back observed
        effects
            .send(Effect::Act {
                action: Action::SetWeight { weight: Weight::clamped(55) },
                actor: Actor::Controller,
            })
            .unwrap();
        // the write runs beside the watch: its result and the weight observed come in either order
        let (mut result, mut observed) = (false, false);
        until(&mut rx, "the write's result and the written weight observed", |e| {
            result |= matches!(e, Event::ActionResult { error: None, .. });
            observed |= matches!(e, Event::ReleaseObserved { release, .. } if release.weight == Weight::clamped(55));
            result && observed
        })
        .await;
        let ts = get_custom(&client, &ns, &traefik_services(), "shop").await;
        assert_eq!(ts["spec"]["weighted"]["services"][0]["weight"], 45);

        // a lever Traefik does not have is refused, and says why
        effects
            .send(Effect::Act {
                action: Action::NextStep,
                actor: Actor::Controller,
            })
            .unwrap();
        until(&mut rx, "the refusal", |e| {
            matches!(e, Event::ActionResult { action: Action::NextStep, error: Some(why), .. }
                if why.contains("by weight"))
        })
        .await;
        task.abort();
    });
}

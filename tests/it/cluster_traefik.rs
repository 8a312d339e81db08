//! Traefik TraefikService releases against the real control plane (with the test CRD of
//! tests/fixtures/crds/traefik.yaml): the same verbs, exit codes and JSON keys as the other
//! providers, the exact fields each write lands on, a write race, the release list, promotion
//! stage by stage, and the live source.

use crate::support::cluster::*;
use crate::support::runtime;
use crate::support::two_services::{ok, Shape};
use canary_cockpit::app::{Action, Actor, Effect, Event};
use canary_cockpit::live::executor::Options;
use canary_cockpit::model::Weight;
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

/// The primary's and the canary's weight in the TraefikService.
fn weights(ts: &serde_json::Value) -> (Option<i64>, Option<i64>) {
    let services = &ts["spec"]["weighted"]["services"];
    (
        services[0]["weight"].as_i64(),
        services[1]["weight"].as_i64(),
    )
}

const SHOP: Shape = Shape {
    resource: traefik_services,
    object: "traefikservice/shop",
    alias: "ts/shop",
    weights,
};

#[test]
fn a_traefik_release_reads_writes_both_weights_and_rolls_back() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(traefik_release(&client, "traefik"));
    let shop = SHOP.at(&cp.kubeconfig, &client, &rt, &ns);
    shop.reads("traefik", false);

    ok(&shop.canary(&["set-weight", "traefikservice/shop", "35"]));
    let ts = shop.get();
    assert_eq!(weights(&ts), (Some(65), Some(35)));
    // nothing else of the services moved
    let services = &ts["spec"]["weighted"]["services"];
    assert_eq!(services[0]["port"], 80);
    assert_eq!(services[1]["port"], "http");
    assert_eq!(services[1]["name"], "shop-canary");

    shop.pauses_and_resumes();
    shop.refuses_a_controllers_lever();
    shop.rolls_back();
    shop.solo_is_no_release("ts/solo");
}

#[test]
fn a_stale_write_is_refused_and_the_list_shows_the_release() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(traefik_release(&client, "traefik-race"));
    let shop = SHOP.at(&cp.kubeconfig, &client, &rt, &ns);
    rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "traefikservice/shop").await;
        shop.refuses_a_stale_write(&cluster, &seen, "traefik").await;
    });
}

#[test]
fn a_traefik_release_is_promoted_stage_by_stage() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(traefik_release(&client, "traefik-promote"));
    let _kubelet = Kubelet::start(cp.kubeconfig.clone(), ns.clone());
    SHOP.at(&cp.kubeconfig, &client, &rt, &ns)
        .promotes_stage_by_stage();
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

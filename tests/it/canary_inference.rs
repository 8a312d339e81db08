//! Which backend is the canary when no annotation names it, against the real control plane: the
//! bookinfo `reviews` release of Istio's and KubeSphere's guides (subsets v1/v2: version order),
//! names (stable/canary, shop-primary/shop), image tags (blue/green at 1.9.0 and 1.10.0), the
//! newer Deployment, and a pair nothing tells apart. `status`, the release list and the live
//! source agree.

use crate::support::cluster::*;
use crate::support::{runtime, wait_until};
use canary_cockpit::app::Event;
use canary_cockpit::live::discover;
use canary_cockpit::model::{CanaryBy, Weight};
use serde_json::json;

fn ok_json(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("status -o json prints JSON")
}

/// `canary status vs/NAME -o json`.
fn status(kubeconfig: &std::path::Path, ns: &str, target: &str) -> serde_json::Value {
    ok_json(&canary_at(
        kubeconfig,
        ns,
        &["status", target, "-o", "json"],
    ))
}

/// The release list's line for `target` in `ns`.
fn listed(
    kubeconfig: &std::path::Path,
    ns: &str,
    target: &str,
) -> canary_cockpit::app::picker::Listed {
    let rt = runtime();
    rt.block_on(async {
        let cluster = canary_cockpit::cluster::connect(&connect_args(kubeconfig, ns))
            .await
            .expect("connect");
        let (list, _) = discover::releases(&cluster, false).await.expect("the list");
        list.into_iter()
            .find(|l| l.target == target)
            .unwrap_or_else(|| panic!("{target} is not in the list"))
    })
}

/// A Deployment of `app`/`version` without replicas: it stands for the version; the pods are
/// made by hand.
async fn version_deployment(
    client: &kube::Client,
    ns: &str,
    name: &str,
    version: &str,
    image: &str,
) {
    deployment(client, ns, name, (name_app(name), version, image), 0).await;
}

fn name_app(name: &str) -> &str {
    name.split('-').next().unwrap_or(name)
}

/// A DestinationRule for `host` with `subsets` (name, version label), and a VirtualService
/// `name` splitting between the first two subsets at `weights`.
pub(crate) async fn mesh(
    client: &kube::Client,
    ns: &str,
    host: &str,
    subsets: &[(&str, &str)],
    weights: (u32, u32),
) {
    let list: Vec<serde_json::Value> = subsets
        .iter()
        .map(|(n, v)| json!({"name": n, "labels": {"version": v}}))
        .collect();
    create_custom(
        client,
        ns,
        &destination_rules(),
        json!({"metadata": {"name": host}, "spec": {"host": host, "subsets": list}}),
    )
    .await;
    create_custom(
        client,
        ns,
        &virtual_services(),
        json!({"metadata": {"name": host}, "spec": {"hosts": [host], "http": [{"route": [
            {"destination": {"host": host, "subset": subsets[0].0}, "weight": weights.0},
            {"destination": {"host": host, "subset": subsets[1].0}, "weight": weights.1}]}]}}),
    )
    .await;
}

/// The bookinfo layout: Service `reviews`, Deployments reviews-v1 and reviews-v2 (version=v1|v2)
/// with a pod each, DestinationRule subsets v1 and v2, the VirtualService at 50/50.
async fn bookinfo(client: &kube::Client) -> String {
    let ns = namespace(client, "bookinfo").await;
    service_selecting(client, &ns, "reviews", json!({"app": "reviews"})).await;
    for v in ["v1", "v2"] {
        let image = format!("docker.io/istio/examples-bookinfo-reviews-{v}:1.20.1");
        version_deployment(client, &ns, &format!("reviews-{v}"), v, &image).await;
        running_pod(
            client,
            &ns,
            &format!("reviews-{v}-a"),
            ("reviews", v, image.as_str()),
            true,
            0,
        )
        .await;
    }
    // the canary written first: the order of the route does not decide
    mesh(
        client,
        &ns,
        "reviews",
        &[("v2", "v2"), ("v1", "v1")],
        (50, 50),
    )
    .await;
    ns
}

#[test]
fn the_bookinfo_reviews_release_opens_by_version_order() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(bookinfo(&client));

    let v = status(&cp.kubeconfig, &ns, "vs/reviews");
    assert_eq!(v["canary_by"], "version");
    assert_eq!(v["versions"][0]["name"], "v1");
    assert_eq!(v["versions"][1]["name"], "v2");
    assert_eq!(
        v["versions"][1]["image"],
        "docker.io/istio/examples-bookinfo-reviews-v2:1.20.1"
    );
    let table = canary_at(&cp.kubeconfig, &ns, &["status", "vs/reviews"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("canary v2 decided by version order (v1 < v2)"),
        "{text}"
    );

    // the release list says the same canary
    let l = listed(&cp.kubeconfig, &ns, "virtualservice/reviews");
    assert_eq!((l.phase.as_str(), l.weight), ("progressing", Some(50)));
    assert_eq!(l.note, "canary v2 by version");

    // the cockpit's first read agrees, and its event-log line says why
    let (_, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "vs/reviews"));
    assert_eq!(seen.route.canary_by, Some(CanaryBy::Version));
    assert_eq!(seen.snapshot.canary.name, "v2");
    assert_eq!(
        seen.route.canary_note().as_deref(),
        Some("canary v2 decided by version order (v1 < v2)")
    );
    assert_eq!(seen.pods.canary.len(), 1);
    assert_eq!(seen.pods.canary[0].name, "reviews-v2-a");
}

#[test]
fn names_tell_the_canary_of_subsets_and_of_services() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        let ns = namespace(&client, "infer-names").await;
        service_selecting(&client, &ns, "shop", json!({"app": "shop"})).await;
        mesh(
            &client,
            &ns,
            "shop",
            &[("canary", "v2"), ("stable", "v1")],
            (10, 90),
        )
        .await;
        // Services shop-primary and shop, as Flagger names them
        service(&client, &ns, "shop-primary", "shop", "v1").await;
        create_custom(
            &client,
            &ns,
            &http_routes(),
            json!({"metadata": {"name": "shop"}, "spec": {
                "parentRefs": [{"name": "gateway"}],
                "rules": [{"backendRefs": [{"name": "shop", "port": 80, "weight": 30},
                                           {"name": "shop-primary", "port": 80, "weight": 70}]}]}}),
        )
        .await;
        ns
    });
    let v = status(&cp.kubeconfig, &ns, "vs/shop");
    assert_eq!(v["canary_by"], "name");
    assert_eq!(v["versions"][1]["name"], "canary");
    assert_eq!(v["weight"], json!({"canary": 10, "primary": 90}));
    let v = status(&cp.kubeconfig, &ns, "httproute/shop");
    assert_eq!(v["canary_by"], "name");
    assert_eq!(
        (&v["versions"][0]["name"], &v["versions"][1]["name"]),
        (&json!("shop-primary"), &json!("shop"))
    );
    assert_eq!(v["weight"], json!({"canary": 30, "primary": 70}));
    let l = listed(&cp.kubeconfig, &ns, "httproute/shop");
    assert_eq!(
        (l.weight, l.note.as_str()),
        (Some(30), "canary shop by name")
    );
}

/// Subsets blue and green of Service `app`, each with a Deployment and a pod running `images`;
/// green's Deployment created first, blue's in a later second (creation times are whole
/// seconds). The route lists green first at 80 %.
async fn blue_green(client: &kube::Client, prefix: &str, images: (&str, &str)) -> String {
    let ns = namespace(client, prefix).await;
    service_selecting(client, &ns, "app", json!({"app": "app"})).await;
    version_deployment(client, &ns, "app-green", "green", images.1).await;
    let api: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(client.clone(), &ns);
    let green = api.get("app-green").await.expect("get app-green");
    let created = green
        .metadata
        .creation_timestamp
        .expect("a creation time")
        .0;
    // the API server runs on this machine, on this clock
    wait_until(
        "a second later than green's creation",
        std::time::Duration::from_secs(5),
        || async {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            now > created.as_second()
        },
    )
    .await;
    version_deployment(client, &ns, "app-blue", "blue", images.0).await;
    running_pod(
        client,
        &ns,
        "app-blue-a",
        ("app", "blue", images.0),
        true,
        0,
    )
    .await;
    running_pod(
        client,
        &ns,
        "app-green-a",
        ("app", "green", images.1),
        true,
        0,
    )
    .await;
    mesh(
        client,
        &ns,
        "app",
        &[("green", "green"), ("blue", "blue")],
        (80, 20),
    )
    .await;
    ns
}

#[test]
fn image_tags_tell_the_canary_and_the_watch_keeps_it() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    // blue's Deployment is the newer, but the tags come first: green runs 1.10.0
    let ns = rt.block_on(blue_green(
        &client,
        "infer-tags",
        ("app:1.9.0", "app:1.10.0"),
    ));
    let v = status(&cp.kubeconfig, &ns, "vs/app");
    assert_eq!(v["canary_by"], "version");
    assert_eq!(v["versions"][1]["name"], "green");
    assert_eq!(v["versions"][1]["image"], "app:1.10.0");
    assert_eq!(v["weight"], json!({"canary": 80, "primary": 20}));
    let l = listed(&cp.kubeconfig, &ns, "virtualservice/app");
    assert_eq!(
        (l.weight, l.note.as_str()),
        (Some(80), "canary green by version")
    );

    rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "vs/app").await;
        assert_eq!(
            seen.route.canary_note().as_deref(),
            Some("canary green decided by version order of the image tags (app:1.9.0 < app:1.10.0)")
        );
        let Live { mut rx, effects: _effects, task } =
            live(cluster, seen, canary_cockpit::live::executor::Options::default());
        until(&mut rx, "heartbeat", |e| matches!(e, Event::Heartbeat { .. })).await;
        // someone moves the weight: the rebuilt route keeps green as the canary
        patch_custom(
            &client,
            &ns,
            &virtual_services(),
            "app",
            json!({"spec": {"http": [{"route": [
                {"destination": {"host": "app", "subset": "green"}, "weight": 30},
                {"destination": {"host": "app", "subset": "blue"}, "weight": 70}]}]}}),
        )
        .await;
        let events = until(&mut rx, "the new weight", |e| {
            matches!(e, Event::ReleaseObserved { release, .. } if release.weight == Weight::clamped(30))
        })
        .await;
        let last = events.iter().rev().find_map(|e| match e {
            Event::ReleaseObserved { release, .. } => Some(release.clone()),
            _ => None,
        });
        let release = last.expect("an observed release");
        assert_eq!((release.canary.name.as_str(), release.primary.name.as_str()), ("green", "blue"));
        task.abort();
    });
}

#[test]
fn the_newer_deployment_tells_the_canary_when_names_and_tags_do_not() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    // same image; blue's Deployment is created in a later second than green's
    let ns = rt.block_on(blue_green(&client, "infer-newer", ("app:1.0", "app:1.0")));
    let v = status(&cp.kubeconfig, &ns, "vs/app");
    assert_eq!(v["canary_by"], "newer");
    assert_eq!(v["versions"][1]["name"], "blue");
    assert_eq!(v["weight"], json!({"canary": 20, "primary": 80}));
    let l = listed(&cp.kubeconfig, &ns, "virtualservice/app");
    assert_eq!(
        (l.weight, l.note.as_str()),
        (Some(20), "canary blue by newer")
    );
    let table = canary_at(&cp.kubeconfig, &ns, &["status", "vs/app"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("canary blue decided by the newer Deployment (app-blue created"),
        "{text}"
    );
}

#[test]
fn a_pair_nothing_tells_apart_names_both_backends_and_the_annotation() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    // subsets blue and green select the same pods of the same Deployment
    let ns = rt.block_on(async {
        let ns = namespace(&client, "infer-same").await;
        service_selecting(&client, &ns, "app", json!({"app": "app"})).await;
        version_deployment(&client, &ns, "app", "v1", "app:1.0").await;
        running_pod(&client, &ns, "app-a", ("app", "v1", "app:1.0"), true, 0).await;
        mesh(
            &client,
            &ns,
            "app",
            &[("blue", "v1"), ("green", "v1")],
            (50, 50),
        )
        .await;
        ns
    });
    let out = canary_at(&cp.kubeconfig, &ns, &["status", "vs/app", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot tell which backend of spec.http[0] is the canary (blue or green)"),
        "{err}"
    );
    assert!(err.contains("canary-cockpit.io/canary-backend"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // the list says the same
    let l = listed(&cp.kubeconfig, &ns, "virtualservice/app");
    assert_eq!((l.phase.as_str(), l.weight), ("unreadable", None));
    assert!(l.note.contains("(blue or green)"), "{}", l.note);

    // the annotation settles it
    rt.block_on(patch_custom(
        &client,
        &ns,
        &virtual_services(),
        "app",
        json!({"metadata": {"annotations": {"canary-cockpit.io/canary-backend": "blue"}}}),
    ));
    let v = status(&cp.kubeconfig, &ns, "vs/app");
    assert_eq!(v["canary_by"], "annotation");
    assert_eq!(v["versions"][1]["name"], "blue");
}

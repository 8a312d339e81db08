//! Promotion by layout against the real control plane. Backends named by version (Istio's
//! bookinfo: VirtualService subsets v1/v2 from a DestinationRule, Deployments reviews-v1 and
//! reviews-v2; Gateway API: Services reviews-v1 and reviews-v2) take over: all traffic to the new
//! version, the old one scaled to 0 and kept, the new one read as the primary; a rollback scales
//! the old one back and returns the traffic. Promote and rollback remove the cockpit's testers'
//! routes in their final write and keep the release's own (Istio, ingress-nginx). The tests play
//! the kubelet.

use crate::support::cluster::*;
use crate::support::{alice, runtime};
use canary_cockpit::app::{Action, App, AppConfig, Effect, Event};
use canary_cockpit::model::{Millis, ReleaseSnapshot, Version, Weight};
use canary_cockpit::record::{Header, Recording, SessionSource};
use canary_cockpit::replay::summary::summarize;
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use serde_json::{json, Value};
use std::path::Path;

const TOOK_OVER: &str = "canary-cockpit.io/took-over";
const KEPT: &str = "canary-cockpit.io/kept-for-rollback";
const OUTCOME: &str = "canary-cockpit.io/outcome";
const TAKE_OVER: &str = "v2 took over: all traffic on v2; v1 scaled to 0, kept for rollback";

/// Istio's bookinfo reviews: Service `reviews` (app=reviews), Deployments reviews-v1 (3 replicas
/// of reviews:1.16.1) and reviews-v2 (1 of reviews:1.16.2), the DestinationRule's subsets v1 and
/// v2 by the label `version`, and the VirtualService: the release's own route for the user jason
/// to v2, then v1 80 % / v2 20 %.
async fn bookinfo(client: &kube::Client, prefix: &str) -> String {
    let ns = namespace(client, prefix).await;
    service_selecting(client, &ns, "reviews", json!({"app": "reviews"})).await;
    deployment(
        client,
        &ns,
        "reviews-v1",
        ("reviews", "v1", "reviews:1.16.1"),
        3,
    )
    .await;
    deployment(
        client,
        &ns,
        "reviews-v2",
        ("reviews", "v2", "reviews:1.16.2"),
        1,
    )
    .await;
    create_custom(
        client,
        &ns,
        &destination_rules(),
        json!({"metadata": {"name": "reviews"}, "spec": {"host": "reviews",
            "subsets": [{"name": "v1", "labels": {"version": "v1"}},
                        {"name": "v2", "labels": {"version": "v2"}}]}}),
    )
    .await;
    create_custom(
        client,
        &ns,
        &virtual_services(),
        json!({"metadata": {"name": "reviews"}, "spec": {"hosts": ["reviews"], "http": [
            {"name": "jason", "match": [{"headers": {"end-user": {"exact": "jason"}}}],
             "route": [{"destination": {"host": "reviews", "subset": "v2"}}]},
            {"route": [
                {"destination": {"host": "reviews", "subset": "v1"}, "weight": 80},
                {"destination": {"host": "reviews", "subset": "v2"}, "weight": 20}]}]}}),
    )
    .await;
    ns
}

/// Waits until the Deployment has `n` available replicas (the test's kubelet makes its pods
/// ready).
async fn available(client: &kube::Client, ns: &str, name: &str, n: i32) {
    let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let d = api.get(name).await.expect("get deployment");
        let have = d.status.and_then(|s| s.available_replicas).unwrap_or(0);
        if have == n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deployment/{name}: {have} available replicas, not {n}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// `canary ARGS…` in `ns`, which must exit 0: its stdout.
fn ok(kubeconfig: &Path, ns: &str, args: &[&str]) -> String {
    let out = canary_at(kubeconfig, ns, args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// `canary status TARGET -o json` (it exits 3 for a release rolled back).
fn status(kubeconfig: &Path, ns: &str, target: &str) -> Value {
    let out = canary_at(kubeconfig, ns, &["status", target, "-o", "json"]);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("status JSON")
}

/// The replicas and image of a Deployment, and its pod template's `version` label.
async fn deployed(client: &kube::Client, ns: &str, name: &str) -> (i32, String, String) {
    let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let d = api.get(name).await.expect("get deployment");
    let spec = d.spec;
    let version = spec
        .template
        .metadata
        .and_then(|m| m.labels)
        .and_then(|l| l.get("version").cloned())
        .unwrap_or_default();
    let image = spec
        .template
        .spec
        .and_then(|s| s.containers.first().and_then(|c| c.image.clone()))
        .unwrap_or_default();
    (spec.replicas.unwrap_or(1), image, version)
}

fn owned(name: &str, replicas: i32, image: &str, version: &str) -> (String, i32, String, String) {
    (
        name.to_string(),
        replicas,
        image.to_string(),
        version.to_string(),
    )
}

/// Every Deployment of the bookinfo release as (name, replicas, image, version label).
async fn reviews(client: &kube::Client, ns: &str) -> Vec<(String, i32, String, String)> {
    let mut out = Vec::new();
    for name in ["reviews-v1", "reviews-v2"] {
        let (r, i, v) = deployed(client, ns, name).await;
        out.push((name.to_string(), r, i, v));
    }
    out
}

/// The names of the VirtualService's http routes, and the weighted route's (subset, weight)s.
fn routes_and_weights(vs: &Value) -> (Vec<String>, Vec<(String, i64)>) {
    let http = vs["spec"]["http"].as_array().cloned().unwrap_or_default();
    let names = http
        .iter()
        .map(|r| r["name"].as_str().unwrap_or("-").to_string())
        .collect();
    let weighted = http
        .iter()
        .find(|r| r["route"].as_array().map(Vec::len) == Some(2))
        .map(|r| {
            r["route"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    (
                        d["destination"]["subset"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                        d["weight"].as_i64().unwrap_or(-1),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (names, weighted)
}

fn annotations(obj: &Value) -> [Option<String>; 3] {
    [TOOK_OVER, KEPT, OUTCOME].map(|k| {
        obj["metadata"]["annotations"][k]
            .as_str()
            .map(str::to_string)
    })
}

fn some(a: &str, b: &str, c: &str) -> [Option<String>; 3] {
    [a, b, c].map(|s| (!s.is_empty()).then(|| s.to_string()))
}

#[test]
fn bookinfo_v2_takes_over_and_a_rollback_brings_v1_back() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(bookinfo(&client, "takeover"));
    let _kubelet = Kubelet::start(cp.kubeconfig.clone(), ns.clone());
    rt.block_on(available(&client, &ns, "reviews-v1", 3));
    rt.block_on(available(&client, &ns, "reviews-v2", 1));
    let kc = &cp.kubeconfig;
    let vs = || rt.block_on(get_custom(&client, &ns, &virtual_services(), "reviews"));

    let before = status(kc, &ns, "vs/reviews");
    assert_eq!(
        (
            before["canary_by"].as_str(),
            before["versions"][1]["name"].as_str()
        ),
        (Some("version"), Some("v2"))
    );
    ok(
        kc,
        &ns,
        &["route", "vs/reviews", "--header", "x-canary=always"],
    );
    let (names, _) = routes_and_weights(&vs());
    assert_eq!(names, ["jason", "canary-cockpit-testers-1", "-"]);

    let out = ok(kc, &ns, &["promote", "vs/reviews", "--yes"]);
    in_order(
        &out,
        &[
            "virtualservice/reviews: all traffic on v2 (100 %), the primary from now on",
            "testers' routes removed: header x-canary=always",
            &format!("{TAKE_OVER} (deployment/reviews-v1 had 3 replicas)"),
        ],
    );
    assert!(!out.contains("pod template"), "{out}");
    // all traffic on v2; the cockpit's testers' route gone, the release's own kept
    let after = vs();
    assert_eq!(
        routes_and_weights(&after),
        (
            vec!["jason".to_string(), "-".to_string()],
            vec![("v1".to_string(), 0), ("v2".to_string(), 100)]
        )
    );
    assert_eq!(annotations(&after), some("v2", "reviews-v1=3", "promoted"));
    // v1 scaled to 0 and otherwise untouched; v2 as it was
    assert_eq!(
        rt.block_on(reviews(&client, &ns)),
        [
            owned("reviews-v1", 0, "reviews:1.16.1", "v1"),
            owned("reviews-v2", 1, "reviews:1.16.2", "v2")
        ]
    );
    // the release reads v2 as its primary, not as a canary at 100 %
    rt.block_on(available(&client, &ns, "reviews-v1", 0));
    let s = status(kc, &ns, "vs/reviews");
    assert_eq!(s["phase"], "promoted", "{s}");
    assert_eq!(
        (
            s["weight"]["canary"].as_u64(),
            s["weight"]["primary"].as_u64()
        ),
        (Some(0), Some(100))
    );
    assert_eq!(
        (&s["versions"][0]["name"], &s["versions"][0]["image"]),
        (&json!("v2"), &json!("reviews:1.16.2"))
    );
    assert_eq!(s["versions"][1]["name"], "v1");
    assert_eq!(s["versions"][1]["pods"].as_array().map(Vec::len), Some(0));
    // why, for people
    let table = ok(kc, &ns, &["status", "vs/reviews"]);
    assert!(
        table.contains(
            "canary v1 decided by the take-over (v2 took over from v1: annotation \
             canary-cockpit.io/took-over)"
        ),
        "{table}"
    );
    // promoting again moves nothing
    let again = canary_at(kc, &ns, &["promote", "vs/reviews", "--yes"]);
    // refused as the verb refuses every promotion it cannot do (exit 3)
    assert_eq!(again.status.code(), Some(3));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("v2 took over from v1 already"), "{err}");
    assert_eq!(annotations(&vs()), some("v2", "reviews-v1=3", "promoted"));

    // the rollback: v1 back to its 3 replicas, then all traffic on it; v2 to 0
    ok(
        kc,
        &ns,
        &["route", "vs/reviews", "--header", "x-canary=always"],
    );
    let out = ok(kc, &ns, &["rollback", "vs/reviews", "--yes"]);
    in_order(
        &out,
        &[
            "deployment/reviews-v1 (v1) scaled back to 3",
            "deployment/reviews-v1 rolled out",
            "virtualservice/reviews: all traffic back on v1 (100 %)",
            "testers' routes removed: header x-canary=always",
            "v1 is back: all traffic on v1; v2 scaled to 0 (deployment/reviews-v2)",
        ],
    );
    let back = vs();
    assert_eq!(
        routes_and_weights(&back),
        (
            vec!["jason".to_string(), "-".to_string()],
            vec![("v1".to_string(), 100), ("v2".to_string(), 0)]
        )
    );
    assert_eq!(annotations(&back), some("", "", "rolled-back"));
    assert_eq!(
        rt.block_on(reviews(&client, &ns)),
        [
            owned("reviews-v1", 3, "reviews:1.16.1", "v1"),
            owned("reviews-v2", 0, "reviews:1.16.2", "v2")
        ]
    );
    rt.block_on(available(&client, &ns, "reviews-v1", 3));
    let s = status(kc, &ns, "vs/reviews");
    assert_eq!(s["phase"], "rolled-back", "{s}");
    assert_eq!(
        (
            s["versions"][0]["name"].as_str(),
            s["versions"][1]["name"].as_str()
        ),
        (Some("v1"), Some("v2"))
    );
    assert_eq!(s["weight"]["canary"], 0);
    assert_eq!(s["versions"][0]["pods"].as_array().map(Vec::len), Some(3));
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
fn the_event_log_and_the_post_mortem_say_v2_took_over() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(bookinfo(&client, "takeover-log"));
    let _kubelet = Kubelet::start(cp.kubeconfig.clone(), ns.clone());
    rt.block_on(async {
        available(&client, &ns, "reviews-v1", 3).await;
        available(&client, &ns, "reviews-v2", 1).await;
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "vs/reviews").await;
        let started = canary_cockpit::model::wall_clock();
        // the session as the cockpit records it: the release as first read, then what followed
        let first = Event::ReleaseObserved {
            at: started,
            release: seen.snapshot.clone(),
        };
        let Live {
            mut rx,
            effects,
            task,
        } = live_cockpit(
            cluster,
            seen,
            canary_cockpit::live::executor::Options::default(),
        );
        let act = |action| {
            effects
                .send(Effect::Act {
                    action,
                    actor: alice(),
                })
                .unwrap()
        };
        act(Action::Promote);
        let mut events = until_within(&mut rx, 30, "the promotion's result", |e| {
            matches!(
                e,
                Event::ActionResult {
                    action: Action::Promote,
                    ..
                }
            )
        })
        .await;
        assert!(
            matches!(events.last(), Some(Event::ActionResult { error: None, .. })),
            "{events:?}"
        );
        let said = notes(&events);
        let line = format!("promote: {TAKE_OVER} (deployment/reviews-v1 had 3 replicas)");
        assert!(said.contains(&line), "{said:?}");
        // the watch follows: v2 is the primary, with v2's pod; v1 at 0 % without pods
        events.extend(
            until(&mut rx, "v2 read as the primary", |e| {
                matches!(e, Event::ReleaseObserved { release, .. }
                    if release.primary.name == "v2" && release.canary_replicas == 0)
            })
            .await,
        );
        let Some(Event::ReleaseObserved { release, .. }) = events.last() else {
            unreachable!()
        };
        assert_eq!(
            (release.primary.image.as_str(), release.weight.percent()),
            ("reviews:1.16.2", 0)
        );
        assert_eq!(release.canary.name, "v1");

        act(Action::Rollback);
        events.extend(
            until_within(&mut rx, 60, "the rollback's result", |e| {
                matches!(
                    e,
                    Event::ActionResult {
                        action: Action::Rollback,
                        ..
                    }
                )
            })
            .await,
        );
        assert!(
            matches!(events.last(), Some(Event::ActionResult { error: None, .. })),
            "{events:?}"
        );
        assert!(
            notes(&events).contains(
                &"rollback: v1 is back: all traffic on v1; v2 scaled to 0 (deployment/reviews-v2)"
                    .to_string()
            ),
            "{:?}",
            notes(&events)
        );
        events.extend(
            until(&mut rx, "v1 read as the primary again", |e| {
                matches!(e, Event::ReleaseObserved { release, .. }
                    if release.primary.name == "v1" && release.canary.name == "v2")
            })
            .await,
        );
        task.abort();

        // the post-mortem of the session tells it in the same words
        let recording = Recording {
            header: Header::new(
                SessionSource::cluster("test", &ns, "istio", "virtualservice/reviews"),
                started,
                "reviews",
            ),
            events: std::iter::once(first)
                .chain(events)
                .filter_map(|e| Some((e.at()?, e)))
                .collect(),
            warnings: Vec::new(),
        };
        let summary = summarize(&recording);
        assert!(
            summary.notes.iter().any(|n| n.text == line),
            "{:?}",
            summary.notes
        );
        let text = summary.to_text();
        assert!(text.contains(TAKE_OVER), "{text}");
        assert!(
            text.contains("primary v1 (reviews:1.16.1), canary v2 (reviews:1.16.2)"),
            "{text}"
        );
    });
}

/// Gateway API, version-named Services: reviews-v1 (version=v1) and reviews-v2 (version=v2), the
/// Deployments behind them, the HTTPRoute at 70/30.
async fn gateway_versions(client: &kube::Client, prefix: &str) -> String {
    let ns = namespace(client, prefix).await;
    service(client, &ns, "reviews-v1", "reviews", "v1").await;
    service(client, &ns, "reviews-v2", "reviews", "v2").await;
    deployment(
        client,
        &ns,
        "reviews-v1",
        ("reviews", "v1", "reviews:1.16.1"),
        2,
    )
    .await;
    deployment(
        client,
        &ns,
        "reviews-v2",
        ("reviews", "v2", "reviews:1.16.2"),
        1,
    )
    .await;
    create_custom(
        client,
        &ns,
        &http_routes(),
        json!({"metadata": {"name": "reviews"}, "spec": {
            "parentRefs": [{"name": "gateway"}],
            "rules": [{"backendRefs": [
                {"name": "reviews-v1", "port": 9080, "weight": 70},
                {"name": "reviews-v2", "port": 9080, "weight": 30}]}]}}),
    )
    .await;
    ns
}

fn backend_weights(route: &Value) -> Vec<(String, i64)> {
    route["spec"]["rules"][0]["backendRefs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap_or_default().to_string(),
                b["weight"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

#[test]
fn a_gateway_api_release_named_by_version_takes_over_too() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(gateway_versions(&client, "takeover-gw"));
    let _kubelet = Kubelet::start(cp.kubeconfig.clone(), ns.clone());
    rt.block_on(available(&client, &ns, "reviews-v2", 1));
    let kc = &cp.kubeconfig;
    let route = || rt.block_on(get_custom(&client, &ns, &http_routes(), "reviews"));
    let weights =
        |a: i64, b: i64| vec![("reviews-v1".to_string(), a), ("reviews-v2".to_string(), b)];

    let out = ok(kc, &ns, &["promote", "httproute/reviews", "--yes"]);
    assert!(
        out.contains("reviews-v2 took over: all traffic on reviews-v2; reviews-v1 scaled to 0, kept for rollback (deployment/reviews-v1 had 2 replicas)"),
        "{out}"
    );
    let r = route();
    assert_eq!(backend_weights(&r), weights(0, 100));
    assert_eq!(
        annotations(&r),
        some("reviews-v2", "reviews-v1=2", "promoted")
    );
    assert_eq!(
        rt.block_on(deployment_replicas(&client, &ns, "reviews-v1")),
        0
    );
    assert_eq!(
        rt.block_on(deployment_replicas(&client, &ns, "reviews-v2")),
        1
    );
    let s = status(kc, &ns, "httproute/reviews");
    assert_eq!(
        (
            s["versions"][0]["name"].as_str(),
            s["weight"]["canary"].as_u64()
        ),
        (Some("reviews-v2"), Some(0))
    );

    let out = ok(
        kc,
        &ns,
        &["rollback", "httproute/reviews", "--yes", "--keep-canary"],
    );
    assert!(
        out.contains("httproute/reviews: all traffic back on reviews-v1 (100 %)"),
        "{out}"
    );
    assert!(
        out.contains("reviews-v2's pods kept (--keep-canary)"),
        "{out}"
    );
    let r = route();
    assert_eq!(backend_weights(&r), weights(100, 0));
    assert_eq!(annotations(&r), some("", "", "rolled-back"));
    assert_eq!(
        rt.block_on(deployment_replicas(&client, &ns, "reviews-v1")),
        2
    );
    assert_eq!(
        rt.block_on(deployment_replicas(&client, &ns, "reviews-v2")),
        1
    );
}

const BY_HEADER: &str = "nginx.ingress.kubernetes.io/canary-by-header";
const BY_HEADER_VALUE: &str = "nginx.ingress.kubernetes.io/canary-by-header-value";
const BY_COOKIE: &str = "nginx.ingress.kubernetes.io/canary-by-cookie";
const ROUTES: &str = "canary-cockpit.io/routes";

#[test]
fn nginx_testers_routes_end_with_the_rollback_and_with_the_promotion() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    // the release's own cookie rule: it stays
    let ns = rt.block_on(async {
        let ns = deployed_versions(&client, "takeover-nginx").await;
        shop_ingresses(&client, &ns, "20", &[(BY_COOKIE, "beta")]).await;
        ns
    });
    let _kubelet = Kubelet::start(cp.kubeconfig.clone(), ns.clone());
    let kc = &cp.kubeconfig;
    let get = |key: &str| rt.block_on(annotation(&client, &ns, "shop-canary", key));
    let testers = || [BY_HEADER, BY_HEADER_VALUE, ROUTES, BY_COOKIE].map(get);
    let ours = || {
        [
            Some("X-Canary".to_string()),
            Some("always".to_string()),
            Some("header=X-Canary".to_string()),
            Some("beta".to_string()),
        ]
    };
    let theirs_only = [None, None, None, Some("beta".to_string())];

    ok(
        kc,
        &ns,
        &["route", "ingress/shop", "--header", "X-Canary=always"],
    );
    assert_eq!(testers(), ours());
    let out = ok(
        kc,
        &ns,
        &["rollback", "ingress/shop", "--yes", "--keep-canary"],
    );
    in_order(
        &out,
        &[
            "ingress/shop-canary: canary weight 0 %",
            "testers' routes removed: header X-Canary=always",
        ],
    );
    assert_eq!(testers(), theirs_only);
    assert_eq!(get(WEIGHT).as_deref(), Some("0"));
    assert_eq!(get(OUTCOME).as_deref(), Some("rolled-back"));

    ok(kc, &ns, &["set-weight", "ingress/shop", "20"]);
    ok(
        kc,
        &ns,
        &["route", "ingress/shop", "--header", "X-Canary=always"],
    );
    assert_eq!(testers(), ours());
    let out = ok(kc, &ns, &["promote", "ingress/shop", "--yes"]);
    // a stable/canary layout keeps the template copy; the routes end with its last write
    in_order(
        &out,
        &[
            "deployment/shop-v1 takes the canary's pod template (shop:2.0)",
            "ingress/shop-canary: all traffic back to the primary, now on shop:2.0",
            "testers' routes removed: header X-Canary=always",
            "deployment/shop-v2 scaled to 0",
        ],
    );
    assert_eq!(testers(), theirs_only);
    assert_eq!(get(WEIGHT).as_deref(), Some("0"));
    assert_eq!(get(OUTCOME).as_deref(), Some("promoted"));
    assert_eq!(
        rt.block_on(deployment_image(&client, &ns, "shop-v1")),
        "shop:2.0"
    );
}

fn snapshot(primary: (&str, &str), canary: (&str, &str), weight: u8) -> ReleaseSnapshot {
    let version = |(name, image): (&str, &str)| Version {
        name: name.to_string(),
        image: image.to_string(),
    };
    ReleaseSnapshot {
        name: "reviews".to_string(),
        namespace: "bookinfo".to_string(),
        source: "istio".to_string(),
        primary: version(primary),
        canary: version(canary),
        weight: Weight::clamped(weight),
        canary_replicas: 1,
        phase: None,
        plan: None,
        paused: Some(false),
        controller: None,
        rules: Vec::new(),
        refusals: Vec::new(),
    }
}

#[test]
fn the_event_log_tells_the_new_primary_and_no_new_canary_after_a_take_over() {
    let mut app = App::new(AppConfig::default());
    let v1 = ("v1", "reviews:1.16.1");
    let v2 = ("v2", "reviews:1.16.2");
    for (at, release) in [(1000, snapshot(v1, v2, 20)), (2000, snapshot(v2, v1, 0))] {
        app.update(Event::ReleaseObserved {
            at: Millis(at),
            release,
        });
    }
    let lines: Vec<&str> = app.log.iter().map(|e| e.text.as_str()).collect();
    assert!(
        lines.contains(&"primary now runs v2 (reviews:1.16.2)"),
        "{lines:?}"
    );
    // v1's pods, still there while they stop, are the old version's, not a new canary's
    assert!(
        !lines.iter().any(|l| l.starts_with("new canary")),
        "{lines:?}"
    );
}

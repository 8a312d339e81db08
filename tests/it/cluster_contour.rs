//! Contour HTTPProxy releases against the real control plane (with the test CRD of
//! tests/fixtures/crds/contour.yaml): the same verbs, exit codes and JSON keys as the other
//! systems, the exact fields each write lands on, testers' routes (the cockpit's marked by the
//! request header it sets, the release's own kept), a write race, the release list, and
//! promotion stage by stage.

use crate::support::cluster::*;
use crate::support::runtime;
use crate::support::two_services::{json_of, ok, Shape};
use canary_cockpit::cluster::ClusterError;
use canary_cockpit::live::executor::{self, Options};
use canary_cockpit::model::{RouteChange, RouteRule};
use serde_json::{json, Value};

pub(crate) fn http_proxies() -> kube::api::ApiResource {
    custom("projectcontour.io", "v1", "HTTPProxy", "httpproxies")
}

/// The request header the cockpit's testers' routes set: their mark.
const MARK: &str = "X-Canary-Cockpit-Route";

/// A Contour release: Services `shop` (version=v1) and `shop-canary` (version=v2), Deployments
/// behind them, the HTTPProxy `shop` whose second route (on `/api`, with a response timeout)
/// weights them 90/10, after a route of the release's own that sends `x-qa: yes` to the canary;
/// and `solo`, an HTTPProxy with one Service, which is no canary release.
pub(crate) async fn contour_release(client: &kube::Client, prefix: &str) -> String {
    let ns = deployed_versions(client, prefix).await;
    create_custom(
        client,
        &ns,
        &http_proxies(),
        json!({"metadata": {"name": "shop"}, "spec": {
            "virtualhost": {"fqdn": "shop.example"},
            "routes": [
                {"conditions": [{"prefix": "/api"}, {"header": {"name": "x-qa", "exact": "yes"}}],
                 "services": [{"name": "shop-canary", "port": 80}]},
                {"conditions": [{"prefix": "/api"}], "timeoutPolicy": {"response": "5s"},
                 "services": [{"name": "shop", "port": 80, "weight": 90},
                              {"name": "shop-canary", "port": 80, "weight": 10}]}]}}),
    )
    .await;
    create_custom(
        client,
        &ns,
        &http_proxies(),
        json!({"metadata": {"name": "solo"}, "spec": {
            "virtualhost": {"fqdn": "solo.example"},
            "routes": [{"services": [{"name": "shop", "port": 80}]}]}}),
    )
    .await;
    ns
}

fn routes(client: &kube::Client, rt: &tokio::runtime::Runtime, ns: &str) -> Vec<Value> {
    let proxy = rt.block_on(get_custom(client, ns, &http_proxies(), "shop"));
    proxy["spec"]["routes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn weights(route: &Value) -> (Option<i64>, Option<i64>) {
    (
        route["services"][0]["weight"].as_i64(),
        route["services"][1]["weight"].as_i64(),
    )
}

/// The weights of the weighted route where the release was made (the second).
fn weights_of(proxy: &Value) -> (Option<i64>, Option<i64>) {
    weights(&proxy["spec"]["routes"][1])
}

const SHOP: Shape = Shape {
    resource: http_proxies,
    object: "httpproxy/shop",
    alias: "proxy/shop",
    weights: weights_of,
};

fn rule(kind: &str, name: &str, value: &str, matching: &str, owner: &str) -> Value {
    json!({"kind": kind, "name": name, "value": value, "match": matching, "owner": owner})
}

#[test]
fn a_contour_release_reads_writes_both_weights_and_rolls_back() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(contour_release(&client, "contour"));
    let shop = SHOP.at(&cp.kubeconfig, &client, &rt, &ns);
    let json = shop.reads("contour", true);
    assert_eq!(
        json["routes"],
        json!([rule("header", "x-qa", "yes", "exact", "release")])
    );
    assert_eq!(json["bypass"], json!(["header x-qa=yes"]));

    ok(&shop.canary(&["set-weight", "httpproxy/shop", "35"]));
    let r = routes(&client, &rt, &ns);
    assert_eq!(weights(&r[1]), (Some(65), Some(35)));
    // nothing else of the proxy moved
    assert_eq!(
        r[1]["services"][1],
        json!({"name": "shop-canary", "port": 80, "weight": 35})
    );
    assert_eq!(r[1]["timeoutPolicy"], json!({"response": "5s"}));
    assert_eq!(
        r[0]["services"],
        json!([{"name": "shop-canary", "port": 80}])
    );

    shop.pauses_and_resumes();
    shop.refuses_a_controllers_lever();
    shop.rolls_back();
    shop.solo_is_no_release("proxy/solo");
}

#[test]
fn contour_testers_routes_go_before_the_weighted_route_and_clear_only_the_cockpits() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(contour_release(&client, "contour-routes"));
    let kc = &cp.kubeconfig;
    let route = |args: &[&str]| {
        let mut all = vec!["route", "proxy/shop"];
        all.extend_from_slice(args);
        ok(&canary_at(kc, &ns, &all))
    };

    let out = route(&["--header", "X-Canary=always"]);
    assert_eq!(
        out,
        "httpproxy/shop: header X-Canary=always → canary (wrote spec.routes[1])\n"
    );
    route(&["--header-regex", "X-User=^tester-.*$"]);
    route(&["--cookie", "tester"]);
    let r = routes(&client, &rt, &ns);
    assert_eq!(r.len(), 5, "{r:?}");
    // each right before the weighted route, which moved on to the end
    let testers = |header: Value| {
        json!({"conditions": [{"prefix": "/api"}, {"header": header}],
               "timeoutPolicy": {"response": "5s"},
               "services": [{"name": "shop-canary", "port": 80}],
               "requestHeadersPolicy": {"set": [{"name": MARK, "value": "testers"}]}})
    };
    assert_eq!(
        r[1],
        testers(json!({"name": "X-Canary", "exact": "always"}))
    );
    assert_eq!(
        r[2],
        testers(json!({"name": "X-User", "regex": "^tester-.*$"}))
    );
    assert_eq!(
        r[3],
        testers(json!({"name": "Cookie", "contains": "tester=always"}))
    );
    assert_eq!(weights(&r[4]), (Some(90), Some(10)));
    let status = || {
        let out = canary_at(
            kc,
            &ns,
            &["status", "proxy/shop", "-o", "json", "--no-prometheus"],
        );
        json_of(&out)["routes"].clone()
    };
    assert_eq!(
        status(),
        json!([
            rule("header", "x-qa", "yes", "exact", "release"),
            rule("header", "X-Canary", "always", "exact", "cockpit"),
            rule("header", "X-User", "^tester-.*$", "regex", "cockpit"),
            rule("cookie", "tester", "always", "exact", "cockpit")
        ])
    );

    // the same header again replaces the cockpit's route in place
    let out = route(&["--header", "x-canary=yes"]);
    assert!(out.contains("(wrote spec.routes[1])"), "{out}");
    let r = routes(&client, &rt, &ns);
    assert_eq!(r.len(), 5, "{r:?}");
    assert_eq!(
        r[1]["conditions"][1],
        json!({"header": {"name": "x-canary", "exact": "yes"}})
    );
    // the weight writes follow the weighted route where it is now
    ok(&canary_at(kc, &ns, &["set-weight", "proxy/shop", "30"]));
    assert_eq!(weights(&routes(&client, &rt, &ns)[4]), (Some(70), Some(30)));

    let out = route(&["--clear"]);
    assert!(
        out.contains("the release's own stay: header x-qa=yes"),
        "{out}"
    );
    assert!(
        out.contains("removed spec.routes[3]; removed spec.routes[2]; removed spec.routes[1]"),
        "{out}"
    );
    let r = routes(&client, &rt, &ns);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        r[0]["conditions"][1],
        json!({"header": {"name": "x-qa", "exact": "yes"}})
    );
    assert_eq!(weights(&r[1]), (Some(70), Some(30)));
    assert_eq!(
        status(),
        json!([rule("header", "x-qa", "yes", "exact", "release")])
    );
    let out = route(&["--clear"]);
    assert_eq!(out, "httpproxy/shop: no routes of the cockpit's to clear\n");
}

#[test]
fn a_stale_contour_write_is_refused_and_the_list_shows_the_release() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(contour_release(&client, "contour-race"));
    let shop = SHOP.at(&cp.kubeconfig, &client, &rt, &ns);
    rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "httpproxy/shop").await;
        assert_eq!(seen.snapshot.source, "contour");
        shop.refuses_a_stale_write(&cluster, &seen, "contour").await;
        // a testers' route from the older read lands nowhere either
        let add = RouteChange::Add {
            rule: RouteRule::cookie("tester"),
        };
        let err = executor::route(&cluster, &seen, &add, &Options::default())
            .await
            .unwrap_err();
        assert!(matches!(err, ClusterError::Conflict { .. }), "{err}");
        let proxy = get_custom(&client, &ns, &http_proxies(), "shop").await;
        assert_eq!(proxy["spec"]["routes"].as_array().map(Vec::len), Some(2));
    });
}

#[test]
fn a_contour_release_is_promoted_stage_by_stage() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(contour_release(&client, "contour-promote"));
    let _kubelet = Kubelet::start(cp.kubeconfig.clone(), ns.clone());
    SHOP.at(&cp.kubeconfig, &client, &rt, &ns)
        .promotes_stage_by_stage();
}

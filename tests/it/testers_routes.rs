//! Testers' routes against the real control plane, through the binary (`canary route`): for an
//! ingress-nginx release and a Gateway API release, a header rule, a regex rule and a cookie rule
//! land on the exact fields of the object; `status -o json` lists them with their owner beside a
//! rule of the release's own; `--clear` removes only the cockpit's; a write after someone else
//! changed the object gets 409 and writes nothing; a viewer gets 403 naming the verb and the
//! resource.

use crate::alert_flagger::RESTRICTED_USER;
use crate::support::cluster::*;
use crate::support::{runtime, wait_until};
use canary_cockpit::cluster::ClusterError;
use canary_cockpit::live::executor::{self, Options};
use canary_cockpit::model::{RouteChange, RouteRule, RuleMatch};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::PostParams;
use kube::{Api, Client};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const BY_HEADER: &str = "nginx.ingress.kubernetes.io/canary-by-header";
const BY_HEADER_VALUE: &str = "nginx.ingress.kubernetes.io/canary-by-header-value";
const BY_HEADER_PATTERN: &str = "nginx.ingress.kubernetes.io/canary-by-header-pattern";
const BY_COOKIE: &str = "nginx.ingress.kubernetes.io/canary-by-cookie";
const ROUTES: &str = "canary-cockpit.io/routes";

/// `canary route TARGET ARGS…` in `ns`: exit code, stdout, stderr.
fn route(kubeconfig: &Path, ns: &str, target: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["route", target];
    all.extend_from_slice(args);
    let out = canary_at(kubeconfig, ns, &all);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Fails unless `canary route …` exited 0; its stdout.
fn routed(kubeconfig: &Path, ns: &str, target: &str, args: &[&str]) -> String {
    let (code, out, err) = route(kubeconfig, ns, target, args);
    assert_eq!(code, 0, "route {args:?}: {out}{err}");
    out
}

/// The `routes` of `status -o json`.
fn status_routes(kubeconfig: &Path, ns: &str, target: &str) -> Value {
    let out = canary_at(kubeconfig, ns, &["status", target, "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    json["routes"].clone()
}

fn rule(kind: &str, name: &str, value: &str, matching: &str, owner: &str) -> Value {
    json!({"kind": kind, "name": name, "value": value, "match": matching, "owner": owner})
}

/// Lets the restricted user read (get, list, watch) what a release is read from in `ns`, and
/// nothing more; waits until it may.
pub(crate) async fn grant_view(client: &Client, restricted: &Client, ns: &str) {
    let role: Role = serde_json::from_value(json!({
        "metadata": {"name": "release-viewer"},
        "rules": [{"apiGroups": ["", "apps", "networking.k8s.io", "gateway.networking.k8s.io"],
                   "resources": ["*"], "verbs": ["get", "list", "watch"]}]
    }))
    .expect("a role");
    Api::<Role>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &role)
        .await
        .expect("create role");
    let binding: RoleBinding = serde_json::from_value(json!({
        "metadata": {"name": "release-viewer"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "release-viewer"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": RESTRICTED_USER}]
    }))
    .expect("a role binding");
    Api::<RoleBinding>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &binding)
        .await
        .expect("create role binding");
    let api: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(restricted.clone(), ns);
    wait_until(
        &format!("the restricted user may list services in {ns}"),
        Duration::from_secs(10),
        || async { api.list(&Default::default()).await.map(drop) },
    )
    .await;
}

/// A viewer's `canary route`: exit 1, one line naming the verb and the resource.
fn viewer_is_refused(cp: &ControlPlane, ns: &str, target: &str, resource: &str) {
    let (code, out, err) = route(
        &cp.restricted_kubeconfig,
        ns,
        target,
        &["--cookie", "viewer"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: forbidden:"), "{err}");
    assert!(
        err.contains(&format!("cannot patch {resource} in namespace {ns}")),
        "{err}"
    );
}

#[test]
fn nginx_header_regex_and_cookie_rules_land_on_the_canary_annotations() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "routes-nginx", "10", &[]));
    let kc = &cp.kubeconfig;
    let get = |key: &str| rt.block_on(annotation(&client, &ns, "shop-canary", key));

    let out = routed(kc, &ns, "ingress/shop", &["--header", "X-Canary=always"]);
    assert_eq!(
        out,
        "ingress/shop-canary: header X-Canary=always → canary (annotations canary-by-header, canary-by-header-value)\n"
    );
    assert_eq!(get(BY_HEADER).as_deref(), Some("X-Canary"));
    assert_eq!(get(BY_HEADER_VALUE).as_deref(), Some("always"));
    assert_eq!(get(BY_HEADER_PATTERN), None);
    assert_eq!(get(ROUTES).as_deref(), Some("header=X-Canary"));

    // a regex rule replaces the cockpit's own header rule: ingress-nginx holds one
    let out = routed(
        kc,
        &ns,
        "ingress/shop",
        &["--header-regex", "X-User=^tester-.*$"],
    );
    assert!(out.contains("header X-User~^tester-.*$ → canary"), "{out}");
    assert!(
        out.contains("removed annotations canary-by-header-value"),
        "{out}"
    );
    assert_eq!(get(BY_HEADER).as_deref(), Some("X-User"));
    assert_eq!(get(BY_HEADER_PATTERN).as_deref(), Some("^tester-.*$"));
    assert_eq!(get(BY_HEADER_VALUE), None);

    let out = routed(kc, &ns, "ingress/shop", &["--cookie", "tester"]);
    assert!(out.contains("(annotations canary-by-cookie)"), "{out}");
    assert_eq!(get(BY_COOKIE).as_deref(), Some("tester"));
    assert_eq!(get(ROUTES).as_deref(), Some("header=X-User,cookie=tester"));
    assert_eq!(
        status_routes(kc, &ns, "ingress/shop"),
        json!([
            rule("header", "X-User", "^tester-.*$", "regex", "cockpit"),
            rule("cookie", "tester", "always", "exact", "cockpit")
        ])
    );
    let table = canary_at(kc, &ns, &["status", "ingress/shop"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("route to the canary: cookie tester (the cockpit's)"),
        "{table}"
    );

    // a bad rule is exit 2 with the reason, before anything is read
    let (code, _, err) = route(kc, &ns, "ingress/shop", &["--header", "X-Canary"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("NAME=VALUE"), "{err}");
    let (code, _, err) = route(kc, &ns, "ingress/shop", &["--header-regex", "X=(a"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unbalanced"), "{err}");

    let out = routed(kc, &ns, "ingress/shop", &["--clear"]);
    assert_eq!(
        out,
        "ingress/shop-canary: the cockpit's routes cleared (removed annotations canary-by-cookie, \
         canary-by-header, canary-by-header-pattern)\n"
    );
    for key in [BY_HEADER, BY_HEADER_PATTERN, BY_COOKIE, ROUTES] {
        assert_eq!(get(key), None, "{key}");
    }
    assert_eq!(status_routes(kc, &ns, "ingress/shop"), json!([]));
    let out = routed(kc, &ns, "ingress/shop", &["--clear"]);
    assert!(out.contains("no routes of the cockpit's to clear"), "{out}");
}

#[test]
fn nginx_rules_of_the_release_are_shown_as_its_own_and_stay() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(
        &client,
        "routes-nginx-own",
        "10",
        &[(BY_HEADER, "X-Release"), (BY_HEADER_VALUE, "yes")],
    ));
    let kc = &cp.kubeconfig;
    let get = |key: &str| rt.block_on(annotation(&client, &ns, "shop-canary", key));
    routed(kc, &ns, "ingress/shop", &["--cookie", "tester"]);
    assert_eq!(
        status_routes(kc, &ns, "ingress/shop"),
        json!([
            rule("header", "X-Release", "yes", "exact", "release"),
            rule("cookie", "tester", "always", "exact", "cockpit")
        ])
    );
    // the release's own header rule is not replaced
    let (code, out, err) = route(kc, &ns, "ingress/shop", &["--header", "X-Canary=1"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("ingress/shop-canary"), "{err}");
    assert!(
        err.contains("`header X-Release=yes` is the release's own"),
        "{err}"
    );
    assert_eq!(get(BY_HEADER).as_deref(), Some("X-Release"));

    let out = routed(kc, &ns, "ingress/shop", &["--clear"]);
    assert!(
        out.contains("the release's own stay: header X-Release=yes"),
        "{out}"
    );
    assert_eq!(get(BY_COOKIE), None);
    assert_eq!(get(ROUTES), None);
    assert_eq!(get(BY_HEADER).as_deref(), Some("X-Release"));
    assert_eq!(get(BY_HEADER_VALUE).as_deref(), Some("yes"));
    assert_eq!(
        status_routes(kc, &ns, "ingress/shop"),
        json!([rule("header", "X-Release", "yes", "exact", "release")])
    );
}

#[test]
fn nginx_route_races_get_409_and_viewers_403() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "routes-nginx-race", "10", &[]));
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "ingress/shop"));
    // another operator changes the canary Ingress after we read it
    rt.block_on(set_annotation(&client, &ns, "shop-canary", WEIGHT, "40"));
    let change = RouteChange::Add {
        rule: RouteRule::header("X-Canary", "always", RuleMatch::Exact),
    };
    let err = rt
        .block_on(executor::route(
            &cluster,
            &seen,
            &change,
            &Options::default(),
        ))
        .unwrap_err();
    assert!(matches!(err, ClusterError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("nothing was written"), "{err}");
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", BY_HEADER)),
        None
    );
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
            .as_deref(),
        Some("40")
    );

    let restricted = rt.block_on(crate::support::cluster::client(&cp.restricted_kubeconfig));
    rt.block_on(grant_view(&client, &restricted, &ns));
    viewer_is_refused(&cp, &ns, "ingress/shop", "ingresses");
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", BY_COOKIE)),
        None
    );
}

/// A Gateway API release whose HTTPRoute holds a testers' rule of its own (`x-qa: 1` to the
/// canary) before the weighted rule on `/api`.
async fn gateway_with_testers(client: &Client, prefix: &str) -> String {
    let ns = deployed_versions(client, prefix).await;
    create_custom(
        client,
        &ns,
        &http_routes(),
        json!({"metadata": {"name": "shop"}, "spec": {
            "parentRefs": [{"name": "gateway"}], "hostnames": ["shop.example"],
            "rules": [
                {"name": "qa", "matches": [{"path": {"type": "PathPrefix", "value": "/api"},
                                            "headers": [{"name": "x-qa", "value": "1"}]}],
                 "backendRefs": [{"name": "shop-canary", "port": 80}]},
                {"name": "split", "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
                 "backendRefs": [{"name": "shop", "port": 80},
                                 {"name": "shop-canary", "port": 80, "weight": 0}]}]}}),
    )
    .await;
    ns
}

fn rules_of(client: &Client, rt: &tokio::runtime::Runtime, ns: &str) -> Vec<Value> {
    let route = rt.block_on(get_custom(client, ns, &http_routes(), "shop"));
    route["spec"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn gateway_header_regex_and_cookie_rules_are_rules_to_the_canary_alone() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(gateway_with_testers(&client, "routes-gateway"));
    let kc = &cp.kubeconfig;
    let target = "httproute/shop";

    let out = routed(kc, &ns, target, &["--header", "X-Canary=always"]);
    assert_eq!(
        out,
        "httproute/shop: header X-Canary=always → canary (added to spec.rules: canary-cockpit-testers-header-x-canary)\n"
    );
    routed(kc, &ns, target, &["--header-regex", "X-User=^tester-.*$"]);
    routed(kc, &ns, target, &["--cookie", "tester"]);
    let rules = rules_of(&client, &rt, &ns);
    assert_eq!(rules.len(), 5, "{rules:?}");
    let expect = |at: usize, name: &str, kind: &str, header: &str, value: &str| {
        let r = &rules[at];
        assert_eq!(r["name"], name, "{r}");
        assert_eq!(
            r["matches"],
            json!([{"path": {"type": "PathPrefix", "value": "/api"},
                    "headers": [{"type": kind, "name": header, "value": value}]}]),
            "{r}"
        );
        let refs = r["backendRefs"].as_array().cloned().unwrap_or_default();
        assert_eq!(refs.len(), 1, "{r}");
        assert_eq!(
            (refs[0]["name"].as_str(), refs[0]["port"].as_i64()),
            (Some("shop-canary"), Some(80))
        );
    };
    expect(
        2,
        "canary-cockpit-testers-header-x-canary",
        "Exact",
        "X-Canary",
        "always",
    );
    expect(
        3,
        "canary-cockpit-testers-header-x-user",
        "RegularExpression",
        "X-User",
        "^tester-.*$",
    );
    expect(
        4,
        "canary-cockpit-testers-cookie-tester",
        "RegularExpression",
        "Cookie",
        r"^(.*?;\s*)?tester=always(;.*)?$",
    );
    assert_eq!(
        status_routes(kc, &ns, target),
        json!([
            rule("header", "x-qa", "1", "exact", "release"),
            rule("header", "X-Canary", "always", "exact", "cockpit"),
            rule("header", "X-User", "^tester-.*$", "regex", "cockpit"),
            rule("cookie", "tester", "always", "exact", "cockpit")
        ])
    );

    // the same header again replaces the cockpit's rule in place
    routed(kc, &ns, target, &["--header", "x-canary=yes"]);
    let rules = rules_of(&client, &rt, &ns);
    assert_eq!(rules.len(), 5, "{rules:?}");
    assert_eq!(rules[2]["matches"][0]["headers"][0]["value"], "yes");
    // the weighted rule keeps its place: the weight writes still land on it
    let out = canary_at(kc, &ns, &["set-weight", target, "30"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rules = rules_of(&client, &rt, &ns);
    assert_eq!(rules[1]["backendRefs"][1]["weight"], 30);

    let out = routed(kc, &ns, target, &["--clear"]);
    assert!(
        out.contains("the release's own stay: header x-qa=1"),
        "{out}"
    );
    assert!(
        out.contains("removed spec.rules[4]; removed spec.rules[3]; removed spec.rules[2]"),
        "{out}"
    );
    let rules = rules_of(&client, &rt, &ns);
    let names: Vec<&str> = rules.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["qa", "split"]);
    assert_eq!(
        status_routes(kc, &ns, target),
        json!([rule("header", "x-qa", "1", "exact", "release")])
    );
}

#[test]
fn gateway_route_races_get_409_and_viewers_403() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(gateway_with_testers(&client, "routes-gateway-race"));
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "httproute/shop"));
    rt.block_on(patch_custom(
        &client,
        &ns,
        &http_routes(),
        "shop",
        json!({"metadata": {"labels": {"touched": "yes"}}}),
    ));
    let change = RouteChange::Add {
        rule: RouteRule::cookie("tester"),
    };
    let err = rt
        .block_on(executor::route(
            &cluster,
            &seen,
            &change,
            &Options::default(),
        ))
        .unwrap_err();
    assert!(matches!(err, ClusterError::Conflict { .. }), "{err}");
    assert_eq!(rules_of(&client, &rt, &ns).len(), 2);

    let restricted = rt.block_on(crate::support::cluster::client(&cp.restricted_kubeconfig));
    rt.block_on(grant_view(&client, &restricted, &ns));
    viewer_is_refused(&cp, &ns, "httproute/shop", "httproutes");
    assert_eq!(rules_of(&client, &rt, &ns).len(), 2);
}

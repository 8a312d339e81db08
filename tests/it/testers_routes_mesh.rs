//! Testers' routes on the mesh and controller providers against the real control plane (test CRDs
//! of tests/fixtures/crds, as upstream for the fields written): Istio writes its own named http
//! routes and clears only those, conditionally (a race is 409) and as RBAC allows (a viewer gets
//! 403); KubeSphere, Flagger and Argo Rollouts show the release's own rules and refuse writes with
//! the reason; Traefik refuses.

use crate::support::cluster::*;
use crate::support::{runtime, wait_until};
use canary_cockpit::cluster::ClusterError;
use canary_cockpit::live::executor::{self, Options};
use canary_cockpit::model::{RouteChange, RouteRule, RuleMatch, RuleOwner};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::PostParams;
use kube::Api;
use serde_json::json;

const RESTRICTED_USER: &str = "canary-restricted";

fn add(rule: RouteRule) -> RouteChange {
    RouteChange::Add { rule }
}

fn strategies() -> kube::api::ApiResource {
    custom(
        "servicemesh.kubesphere.io",
        "v1alpha2",
        "Strategy",
        "strategies",
    )
}

/// An Istio release by subsets: the release's own header route first, then the weighted route
/// (scoped to `/shop`, the canary's destination with a port).
async fn istio_release(client: &kube::Client, prefix: &str) -> String {
    let ns = namespace(client, prefix).await;
    service_selecting(client, &ns, "shop", json!({"app": "shop"})).await;
    for (name, version) in [("shop-v1-a", "v1"), ("shop-v2-a", "v2")] {
        let image = format!("shop:{version}");
        running_pod(client, &ns, name, ("shop", version, &image), true, 0).await;
    }
    create_custom(
        client,
        &ns,
        &destination_rules(),
        json!({"metadata": {"name": "shop"}, "spec": {"host": "shop",
            "subsets": [{"name": "stable", "labels": {"version": "v1"}},
                        {"name": "canary", "labels": {"version": "v2"}}]}}),
    )
    .await;
    create_custom(
        client,
        &ns,
        &virtual_services(),
        json!({"metadata": {"name": "shop"}, "spec": {"hosts": ["shop"], "http": [
            {"name": "qa", "match": [{"headers": {"x-qa": {"exact": "yes"}}}],
             "route": [{"destination": {"host": "shop", "subset": "canary"}}]},
            {"name": "split", "match": [{"uri": {"prefix": "/shop"}}], "route": [
                {"destination": {"host": "shop", "subset": "stable"}, "weight": 80},
                {"destination": {"host": "shop", "subset": "canary", "port": {"number": 8080}},
                 "weight": 20}]}]}}),
    )
    .await;
    ns
}

/// Lets the restricted user view the namespace (the built-in `view` role) and get, list and watch
/// `resources` of `group`; waits until it may.
async fn viewer(client: &kube::Client, ns: &str, group: &str, resources: &[&str]) {
    let role: Role = serde_json::from_value(json!({
        "metadata": {"name": "route-viewer"},
        "rules": [{"apiGroups": [group], "resources": resources, "verbs": ["get", "list", "watch"]}]
    }))
    .unwrap();
    Api::<Role>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &role)
        .await
        .expect("create role");
    for (name, kind, role) in [
        ("route-viewer", "Role", "route-viewer"),
        ("view", "ClusterRole", "view"),
    ] {
        let binding: RoleBinding = serde_json::from_value(json!({
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": RESTRICTED_USER}]
        }))
        .unwrap();
        Api::<RoleBinding>::namespaced(client.clone(), ns)
            .create(&PostParams::default(), &binding)
            .await
            .expect("create role binding");
    }
}

#[test]
fn istio_testers_routes_are_written_read_back_and_cleared() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(istio_release(&client, "testers-istio"));
    let http = || {
        rt.block_on(custom_field(
            &client,
            &ns,
            &virtual_services(),
            "shop",
            &["spec", "http"],
        ))
    };
    let change = |c: RouteChange| {
        rt.block_on(async {
            let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "vs/shop").await;
            executor::route(&cluster, &seen, &c, &Options::default()).await
        })
    };
    let (_, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "vs/shop"));
    assert_eq!(
        seen.route.rules,
        [RouteRule {
            owner: RuleOwner::Release,
            ..RouteRule::header("x-qa", "yes", RuleMatch::Exact)
        }]
    );

    // a header, a regex and a cookie rule: each a named route right before the weighted one
    change(add(RouteRule::header("X-Tester", "yes", RuleMatch::Exact))).unwrap();
    change(add(RouteRule::header(
        "x-user",
        "^qa-[0-9]+$",
        RuleMatch::Regex,
    )))
    .unwrap();
    change(add(RouteRule::cookie("beta"))).unwrap();
    let routes = http();
    let canary = json!([{"destination": {"host": "shop", "subset": "canary", "port": {"number": 8080}},
                         "weight": 100}]);
    assert_eq!(
        routes[1],
        json!({"name": "canary-cockpit-testers-1", "route": canary,
               "match": [{"uri": {"prefix": "/shop"}, "headers": {"x-tester": {"exact": "yes"}}}]})
    );
    assert_eq!(
        routes[2],
        json!({"name": "canary-cockpit-testers-2", "route": canary,
               "match": [{"uri": {"prefix": "/shop"}, "headers": {"x-user": {"regex": "^qa-[0-9]+$"}}}]})
    );
    assert_eq!(
        routes[3],
        json!({"name": "canary-cockpit-testers-3", "route": canary,
               "match": [{"uri": {"prefix": "/shop"},
                          "headers": {"cookie": {"regex": "^(.*?;\\s*)?beta=always(;.*)?$"}}}]})
    );
    assert_eq!(routes[4]["name"], "split");
    assert_eq!(routes[4]["route"][1]["weight"], 20);
    // adding a rule that is there already writes nothing
    let before = rt.block_on(get_custom(&client, &ns, &virtual_services(), "shop"));
    change(add(RouteRule::cookie("beta"))).unwrap();
    let after = rt.block_on(get_custom(&client, &ns, &virtual_services(), "shop"));
    assert_eq!(
        before["metadata"]["resourceVersion"],
        after["metadata"]["resourceVersion"]
    );

    // the rules read back, with their owners, as `status` shows them
    let (_, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "vs/shop"));
    let json = serde_json::to_value(&seen.snapshot.rules).unwrap();
    assert_eq!(
        json,
        json!([
            {"kind": "header", "name": "x-qa", "value": "yes", "match": "exact", "owner": "release"},
            {"kind": "header", "name": "x-tester", "value": "yes", "match": "exact", "owner": "cockpit"},
            {"kind": "header", "name": "x-user", "value": "^qa-[0-9]+$", "match": "regex", "owner": "cockpit"},
            {"kind": "cookie", "name": "beta", "value": "always", "match": "exact", "owner": "cockpit"}
        ])
    );
    assert_eq!(seen.bypass().len(), 4, "{:?}", seen.bypass());

    // a race: someone writes after the read; nothing is written, theirs stays
    let (cluster, stale) = rt.block_on(read_release(&cp.kubeconfig, &ns, "vs/shop"));
    rt.block_on(patch_custom(
        &client,
        &ns,
        &virtual_services(),
        "shop",
        json!({"metadata": {"labels": {"touched": "yes"}}}),
    ));
    let err = rt
        .block_on(executor::route(
            &cluster,
            &stale,
            &RouteChange::Clear,
            &Options::default(),
        ))
        .unwrap_err();
    assert!(matches!(err, ClusterError::Conflict { .. }), "{err}");
    assert_eq!(http().as_array().map(Vec::len), Some(5));

    // clear removes the cockpit's routes only
    change(RouteChange::Clear).unwrap();
    let routes = http();
    let names: Vec<_> = routes
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(names, [json!("qa"), json!("split")]);
    assert_eq!(routes[0]["match"][0]["headers"]["x-qa"]["exact"], "yes");
    // nothing of the cockpit's left: clearing again writes nothing
    change(RouteChange::Clear).unwrap();
}

#[test]
fn an_istio_viewer_is_refused_naming_the_verb_and_the_resource() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(istio_release(&client, "testers-viewer"));
    rt.block_on(viewer(
        &client,
        &ns,
        "networking.istio.io",
        &["virtualservices", "destinationrules"],
    ));
    let err = rt.block_on(async {
        // RBAC takes a moment
        let (cluster, seen) = wait_until(
            "the viewer reads the release",
            std::time::Duration::from_secs(10),
            || async {
                let args = connect_args(&cp.restricted_kubeconfig, &ns);
                let cluster = canary_cockpit::cluster::connect(&args)
                    .await
                    .map_err(|e| e.to_string())?;
                let target = "vs/shop".parse().unwrap();
                let seen = canary_cockpit::live::release::read(&cluster, &target)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>((cluster, seen))
            },
        )
        .await;
        let rule = RouteRule::header("x-tester", "yes", RuleMatch::Exact);
        executor::route(&cluster, &seen, &add(rule), &Options::default())
            .await
            .unwrap_err()
    });
    assert!(
        matches!(
            &err,
            ClusterError::Forbidden {
                verb: "patch",
                resource: "virtualservices",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("cannot patch virtualservices"),
        "{err}"
    );
    let http = rt.block_on(custom_field(
        &client,
        &ns,
        &virtual_services(),
        "shop",
        &["spec", "http"],
    ));
    assert_eq!(http.as_array().map(Vec::len), Some(2));
}

#[test]
fn a_kubesphere_strategy_shows_its_rules_and_refuses_to_write_them() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(namespace(&client, "testers-kubesphere"));
    rt.block_on(async {
        for (name, version) in [("reviews-v1-a", "v1"), ("reviews-v2-a", "v2")] {
            let image = format!("reviews:{version}");
            running_pod(&client, &ns, name, ("reviews", version, &image), true, 0).await;
        }
        create_custom(
            &client,
            &ns,
            &strategies(),
            json!({"metadata": {"name": "reviews"}, "spec": {
                "type": "Canary", "principal": "v1", "strategyPolicy": "Immediately",
                "selector": {"matchLabels": {"app": "reviews"}},
                "template": {"spec": {"hosts": ["reviews"], "http": [
                    {"match": [{"headers": {"x-tester": {"exact": "yes"}}}],
                     "route": [{"destination": {"host": "reviews", "subset": "v2"}, "weight": 100}]},
                    {"route": [
                        {"destination": {"host": "reviews", "subset": "v1"}, "weight": 80},
                        {"destination": {"host": "reviews", "subset": "v2"}, "weight": 20}]}]}}}}),
        )
        .await;
    });
    let field =
        |path: &[&str]| rt.block_on(custom_field(&client, &ns, &strategies(), "reviews", path));
    // the published schema prunes the header's string match: the header is only checked present
    let http = field(&["spec", "template", "spec", "http"]);
    assert_eq!(http[0]["match"][0]["headers"], json!({"x-tester": {}}));
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "strategy/reviews"));
    assert_eq!(
        seen.route.rules,
        [RouteRule {
            owner: RuleOwner::Release,
            ..RouteRule::header("x-tester", ".*", RuleMatch::Regex)
        }]
    );
    assert_eq!(seen.bypass().len(), 1);
    let version = field(&["metadata", "resourceVersion"]);
    for c in [
        add(RouteRule::header("x-canary", "yes", RuleMatch::Exact)),
        add(RouteRule::cookie("beta")),
        RouteChange::Clear,
    ] {
        let err = rt
            .block_on(executor::route(&cluster, &seen, &c, &Options::default()))
            .unwrap_err();
        assert!(matches!(err, ClusterError::Refused(_)), "{err}");
        assert!(err.to_string().contains("prunes exact/regex"), "{err}");
    }
    assert_eq!(field(&["metadata", "resourceVersion"]), version);
}

#[test]
fn flagger_ab_matches_are_the_releases_and_not_written() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(namespace(&client, "testers-flagger"));
    let canaries = custom("flagger.app", "v1beta1", "Canary", "canaries");
    rt.block_on(async {
        deployment(&client, &ns, "podinfo", ("podinfo", "v2", "podinfo:6.1"), 0).await;
        deployment(&client, &ns, "podinfo-primary", ("podinfo", "v1", "podinfo:6.0"), 0).await;
        create_custom(
            &client,
            &ns,
            &canaries,
            json!({"metadata": {"name": "podinfo"}, "spec": {
                "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                "service": {"port": 9898},
                "analysis": {"interval": "1m", "threshold": 5, "iterations": 10,
                    "match": [{"headers": {"x-canary": {"exact": "insider"}}},
                              {"headers": {"cookie": {"regex": "^(.*?;)?(canary=always)(;.*)?$"}}}]}}}),
        )
        .await;
    });
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "canary/podinfo"));
    let json = serde_json::to_value(&seen.route.rules).unwrap();
    assert_eq!(
        json,
        json!([
            {"kind": "header", "name": "x-canary", "value": "insider", "match": "exact", "owner": "release"},
            {"kind": "cookie", "name": "canary", "value": "always", "match": "exact", "owner": "release"}
        ])
    );
    let err = rt
        .block_on(executor::route(
            &cluster,
            &seen,
            &add(RouteRule::cookie("beta")),
            &Options::default(),
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Flagger owns spec.analysis.match: edit the Canary (A/B testing), the cockpit does not write it"
    );
}

#[test]
fn argo_header_routes_are_the_releases_and_not_written() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(namespace(&client, "testers-argo"));
    let rollouts = custom("argoproj.io", "v1alpha1", "Rollout", "rollouts");
    rt.block_on(async {
        create_custom(
            &client,
            &ns,
            &rollouts,
            json!({"metadata": {"name": "shop"}, "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "shop"}},
                "template": {"metadata": {"labels": {"app": "shop"}},
                             "spec": {"containers": [{"name": "app", "image": "shop:2"}]}},
                "strategy": {"canary": {
                    "canaryService": "shop-canary", "stableService": "shop",
                    "trafficRouting": {"managedRoutes": [{"name": "testers"}, {"name": "mirror"}],
                                       "istio": {"virtualService": {"name": "shop"}}},
                    "steps": [
                        {"setHeaderRoute": {"name": "testers", "match": [
                            {"headerName": "x-tester", "headerValue": {"exact": "yes"}},
                            {"headerName": "x-user", "headerValue": {"regex": "^qa-.*"}}]}},
                        {"setWeight": 20}, {"pause": {}}]}}}}),
        )
        .await;
        patch_custom_status(
            &client,
            &ns,
            &rollouts,
            "shop",
            json!({"currentStepIndex": 2, "stableRS": "aaa", "currentPodHash": "bbb",
                   "phase": "Paused"}),
        )
        .await;
    });
    let step = rt.block_on(custom_field(
        &client,
        &ns,
        &rollouts,
        "shop",
        &["spec", "strategy", "canary", "steps"],
    ));
    assert_eq!(
        step[0]["setHeaderRoute"]["match"][1]["headerValue"]["regex"],
        "^qa-.*"
    );
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "rollout/shop"));
    let json = serde_json::to_value(&seen.route.rules).unwrap();
    assert_eq!(
        json,
        json!([
            {"kind": "header", "name": "x-tester", "value": "yes", "match": "exact", "owner": "release"},
            {"kind": "header", "name": "x-user", "value": "^qa-.*", "match": "regex", "owner": "release"}
        ])
    );
    assert_eq!(
        seen.bypass(),
        [
            "setHeaderRoute testers: header x-tester=yes and header x-user~^qa-.*",
            "managed route mirror"
        ]
    );
    let err = rt
        .block_on(executor::route(
            &cluster,
            &seen,
            &RouteChange::Clear,
            &Options::default(),
        ))
        .unwrap_err();
    assert!(matches!(err, ClusterError::Refused(_)), "{err}");
    assert!(
        err.to_string()
            .contains("Argo Rollouts sets header routes from its steps"),
        "{err}"
    );
}

#[test]
fn traefik_refuses_testers_routes() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(deployed_versions(&client, "testers-traefik"));
    rt.block_on(create_custom(
        &client,
        &ns,
        &custom(
            "traefik.io",
            "v1alpha1",
            "TraefikService",
            "traefikservices",
        ),
        json!({"metadata": {"name": "shop"}, "spec": {"weighted": {"services": [
            {"name": "shop", "port": 80, "weight": 90},
            {"name": "shop-canary", "port": 80, "weight": 10}]}}}),
    ));
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "traefikservice/shop"));
    assert!(seen.route.rules.is_empty());
    let rule = RouteRule::header("x-tester", "yes", RuleMatch::Exact);
    let err = rt
        .block_on(executor::route(
            &cluster,
            &seen,
            &add(rule),
            &Options::default(),
        ))
        .unwrap_err();
    assert!(matches!(err, ClusterError::Refused(_)), "{err}");
    assert!(err.to_string().contains("no per-request match"), "{err}");
}

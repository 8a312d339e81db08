//! Moving to safety never depends on parsing the current state: against the real control plane,
//! a release whose canary weight cannot be read still rolls back (weight 0, canary scaled down)
//! and pauses, conditionally on the version read, while every action that moves it forward is
//! refused with the reason.

use crate::support::cluster::*;
use crate::support::{alice, runtime};
use canary_cockpit::app::{Action, Effect, Event};
use canary_cockpit::live::executor::Options;

const PAUSED: &str = "canary-cockpit.io/paused";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn rollback_on_a_malformed_weight_writes_0_and_scales_the_canary_down() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        let ns = shop(&client, "malformed", "abc", &[]).await;
        shop_deployments(&client, &ns).await;
        ns
    });
    let weight = || rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT));

    // forward is refused, with the reason, and nothing is written
    for args in [
        &["set-weight", "ingress/shop", "30"][..],
        &["promote", "ingress/shop", "--yes"][..],
    ] {
        let out = canary_at(&cp.kubeconfig, &ns, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("ingress/shop-canary: canary-weight is 'abc', not a whole number")
                && err.contains("is refused until it is set right; rollback and pause still work"),
            "{args:?}: {err}"
        );
        assert_eq!(weight().as_deref(), Some("abc"), "{args:?}");
    }
    assert_eq!(
        rt.block_on(deployment_image(&client, &ns, "shop-v1")),
        "shop:1.0"
    );

    // status says it, never a number
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["status", "ingress/shop", "-o", "json"],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(err.contains("`canary rollback` sets it right"), "{err}");

    // pause writes its annotation and leaves the weight, with a warning
    let out = canary_at(&cp.kubeconfig, &ns, &["pause", "ingress/shop"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning: ingress/shop-canary: canary-weight is 'abc', not a whole number; the pause leaves it as it is"),
        "{err}"
    );
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", PAUSED))
            .as_deref(),
        Some("true")
    );
    assert_eq!(weight().as_deref(), Some("abc"));

    // rollback: weight 0 whatever it held, then the canary scaled to 0
    let out = canary_at(&cp.kubeconfig, &ns, &["rollback", "ingress/shop", "--yes"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout.contains(
            "ingress/shop: ingress/shop-canary: warning: canary-weight was 'abc'; set to 0"
        ),
        "{stdout}"
    );
    in_order(
        &stdout,
        &[
            "canary-weight was 'abc'; set to 0",
            "ingress/shop-canary: canary weight 0 %",
            "deployment/shop-v2 scaled to 0",
        ],
    );
    assert_eq!(weight().as_deref(), Some("0"));
    assert_eq!(rt.block_on(deployment_replicas(&client, &ns, "shop-v2")), 0);
    assert_eq!(rt.block_on(deployment_replicas(&client, &ns, "shop-v1")), 2);
}

#[test]
fn the_cockpit_says_a_weight_it_cannot_read_and_still_rolls_back() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        let ns = shop(&client, "malformed-live", "20", &[]).await;
        shop_deployments(&client, &ns).await;
        ns
    });
    rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "ingress/shop").await;
        let Live {
            mut rx,
            effects,
            task,
        } = live_cockpit(cluster, seen, Options::default());
        until(&mut rx, "the first heartbeat", |e| {
            matches!(e, Event::Heartbeat { .. })
        })
        .await;
        // another hand writes a weight that is not a number
        set_annotation(&client, &ns, "shop-canary", WEIGHT, "12.5").await;
        let events = until(&mut rx, "the error", |e| {
            matches!(e, Event::SourceError { message, .. } if message.contains("canary-weight is '12.5'"))
        })
        .await;
        let refused = events.iter().any(|e| {
            matches!(e, Event::ReleaseObserved { release, .. }
                if release.refusal(canary_cockpit::model::Capability::SetWeight)
                    .is_some_and(|why| why.contains("rollback and pause still work")))
        });
        assert!(refused, "{events:?}");

        let act = |action| Effect::Act {
            action,
            actor: alice(),
        };
        effects
            .send(act(Action::SetWeight {
                weight: canary_cockpit::model::Weight::clamped(40),
            }))
            .unwrap();
        until(&mut rx, "the refusal", |e| {
            matches!(e, Event::ActionResult { error: Some(err), .. } if err.contains("is refused until it is set right"))
        })
        .await;
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT).await.as_deref(),
            Some("12.5")
        );

        effects.send(act(Action::Rollback)).unwrap();
        let events = until_within(&mut rx, 30, "the rollback's result", |e| {
            matches!(e, Event::ActionResult { action: Action::Rollback, .. })
        })
        .await;
        assert!(
            matches!(events.last(), Some(Event::ActionResult { error: None, .. })),
            "{events:?}"
        );
        let warned = events.iter().any(|e| {
            matches!(e, Event::Note { text, .. } if text.contains("canary-weight was '12.5'; set to 0"))
        });
        assert!(warned, "{events:?}");
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT).await.as_deref(),
            Some("0")
        );
        assert_eq!(deployment_replicas(&client, &ns, "shop-v2").await, 0);
        task.abort();
    });
}

/// One two-backend release whose object holds what its schema allows but a split of two cannot
/// be read from: the fields as created, the target, where the weights are, what rollback warns
/// and the weights it leaves (primary, canary, others).
struct Hostile {
    resource: kube::api::ApiResource,
    target: &'static str,
    body: serde_json::Value,
    /// The keys from the top to the list of backends.
    list: &'static [&'static str],
    warnings: &'static [&'static str],
    after: &'static [i64],
}

fn hostile_releases() -> Vec<Hostile> {
    use serde_json::json;
    vec![
        // Istio: int32 weights may be negative
        Hostile {
            resource: custom(
                "networking.istio.io",
                "v1",
                "VirtualService",
                "virtualservices",
            ),
            target: "virtualservice/shop",
            body: json!({"metadata": {"name": "shop"}, "spec": {"hosts": ["shop"], "http": [
                {"route": [
                    {"destination": {"host": "shop"}, "weight": 110},
                    {"destination": {"host": "shop-canary"}, "weight": -10}]}]}}),
            list: &["spec", "http", "0", "route"],
            warnings: &[
                "virtualservice/shop: warning: spec.http[0].route[1].weight was '-10'; set to 0",
            ],
            after: &[100, 0],
        },
        // Gateway API: a third backendRef
        Hostile {
            resource: custom("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
            target: "httproute/shop",
            body: json!({"metadata": {"name": "shop"}, "spec": {
                "parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [
                    {"name": "shop", "port": 80, "weight": 50},
                    {"name": "shop-canary", "port": 80, "weight": 30},
                    {"name": "shop-extra", "port": 80, "weight": 20}]}]}}),
            list: &["spec", "rules", "0", "backendRefs"],
            warnings: &[
                "httproute/shop: warning: spec.rules[0].backendRefs[2].weight was '20'; set to 0",
            ],
            after: &[100, 0, 0],
        },
        // Traefik: a third weighted service, the canary first
        Hostile {
            resource: custom(
                "traefik.io",
                "v1alpha1",
                "TraefikService",
                "traefikservices",
            ),
            target: "traefikservice/shop",
            body: json!({"metadata": {"name": "shop"}, "spec": {"weighted": {"services": [
                {"name": "shop-canary", "port": 80, "weight": 30},
                {"name": "shop-blue", "port": 80, "weight": 40},
                {"name": "shop", "port": 80, "weight": 30}]}}}),
            list: &["spec", "weighted", "services"],
            warnings: &[
                "traefikservice/shop: warning: spec.weighted.services[1].weight was '40'; set to 0",
            ],
            after: &[0, 0, 100],
        },
        // Contour: int64 weights beyond 32 bits, and a third Service
        Hostile {
            resource: custom("projectcontour.io", "v1", "HTTPProxy", "httpproxies"),
            target: "httpproxy/shop",
            body: json!({"metadata": {"name": "shop"}, "spec": {
                "virtualhost": {"fqdn": "shop.example"}, "routes": [{"services": [
                    {"name": "shop", "port": 80, "weight": 6_000_000_000_000_i64},
                    {"name": "shop-canary", "port": 80, "weight": 2_000_000_000_000_i64},
                    {"name": "shop-extra", "port": 80, "weight": 1}]}]}}),
            list: &["spec", "routes", "0", "services"],
            warnings: &[
                "httpproxy/shop: warning: spec.routes[0].services[2].weight was '1'; set to 0",
            ],
            after: &[100, 0, 0],
        },
    ]
}

/// The weights of the backends at `list` in `obj`, in order.
fn weights_at(obj: &serde_json::Value, list: &[&str]) -> Vec<i64> {
    let at = list.iter().fold(obj, |v, k| match k.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[*k],
    });
    at.as_array()
        .map(|a| {
            a.iter()
                .map(|b| b["weight"].as_i64().unwrap_or(-999))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn two_backend_releases_the_schema_allows_but_a_split_of_two_cannot_hold_still_roll_back() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    for h in hostile_releases() {
        let ns = rt.block_on(async {
            let ns = shop(&client, "hostile-split", "0", &[]).await;
            create_custom(&client, &ns, &h.resource, h.body.clone()).await;
            ns
        });
        let name = h.target.split('/').nth(1).unwrap_or_default();
        let weights = || {
            let obj = rt.block_on(get_custom(&client, &ns, &h.resource, name));
            weights_at(&obj, h.list)
        };
        let before = weights();

        // status says it and shows no number
        let out = canary_at(&cp.kubeconfig, &ns, &["status", h.target, "-o", "json"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{}: {err}", h.target);
        assert!(out.stdout.is_empty(), "{}", h.target);
        assert!(
            err.contains("`canary rollback` sets it right"),
            "{}: {err}",
            h.target
        );

        // promote is refused before anything moves
        let out = canary_at(&cp.kubeconfig, &ns, &["promote", h.target, "--yes"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{}: {err}", h.target);
        assert!(
            err.contains("is refused until it is set right; rollback and pause still work"),
            "{}: {err}",
            h.target
        );
        assert_eq!(weights(), before, "{}", h.target);

        // pause writes its annotation, leaves the weights and warns
        let out = canary_at(&cp.kubeconfig, &ns, &["pause", h.target]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{}: {err}", h.target);
        assert!(
            err.contains("the pause leaves it as it is"),
            "{}: {err}",
            h.target
        );
        assert_eq!(weights(), before, "{}", h.target);
        let obj = rt.block_on(get_custom(&client, &ns, &h.resource, name));
        assert_eq!(
            obj["metadata"]["annotations"][PAUSED], "true",
            "{}",
            h.target
        );

        // rollback: all traffic on the primary, the others at 0, each field said
        let out = canary_at(
            &cp.kubeconfig,
            &ns,
            &["rollback", h.target, "--yes", "--keep-canary"],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}: {}", h.target, stderr(&out));
        for w in h.warnings {
            assert!(stdout.contains(w), "{}: {stdout}", h.target);
        }
        assert!(
            stdout.contains("canary weight 0 %"),
            "{}: {stdout}",
            h.target
        );
        assert_eq!(weights(), h.after, "{}: {stdout}", h.target);
    }
}

//! Istio: a VirtualService route with two destinations, by subsets stable/canary and v1/v2.

use super::fields::*;
use super::{Expect, Layout, Obj, Row, TESTER};
use crate::support::cluster::shop_deployments;
use serde_json::{json, Value};

pub fn istio_stable_canary() -> Row {
    let vs = |pointer: &str, v: Value| f(Obj::VirtualService, "shop", pointer, v);
    // the cockpit's route goes right before the weighted one (http[1], the release's own
    // testers' route being http[0])
    let route = Expect::Fields(vec![
        vs("/spec/http/1/name", json!("canary-cockpit-testers-1")),
        vs(
            "/spec/http/1/match",
            json!([{"headers": {"x-tester": {"exact": TESTER.1}}}]),
        ),
        vs(
            "/spec/http/1/route",
            json!([{"destination": {"host": "shop", "subset": "canary"}, "weight": 100}]),
        ),
        vs("/spec/http/2/name", json!("split")),
    ]);
    let clear = Expect::Fields(vec![
        vs("/spec/http/0/name", json!("testers")),
        vs("/spec/http/1/name", json!("split")),
        vs("/spec/http/2", Value::Null),
    ]);
    driven(
        Layout::StableCanary,
        (
            |c, p| {
                Box::pin(async move {
                    let ns = crate::cluster_mesh::istio_subsets(c, p).await;
                    shop_deployments(c, &ns).await;
                    ns
                })
            },
            "vs/shop",
        ),
        read("istio", "progressing", 20, ["stable", "canary"]),
        Weights::two(
            Obj::VirtualService,
            "shop",
            "/spec/http/1/route/0/weight",
            "/spec/http/1/route/1/weight",
        ),
        SHOP,
        (route, clear),
    )
}

pub fn istio_version_named() -> Row {
    let vs = |pointer: &str, v: Value| f(Obj::VirtualService, "reviews", pointer, v);
    let route = Expect::Fields(vec![
        vs("/spec/http/0/name", json!("canary-cockpit-testers-1")),
        vs(
            "/spec/http/0/match",
            json!([{"headers": {"x-tester": {"exact": TESTER.1}}}]),
        ),
        vs(
            "/spec/http/0/route",
            json!([{"destination": {"host": "reviews", "subset": "v2"}, "weight": 100}]),
        ),
    ]);
    let clear = Expect::Fields(vec![
        vs("/spec/http/0/route/1/destination/subset", json!("v2")),
        vs("/spec/http/1", Value::Null),
    ]);
    driven(
        Layout::VersionNamed,
        (
            |c, p| {
                Box::pin(async move {
                    let ns = bookinfo(c, p).await;
                    crate::canary_inference::mesh(
                        c,
                        &ns,
                        "reviews",
                        &[("v1", "v1"), ("v2", "v2")],
                        (90, 10),
                    )
                    .await;
                    ns
                })
            },
            "vs/reviews",
        ),
        read("istio", "progressing", 10, ["v1", "v2"]),
        Weights::two(
            Obj::VirtualService,
            "reviews",
            "/spec/http/0/route/0/weight",
            "/spec/http/0/route/1/weight",
        ),
        REVIEWS,
        (route, clear),
    )
}

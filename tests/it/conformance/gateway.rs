//! Gateway API: an HTTPRoute rule with two backendRefs, shop/shop-canary and reviews-v1/v2.

use super::fields::*;
use super::{Expect, Layout, Obj, Row, TESTER};
use serde_json::{json, Value};

/// The Gateway API testers' rule the cockpit appends at `/spec/rules/{at}`, and its clearing.
fn gateway_routes(name: &'static str, at: usize, canary: &str) -> (Expect, Expect) {
    let rule = |rest: &str| format!("/spec/rules/{at}{rest}");
    let route = |pointer: String, v: Value| f(Obj::HttpRoute, name, &pointer, v);
    (
        Expect::Fields(vec![
            route(
                rule("/name"),
                json!("canary-cockpit-testers-header-x-tester"),
            ),
            route(
                rule("/matches/0/headers"),
                json!([{"type": "Exact", "name": TESTER.0, "value": TESTER.1}]),
            ),
            route(rule("/backendRefs/0/name"), json!(canary)),
            route(rule("/backendRefs/1"), Value::Null),
        ]),
        Expect::Fields(vec![route(rule(""), Value::Null)]),
    )
}

pub fn gateway_stable_canary() -> Row {
    driven(
        Layout::StableCanary,
        (
            |c, p| Box::pin(crate::cluster_mesh::gateway_release(c, p)),
            "httproute/shop",
        ),
        // the canary at 0 %: idle until a weight starts the release
        read("gateway-api", "idle", 0, ["shop", "shop-canary"]),
        Weights::two(
            Obj::HttpRoute,
            "shop",
            "/spec/rules/1/backendRefs/0/weight",
            "/spec/rules/1/backendRefs/1/weight",
        ),
        SHOP,
        gateway_routes("shop", 2, "shop-canary"),
    )
}

pub fn gateway_version_named() -> Row {
    driven(
        Layout::VersionNamed,
        (
            |c, p| {
                Box::pin(bookinfo_with(
                    c,
                    p,
                    Obj::HttpRoute,
                    json!({"metadata": {"name": "reviews"}, "spec": {
                    "parentRefs": [{"name": "gateway"}],
                    "rules": [{"backendRefs": [{"name": "reviews-v1", "port": 80, "weight": 90},
                                               {"name": "reviews-v2", "port": 80, "weight": 10}]}]}}),
                ))
            },
            "httproute/reviews",
        ),
        read(
            "gateway-api",
            "progressing",
            10,
            ["reviews-v1", "reviews-v2"],
        ),
        Weights::two(
            Obj::HttpRoute,
            "reviews",
            "/spec/rules/0/backendRefs/0/weight",
            "/spec/rules/0/backendRefs/1/weight",
        ),
        REVIEWS,
        gateway_routes("reviews", 1, "reviews-v2"),
    )
}

//! Contour: an HTTPProxy route with two weighted Services; testers' routes before it.

use super::fields::*;
use super::{Expect, Layout, Obj, Row, TESTER};
use serde_json::{json, Value};

/// The Contour testers' route the cockpit inserts at `/spec/routes/{at}` (right before the
/// weighted route), and its clearing (the weighted route back at `at`).
fn contour_routes(name: &'static str, at: usize, canary: &str, scope: Value) -> (Expect, Expect) {
    let proxy = |pointer: String, v: Value| f(Obj::HttpProxy, name, &pointer, v);
    let mut conditions = scope.as_array().cloned().unwrap_or_default();
    conditions.push(json!({"header": {"name": TESTER.0, "exact": TESTER.1}}));
    (
        Expect::Fields(vec![
            proxy(
                format!("/spec/routes/{at}/conditions"),
                Value::Array(conditions),
            ),
            proxy(
                format!("/spec/routes/{at}/services"),
                json!([{"name": canary, "port": 80}]),
            ),
            proxy(
                format!("/spec/routes/{at}/requestHeadersPolicy/set"),
                json!([{"name": "X-Canary-Cockpit-Route", "value": "testers"}]),
            ),
            proxy(
                format!("/spec/routes/{}/services/1/name", at + 1),
                json!(canary),
            ),
        ]),
        Expect::Fields(vec![
            proxy(format!("/spec/routes/{at}/services/1/name"), json!(canary)),
            proxy(format!("/spec/routes/{}", at + 1), Value::Null),
        ]),
    )
}

pub fn contour_stable_canary() -> Row {
    driven(
        Layout::StableCanary,
        (
            |c, p| Box::pin(crate::cluster_contour::contour_release(c, p)),
            "httpproxy/shop",
        ),
        read("contour", "progressing", 10, ["shop", "shop-canary"]),
        Weights::two(
            Obj::HttpProxy,
            "shop",
            "/spec/routes/1/services/0/weight",
            "/spec/routes/1/services/1/weight",
        ),
        SHOP,
        contour_routes("shop", 1, "shop-canary", json!([{"prefix": "/api"}])),
    )
}

pub fn contour_version_named() -> Row {
    driven(
        Layout::VersionNamed,
        (
            |c, p| {
                Box::pin(bookinfo_with(
                    c,
                    p,
                    Obj::HttpProxy,
                    json!({"metadata": {"name": "reviews"}, "spec": {
                    "virtualhost": {"fqdn": "reviews.example"},
                    "routes": [{"services": [{"name": "reviews-v1", "port": 80, "weight": 90},
                                             {"name": "reviews-v2", "port": 80, "weight": 10}]}]}}),
                ))
            },
            "proxy/reviews",
        ),
        read("contour", "progressing", 10, ["reviews-v1", "reviews-v2"]),
        Weights::two(
            Obj::HttpProxy,
            "reviews",
            "/spec/routes/0/services/0/weight",
            "/spec/routes/0/services/1/weight",
        ),
        REVIEWS,
        contour_routes("reviews", 0, "reviews-v2", json!([])),
    )
}

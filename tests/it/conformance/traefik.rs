//! Traefik: a TraefikService's weighted round robin; testers' routes are refused.

use super::fields::*;
use super::{Layout, Obj, Row};
use serde_json::json;

const TRAEFIK_REFUSES: &str = "weighted round robin has no per-request match";

pub fn traefik_stable_canary() -> Row {
    driven(
        Layout::StableCanary,
        (
            |c, p| Box::pin(crate::cluster_traefik::traefik_release(c, p)),
            "ts/shop",
        ),
        read("traefik", "progressing", 10, ["shop", "shop-canary"]),
        Weights::two(
            Obj::TraefikService,
            "shop",
            "/spec/weighted/services/0/weight",
            "/spec/weighted/services/1/weight",
        ),
        SHOP,
        refused(TRAEFIK_REFUSES),
    )
}

pub fn traefik_version_named() -> Row {
    driven(
        Layout::VersionNamed,
        (
            |c, p| {
                Box::pin(bookinfo_with(
                    c,
                    p,
                    Obj::TraefikService,
                    json!({"metadata": {"name": "reviews"}, "spec": {
                    "weighted": {"services": [{"name": "reviews-v1", "port": 80, "weight": 90},
                                              {"name": "reviews-v2", "port": 80, "weight": 10}]}}}),
                ))
            },
            "ts/reviews",
        ),
        read("traefik", "progressing", 10, ["reviews-v1", "reviews-v2"]),
        Weights::two(
            Obj::TraefikService,
            "reviews",
            "/spec/weighted/services/0/weight",
            "/spec/weighted/services/1/weight",
        ),
        REVIEWS,
        refused(TRAEFIK_REFUSES),
    )
}

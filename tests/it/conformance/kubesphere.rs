//! KubeSphere: a grayscale Strategy, version-named, promoted by take-over (the governor).

use super::fields::*;
use super::{Expect, Layout, Obj, Row, WEIGHT};
use serde_json::{json, Value};

/// KubeSphere: its grayscale release is version-named and promotes by take-over (the governor);
/// no controller in the test cluster: the Strategy's fields the cockpit writes.
pub fn kubesphere() -> Row {
    let s = |pointer: &str, v: Value| f(Obj::Strategy, "reviews", pointer, v);
    let weights = Weights::two(
        Obj::Strategy,
        "reviews",
        "/spec/template/spec/http/0/route/0/weight",
        "/spec/template/spec/http/0/route/1/weight",
    );
    let (route, clear) = refused("its CRD declares a header match");
    Row {
        layout: Layout::VersionNamed,
        fixture: |c, p| Box::pin(crate::cluster_flagger::kubesphere_release(c, p)),
        target: "strategy/reviews",
        object: (Obj::Strategy, "reviews"),
        // the Strategy's type while no governor takes all traffic
        read: read("kubesphere", "Canary", 20, ["v1", "v2"]),
        set_weight: Expect::Fields(weights.are(100 - i64::from(WEIGHT), i64::from(WEIGHT))),
        pause: Expect::Fields(vec![weights.annotated(PAUSED, "true")]),
        resume: Expect::Fields(vec![weights.annotated(PAUSED, Value::Null)]),
        route,
        clear,
        promote: Expect::Fields(vec![s("/spec/governor", json!("v2"))]),
        rollback: Expect::Fields(vec![s("/spec/governor", json!("v1"))]),
    }
}

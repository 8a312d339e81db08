//! Flagger: no controller in the test cluster; the Canary's fields the cockpit writes.

use super::fields::*;
use super::{Expect, Layout, Obj, Row};
use serde_json::{json, Value};

/// Flagger: no controller in the test cluster; the fields of the Canary the cockpit writes,
/// and the levers Flagger keeps (without gates served by this cockpit).
pub fn flagger() -> Row {
    let canary = |pointer: &str, v: Value| f(Obj::Canary, "podinfo", pointer, v);
    let (route, clear) = refused("Flagger owns spec.analysis.match");
    Row {
        layout: Layout::StableCanary,
        fixture: |c, p| Box::pin(crate::cluster_flagger::flagger_release(c, p, None)),
        target: "canary/podinfo",
        object: (Obj::Canary, "podinfo"),
        read: read("flagger", "Progressing", 10, ["podinfo-primary", "podinfo"]),
        set_weight: Expect::Refused("Flagger sets the weight by its analysis (stepWeight)"),
        pause: Expect::Fields(vec![canary("/spec/suspend", json!(true))]),
        resume: Expect::Fields(vec![canary("/spec/suspend", json!(false))]),
        route,
        clear,
        promote: Expect::Fields(vec![canary("/spec/skipAnalysis", json!(true))]),
        rollback: Expect::Refused("type: rollback"),
    }
}

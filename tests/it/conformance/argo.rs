//! Argo Rollouts: no controller in the test cluster; the fields `kubectl argo rollouts` writes.

use super::fields::*;
use super::{Expect, Layout, Obj, Row};
use crate::support::cluster::patch_custom_status;
use serde_json::{json, Value};

/// Argo Rollouts: no controller in the test cluster; the fields `kubectl argo rollouts` writes.
pub fn argo() -> Row {
    let ro = |pointer: &str, v: Value| f(Obj::Rollout, "shop", pointer, v);
    let (route, clear) = refused("Argo Rollouts sets header routes from its steps");
    Row {
        layout: Layout::StableCanary,
        fixture: |c, p| {
            Box::pin(async move {
                let ns = crate::cluster_argo::argo_release(c, p).await;
                // the controller has moved on to step 2 and runs: no pause step holds it
                let status = json!({"currentStepIndex": 2, "phase": "Progressing", "message": null,
                                    "pauseConditions": null});
                patch_custom_status(c, &ns, &Obj::Rollout.resource(), "shop", status).await;
                ns
            })
        },
        target: "rollout/shop",
        object: (Obj::Rollout, "shop"),
        read: read("argo-rollouts", "Progressing", 20, ["aaa", "bbb"]),
        set_weight: Expect::Refused("Argo Rollouts sets the weight by its steps (setWeight)"),
        pause: Expect::Fields(vec![ro("/spec/paused", json!(true))]),
        resume: Expect::Fields(vec![
            ro("/spec/paused", json!(false)),
            ro("/status/pauseConditions", Value::Null),
        ]),
        route,
        clear,
        promote: Expect::Fields(vec![ro("/status/promoteFull", json!(true))]),
        rollback: Expect::Fields(vec![ro("/status/abort", json!(true))]),
    }
}

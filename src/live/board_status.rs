//! What the board reads from a controller's own object besides its route: the step interval
//! that sets when a release counts as stalled, and for Argo Rollouts (which runs ReplicaSets, not
//! Deployments) the readiness of each version from the Rollout's status. No extra watch.

use crate::board::Ready;
use crate::model::Kind;
use crate::provider::argo::duration_ms;
use kube::api::DynamicObject;
use serde_json::Value;

fn at<'a>(obj: &'a DynamicObject, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(&obj.data, |v, k| v.get(k))
}

/// The release's step interval in milliseconds, where its definition has one: Flagger's
/// `spec.analysis.interval` (or the older `spec.canaryAnalysis.interval`); for Argo Rollouts the
/// longest timed pause among its canary steps.
pub fn interval_ms(kind: Kind, obj: &DynamicObject) -> Option<i64> {
    match kind {
        Kind::Canary => ["analysis", "canaryAnalysis"]
            .iter()
            .find_map(|a| at(obj, &["spec", a, "interval"])?.as_str())
            .and_then(duration_ms),
        Kind::Rollout => at(obj, &["spec", "strategy", "canary", "steps"])?
            .as_array()?
            .iter()
            .filter_map(|s| match s.get("pause")?.get("duration")? {
                Value::String(d) => duration_ms(d),
                Value::Number(n) => n.as_i64().filter(|n| *n >= 0).map(|n| n * 1000),
                _ => None,
            })
            .max(),
        _ => None,
    }
}

fn count(obj: &DynamicObject, path: &[&str]) -> u32 {
    at(obj, path)
        .and_then(Value::as_u64)
        .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// [primary, canary] readiness of an Argo Rollout from its status.
///
/// With no canary under way (`currentPodHash` equals `stableRS`) every pod is the stable's:
/// primary `readyReplicas/replicas`, canary `0/0`. During a canary the canary's desired pods are
/// `updatedReplicas` and the stable's the rest; the status counts ready pods of both together,
/// so the canary's ready count is its lower bound (ready pods beyond what the stable can hold),
/// and the stable's the rest of the ready pods. `None` before the controller wrote a status.
pub fn argo_ready(obj: &DynamicObject) -> [Option<Ready>; 2] {
    let Some(hash) = at(obj, &["status", "currentPodHash"]).and_then(Value::as_str) else {
        return [None, None];
    };
    let stable = at(obj, &["status", "stableRS"]).and_then(Value::as_str);
    let replicas = count(obj, &["status", "replicas"]);
    let ready = count(obj, &["status", "readyReplicas"]).min(replicas);
    if stable.is_none_or(|s| s == hash) {
        return [
            Some(Ready {
                ready,
                desired: replicas,
            }),
            Some(Ready {
                ready: 0,
                desired: 0,
            }),
        ];
    }
    let updated = count(obj, &["status", "updatedReplicas"]).min(replicas);
    let stable_desired = replicas - updated;
    let canary_ready = ready.saturating_sub(stable_desired).min(updated);
    [
        Some(Ready {
            ready: ready - canary_ready,
            desired: stable_desired,
        }),
        Some(Ready {
            ready: canary_ready,
            desired: updated,
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(kind: &str, data: Value) -> DynamicObject {
        let mut v = json!({"apiVersion": "x/v1", "kind": kind, "metadata": {"name": "shop"}});
        if let (Some(o), Value::Object(d)) = (v.as_object_mut(), data) {
            o.extend(d);
        }
        serde_json::from_value(v).unwrap()
    }

    fn r(ready: u32, desired: u32) -> Option<Ready> {
        Some(Ready { ready, desired })
    }

    #[test]
    fn flagger_interval_from_its_analysis() {
        let c = obj("Canary", json!({"spec": {"analysis": {"interval": "1m"}}}));
        assert_eq!(interval_ms(Kind::Canary, &c), Some(60_000));
        let old = obj(
            "Canary",
            json!({"spec": {"canaryAnalysis": {"interval": "30s"}}}),
        );
        assert_eq!(interval_ms(Kind::Canary, &old), Some(30_000));
        let none = obj(
            "Canary",
            json!({"spec": {"analysis": {"interval": "soon"}}}),
        );
        assert_eq!(interval_ms(Kind::Canary, &none), None);
    }

    #[test]
    fn argo_interval_is_its_longest_timed_pause() {
        let ro = obj(
            "Rollout",
            json!({"spec": {"strategy": {"canary": {"steps": [
                {"setWeight": 20}, {"pause": {"duration": "5m"}},
                {"pause": {}}, {"pause": {"duration": 900}}, {"pause": {"duration": "1m"}}
            ]}}}}),
        );
        assert_eq!(interval_ms(Kind::Rollout, &ro), Some(900_000));
        let untimed = obj(
            "Rollout",
            json!({"spec": {"strategy": {"canary": {"steps": [{"pause": {}}]}}}}),
        );
        assert_eq!(interval_ms(Kind::Rollout, &untimed), None);
        assert_eq!(interval_ms(Kind::Ingress, &ro), None);
    }

    #[test]
    fn argo_readiness_at_rest_is_all_stable() {
        let ro = obj(
            "Rollout",
            json!({"status": {"currentPodHash": "a", "stableRS": "a",
                "replicas": 5, "readyReplicas": 4, "updatedReplicas": 5}}),
        );
        assert_eq!(argo_ready(&ro), [r(4, 5), r(0, 0)]);
    }

    #[test]
    fn argo_readiness_during_a_canary_splits_the_status() {
        let ro = obj(
            "Rollout",
            json!({"status": {"currentPodHash": "b", "stableRS": "a",
                "replicas": 6, "readyReplicas": 5, "updatedReplicas": 2}}),
        );
        assert_eq!(argo_ready(&ro), [r(4, 4), r(1, 2)]);
        let none_ready = obj(
            "Rollout",
            json!({"status": {"currentPodHash": "b", "stableRS": "a",
                "replicas": 6, "readyReplicas": 4, "updatedReplicas": 2}}),
        );
        assert_eq!(argo_ready(&none_ready), [r(4, 4), r(0, 2)]);
    }

    #[test]
    fn argo_readiness_unknown_before_a_status() {
        assert_eq!(argo_ready(&obj("Rollout", json!({}))), [None, None]);
        let odd = obj(
            "Rollout",
            json!({"status": {"currentPodHash": "b", "stableRS": "a",
                "replicas": 2, "readyReplicas": 9, "updatedReplicas": 7}}),
        );
        assert_eq!(argo_ready(&odd), [r(0, 0), r(2, 2)]);
    }
}

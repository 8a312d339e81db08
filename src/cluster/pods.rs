//! Pods as the cockpit shows them: kubectl's STATUS column, readiness, restarts, age, and the
//! requests and limits of their containers.

use crate::model::{quantity, Millis, Pod, PodResources, PodStatus};
use k8s_openapi::api::core::v1::Pod as KubePod;

/// The pod as kubectl would list it. Fields the cluster left out read as "not yet": no status is
/// Pending, no conditions is not ready.
pub fn from_kube(pod: &KubePod) -> Pod {
    let status = pod.status.as_ref();
    let containers = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    let restarts = containers
        .iter()
        .map(|c| u32::try_from(c.restart_count).unwrap_or(0))
        .fold(0u32, u32::saturating_add);
    let ready = status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    Pod {
        name: pod.metadata.name.clone().unwrap_or_default(),
        status: status_column(pod),
        ready,
        restarts,
        created_at: pod
            .metadata
            .creation_timestamp
            .as_ref()
            .map_or(Millis(0), |t| Millis(t.0.as_millisecond())),
        resources: resources(pod),
    }
}

/// The containers' requests and limits, summed; a figure is known only when every container
/// sets it (otherwise the pod's own is unbounded, and a share of the sum would mislead).
/// Init containers do not run beside the others and are left out.
pub fn resources(pod: &KubePod) -> PodResources {
    let containers = pod.spec.as_ref().map_or(&[][..], |s| &s.containers[..]);
    let sum = |limits: bool, key: &str, parse: fn(&str) -> Option<u64>| {
        if containers.is_empty() {
            return None;
        }
        containers.iter().try_fold(0u64, |acc, c| {
            let r = c.resources.as_ref()?;
            let map = if limits { &r.limits } else { &r.requests };
            let one = map.as_ref()?.get(key).and_then(|q| parse(&q.0))?;
            acc.checked_add(one)
        })
    };
    PodResources {
        cpu_request_millicores: sum(false, "cpu", quantity::millis),
        cpu_limit_millicores: sum(true, "cpu", quantity::millis),
        memory_request_bytes: sum(false, "memory", quantity::units),
        memory_limit_bytes: sum(true, "memory", quantity::units),
    }
}

/// kubectl's STATUS: Terminating, a container's waiting or terminated reason, else the phase.
fn status_column(pod: &KubePod) -> PodStatus {
    if pod.metadata.deletion_timestamp.is_some() {
        return PodStatus::Terminating;
    }
    let status = pod.status.as_ref();
    let reason = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default()
        .iter()
        .find_map(|c| {
            let state = c.state.as_ref()?;
            state
                .waiting
                .as_ref()
                .and_then(|w| w.reason.clone())
                .or_else(|| state.terminated.as_ref().and_then(|t| t.reason.clone()))
        });
    if let Some(reason) = reason {
        return match reason.as_str() {
            "CrashLoopBackOff" => PodStatus::CrashLoopBackOff,
            "ContainerCreating" => PodStatus::ContainerCreating,
            "Error" => PodStatus::Error,
            _ => PodStatus::Other(reason),
        };
    }
    match status.and_then(|s| s.phase.as_deref()) {
        Some("Running") => PodStatus::Running,
        Some("Pending") | None => PodStatus::Pending,
        Some("Failed") => PodStatus::Error,
        Some("Succeeded") => PodStatus::Other("Completed".to_string()),
        Some(other) => PodStatus::Other(other.to_string()),
    }
}

/// The image of a pod's first container, as the version's label.
pub fn image(pod: &KubePod) -> Option<String> {
    pod.spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> KubePod {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn status_column_follows_kubectl() {
        let p = pod(serde_json::json!({
            "metadata": {"name": "a", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "status": {"phase": "Running",
              "conditions": [{"type": "Ready", "status": "True"}],
              "containerStatuses": [{"name": "c", "image": "i", "imageID": "", "ready": true,
                 "restartCount": 3, "state": {"running": {}}}]}
        }));
        let p = from_kube(&p);
        assert_eq!(
            (p.status, p.ready, p.restarts),
            (PodStatus::Running, true, 3)
        );
        assert_eq!(p.created_at, Millis(1_767_225_600_000));

        let crash = from_kube(&pod(serde_json::json!({
            "metadata": {"name": "b"},
            "status": {"phase": "Running", "containerStatuses": [{"name": "c", "image": "i",
              "imageID": "", "ready": false, "restartCount": 7,
              "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}
        })));
        assert_eq!(
            (crash.status, crash.ready),
            (PodStatus::CrashLoopBackOff, false)
        );

        let sized = from_kube(&pod(serde_json::json!({
            "metadata": {"name": "e"},
            "spec": {"containers": [
                {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"},
                                            "limits": {"memory": "128Mi"}}},
                {"name": "b", "resources": {"requests": {"cpu": "0.5", "memory": "64Mi"},
                                            "limits": {"cpu": "1", "memory": "1Gi"}}}
            ]}
        })));
        assert_eq!(
            sized.resources,
            PodResources {
                cpu_request_millicores: Some(750),
                cpu_limit_millicores: None,
                memory_request_bytes: Some(128 << 20),
                memory_limit_bytes: Some((128 << 20) + (1 << 30)),
            },
            "a figure counts only when every container sets it"
        );

        let bare = from_kube(&pod(serde_json::json!({"metadata": {"name": "c"}})));
        assert_eq!(
            (bare.status, bare.ready, bare.restarts),
            (PodStatus::Pending, false, 0)
        );

        let gone = from_kube(&pod(serde_json::json!({
            "metadata": {"name": "d", "deletionTimestamp": "2026-01-01T00:00:00Z"},
            "status": {"phase": "Running"}
        })));
        assert_eq!(gone.status, PodStatus::Terminating);
    }

    #[test]
    fn requests_and_limits_are_summed_over_the_containers() {
        let p = pod(serde_json::json!({"spec": {"containers": [
            {"name": "app", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                          "limits": {"cpu": "1", "memory": "128Mi"}}},
            {"name": "proxy", "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}}}]}}));
        let r = resources(&p);
        assert_eq!(r.cpu_request_millicores, Some(150));
        assert_eq!(r.memory_request_bytes, Some(96 << 20));
        // the proxy has no limits: the pod's are unknown, not the app's alone
        assert_eq!((r.cpu_limit_millicores, r.memory_limit_bytes), (None, None));
        let bare = pod(serde_json::json!({"spec": {"containers": [{"name": "app"}]}}));
        assert_eq!(resources(&bare), crate::model::PodResources::default());
    }
}

//! Pods as the cockpit keeps them: a compact row per pod (kubectl's STATUS column, readiness,
//! restarts, age, the requests and limits of its containers, its labels and first image), decoded
//! straight from the API server's JSON. Nothing else of a pod is ever built: no managedFields, no
//! volumes, no full status.

use crate::model::{quantity, Millis, Pod, PodResources, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::listing::Wire;

/// The fields of a pod the cockpit reads; serde skips the rest without building it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PodWire {
    metadata: Meta,
    spec: Option<Spec>,
    status: Option<Status>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Meta {
    name: String,
    labels: Option<BTreeMap<String, String>>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
    resource_version: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Spec {
    containers: Option<Vec<Container>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Container {
    image: Option<String>,
    resources: Option<Resources>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Resources {
    requests: Option<BTreeMap<String, String>>,
    limits: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Status {
    phase: Option<String>,
    conditions: Option<Vec<Condition>>,
    container_statuses: Option<Vec<ContainerStatus>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Condition {
    #[serde(rename = "type")]
    type_: String,
    status: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ContainerStatus {
    restart_count: i64,
    state: Option<State>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct State {
    waiting: Option<Reason>,
    terminated: Option<Reason>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Reason {
    reason: Option<String>,
}

/// A pod as the cockpit keeps it between watch events.
#[derive(Clone, Debug, PartialEq)]
pub struct PodRow {
    /// `key=value` pairs, sorted by key.
    labels: Box<[(Box<str>, Box<str>)]>,
    pub image: Option<Box<str>>,
    pub pod: Pod,
}

impl PodRow {
    /// The labels as a map, for the rare reader that needs them all.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()
            .map(|i| self.labels[i].1.as_ref())
    }
}

impl Wire for PodWire {
    type Kept = PodRow;

    fn name(&self) -> &str {
        &self.metadata.name
    }

    fn resource_version(&self) -> Option<&str> {
        self.metadata.resource_version.as_deref()
    }

    fn keep(self) -> PodRow {
        let pod = from_wire(&self);
        let image = self.containers().first().and_then(|c| c.image.clone());
        let labels = self
            .metadata
            .labels
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.into_boxed_str(), v.into_boxed_str()))
            .collect();
        PodRow {
            labels,
            image: image.map(String::into_boxed_str),
            pod,
        }
    }
}

impl PodWire {
    fn containers(&self) -> &[Container] {
        self.spec
            .as_ref()
            .and_then(|s| s.containers.as_deref())
            .unwrap_or_default()
    }

    fn container_statuses(&self) -> &[ContainerStatus] {
        self.status
            .as_ref()
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or_default()
    }
}

/// The pod as kubectl would list it. Fields the cluster left out read as "not yet": no status is
/// Pending, no conditions is not ready.
fn from_wire(pod: &PodWire) -> Pod {
    let restarts = pod
        .container_statuses()
        .iter()
        .map(|c| u32::try_from(c.restart_count).unwrap_or(0))
        .fold(0u32, u32::saturating_add);
    let ready = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    Pod {
        name: pod.metadata.name.clone(),
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
fn resources(pod: &PodWire) -> PodResources {
    let containers = pod.containers();
    let sum = |limits: bool, key: &str, parse: fn(&str) -> Option<u64>| {
        if containers.is_empty() {
            return None;
        }
        containers.iter().try_fold(0u64, |acc, c| {
            let r = c.resources.as_ref()?;
            let map = if limits { &r.limits } else { &r.requests };
            let one = map.as_ref()?.get(key).and_then(|q| parse(q))?;
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
fn status_column(pod: &PodWire) -> PodStatus {
    if pod.metadata.deletion_timestamp.is_some() {
        return PodStatus::Terminating;
    }
    let reason = pod.container_statuses().iter().find_map(|c| {
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
    match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Running") => PodStatus::Running,
        Some("Pending") | None => PodStatus::Pending,
        Some("Failed") => PodStatus::Error,
        Some("Succeeded") => PodStatus::Other("Completed".to_string()),
        Some(other) => PodStatus::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> PodWire {
        serde_json::from_value(json).unwrap()
    }

    fn from_kube(pod: &PodWire) -> Pod {
        pod.clone().keep().pod
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

    #[test]
    fn a_row_keeps_labels_and_image_and_nothing_of_managed_fields() {
        let wire: PodWire = serde_json::from_str(
            r#"{"metadata": {"name": "a", "resourceVersion": "7",
                "labels": {"app": "shop", "version": "v2"},
                "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}]},
               "spec": {"containers": [{"name": "app", "image": "shop:2"}, {"name": "b", "image": "proxy:1"}]}}"#,
        )
        .unwrap();
        assert_eq!(wire.resource_version(), Some("7"));
        let row = wire.keep();
        assert_eq!(
            (row.label("app"), row.label("version")),
            (Some("shop"), Some("v2"))
        );
        assert_eq!(row.label("zone"), None);
        assert_eq!(row.image.as_deref(), Some("shop:2"));
        assert_eq!(row.pod.name, "a");
        // a field of the wrong type is an error, not a silent default
        assert!(serde_json::from_str::<PodWire>(r#"{"metadata": {"name": 3}}"#).is_err());
    }
}

//! The Deployments behind a release's versions: which one runs a version's pods, scaling one,
//! copying one's pod template to another, and waiting for a rollout the way
//! `kubectl rollout status` does.

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{ListParams, Patch, PatchParams};
use kube::runtime::watcher;
use kube::Api;
use std::time::Duration;

use super::dynamic::call;
use super::selector::Selector;
use super::{Cluster, ClusterError};

fn api(cluster: &Cluster) -> Api<Deployment> {
    Api::namespaced(cluster.client.clone(), &cluster.namespace)
}

pub fn name(d: &Deployment) -> &str {
    d.metadata.name.as_deref().unwrap_or_default()
}

/// Every Deployment of the namespace.
pub async fn list(cluster: &Cluster) -> Result<Vec<Deployment>, ClusterError> {
    let list = api(cluster)
        .list(&ListParams::default())
        .await
        .map_err(|e| call(cluster, "list", "deployments", "").error(e))?;
    Ok(list.items)
}

/// Whether the selector selects the pods of the Deployment's template.
pub fn selects(selector: &Selector, d: &Deployment) -> bool {
    let labels = d
        .spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref());
    selector.matches(labels)
}

/// The image of the first container of the Deployment's pod template.
pub fn image(d: &Deployment) -> Option<String> {
    d.spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
}

/// The replicas of the Deployment that are available (0 before its status says).
pub fn available(d: &Deployment) -> i32 {
    d.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
}

/// The one Deployment whose pod template the selector selects.
pub async fn running(cluster: &Cluster, selector: &Selector) -> Result<Deployment, ClusterError> {
    let mut matching: Vec<Deployment> = list(cluster)
        .await?
        .into_iter()
        .filter(|d| selects(selector, d))
        .collect();
    match matching.len() {
        1 => Ok(matching.remove(0)),
        0 => Err(ClusterError::NoDeployment {
            selector: selector.to_string(),
            found: String::new(),
        }),
        _ => Err(ClusterError::NoDeployment {
            selector: selector.to_string(),
            found: matching
                .iter()
                .map(|d| name(d).to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

pub async fn scale(cluster: &Cluster, deployment: &str, replicas: i32) -> Result<(), ClusterError> {
    let scale = serde_json::json!({"spec": {"replicas": replicas}});
    api(cluster)
        .patch_scale(deployment, &PatchParams::default(), &Patch::Merge(&scale))
        .await
        .map_err(|e| call(cluster, "patch", "deployments/scale", deployment).error(e))?;
    Ok(())
}

/// Gives `to` the pod spec and pod annotations of `from` (its labels stay: its selector needs
/// them), conditional on the spec of `to` being the one read (its generation: status updates,
/// which come all the time, do not count). The stored Deployment.
pub async fn copy_template(
    cluster: &Cluster,
    from: &Deployment,
    to: &Deployment,
) -> Result<Deployment, ClusterError> {
    let template = &from.spec.template;
    let spec = template.spec.as_ref();
    let annotations = template
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.clone())
        .unwrap_or_default();
    let patch = serde_json::json!([
        {"op": "test", "path": "/metadata/generation", "value": to.metadata.generation},
        {"op": "replace", "path": "/spec/template/spec", "value": spec},
        {"op": "add", "path": "/spec/template/metadata/annotations", "value": annotations},
    ]);
    let patch: json_patch::Patch =
        serde_json::from_value(patch).map_err(|e| ClusterError::Api {
            verb: "patch",
            resource: "deployments",
            namespace: cluster.namespace.clone(),
            message: e.to_string(),
        })?;
    api(cluster)
        .patch(name(to), &PatchParams::default(), &Patch::Json::<()>(patch))
        .await
        .map_err(|e| failed_test(cluster, name(to), e))
}

/// A JSON patch whose `test` failed is answered 422: the object changed since it was read.
fn failed_test(cluster: &Cluster, deployment: &str, e: kube::Error) -> ClusterError {
    match e {
        kube::Error::Api(s) if s.code == 422 => ClusterError::Conflict {
            resource: "deployments",
            name: deployment.to_string(),
        },
        e => call(cluster, "patch", "deployments", deployment).error(e),
    }
}

/// Puts `template` back as the Deployment's pod template (a promotion that was stopped), on the
/// Deployment as it is now.
pub async fn restore_template(
    cluster: &Cluster,
    deployment: &str,
    template: &k8s_openapi::api::core::v1::PodTemplateSpec,
) -> Result<(), ClusterError> {
    let now = api(cluster)
        .get(deployment)
        .await
        .map_err(|e| call(cluster, "get", "deployments", deployment).error(e))?;
    let patch = serde_json::json!([
        {"op": "test", "path": "/metadata/generation", "value": now.metadata.generation},
        {"op": "replace", "path": "/spec/template", "value": template},
    ]);
    let patch: json_patch::Patch =
        serde_json::from_value(patch).map_err(|e| ClusterError::Api {
            verb: "patch",
            resource: "deployments",
            namespace: cluster.namespace.clone(),
            message: e.to_string(),
        })?;
    api(cluster)
        .patch(
            deployment,
            &PatchParams::default(),
            &Patch::Json::<()>(patch),
        )
        .await
        .map_err(|e| call(cluster, "patch", "deployments", deployment).error(e))?;
    Ok(())
}

/// Where a rollout stands, as `kubectl rollout status` tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rollout {
    Done,
    Waiting(String),
    Failed(String),
}

pub fn rollout(d: &Deployment, generation: i64) -> Rollout {
    let status = d.status.clone().unwrap_or_default();
    let wanted = d.spec.replicas.unwrap_or(1);
    if status.observed_generation.unwrap_or(0) < generation {
        return Rollout::Waiting("waiting for the controller to see the new template".into());
    }
    if let Some(c) = status.conditions.iter().flatten().find(|c| {
        c.type_.as_deref() == Some("Progressing")
            && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    }) {
        return Rollout::Failed(
            c.message
                .clone()
                .unwrap_or_else(|| "progress deadline exceeded".into()),
        );
    }
    let updated = status.updated_replicas.unwrap_or(0);
    let total = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if updated < wanted {
        Rollout::Waiting(format!("{updated} of {wanted} new replicas updated"))
    } else if total > updated {
        Rollout::Waiting(format!(
            "{} old replicas pending termination",
            total - updated
        ))
    } else if available < updated {
        Rollout::Waiting(format!(
            "{available} of {updated} updated replicas available"
        ))
    } else {
        Rollout::Done
    }
}

/// Waits until the Deployment has rolled out `generation` (a watch, no polling), telling each new
/// state to `report` as a stage of `action` (`promote`). Gives up after the
/// Deployment's own progress deadline (default 600 s).
pub async fn wait_rollout(
    cluster: &Cluster,
    stored: &Deployment,
    action: &str,
    report: &mut super::report::Reporter,
) -> Result<(), ClusterError> {
    let deployment = name(stored).to_string();
    let generation = stored.metadata.generation.unwrap_or(0);
    let deadline = stored.spec.progress_deadline_seconds.unwrap_or(600);
    let config = watcher::Config::default().fields(&format!("metadata.name={deployment}"));
    let mut events = watcher(api(cluster), config).boxed();
    let mut last = String::new();
    let wait = async {
        while let Some(event) = events.next().await {
            let d = match event {
                Ok(watcher::Event::Apply(d) | watcher::Event::InitApply(d)) => d,
                Ok(watcher::Event::Delete(_)) => {
                    return Err(format!("deployment/{deployment} was deleted"));
                }
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(%e, "deployment watch");
                    continue;
                }
            };
            match rollout(&d, generation) {
                Rollout::Done => return Ok(()),
                Rollout::Failed(why) => return Err(why),
                Rollout::Waiting(state) if state != last => {
                    report
                        .say(action, format!("deployment/{deployment}: {state}"))
                        .await;
                    last = state;
                }
                Rollout::Waiting(_) => {}
            }
        }
        Err("the watch ended".to_string())
    };
    let limit = Duration::from_secs(u64::try_from(deadline).unwrap_or(600).max(1));
    match tokio::time::timeout(limit, wait).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(reason)) => Err(ClusterError::Rollout { deployment, reason }),
        Err(_) => Err(ClusterError::Rollout {
            deployment,
            reason: format!("not rolled out within its progress deadline ({deadline} s)"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(status: serde_json::Value) -> Deployment {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "shop", "generation": 3},
            "spec": {"replicas": 2, "selector": {}, "template": {}},
            "status": status
        }))
        .unwrap()
    }

    #[test]
    fn rollout_status_reads_like_kubectl() {
        let d = deployment(serde_json::json!({"observedGeneration": 2}));
        assert!(matches!(rollout(&d, 3), Rollout::Waiting(_)));
        let d = deployment(serde_json::json!({"observedGeneration": 3, "replicas": 3,
            "updatedReplicas": 2, "availableReplicas": 2}));
        assert_eq!(
            rollout(&d, 3),
            Rollout::Waiting("1 old replicas pending termination".into())
        );
        let d = deployment(serde_json::json!({"observedGeneration": 3, "replicas": 2,
            "updatedReplicas": 2, "availableReplicas": 1}));
        assert!(matches!(rollout(&d, 3), Rollout::Waiting(_)));
        let d = deployment(serde_json::json!({"observedGeneration": 3, "replicas": 2,
            "updatedReplicas": 2, "availableReplicas": 2}));
        assert_eq!(rollout(&d, 3), Rollout::Done);
        let d = deployment(serde_json::json!({"observedGeneration": 3, "conditions": [
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
             "message": "ReplicaSet \"shop-1\" has timed out progressing."}]}));
        assert!(matches!(rollout(&d, 3), Rollout::Failed(m) if m.contains("timed out")));
    }
}

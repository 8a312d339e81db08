//! Writes to the routing object: the weight and the pause annotation. Every write is conditional
//! on the resourceVersion that was read, so the API server answers 409 when someone changed the
//! object in between and nothing is written. Each returns the route as the server stored it, so
//! that a multi-stage action goes on from what it wrote.

use crate::model::Weight;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Patch, PatchParams};
use kube::Api;

use super::dynamic::{call, Resource};
use super::nginx::{self, Pair};
use super::release::{route_from_object, Ended, Route, Routing, OUTCOME, PAUSED};
use super::{argo, flagger, gateway, kubesphere, Cluster, ClusterError, Kind};

fn resource(kind: Kind) -> Resource {
    super::release::resource_of(kind).unwrap_or(gateway::HTTP_ROUTE)
}

fn json_patch(
    cluster: &Cluster,
    kind: Kind,
    ops: serde_json::Value,
) -> Result<json_patch::Patch, ClusterError> {
    serde_json::from_value(ops).map_err(|e| ClusterError::Api {
        verb: "patch",
        resource: resource(kind).plural,
        namespace: cluster.namespace.clone(),
        message: e.to_string(),
    })
}

/// Patches the canary Ingress; the route again with the stored Ingress.
async fn patch_canary_ingress(
    cluster: &Cluster,
    pair: &Pair,
    patch: serde_json::Value,
) -> Result<Route, ClusterError> {
    let name = nginx::name(&pair.canary);
    let api: Api<Ingress> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let stored = api
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| call(cluster, "patch", "ingresses", name).error(e))?;
    let ingresses = [pair.primary.clone(), stored];
    super::release::route_from_ingresses(&ingresses, nginx::name(&pair.primary))
}

async fn patch_object(
    cluster: &Cluster,
    (kind, version): (Kind, &'static str),
    name: &str,
    patch: Patch<serde_json::Value>,
) -> Result<Route, ClusterError> {
    let resource = resource(kind);
    let stored = resource
        .api(cluster, version)
        .patch(name, &PatchParams::default(), &patch)
        .await
        .map_err(|e| call(cluster, "patch", resource.plural, name).error(e))?;
    route_from_object(kind, version, &cluster.namespace, &stored)
}

/// The outcome annotation a weight write sets: the end it records, or none (cleared) once a
/// weight above 0 starts the next release. `None` leaves it as it is.
fn outcome_value(seen: &Route, weight: Weight, ended: Option<Ended>) -> Option<serde_json::Value> {
    match ended {
        Some(e) => Some(serde_json::Value::String(e.label().to_string())),
        None if weight > Weight::ZERO && seen.annotations.contains_key(OUTCOME) => {
            Some(serde_json::Value::Null)
        }
        None => None,
    }
}

/// JSON pointer escaping of one path segment.
fn pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Gives the canary `weight` percent of the traffic (the primary the rest); `ended` records in
/// the same write that this weight ends the release.
pub async fn set_weight(
    cluster: &Cluster,
    seen: &Route,
    weight: Weight,
    ended: Option<Ended>,
) -> Result<Route, ClusterError> {
    let outcome = outcome_value(seen, weight, ended);
    match &seen.routing {
        Routing::Rollout { .. } => Err(ClusterError::Refused(
            "Argo Rollouts sets the weight by its steps (setWeight): step to the next one, promote fully, or abort".to_string(),
        )),
        Routing::Flagger { .. } => Err(ClusterError::Refused(
            "Flagger sets the weight by its analysis (stepWeight): open its traffic-increase gate, promote, or roll back".to_string(),
        )),
        Routing::Strategy { strategy } if !strategy.governor.is_empty() => {
            Err(ClusterError::Refused(format!(
                "{} is governed by {}, which takes all traffic: the template's weights apply again once spec.governor is cleared",
                seen.object, strategy.governor
            )))
        }
        Routing::Strategy { strategy } => {
            let patch = json_patch(cluster, Kind::Strategy, strategy.split.weight_patch(weight))?;
            let version = kubesphere::STRATEGY.versions[0];
            patch_object(cluster, (Kind::Strategy, version), &seen.name, Patch::Json(patch)).await
        }
        Routing::Nginx { pair, weight: w } => {
            let mut patch = nginx::weight_patch(&pair.canary, w.value_for(weight));
            if let Some(v) = outcome {
                patch["metadata"]["annotations"][OUTCOME] = v;
            }
            patch_canary_ingress(cluster, pair, patch).await
        }
        Routing::Split {
            kind,
            version,
            split,
        } => {
            let mut ops = split.weight_patch(weight);
            if let (Some(list), Some(v)) = (ops.as_array_mut(), outcome) {
                match (&v, seen.annotations.is_empty()) {
                    (serde_json::Value::Null, _) => list.push(serde_json::json!(
                        {"op": "remove", "path": format!("/metadata/annotations/{}", pointer(OUTCOME))}
                    )),
                    (_, true) => list.push(serde_json::json!(
                        {"op": "add", "path": "/metadata/annotations", "value": {OUTCOME: v}}
                    )),
                    (_, false) => list.push(serde_json::json!(
                        {"op": "add", "path": format!("/metadata/annotations/{}", pointer(OUTCOME)), "value": v}
                    )),
                }
            }
            let patch = json_patch(cluster, *kind, ops)?;
            patch_object(cluster, (*kind, version), &seen.name, Patch::Json(patch)).await
        }
    }
}

/// Sets or clears the pause annotation.
pub async fn set_paused(
    cluster: &Cluster,
    seen: &Route,
    paused: bool,
) -> Result<Route, ClusterError> {
    let value = if paused {
        serde_json::Value::String("true".to_string())
    } else {
        serde_json::Value::Null
    };
    match &seen.routing {
        Routing::Nginx { pair, .. } => {
            let patch = serde_json::json!({"metadata": {
                "resourceVersion": pair.canary.metadata.resource_version,
                "annotations": {PAUSED: value}}});
            patch_canary_ingress(cluster, pair, patch).await
        }
        Routing::Split {
            kind,
            version,
            split,
        } => {
            let patch = serde_json::json!({"metadata": {
                "resourceVersion": split.resource_version,
                "annotations": {PAUSED: value}}});
            patch_object(cluster, (*kind, version), &seen.name, Patch::Merge(patch)).await
        }
        Routing::Rollout { .. } => {
            rollout_writes(cluster, &seen.name, argo::pause_writes(paused)).await
        }
        Routing::Flagger { .. } => {
            canary_patch(cluster, seen, flagger::suspend_patch(paused)).await
        }
        Routing::Strategy { strategy } => {
            let patch = serde_json::json!({"metadata": {
                "resourceVersion": strategy.split.resource_version,
                "annotations": {PAUSED: value}}});
            let version = kubesphere::STRATEGY.versions[0];
            patch_object(
                cluster,
                (Kind::Strategy, version),
                &seen.name,
                Patch::Merge(patch),
            )
            .await
        }
    }
}

/// Applies one lever's writes to a Rollout: the spec first, then the status subresource. The
/// Rollout as stored after the last write.
/// Merge-patches a Flagger Canary; the route as stored (its Deployments' selectors kept).
pub async fn canary_patch(
    cluster: &Cluster,
    seen: &Route,
    patch: serde_json::Value,
) -> Result<Route, ClusterError> {
    let api = flagger::CANARY.api(cluster, flagger::CANARY.versions[0]);
    let stored = api
        .patch(&seen.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| call(cluster, "patch", "canaries", &seen.name).error(e))?;
    let selectors = seen.pod_selectors.clone().unwrap_or_default();
    super::release::route_from_canary(&stored, selectors, None)
}

/// Sets the Strategy's governor: the canary (take over) or the principal (back).
pub async fn set_governor(
    cluster: &Cluster,
    seen: &Route,
    promote: bool,
) -> Result<Route, ClusterError> {
    let Routing::Strategy { strategy } = &seen.routing else {
        return Err(ClusterError::Refused(format!(
            "{} has no governor",
            seen.object
        )));
    };
    let patch = kubesphere::governor_patch(strategy, &strategy.split.resource_version, promote);
    let version = kubesphere::STRATEGY.versions[0];
    patch_object(
        cluster,
        (Kind::Strategy, version),
        &seen.name,
        Patch::Merge(patch),
    )
    .await
}

pub async fn rollout_writes(
    cluster: &Cluster,
    name: &str,
    writes: argo::Writes,
) -> Result<Route, ClusterError> {
    let api = argo::ROLLOUT.api(cluster, argo::ROLLOUT.versions[0]);
    let pp = PatchParams::default();
    let fail = |verb: &'static str, resource: &'static str| {
        move |e: kube::Error| match e {
            // a JSON patch whose test failed: the rollout moved on since it was read
            kube::Error::Api(s) if s.code == 422 && resource == "rollouts/status" => {
                ClusterError::Conflict {
                    resource: "rollouts",
                    name: name.to_string(),
                }
            }
            e => call(cluster, verb, resource, name).error(e),
        }
    };
    let mut stored = None;
    if let Some(spec) = writes.spec {
        stored = Some(
            api.patch(name, &pp, &Patch::Merge(spec))
                .await
                .map_err(fail("patch", "rollouts"))?,
        );
    }
    if let Some(status) = writes.status {
        stored = Some(
            api.patch_status(name, &pp, &Patch::Merge(status))
                .await
                .map_err(fail("patch", "rollouts/status"))?,
        );
    }
    if let Some(ops) = writes.status_json {
        let patch: json_patch::Patch =
            serde_json::from_value(ops).map_err(|e| ClusterError::Api {
                verb: "patch",
                resource: "rollouts/status",
                namespace: cluster.namespace.clone(),
                message: e.to_string(),
            })?;
        stored = Some(
            api.patch_status(name, &pp, &Patch::Json::<()>(patch))
                .await
                .map_err(fail("patch", "rollouts/status"))?,
        );
    }
    let stored = match stored {
        Some(s) => s,
        None => api
            .get(name)
            .await
            .map_err(|e| call(cluster, "get", "rollouts", name).error(e))?,
    };
    super::release::route_from_rollout(&stored, &[])
}

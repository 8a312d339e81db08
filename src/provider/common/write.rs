//! Performs a provider's writes. Every write is conditional (on the resourceVersion that was
//! read, or on a JSON patch `test`), so the API server answers 409 when someone changed the
//! object in between and nothing is written. Each returns the route as the server stored it, so
//! that a multi-stage action goes on from what it wrote.

use crate::cluster::dynamic::call;
use crate::cluster::{Cluster, ClusterError};
use crate::model::Weight;
use kube::api::{Patch, PatchParams};

use crate::provider::common::route::{Ended, ObjectWrite, PatchBody, Route};
use crate::provider::Context;

/// Applies `writes` in order; the route from the object the last one stored (or from a fresh
/// read of the routing object when there were none).
pub async fn apply(
    cluster: &Cluster,
    seen: &Route,
    writes: Vec<ObjectWrite>,
) -> Result<Route, ClusterError> {
    let ctx = Context {
        selectors: seen.pod_selectors.clone(),
        ..Context::of(&cluster.namespace)
    };
    let mut stored = None;
    for w in writes {
        stored = Some(one(cluster, &w).await?);
    }
    match stored {
        Some(obj) => crate::provider::of(seen).stored(seen, &obj, &ctx),
        None => {
            let kept = seen.kept();
            crate::provider::of(seen)
                .read(cluster, &seen.name, kept.as_ref())
                .await
        }
    }
}

async fn one(cluster: &Cluster, w: &ObjectWrite) -> Result<kube::api::DynamicObject, ClusterError> {
    let api = w.resource.api(cluster, w.version);
    let pp = PatchParams::default();
    let what = w.status.unwrap_or(w.resource.plural);
    let fail = |e: kube::Error| match e {
        // a JSON patch whose test failed: the object moved on since it was read
        kube::Error::Api(s) if s.code == 422 && w.status.is_some() => ClusterError::Conflict {
            resource: w.resource.plural,
            name: w.name.clone(),
        },
        e => call(cluster, "patch", what, &w.name).error(e),
    };
    match &w.patch {
        PatchBody::Merge(body) if w.status.is_some() => api
            .patch_status(&w.name, &pp, &Patch::Merge(body))
            .await
            .map_err(fail),
        PatchBody::Merge(body) => api
            .patch(&w.name, &pp, &Patch::Merge(body))
            .await
            .map_err(fail),
        PatchBody::Json(ops) => {
            let patch: json_patch::Patch =
                serde_json::from_value(ops.clone()).map_err(|e| ClusterError::Api {
                    verb: "patch",
                    resource: what,
                    namespace: cluster.namespace.clone(),
                    message: e.to_string(),
                })?;
            let patch = Patch::Json::<()>(patch);
            if w.status.is_some() {
                api.patch_status(&w.name, &pp, &patch).await.map_err(fail)
            } else {
                api.patch(&w.name, &pp, &patch).await.map_err(fail)
            }
        }
    }
}

/// Gives the canary `weight` percent of the traffic (the primary the rest); `ended` records in
/// the same write that this weight ends the release.
pub async fn set_weight(
    cluster: &Cluster,
    seen: &Route,
    weight: Weight,
    ended: Option<Ended>,
) -> Result<Route, ClusterError> {
    let writes = crate::provider::of(seen).weight_writes(seen, weight, ended)?;
    apply(cluster, seen, writes).await
}

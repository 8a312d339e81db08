//! The release list's look for ingress-nginx releases: every canary Ingress with its primary.

use crate::cluster::dynamic;
use crate::cluster::{Cluster, ClusterError};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::DynamicObject;
use std::collections::BTreeMap;

use super::{ingresses, is_canary, name, route, INGRESS};
use crate::provider::Found;

/// Every canary Ingress of the namespace (`all`: of every namespace), with its release.
pub async fn discover(cluster: &Cluster, all: bool) -> Result<Vec<Found>, ClusterError> {
    let list = match dynamic::list_any(cluster, INGRESS, all).await? {
        Some((list, _)) => ingresses(&list)?,
        None => Vec::new(),
    };
    Ok(pairs(list))
}

/// Every canary Ingress among `objects` (of any namespaces), with its release. An object that
/// is not an Ingress as the cockpit reads one is left out, and said in the log.
pub fn found(objects: &[DynamicObject]) -> Vec<Found> {
    let list = objects
        .iter()
        .filter_map(|o| match dynamic::typed::<Ingress>(o) {
            Ok(i) => Some(i),
            Err(e) => {
                tracing::warn!(error = %e, "an Ingress that cannot be read is left out");
                None
            }
        })
        .collect();
    pairs(list)
}

fn pairs(list: Vec<Ingress>) -> Vec<Found> {
    let mut by_ns: BTreeMap<String, Vec<Ingress>> = BTreeMap::new();
    for ing in list {
        by_ns
            .entry(ing.metadata.namespace.clone().unwrap_or_default())
            .or_default()
            .push(ing);
    }
    let mut out = Vec::new();
    for (ns, ings) in &by_ns {
        for canary in ings.iter().filter(|i| is_canary(i)) {
            out.push(Found {
                namespace: ns.clone(),
                name: name(canary).to_string(),
                meta: canary.metadata.clone(),
                route: route(ings, name(canary)),
            });
        }
    }
    out
}

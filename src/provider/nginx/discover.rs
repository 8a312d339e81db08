//! The release list's look for ingress-nginx releases: every canary Ingress with its primary.

use crate::cluster::dynamic;
use crate::cluster::{Cluster, ClusterError};
use k8s_openapi::api::networking::v1::Ingress;
use std::collections::BTreeMap;

use super::{ingresses, is_canary, name, route, INGRESS};
use crate::provider::Found;

/// Every canary Ingress of the namespace (`all`: of every namespace), with its release.
pub async fn discover(cluster: &Cluster, all: bool) -> Result<Vec<Found>, ClusterError> {
    let list = match dynamic::list_any(cluster, INGRESS, all).await? {
        Some((list, _)) => ingresses(&list)?,
        None => Vec::new(),
    };
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
    Ok(out)
}

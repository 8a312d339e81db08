//! The release list's look for one system's objects.

use crate::cluster::dynamic::Resource;
use crate::cluster::{Cluster, ClusterError};
use kube::api::DynamicObject;

use super::route::Route;
use crate::provider::Found;

/// Each of `objects` with its route, as [`crate::provider::TrafficSystem::releases`] hands them.
pub fn each(
    version: &'static str,
    objects: &[DynamicObject],
    parse: impl Fn(&'static str, &str, &DynamicObject) -> Result<Route, ClusterError>,
) -> Vec<Found> {
    objects
        .iter()
        .map(|obj| {
            let namespace = obj.metadata.namespace.clone().unwrap_or_default();
            Found {
                name: obj.metadata.name.clone().unwrap_or_default(),
                route: parse(version, &namespace, obj),
                namespace,
                meta: obj.metadata.clone(),
            }
        })
        .collect()
}

/// Every object of `resource`; `parse` reads one as a release (the API version served, the
/// namespace, the object).
///
/// Every object of `resource` in the namespace (`all`: in every namespace), each with its route;
/// `None` when the cluster serves no such kind.
pub async fn objects(
    cluster: &Cluster,
    resource: Resource,
    all: bool,
    parse: impl Fn(&'static str, &str, &DynamicObject) -> Result<Route, ClusterError>,
) -> Result<Option<Vec<Found>>, ClusterError> {
    let Some((objects, version)) =
        crate::cluster::dynamic::list_any(cluster, resource, all).await?
    else {
        return Ok(None);
    };
    Ok(Some(
        objects
            .into_iter()
            .map(|obj| {
                let namespace = obj.metadata.namespace.clone().unwrap_or_default();
                Found {
                    name: obj.metadata.name.clone().unwrap_or_default(),
                    route: parse(version, &namespace, &obj),
                    namespace,
                    meta: obj.metadata,
                }
            })
            .collect(),
    ))
}

//! Custom resources read without generated types: the kind, its group and the versions the
//! cockpit understands, newest first. A cluster that does not serve the newest answers 404 for
//! it and the next is tried.

use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::core::GroupVersionKind;
use kube::Api;

use super::error::Call;
use super::listing::{self, Query, Wire};
use super::{Cluster, ClusterError};

/// A custom object as the cockpit keeps it: as read, without its managedFields.
impl Wire for DynamicObject {
    type Kept = DynamicObject;

    fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    fn resource_version(&self) -> Option<&str> {
        self.metadata.resource_version.as_deref()
    }

    fn keep(mut self) -> DynamicObject {
        self.metadata.managed_fields = None;
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    pub group: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    /// Versions whose schema the cockpit reads the same way, newest first.
    pub versions: &'static [&'static str],
}

impl Resource {
    pub fn api_resource(&self, version: &str) -> ApiResource {
        ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(self.group, version, self.kind),
            self.plural,
        )
    }

    /// The list (one object: by name) of this resource in the cluster's namespace.
    pub fn query(&self, cluster: &Cluster, version: &str, name: Option<&str>) -> Query {
        use kube::Resource as _;
        Query {
            path: DynamicObject::url_path(&self.api_resource(version), Some(&cluster.namespace)),
            labels: None,
            fields: name.map(|n| format!("metadata.name={n}")),
        }
    }

    pub fn api(&self, cluster: &Cluster, version: &str) -> Api<DynamicObject> {
        Api::namespaced_with(
            cluster.client.clone(),
            &cluster.namespace,
            &self.api_resource(version),
        )
    }
}

fn is_404(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// The named object, at the first version the cluster serves; and that version.
pub async fn get(
    cluster: &Cluster,
    resource: Resource,
    name: &str,
) -> Result<(DynamicObject, &'static str), ClusterError> {
    if cluster.reads.armed() {
        if let Some(found) = get_listed(cluster, resource, name).await? {
            return Ok(found);
        }
    }
    let mut last = None;
    for version in resource.versions {
        match resource.api(cluster, version).get(name).await {
            Ok(obj) => return Ok((obj, version)),
            Err(e) if is_404(&e) => last = Some(e),
            Err(e) => return Err(call(cluster, "get", resource.plural, name).error(e)),
        }
    }
    // a missing object names itself in the 404; a kind the cluster does not serve does not
    let served = last.is_some_and(|e| e.to_string().contains(name));
    if served {
        return Err(ClusterError::NotFound {
            resource: resource.kind_lower(),
            name: name.to_string(),
            namespace: cluster.namespace.clone(),
        });
    }
    Err(ClusterError::NotServed {
        kind: resource.kind,
        group: resource.group,
        versions: resource.versions.join(", "),
    })
}

/// The named object read as a one-object list, so that its watch can start from the list's
/// resourceVersion; kept for the watch. `None` when the user may only get it, or the object is
/// not there (the plain get then says which).
async fn get_listed(
    cluster: &Cluster,
    resource: Resource,
    name: &str,
) -> Result<Option<(DynamicObject, &'static str)>, ClusterError> {
    for version in resource.versions {
        let query = resource.query(cluster, version, Some(name));
        match listing::list::<DynamicObject>(&cluster.client, &query).await {
            Ok(listed) => {
                let Some(obj) = listed.items.first().cloned() else {
                    return Ok(None);
                };
                cluster.reads.keep_objects(&query, &listed);
                return Ok(Some((obj, version)));
            }
            Err(e) if is_404(&e) => continue,
            Err(kube::Error::Api(s)) if s.code == 403 => return Ok(None),
            Err(e) => return Err(call(cluster, "get", resource.plural, name).error(e)),
        }
    }
    Ok(None)
}

/// Every object of the namespace at `version`; an unserved kind is an empty list.
pub async fn list(
    cluster: &Cluster,
    resource: Resource,
    version: &str,
) -> Result<Vec<DynamicObject>, ClusterError> {
    let query = resource.query(cluster, version, None);
    match listing::list::<DynamicObject>(&cluster.client, &query).await {
        Ok(listed) => {
            cluster.reads.keep_objects(&query, &listed);
            Ok(listed.items)
        }
        Err(e) if is_404(&e) => Ok(Vec::new()),
        Err(e) => Err(call(cluster, "list", resource.plural, "").error(e)),
    }
}

impl Resource {
    /// The kind as the cockpit names it in messages: `virtualservice`.
    pub fn kind_lower(&self) -> &'static str {
        match self.kind {
            "VirtualService" => "virtualservice",
            "DestinationRule" => "destinationrule",
            "HTTPRoute" => "httproute",
            "Ingress" => "ingress",
            _ => self.plural,
        }
    }
}

pub fn call<'a>(
    cluster: &'a Cluster,
    verb: &'static str,
    resource: &'static str,
    name: &'a str,
) -> Call<'a> {
    Call {
        verb,
        resource,
        name,
        namespace: &cluster.namespace,
        user: &cluster.user,
        plugin: cluster.plugin.as_deref(),
    }
}

/// Every object of `resource` in the namespace (`all`: in every namespace) at the first version
/// the cluster serves, and that version; `None` when it serves none.
pub async fn list_any(
    cluster: &Cluster,
    resource: Resource,
    all: bool,
) -> Result<Option<(Vec<DynamicObject>, &'static str)>, ClusterError> {
    for version in resource.versions {
        let ar = resource.api_resource(version);
        let api: Api<DynamicObject> = if all {
            Api::all_with(cluster.client.clone(), &ar)
        } else {
            Api::namespaced_with(cluster.client.clone(), &cluster.namespace, &ar)
        };
        match api.list(&ListParams::default()).await {
            Ok(list) => return Ok(Some((list.items, version))),
            Err(e) if is_404(&e) => continue,
            Err(e) => return Err(call(cluster, "list", resource.plural, "").error(e)),
        }
    }
    Ok(None)
}

/// A typed object from a custom one (an Ingress read through the dynamic API).
pub fn typed<K: serde::de::DeserializeOwned>(obj: &DynamicObject) -> Result<K, String> {
    serde_json::to_value(obj)
        .and_then(serde_json::from_value)
        .map_err(|e| e.to_string())
}

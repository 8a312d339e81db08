//! Equality label selectors (`app=shop,version=v2`): which pods are a version's.

use k8s_openapi::api::core::v1::Service;
use kube::api::ListParams;
use kube::Api;
use std::collections::BTreeMap;
use std::fmt;

use super::dynamic::call;
use super::{Cluster, ClusterError};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector(pub BTreeMap<String, String>);

impl Selector {
    pub fn from_map(map: &BTreeMap<String, String>) -> Self {
        Selector(map.clone())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The selector with `more` labels added (a Service's selector narrowed by a subset's labels).
    pub fn and(&self, more: &BTreeMap<String, String>) -> Self {
        let mut out = self.0.clone();
        out.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())));
        Selector(out)
    }

    pub fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.0
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
    }

    /// Whether the pod's labels carry every label of the selector.
    pub fn selects(&self, pod: &super::pods::PodRow) -> bool {
        self.0.iter().all(|(k, v)| pod.label(k) == Some(v.as_str()))
    }

    /// The labels both selectors require: one list of these finds the pods of both versions.
    pub fn common(&self, other: &Selector) -> Selector {
        Selector(
            self.0
                .iter()
                .filter(|(k, v)| other.0.get(*k) == Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (k, v) in &self.0 {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

/// The namespace's Services.
pub async fn services(cluster: &Cluster) -> Result<Vec<Service>, ClusterError> {
    let api: Api<Service> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let services = api
        .list(&ListParams::default())
        .await
        .map_err(|e| call(cluster, "list", "services", "").error(e))?
        .items;
    cluster.reads.keep_services(&services);
    Ok(services)
}

/// The label selector of the Service `name` among `services`.
pub fn of_service(
    cluster: &Cluster,
    services: &[Service],
    name: &str,
) -> Result<Selector, ClusterError> {
    let service = services
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some(name))
        .ok_or_else(|| ClusterError::NotFound {
            resource: "service",
            name: name.to_string(),
            namespace: cluster.namespace.clone(),
        })?;
    service
        .spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .filter(|s| !s.is_empty())
        .map(Selector::from_map)
        .ok_or_else(|| ClusterError::NoSelector {
            service: name.to_string(),
        })
}

/// The selectors of the two versions' Services, from one list of the namespace's Services.
pub async fn of_services(
    cluster: &Cluster,
    names: &[String; 2],
) -> Result<[Selector; 2], ClusterError> {
    let services = services(cluster).await?;
    Ok([
        of_service(cluster, &services, &names[0])?,
        of_service(cluster, &services, &names[1])?,
    ])
}

/// The label selectors to list so that both versions' pods are found: one list when the two
/// versions share labels (`app=shop`), else one per version.
pub fn pod_queries(selectors: &[Selector; 2]) -> Vec<Selector> {
    let common = selectors[0].common(&selectors[1]);
    if common.is_empty() {
        selectors.to_vec()
    } else {
        vec![common]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(pairs: &[(&str, &str)]) -> Selector {
        Selector(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn versions_sharing_labels_are_listed_once() {
        let p = sel(&[("app", "shop"), ("version", "v1")]);
        let c = sel(&[("app", "shop"), ("version", "v2")]);
        assert_eq!(
            pod_queries(&[p.clone(), c.clone()]),
            vec![sel(&[("app", "shop")])]
        );
        let other = sel(&[("run", "x")]);
        assert_eq!(
            pod_queries(&[p.clone(), other.clone()]),
            vec![p.clone(), other]
        );
        assert_eq!(p.to_string(), "app=shop,version=v1");
        let labels: BTreeMap<String, String> = [("app", "shop"), ("version", "v1"), ("x", "y")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert!(p.matches(Some(&labels)));
        assert!(!c.matches(Some(&labels)));
        assert!(!p.matches(None));
    }
}

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

/// A label selector one list of pods is made with: the labels both versions require, and, when
/// the two versions' selectors differ in the value of one key only, that key's two values
/// (`app in (frontend-canary,frontend-primary)`), so that one list finds both versions' pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodQuery {
    pub equal: Selector,
    /// The key whose value tells the versions apart, and its values, sorted.
    pub either: Option<(String, [String; 2])>,
}

impl fmt::Display for PodQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.equal)?;
        if let Some((key, [a, b])) = &self.either {
            if !self.equal.is_empty() {
                f.write_str(",")?;
            }
            write!(f, "{key} in ({a},{b})")?;
        }
        Ok(())
    }
}

impl From<Selector> for PodQuery {
    fn from(equal: Selector) -> Self {
        PodQuery {
            equal,
            either: None,
        }
    }
}

/// The one key whose value differs between two selectors over the same keys, with both values.
fn one_value_apart(a: &Selector, b: &Selector) -> Option<(String, [String; 2])> {
    if a.0.len() != b.0.len() || a.0.keys().any(|k| !b.0.contains_key(k)) {
        return None;
    }
    let mut differ = a.0.iter().filter(|(k, v)| b.0.get(*k) != Some(*v));
    let (key, va) = differ.next()?;
    if differ.next().is_some() {
        return None;
    }
    let vb = b.0.get(key)?;
    let mut values = [va.clone(), vb.clone()];
    values.sort();
    Some((key.clone(), values))
}

/// The label selectors to list so that both versions' pods are found: one list when the two
/// versions' selectors differ in one value only (`app=shop,version in (v1,v2)`) or share labels
/// (`app=shop`), else one per version.
pub fn pod_queries(selectors: &[Selector; 2]) -> Vec<PodQuery> {
    let common = selectors[0].common(&selectors[1]);
    if let Some(either) = one_value_apart(&selectors[0], &selectors[1]) {
        return vec![PodQuery {
            equal: common,
            either: Some(either),
        }];
    }
    if common.is_empty() {
        selectors.iter().cloned().map(PodQuery::from).collect()
    } else {
        vec![common.into()]
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
        let one = pod_queries(&[p.clone(), c.clone()]);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].to_string(), "app=shop,version in (v1,v2)");
        // more than one value apart: the labels they share
        let wide = sel(&[("app", "shop"), ("version", "v3"), ("tier", "x")]);
        let other_tier = sel(&[("app", "shop"), ("version", "v2"), ("tier", "y")]);
        let shared = pod_queries(&[wide, other_tier]);
        assert_eq!(shared, vec![PodQuery::from(sel(&[("app", "shop")]))]);
        assert_eq!(shared[0].to_string(), "app=shop");
        let other = sel(&[("run", "x")]);
        assert_eq!(
            pod_queries(&[p.clone(), other.clone()]),
            vec![PodQuery::from(p.clone()), PodQuery::from(other)]
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

    #[test]
    fn selectors_a_value_apart_are_one_set_based_list() {
        let p = sel(&[("app", "frontend-primary")]);
        let c = sel(&[("app", "frontend-canary")]);
        let one = pod_queries(&[p, c]);
        assert_eq!(
            one.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["app in (frontend-canary,frontend-primary)"]
        );
        // a key one of them lacks: two lists
        let a = sel(&[("app", "a")]);
        let b = sel(&[("app", "b"), ("tier", "web")]);
        assert_eq!(pod_queries(&[a, b]).len(), 2);
    }
}

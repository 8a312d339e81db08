//! Reading a release from the cluster: the routing object(s) of its provider, the Services that
//! tell each version's pods, and the pods. One release costs three or four requests: the routing
//! object(s), the Services (Istio subsets: and the DestinationRules), one list of pods when both
//! versions share labels (else one per version).

use crate::cluster::selector::{pod_queries, Selector};
use crate::cluster::{dynamic::call, pods, Cluster, ClusterError};
use crate::model::{PodSet, ReleaseSnapshot, Target, Version};
use crate::provider::{self, Route};
use k8s_openapi::api::core::v1::Pod as KubePod;
use kube::api::ListParams;
use kube::Api;

/// A release as read from the cluster.
#[derive(Clone, Debug)]
pub struct Observed {
    pub target: Target,
    pub snapshot: ReleaseSnapshot,
    pub pods: PodSet,
    pub route: Route,
    /// Label selectors of the primary's and the canary's pods.
    pub selectors: [Selector; 2],
}

impl Observed {
    /// Rules that bypass the weight, as `name=value`.
    pub fn bypass(&self) -> &[String] {
        &self.route.bypass
    }
}

/// The routing object(s) alone, as they are now, with the canary of `seen` (the release as
/// read before): what a write that must not depend on an older read (a rollback) is made
/// conditional on.
pub async fn current_route(
    cluster: &Cluster,
    target: &Target,
    seen: &Route,
) -> Result<Route, ClusterError> {
    let route = provider::read(cluster, target.kind, &target.name, seen.kept().as_ref()).await?;
    match route.canary_by {
        Some(_) => Ok(route),
        None => {
            Err(provider::split::undecided(&route, "the backends changed since it was read").into())
        }
    }
}

/// The routing object(s) with the canary decided ([`super::canary::settle`]) and each version's
/// pod selector: everything but the pods.
pub async fn read_route(
    cluster: &Cluster,
    target: &Target,
) -> Result<(Route, [Selector; 2]), ClusterError> {
    let route = provider::read(cluster, target.kind, &target.name, None).await?;
    let route = super::canary::settle(cluster, target.kind, &target.name, route).await?;
    let selectors = provider::selectors(cluster, &route).await?;
    Ok((route, selectors))
}

/// The whole release: its route, then its pods.
pub async fn read(cluster: &Cluster, target: &Target) -> Result<Observed, ClusterError> {
    let (route, selectors) = read_route(cluster, target).await?;
    let mut all = Vec::new();
    for query in pod_queries(&selectors) {
        all.extend(pods_of(cluster, &query).await?);
    }
    Ok(assemble(target, &cluster.namespace, route, selectors, &all))
}

/// The release from its route and the pods found by its selectors: the one place both the
/// first read and the watches build it.
pub fn assemble(
    target: &Target,
    namespace: &str,
    route: Route,
    selectors: [Selector; 2],
    all_pods: &[KubePod],
) -> Observed {
    // a routing object that names its versions' pods itself is followed as it changes
    let selectors = route.pod_selectors.clone().unwrap_or(selectors);
    let same = selectors[0] == selectors[1];
    let mine = |s: &Selector| -> Vec<&KubePod> {
        let mut out: Vec<&KubePod> = all_pods
            .iter()
            .filter(|p| s.matches(p.metadata.labels.as_ref()))
            .collect();
        out.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        out.dedup_by(|a, b| a.metadata.name == b.metadata.name);
        out
    };
    let primary_pods = mine(&selectors[0]);
    let canary_pods = if same {
        Vec::new()
    } else {
        mine(&selectors[1])
    };
    let version = |name: &str, pods: &[&KubePod]| Version {
        name: name.to_string(),
        image: pods.iter().find_map(|p| pods::image(p)).unwrap_or_default(),
    };
    let snapshot = ReleaseSnapshot {
        name: route.name.clone(),
        namespace: namespace.to_string(),
        source: target.kind.provider().to_string(),
        primary: version(&route.names[0], &primary_pods),
        canary: version(&route.names[1], &canary_pods),
        weight: route.weight,
        canary_replicas: canary_pods.len() as u32,
        phase: route.phase,
        plan: route.plan.clone(),
        paused: Some(route.paused),
        controller: route.controller.clone().map(Box::new),
        rules: route.rules.clone(),
    };
    let pods = PodSet {
        primary: primary_pods.iter().map(|p| pods::from_kube(p)).collect(),
        canary: canary_pods.iter().map(|p| pods::from_kube(p)).collect(),
    };
    Observed {
        target: target.clone(),
        snapshot,
        pods,
        route,
        selectors,
    }
}

/// The pods a label selector selects.
pub async fn pods_of(cluster: &Cluster, labels: &Selector) -> Result<Vec<KubePod>, ClusterError> {
    let api: Api<KubePod> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let list = api
        .list(&ListParams::default().labels(&labels.to_string()))
        .await
        .map_err(|e| call(cluster, "list", "pods", "").error(e))?;
    Ok(list.items)
}

//! Reading a release from the cluster: the routing object(s) of its provider, the Services that
//! tell each version's pods, and the pods. One release costs three or four requests: the routing
//! object(s), the Services (Istio subsets: and the DestinationRules), one list of pods when both
//! versions share labels (else one per version).

use crate::cluster::listing::{self, Listed, Query};
use crate::cluster::pods::{PodRow, PodWire};
use crate::cluster::selector::{pod_queries, Selector};
use crate::cluster::{dynamic::call, Cluster, ClusterError};
use crate::model::{PodSet, ReleaseSnapshot, Target, Version};
use crate::provider::{self, Route};
use k8s_openapi::api::core::v1::Pod as KubePod;
use kube::Resource as _;

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
    let route = provider::system(target.kind)
        .read(cluster, &target.name, seen.kept().as_ref())
        .await?;
    match route.canary_by {
        Some(_) => Ok(route),
        None => Err(provider::two_backends::undecided(
            &route,
            "the backends changed since it was read",
        )
        .into()),
    }
}

/// The routing object(s) with the canary decided ([`super::canary::settle`]) and each version's
/// pod selector: everything but the pods.
pub async fn read_route(
    cluster: &Cluster,
    target: &Target,
) -> Result<(Route, [Selector; 2]), ClusterError> {
    let route = provider::system(target.kind)
        .read(cluster, &target.name, None)
        .await?;
    let route = super::canary::settle(cluster, target.kind, &target.name, route).await?;
    let selectors = provider::of(&route).selectors(cluster, &route).await?;
    Ok((route, selectors))
}

/// The whole release: its route, then its pods.
pub async fn read(cluster: &Cluster, target: &Target) -> Result<Observed, ClusterError> {
    let (route, selectors) = read_route(cluster, target).await?;
    let mut lists = Vec::new();
    for labels in pod_queries(&selectors) {
        let query = pod_query(cluster, &labels);
        lists.push((listed_pods(cluster, &query).await?, query));
    }
    let rows: Vec<&PodRow> = lists.iter().flat_map(|(l, _)| &l.items).collect();
    let observed = assemble(target, &cluster.namespace, route, selectors, &rows);
    // the watches that follow start from these lists
    for (listed, query) in lists {
        cluster.reads.keep_pods(&query, listed);
    }
    Ok(observed)
}

/// The release read to be watched: its lists are kept for the watches to start from, so that
/// nothing is listed twice ([`super::watches::WatchSet::start`] takes them).
pub async fn read_to_watch(cluster: &Cluster, target: &Target) -> Result<Observed, ClusterError> {
    cluster.reads.arm();
    let read = read(cluster, target).await;
    if read.is_err() {
        cluster.reads.disarm();
    }
    read
}

/// The release from its route and the pods found by its selectors: the one place both the
/// first read and the watches build it.
pub fn assemble(
    target: &Target,
    namespace: &str,
    route: Route,
    selectors: [Selector; 2],
    all_pods: &[&PodRow],
) -> Observed {
    // a routing object that names its versions' pods itself is followed as it changes
    let selectors = route.pod_selectors.clone().unwrap_or(selectors);
    let same = selectors[0] == selectors[1];
    let mine = |s: &Selector| -> Vec<&PodRow> {
        let mut out: Vec<&PodRow> = all_pods.iter().copied().filter(|p| s.selects(p)).collect();
        out.sort_by(|a, b| a.pod.name.cmp(&b.pod.name));
        out.dedup_by(|a, b| a.pod.name == b.pod.name);
        out
    };
    let primary_pods = mine(&selectors[0]);
    let canary_pods = if same {
        Vec::new()
    } else {
        mine(&selectors[1])
    };
    let version = |name: &str, pods: &[&PodRow]| Version {
        name: name.to_string(),
        image: pods
            .iter()
            .find_map(|p| p.image.as_deref())
            .unwrap_or_default()
            .to_string(),
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
        refusals: {
            let mut r = crate::provider::of(&route).refusals(&route);
            r.extend(route.malformed_refusals());
            r
        },
    };
    let pods = PodSet {
        primary: primary_pods.iter().map(|p| p.pod.clone()).collect(),
        canary: canary_pods.iter().map(|p| p.pod.clone()).collect(),
    };
    Observed {
        target: target.clone(),
        snapshot,
        pods,
        route,
        selectors,
    }
}

/// The pod selectors of `route`'s two versions, from those of the release as last seen: the
/// other way round when the route reads its backends the other way round (a take-over made the
/// new version the primary, or its rollback undid it).
pub fn sides(latest: &Observed, route: &Route) -> [Selector; 2] {
    let [a, b] = &latest.route.names;
    let [sa, sb] = &latest.selectors;
    if a != b && route.names[0] == *b && route.names[1] == *a {
        [sb.clone(), sa.clone()]
    } else {
        [sa.clone(), sb.clone()]
    }
}

/// The list of the pods a label selector selects.
pub fn pod_query(cluster: &Cluster, labels: &impl std::fmt::Display) -> Query {
    Query {
        path: KubePod::url_path(&(), Some(&cluster.namespace)),
        labels: Some(labels.to_string()),
        fields: None,
    }
}

async fn listed_pods(cluster: &Cluster, query: &Query) -> Result<Listed<PodRow>, ClusterError> {
    listing::list::<PodWire>(&cluster.client, query)
        .await
        .map_err(|e| call(cluster, "list", "pods", "").error(e))
}

/// The pods a label selector selects, as the cockpit keeps them.
pub async fn pods_of(
    cluster: &Cluster,
    labels: &impl std::fmt::Display,
) -> Result<Vec<PodRow>, ClusterError> {
    Ok(listed_pods(cluster, &pod_query(cluster, labels))
        .await?
        .items)
}

//! Reading a release from the cluster: the routing object(s) of its provider, the Services that
//! tell each version's pods, and the pods. One release costs three or four requests: the routing
//! object(s), the Services (Istio subsets: and the DestinationRules), one list of pods when both
//! versions share labels (else one per version).

use crate::model::{ControllerView, Phase, Plan, PodSet, ReleaseSnapshot, Version, Weight};
use k8s_openapi::api::core::v1::{Pod as KubePod, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{DynamicObject, ListParams};
use kube::Api;
use std::collections::BTreeMap;

use super::dynamic::{self, call};
use super::nginx::{self, CanaryWeight, Pair};
use super::selector::{pod_queries, Selector};
use super::split::{Split, CANARY_BACKEND};
use super::{argo, flagger, gateway, istio, kubesphere, pods, Cluster, ClusterError, Kind, Target};

/// Set to `"true"` on the object that carries the weight (the canary Ingress, the VirtualService,
/// the HTTPRoute) while the cockpit's progression of the release is paused: every cockpit and
/// `canary pause`/`resume` agree through it.
pub const PAUSED: &str = "canary-cockpit.io/paused";

/// How the cockpit last ended the release on this object: `promoted` or `rolled-back`. Written
/// with the weight that ends it, cleared when a weight above 0 starts the next one.
pub const OUTCOME: &str = "canary-cockpit.io/outcome";

/// A release's end as recorded in [`OUTCOME`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Promoted,
    RolledBack,
}

impl Ended {
    pub fn label(self) -> &'static str {
        match self {
            Ended::Promoted => "promoted",
            Ended::RolledBack => "rolled-back",
        }
    }

    fn parse(text: &str) -> Option<Ended> {
        match text.trim() {
            "promoted" => Some(Ended::Promoted),
            "rolled-back" => Some(Ended::RolledBack),
            _ => None,
        }
    }
}

/// How the provider holds the split, as read: writes are conditional on it. One per watched
/// release, never in a collection: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Routing {
    /// ingress-nginx: the two Ingresses and the canary's weight annotations.
    Nginx { pair: Pair, weight: CanaryWeight },
    /// Argo Rollouts: the Rollout as read; its controller moves the weight.
    Rollout { rollout: Box<argo::Rollout> },
    /// Flagger: the Canary as read; Flagger moves the weight.
    Flagger { canary: Box<flagger::Canary> },
    /// KubeSphere: the Strategy as read; the split is its template's.
    Strategy { strategy: Box<kubesphere::Strategy> },
    /// Istio or Gateway API: the object's API version and its two weighted backends.
    Split {
        kind: Kind,
        version: &'static str,
        split: Split,
    },
}

/// What the routing objects say about a release, before its pods are read.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub routing: Routing,
    /// The object that carries the weight, `ingress/shop-canary`, `virtualservice/shop`.
    pub object: String,
    pub weight: Weight,
    /// The release's name: the primary Ingress, the VirtualService, the HTTPRoute.
    pub name: String,
    /// How each version is known: the backend Service, or the Istio subset.
    pub names: [String; 2],
    /// Rules that send some requests to the canary whatever the weight.
    pub bypass: Vec<String>,
    /// The cockpit's progression is paused (annotation [`PAUSED`]).
    pub paused: bool,
    /// How the cockpit ended the release, while the weight stays 0 (annotation [`OUTCOME`]).
    pub ended: Option<Ended>,
    /// The annotations of the object that carries the weight, as read.
    pub annotations: BTreeMap<String, String>,
    /// The phase the release's own controller reports; `None` when the cockpit is the controller.
    pub phase: Option<Phase>,
    /// The controller's steps as the gauge's plan.
    pub plan: Option<Plan>,
    /// What the release's own controller reports, for the analysis panel and the keys.
    pub controller: Option<ControllerView>,
    /// Which pods are which when the routing object itself says (Argo Rollouts: the pod
    /// template hashes); else the Services' selectors tell.
    pub pod_selectors: Option<[Selector; 2]>,
}

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

fn annotations(meta: &kube::api::ObjectMeta) -> Option<&BTreeMap<String, String>> {
    meta.annotations.as_ref()
}

fn is_paused(meta: &kube::api::ObjectMeta) -> bool {
    annotations(meta)
        .and_then(|a| a.get(PAUSED))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

fn ended(meta: &kube::api::ObjectMeta, weight: Weight) -> Option<Ended> {
    let ended = annotations(meta)
        .and_then(|a| a.get(OUTCOME))
        .and_then(|v| Ended::parse(v));
    ended.filter(|_| weight == Weight::ZERO)
}

/// The release's route from the namespace's Ingresses.
pub fn route_from_ingresses(ingresses: &[Ingress], name: &str) -> Result<Route, ClusterError> {
    let pair = nginx::find_pair(ingresses, name)?;
    let weight = nginx::canary_weight(&pair.canary)?;
    let names = [
        nginx::backend_service(&pair.primary)?,
        nginx::backend_service(&pair.canary)?,
    ];
    Ok(Route {
        object: format!("ingress/{}", nginx::name(&pair.canary)),
        weight: weight.percent(),
        name: nginx::name(&pair.primary).to_string(),
        names,
        bypass: nginx::bypass_rules(&pair.canary),
        paused: is_paused(&pair.canary.metadata),
        ended: ended(&pair.canary.metadata, weight.percent()),
        annotations: annotations(&pair.canary.metadata)
            .cloned()
            .unwrap_or_default(),
        phase: None,
        plan: None,
        controller: None,
        pod_selectors: None,
        routing: Routing::Nginx { pair, weight },
    })
}

/// The release's route from its VirtualService or HTTPRoute.
pub fn route_from_object(
    kind: Kind,
    version: &'static str,
    namespace: &str,
    obj: &DynamicObject,
) -> Result<Route, ClusterError> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let rv = obj.metadata.resource_version.clone().unwrap_or_default();
    let hint = annotations(&obj.metadata)
        .and_then(|a| a.get(CANARY_BACKEND))
        .map(String::as_str);
    let spec = obj.data.get("spec").cloned().unwrap_or_default();
    let (split, bypass) = match kind {
        Kind::VirtualService => istio::split(&name, namespace, &rv, hint, &spec)?,
        Kind::HttpRoute => (
            gateway::split(&name, namespace, &rv, hint, &spec)?,
            Vec::new(),
        ),
        Kind::Strategy => return route_from_strategy(obj, namespace),
        Kind::Canary => return Err(ClusterError::Unsupported(kind.prefix())),
        Kind::Ingress | Kind::Rollout => return Err(ClusterError::Unsupported(kind.prefix())),
    };
    let weight = split.percent().map_err(|what| {
        ClusterError::Split(super::split::SplitError::Malformed {
            object: format!("{}/{name}", kind.prefix()),
            what,
        })
    })?;
    Ok(Route {
        object: format!("{}/{name}", kind.prefix()),
        weight,
        names: [
            split.primary.label().to_string(),
            split.canary.label().to_string(),
        ],
        name,
        bypass,
        paused: is_paused(&obj.metadata),
        ended: ended(&obj.metadata, weight),
        annotations: annotations(&obj.metadata).cloned().unwrap_or_default(),
        phase: None,
        plan: None,
        controller: None,
        pod_selectors: None,
        routing: Routing::Split {
            kind,
            version,
            split,
        },
    })
}

/// The kind's resource, for the kinds read as custom objects.
pub fn resource_of(kind: Kind) -> Option<super::dynamic::Resource> {
    match kind {
        Kind::Ingress => None,
        Kind::VirtualService => Some(istio::VIRTUAL_SERVICE),
        Kind::HttpRoute => Some(gateway::HTTP_ROUTE),
        Kind::Rollout => Some(argo::ROLLOUT),
        Kind::Strategy => Some(kubesphere::STRATEGY),
        Kind::Canary => Some(flagger::CANARY),
    }
}

/// The release's route from its Flagger Canary; `selectors` are its Deployments' (the target and
/// `<target>-primary`); `gates` the cockpit's gate state when it answers Flagger's gates.
pub fn route_from_canary(
    obj: &DynamicObject,
    selectors: [Selector; 2],
    gates: Option<(String, bool)>,
) -> Result<Route, ClusterError> {
    let c = flagger::parse(obj)?;
    Ok(Route {
        object: format!("canary/{}", c.name),
        weight: Weight::clamped(c.weight),
        name: c.name.clone(),
        names: [c.primary(), c.target.clone()],
        bypass: Vec::new(),
        paused: c.suspend,
        ended: None,
        annotations: annotations(&obj.metadata).cloned().unwrap_or_default(),
        phase: Some(c.phase()),
        plan: c.plan.clone(),
        controller: Some(c.view(gates)),
        pod_selectors: Some(selectors),
        routing: Routing::Flagger {
            canary: Box::new(c),
        },
    })
}

/// The pod selectors of a Canary's Deployments: the primary (`<target>-primary`) and the target.
async fn flagger_selectors(
    cluster: &Cluster,
    obj: &DynamicObject,
) -> Result<[Selector; 2], ClusterError> {
    let c = flagger::parse(obj)?;
    let api: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| call(cluster, "list", "deployments", "").error(e))?;
    let selector_of = |name: &str| -> Result<Selector, ClusterError> {
        let d = list
            .items
            .iter()
            .find(|d| d.metadata.name.as_deref() == Some(name))
            .ok_or_else(|| ClusterError::NotFound {
                resource: "deployment",
                name: name.to_string(),
                namespace: cluster.namespace.clone(),
            })?;
        d.spec
            .selector
            .match_labels
            .as_ref()
            .filter(|l| !l.is_empty())
            .map(Selector::from_map)
            .ok_or_else(|| ClusterError::NoSelector {
                service: format!("deployment/{name}"),
            })
    };
    Ok([selector_of(&c.primary())?, selector_of(&c.target)?])
}

/// The release's route from its KubeSphere Strategy.
pub fn route_from_strategy(obj: &DynamicObject, namespace: &str) -> Result<Route, ClusterError> {
    let s = kubesphere::parse(obj, namespace)?;
    let weight = s.weight().map_err(|what| {
        ClusterError::Split(super::split::SplitError::Malformed {
            object: format!("strategy/{}", s.name),
            what,
        })
    })?;
    let [p, c] = s.pod_selectors();
    Ok(Route {
        object: format!("strategy/{}", s.name),
        weight,
        name: s.name.clone(),
        names: [s.principal.clone(), s.canary.clone()],
        bypass: Vec::new(),
        paused: is_paused(&obj.metadata),
        ended: None,
        annotations: annotations(&obj.metadata).cloned().unwrap_or_default(),
        phase: s.phase(),
        plan: None,
        controller: Some(s.view()),
        pod_selectors: Some([Selector::from_map(&p), Selector::from_map(&c)]),
        routing: Routing::Strategy {
            strategy: Box::new(s),
        },
    })
}

/// The release's route from its Rollout and the namespace's AnalysisRuns.
pub fn route_from_rollout(
    obj: &DynamicObject,
    runs: &[DynamicObject],
) -> Result<Route, ClusterError> {
    let r = argo::parse(obj)?;
    let [p, c] = r.pod_selectors();
    // the versions are the pod template hashes, as `kubectl argo rollouts get` shows them
    let version = |hash: &Option<String>, role: &str| match hash {
        Some(h) => h.clone(),
        None => format!("no {role} yet"),
    };
    let canary_hash = if r.settled() {
        None
    } else {
        r.canary_hash.clone()
    };
    Ok(Route {
        object: format!("rollout/{}", r.name),
        weight: r.weight(),
        name: r.name.clone(),
        names: [
            version(&r.stable_hash, "stable"),
            version(&canary_hash, "canary"),
        ],
        bypass: Vec::new(),
        paused: r.is_paused(),
        ended: None,
        annotations: annotations(&obj.metadata).cloned().unwrap_or_default(),
        phase: Some(r.phase()),
        plan: r.plan(),
        controller: Some(r.view(argo::analysis_lines(&r.uid, runs))),
        pod_selectors: Some([Selector::from_map(&p), Selector::from_map(&c)]),
        routing: Routing::Rollout {
            rollout: Box::new(r),
        },
    })
}

/// The routing object(s) alone, as they are now: what a write that must not depend on an older
/// read (a rollback) is made conditional on.
pub async fn current_route(cluster: &Cluster, target: &Target) -> Result<Route, ClusterError> {
    let ns = cluster.namespace.as_str();
    match target.kind {
        Kind::Ingress => {
            let api: Api<Ingress> = Api::namespaced(cluster.client.clone(), ns);
            let list = api
                .list(&ListParams::default())
                .await
                .map_err(|e| call(cluster, "list", "ingresses", "").error(e))?;
            route_from_ingresses(&list.items, &target.name)
        }
        Kind::VirtualService | Kind::HttpRoute => {
            let resource = resource_of(target.kind).unwrap_or(gateway::HTTP_ROUTE);
            let (obj, version) = dynamic::get(cluster, resource, &target.name).await?;
            route_from_object(target.kind, version, ns, &obj)
        }
        Kind::Strategy => {
            let (obj, _) = dynamic::get(cluster, kubesphere::STRATEGY, &target.name).await?;
            route_from_strategy(&obj, ns)
        }
        Kind::Canary => {
            let (obj, _) = dynamic::get(cluster, flagger::CANARY, &target.name).await?;
            let selectors = flagger_selectors(cluster, &obj).await?;
            route_from_canary(&obj, selectors, None)
        }
        Kind::Rollout => {
            let (obj, _) = dynamic::get(cluster, argo::ROLLOUT, &target.name).await?;
            let runs =
                dynamic::list(cluster, argo::ANALYSIS_RUN, argo::ANALYSIS_RUN.versions[0]).await?;
            route_from_rollout(&obj, &runs)
        }
    }
}

/// The routing object(s) and each version's pod selector: everything but the pods.
pub async fn read_route(
    cluster: &Cluster,
    target: &Target,
) -> Result<(Route, [Selector; 2]), ClusterError> {
    let ns = cluster.namespace.as_str();
    let route = current_route(cluster, target).await?;
    if let Some(selectors) = route.pod_selectors.clone() {
        return Ok((route, selectors));
    }
    let services: Api<Service> = Api::namespaced(cluster.client.clone(), ns);
    let services = services
        .list(&ListParams::default())
        .await
        .map_err(|e| call(cluster, "list", "services", "").error(e))?
        .items;
    let selectors = match &route.routing {
        Routing::Nginx { .. }
        | Routing::Rollout { .. }
        | Routing::Strategy { .. }
        | Routing::Flagger { .. } => [
            selector(cluster, &services, &route.names[0])?,
            selector(cluster, &services, &route.names[1])?,
        ],
        Routing::Split { version, split, .. } => {
            let subsets = split.primary.subset.is_some() || split.canary.subset.is_some();
            let rules: Vec<serde_json::Value> = if subsets {
                dynamic::list(cluster, istio::DESTINATION_RULE, version)
                    .await?
                    .into_iter()
                    .filter_map(|d| d.data.get("spec").cloned())
                    .collect()
            } else {
                Vec::new()
            };
            let mut out = [Selector::default(), Selector::default()];
            for (slot, backend) in out.iter_mut().zip([&split.primary, &split.canary]) {
                let base = selector(cluster, &services, &backend.service)?;
                *slot = match &backend.subset {
                    Some(subset) => {
                        base.and(&istio::subset_labels(&rules, &backend.service, ns, subset)?)
                    }
                    None => base,
                };
            }
            out
        }
    };
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

/// The label selector of a Service.
fn selector(cluster: &Cluster, services: &[Service], name: &str) -> Result<Selector, ClusterError> {
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

/// The pods a label selector selects.
pub async fn pods_of(cluster: &Cluster, labels: &Selector) -> Result<Vec<KubePod>, ClusterError> {
    let api: Api<KubePod> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let list = api
        .list(&ListParams::default().labels(&labels.to_string()))
        .await
        .map_err(|e| call(cluster, "list", "pods", "").error(e))?;
    Ok(list.items)
}

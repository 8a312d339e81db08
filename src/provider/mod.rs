//! The traffic systems the cockpit drives, one module each, behind one dispatch: this file is the
//! only place that knows the list. Each function below has one arm per provider and nothing
//! else; a provider that lacks a capability answers with a named refusal, never with another
//! provider's resource.
//!
//! | provider | module | routing object |
//! | --- | --- | --- |
//! | ingress-nginx | [`nginx`] | the canary Ingress (and its primary) |
//! | Istio | [`istio`] | a VirtualService http route with two destinations |
//! | Gateway API | [`gateway`] | an HTTPRoute rule with two backendRefs |
//! | Argo Rollouts | [`argo`] | a Rollout with the canary strategy |
//! | KubeSphere | [`kubesphere`] | a grayscale Strategy |
//! | Flagger | [`flagger`] | a Canary, and the gates the cockpit serves for it |
//! | Traefik | [`traefik`] | a TraefikService with two weighted Services |

pub mod argo;
pub mod flagger;
pub mod gateway;
pub mod gateway_routes;
mod hints;
pub mod infer;
pub mod istio;
pub mod kubesphere;
pub mod nginx;
pub mod nginx_routes;
pub mod route;
mod service_ref;
pub mod split;
mod testers;
pub mod traefik;
pub mod write;

use crate::alert::Sink;
use crate::app::Action;
use crate::cluster::dynamic::Resource;
use crate::cluster::selector::Selector;
use crate::cluster::{Cluster, ClusterError};
use crate::model::{Kind, Weight};
use kube::api::DynamicObject;

pub use hints::MetricsHints;
pub use route::{Ended, GateChange, Lever, ObjectWrite, PatchBody, Route, OUTCOME, PAUSED};

/// How the provider holds the split, as read: writes are conditional on it. One per watched
/// release, never in a collection: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Routing {
    Nginx(nginx::Routing),
    Istio(split::Routing),
    Gateway(split::Routing),
    Rollout(Box<argo::Rollout>),
    Strategy(Box<kubesphere::Strategy>),
    Flagger(Box<flagger::Canary>),
    Traefik(split::Routing),
}

/// What a provider needs besides its objects to read a release: the namespace, the pod
/// selectors already known (Flagger's Deployments), the gates the cockpit serves.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub namespace: String,
    pub selectors: Option<[Selector; 2]>,
    /// How the cockpit's gates stand for this release: the confirm gate, the rollback gate.
    pub gates: Option<(String, bool)>,
}

impl Context {
    /// The namespace alone.
    pub fn of(namespace: &str) -> Self {
        Context {
            namespace: namespace.to_string(),
            ..Context::default()
        }
    }
}

/// One list+watch a release needs: a resource, by name or the whole namespace.
#[derive(Clone, Debug, PartialEq)]
pub struct Watched {
    pub resource: Resource,
    pub version: &'static str,
    pub name: Option<String>,
}

/// An object the release list found, with what it reads as.
pub struct Found {
    pub namespace: String,
    pub name: String,
    /// The object whose controller ownerReference makes it someone else's release.
    pub meta: kube::api::ObjectMeta,
    pub route: Result<Route, ClusterError>,
}

/// The routing object's resource of a kind.
pub fn resource(kind: Kind) -> Resource {
    match kind {
        Kind::Ingress => nginx::INGRESS,
        Kind::VirtualService => istio::VIRTUAL_SERVICE,
        Kind::HttpRoute => gateway::HTTP_ROUTE,
        Kind::Rollout => argo::ROLLOUT,
        Kind::Strategy => kubesphere::STRATEGY,
        Kind::Canary => flagger::CANARY,
        Kind::TraefikService => traefik::TRAEFIK_SERVICE,
    }
}

/// The kind a route was read from.
pub fn kind_of(route: &Route) -> Kind {
    match &route.routing {
        Routing::Nginx(_) => Kind::Ingress,
        Routing::Istio(_) => Kind::VirtualService,
        Routing::Gateway(_) => Kind::HttpRoute,
        Routing::Rollout(_) => Kind::Rollout,
        Routing::Strategy(_) => Kind::Strategy,
        Routing::Flagger(_) => Kind::Canary,
        Routing::Traefik(_) => Kind::TraefikService,
    }
}

/// The routing object(s) of the release `name` as they are now; `kept` is the canary as an
/// earlier read decided it, for routes whose object alone does not tell.
pub async fn read(
    cluster: &Cluster,
    kind: Kind,
    name: &str,
    kept: Option<&infer::Kept>,
) -> Result<Route, ClusterError> {
    match kind {
        Kind::Ingress => nginx::read(cluster, name).await,
        Kind::VirtualService => istio::OBJECT.read(cluster, name, kept).await,
        Kind::HttpRoute => gateway::OBJECT.read(cluster, name, kept).await,
        Kind::Rollout => argo::read(cluster, name).await,
        Kind::Strategy => kubesphere::read(cluster, name).await,
        Kind::Canary => flagger::read(cluster, name).await,
        Kind::TraefikService => traefik::OBJECT.read(cluster, name, kept).await,
    }
}

/// The pod selectors of the release's two versions, when its route does not name them itself.
pub async fn selectors(cluster: &Cluster, route: &Route) -> Result<[Selector; 2], ClusterError> {
    if let Some(s) = &route.pod_selectors {
        return Ok(s.clone());
    }
    match &route.routing {
        Routing::Istio(r) => istio::selectors(cluster, r).await,
        Routing::Nginx(_)
        | Routing::Gateway(_)
        | Routing::Rollout(_)
        | Routing::Strategy(_)
        | Routing::Flagger(_)
        | Routing::Traefik(_) => crate::cluster::selector::of_services(cluster, &route.names).await,
    }
}

/// What the live source watches to follow the release.
pub fn watches(route: &Route) -> Vec<Watched> {
    match &route.routing {
        Routing::Nginx(_) => nginx::watches(),
        Routing::Istio(r) => vec![split::watched(istio::VIRTUAL_SERVICE, r, &route.name)],
        Routing::Gateway(r) => vec![split::watched(gateway::HTTP_ROUTE, r, &route.name)],
        Routing::Rollout(_) => argo::watches(&route.name),
        Routing::Strategy(_) => kubesphere::watches(&route.name),
        Routing::Flagger(_) => flagger::watches(&route.name),
        Routing::Traefik(r) => vec![split::watched(traefik::TRAEFIK_SERVICE, r, &route.name)],
    }
}

/// The route again from the lists of [`watches`] (in that order); `None` while the routing
/// object is not there.
pub fn rebuild(
    seen: &Route,
    lists: &[Vec<DynamicObject>],
    ctx: &Context,
) -> Option<Result<Route, ClusterError>> {
    let first = lists.first()?;
    match &seen.routing {
        Routing::Nginx(_) => nginx::rebuild(first, &seen.name),
        Routing::Istio(r) => {
            Some(istio::OBJECT.rebuilt(r.version, &ctx.namespace, first.first()?, seen))
        }
        Routing::Gateway(r) => {
            Some(gateway::OBJECT.rebuilt(r.version, &ctx.namespace, first.first()?, seen))
        }
        Routing::Rollout(_) => Some(argo::route(first.first()?, lists.get(1)?)),
        Routing::Strategy(_) => Some(kubesphere::route(first.first()?, &ctx.namespace)),
        Routing::Flagger(_) => Some(flagger::route(first.first()?, ctx)),
        Routing::Traefik(r) => {
            Some(traefik::OBJECT.rebuilt(r.version, &ctx.namespace, first.first()?, seen))
        }
    }
}

/// The route from an object a write stored, in place of `seen`.
pub fn stored(seen: &Route, obj: &DynamicObject, ctx: &Context) -> Result<Route, ClusterError> {
    match &seen.routing {
        Routing::Nginx(r) => nginx::stored(r, obj),
        Routing::Istio(r) => istio::OBJECT.rebuilt(r.version, &ctx.namespace, obj, seen),
        Routing::Gateway(r) => gateway::OBJECT.rebuilt(r.version, &ctx.namespace, obj, seen),
        Routing::Rollout(_) => argo::route(obj, &[]),
        Routing::Strategy(_) => kubesphere::route(obj, &ctx.namespace),
        Routing::Flagger(_) => flagger::route(obj, ctx),
        Routing::Traefik(r) => traefik::OBJECT.rebuilt(r.version, &ctx.namespace, obj, seen),
    }
}

/// The writes that give the canary `weight` percent; `ended` records in the same write that
/// this weight ends the release. Refused where the release's controller sets the weight.
pub fn weight_writes(
    route: &Route,
    weight: Weight,
    ended: Option<Ended>,
) -> Result<Vec<ObjectWrite>, ClusterError> {
    match &route.routing {
        Routing::Nginx(r) => Ok(nginx::weight_writes(route, r, weight, ended)),
        Routing::Istio(r) => Ok(split::weight_writes(
            route,
            r,
            istio::VIRTUAL_SERVICE,
            weight,
            ended,
        )),
        Routing::Gateway(r) => Ok(split::weight_writes(
            route,
            r,
            gateway::HTTP_ROUTE,
            weight,
            ended,
        )),
        Routing::Rollout(_) => Err(argo::weight_refused()),
        Routing::Strategy(s) => kubesphere::weight_writes(route, s, weight),
        Routing::Flagger(_) => Err(flagger::weight_refused()),
        Routing::Traefik(r) => Ok(split::weight_writes(
            route,
            r,
            traefik::TRAEFIK_SERVICE,
            weight,
            ended,
        )),
    }
}

/// The writes that pause or resume the release's progression.
pub fn pause_writes(route: &Route, paused: bool) -> Vec<ObjectWrite> {
    match &route.routing {
        Routing::Nginx(r) => nginx::pause_writes(r, paused),
        Routing::Istio(r) => split::pause_writes(route, r, istio::VIRTUAL_SERVICE, paused),
        Routing::Gateway(r) => split::pause_writes(route, r, gateway::HTTP_ROUTE, paused),
        Routing::Rollout(_) => argo::pause_writes(&route.name, paused),
        Routing::Strategy(s) => kubesphere::pause_writes(route, s, paused),
        Routing::Flagger(_) => flagger::pause_writes(&route.name, paused),
        Routing::Traefik(r) => split::pause_writes(route, r, traefik::TRAEFIK_SERVICE, paused),
    }
}

/// The lever `action` pulls on this release, or why there is none. `gates` tells whether this
/// cockpit serves Flagger's gates.
pub fn lever(route: &Route, action: Action, gates: bool) -> Result<Lever, ClusterError> {
    match &route.routing {
        Routing::Nginx(_) | Routing::Istio(_) | Routing::Gateway(_) | Routing::Traefik(_) => {
            route::cockpit_lever(route, action)
        }
        Routing::Rollout(r) => argo::lever(route, r, action),
        Routing::Strategy(s) => kubesphere::lever(route, s, action),
        Routing::Flagger(c) => flagger::lever(route, c, action, gates),
    }
}

/// The action of `canary promote`: Argo's promote goes on to the next step, as `kubectl argo
/// rollouts promote` does, unless `--full`.
pub fn promote_action(route: &Route, full: bool) -> Action {
    match &route.routing {
        Routing::Rollout(_) if !full => Action::NextStep,
        Routing::Nginx(_)
        | Routing::Istio(_)
        | Routing::Gateway(_)
        | Routing::Rollout(_)
        | Routing::Strategy(_)
        | Routing::Flagger(_)
        | Routing::Traefik(_) => Action::Promote,
    }
}

/// The release's own alert sinks, for `--alert flagger`: a Flagger Canary's AlertProviders. What
/// cannot be used (and a release that is no Flagger Canary) is a note; nothing here stops the
/// session.
pub async fn alert_sinks(cluster: &Cluster, route: &Route) -> (Vec<Sink>, Vec<String>) {
    match &route.routing {
        Routing::Flagger(c) => flagger::alert_sinks(cluster, c).await,
        Routing::Nginx(_)
        | Routing::Istio(_)
        | Routing::Gateway(_)
        | Routing::Rollout(_)
        | Routing::Strategy(_)
        | Routing::Traefik(_) => (Vec::new(), vec![flagger::not_a_canary(route)]),
    }
}

pub fn metrics_hints(route: &Route) -> MetricsHints {
    match &route.routing {
        Routing::Nginx(r) => nginx::metrics_hints(r),
        Routing::Istio(_) => MetricsHints::template(crate::metrics::templates::ISTIO),
        Routing::Gateway(_) => MetricsHints::template(crate::metrics::templates::APP),
        Routing::Rollout(r) => argo::metrics_hints(r),
        Routing::Strategy(_) => MetricsHints::template(crate::metrics::templates::ISTIO),
        Routing::Flagger(c) => flagger::metrics_hints(c),
        Routing::Traefik(_) => traefik::metrics_hints(),
    }
}

/// Every release of one kind in the namespace (`all`: in every namespace); `None` when the
/// cluster serves no such kind.
pub async fn discover(
    cluster: &Cluster,
    kind: Kind,
    all: bool,
) -> Result<Option<Vec<Found>>, ClusterError> {
    let resource = resource(kind);
    match kind {
        Kind::Ingress => nginx::discover(cluster, all).await.map(Some),
        Kind::VirtualService => {
            objects(cluster, resource, all, |v, ns, o| {
                istio::OBJECT.route(v, ns, o, None)
            })
            .await
        }
        Kind::HttpRoute => {
            objects(cluster, resource, all, |v, ns, o| {
                gateway::OBJECT.route(v, ns, o, None)
            })
            .await
        }
        Kind::Rollout => objects(cluster, resource, all, |_, _, o| argo::route(o, &[])).await,
        Kind::Strategy => {
            objects(cluster, resource, all, |_, ns, o| kubesphere::route(o, ns)).await
        }
        // the list needs no pods: the Deployments' selectors are read on opening
        Kind::Canary => {
            objects(cluster, resource, all, |_, ns, o| {
                flagger::route(o, &Context::of(ns))
            })
            .await
        }
        Kind::TraefikService => {
            objects(cluster, resource, all, |v, ns, o| {
                traefik::OBJECT.route(v, ns, o, None)
            })
            .await
        }
    }
}

type Parse = fn(&'static str, &str, &DynamicObject) -> Result<Route, ClusterError>;

/// Every object of `resource`, each with its route.
async fn objects(
    cluster: &Cluster,
    resource: Resource,
    all: bool,
    parse: Parse,
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

pub use split::is_no_split;

/// The writes that make `change` to the release's testers' routes, or why the release's provider
/// refuses it.
pub fn route_writes(
    route: &Route,
    change: &crate::model::RouteChange,
) -> Result<Vec<ObjectWrite>, ClusterError> {
    match &route.routing {
        Routing::Nginx(r) => nginx_routes::route_writes(r, change),
        Routing::Gateway(r) => gateway_routes::route_writes(route, r, change),
        Routing::Istio(_) => istio::route_writes(route, change),
        Routing::Strategy(_) => kubesphere::route_writes(route, change),
        Routing::Traefik(_) => traefik::route_writes(route, change),
        Routing::Rollout(_) => argo::route_writes(route, change),
        Routing::Flagger(_) => flagger::route_writes(route, change),
    }
}

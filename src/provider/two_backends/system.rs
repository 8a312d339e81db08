//! What makes a system of two weighted backends (Istio, Gateway API, Traefik, Contour) a
//! [`TrafficSystem`]: it names its object ([`TwoBackends`]) and says what differs (which pods
//! are whose, its testers' routes, its metrics); the reads, watches, weight and pause writes,
//! levers and discovery are the same for all of them and live here.

use crate::alert::Sink;
use crate::app::Action;
use crate::cluster::dynamic::Resource;
use crate::cluster::selector::Selector;
use crate::cluster::{Cluster, ClusterError};
use crate::model::{Kind, Refusal, RouteChange, Weight};
use kube::api::DynamicObject;

use super::{pause_writes, watched, weight_writes, Routing, TwoBackends};
use crate::provider::common::alerts;
use crate::provider::common::discover::{each, objects};
use crate::provider::common::infer::Kept;
use crate::provider::common::route::{cockpit_lever, foreign, pause_annotation_field};
use crate::provider::system::{Context, Found, Pending, TrafficSystem, Watched};
use crate::provider::{Ended, Lever, MetricsHints, ObjectWrite, Route};

/// A traffic system whose object holds a split of two weighted backends.
pub trait TwoBackendSystem: Sync {
    /// Its name for the operator: `Istio`, `Contour`.
    fn name(&self) -> &'static str;

    /// How its object is read.
    fn shape(&self) -> &'static TwoBackends;

    /// The pods of each backend.
    fn selectors<'a>(
        &'a self,
        cluster: &'a Cluster,
        route: &'a Route,
        split: &'a Routing,
    ) -> Pending<'a, Result<[Selector; 2], ClusterError>>;

    /// The writes of a testers' route change, or why the system refuses it.
    fn route_writes(
        &self,
        route: &Route,
        split: &Routing,
        change: &RouteChange,
    ) -> Result<Vec<ObjectWrite>, ClusterError>;

    /// Where its series are.
    fn metrics_hints(&self, route: &Route) -> MetricsHints;

    /// What it refuses besides the controller-only actions every such system refuses.
    fn refusals(&self, route: &Route) -> Vec<Refusal>;
}

fn split_of<'r>(route: &'r Route, name: &str) -> Result<&'r Routing, ClusterError> {
    match &route.routing {
        crate::provider::Routing::Split(r) => Ok(r),
        _ => Err(foreign(route, name)),
    }
}

impl<T: TwoBackendSystem> TrafficSystem for T {
    fn kind(&self) -> Kind {
        self.shape().kind
    }

    fn resource(&self) -> Resource {
        self.shape().resource
    }

    fn read<'a>(
        &'a self,
        cluster: &'a Cluster,
        name: &'a str,
        kept: Option<&'a Kept>,
    ) -> Pending<'a, Result<Route, ClusterError>> {
        Box::pin(self.shape().read(cluster, name, kept))
    }

    fn watches(&self, route: &Route) -> Vec<Watched> {
        match split_of(route, self.name()) {
            Ok(r) => vec![watched(self.shape().resource, r, &route.name)],
            Err(_) => Vec::new(),
        }
    }

    fn rebuild(
        &self,
        seen: &Route,
        lists: &[Vec<DynamicObject>],
        ctx: &Context,
    ) -> Option<Result<Route, ClusterError>> {
        let obj = lists.first()?.first()?;
        Some(self.stored(seen, obj, ctx))
    }

    fn stored(
        &self,
        seen: &Route,
        obj: &DynamicObject,
        ctx: &Context,
    ) -> Result<Route, ClusterError> {
        let r = split_of(seen, self.name())?;
        self.shape().rebuilt(r.version, &ctx.namespace, obj, seen)
    }

    fn selectors<'a>(
        &'a self,
        cluster: &'a Cluster,
        route: &'a Route,
    ) -> Pending<'a, Result<[Selector; 2], ClusterError>> {
        match (&route.pod_selectors, split_of(route, self.name())) {
            (Some(s), _) => Box::pin(std::future::ready(Ok(s.clone()))),
            (None, Ok(r)) => TwoBackendSystem::selectors(self, cluster, route, r),
            (None, Err(e)) => Box::pin(std::future::ready(Err(e))),
        }
    }

    fn weight_writes(
        &self,
        route: &Route,
        weight: Weight,
        ended: Option<Ended>,
    ) -> Result<Vec<ObjectWrite>, ClusterError> {
        let r = split_of(route, self.name())?;
        weight_writes(route, r, self.shape().resource, weight, ended)
    }

    fn pause_writes(&self, route: &Route, paused: bool) -> Result<Vec<ObjectWrite>, ClusterError> {
        let r = split_of(route, self.name())?;
        Ok(pause_writes(route, r, self.shape().resource, paused))
    }

    fn route_writes(
        &self,
        route: &Route,
        change: &RouteChange,
    ) -> Result<Vec<ObjectWrite>, ClusterError> {
        let r = split_of(route, self.name())?;
        TwoBackendSystem::route_writes(self, route, r, change)
    }

    fn lever(&self, route: &Route, action: Action, _gates: bool) -> Result<Lever, ClusterError> {
        cockpit_lever(route, action)
    }

    fn promote_action(&self, _full: bool) -> Action {
        Action::Promote
    }

    fn pause_field(&self, paused: bool) -> String {
        pause_annotation_field(paused)
    }

    fn refusals(&self, route: &Route) -> Vec<Refusal> {
        let mut out = crate::provider::system::cockpit_refusals();
        out.extend(TwoBackendSystem::refusals(self, route));
        out
    }

    fn metrics_hints(&self, route: &Route) -> MetricsHints {
        TwoBackendSystem::metrics_hints(self, route)
    }

    fn discover<'a>(
        &'a self,
        cluster: &'a Cluster,
        all: bool,
    ) -> Pending<'a, Result<Option<Vec<Found>>, ClusterError>> {
        let shape = self.shape();
        Box::pin(objects(cluster, shape.resource, all, move |v, ns, o| {
            shape.route(v, ns, o, None)
        }))
    }

    fn releases(&self, version: &'static str, objects: &[DynamicObject]) -> Vec<Found> {
        let shape = self.shape();
        each(version, objects, move |v, ns, o| {
            shape.route(v, ns, o, None)
        })
    }

    fn alert_sinks<'a>(
        &'a self,
        _cluster: &'a Cluster,
        route: &'a Route,
    ) -> Pending<'a, (Vec<Sink>, Vec<String>)> {
        alerts::none(route)
    }
}

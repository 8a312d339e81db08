//! Flagger as a [`TrafficSystem`].

use crate::alert::Sink;
use crate::app::Action;
use crate::cluster::dynamic::Resource;
use crate::cluster::selector::Selector;
use crate::cluster::{Cluster, ClusterError};
use crate::model::{Capability, Kind, Refusal, RouteChange, Weight};
use kube::api::DynamicObject;

use super::{alert_sinks, lever, metrics_hints, pause_writes, read, route, route_writes, CANARY};
use crate::provider::common::discover::{each, objects};
use crate::provider::common::infer::Kept;
use crate::provider::common::route::{foreign, known_selectors};
use crate::provider::system::{Context, Found, Pending, TrafficSystem, Watched};
use crate::provider::{Ended, Lever, MetricsHints, ObjectWrite, Route, Routing};

/// Flagger: its analysis moves the weight; the cockpit suspends it, answers its gates, or has
/// it skip the analysis.
pub struct Flagger;

const NAME: &str = "Flagger";

impl TrafficSystem for Flagger {
    fn kind(&self) -> Kind {
        Kind::Canary
    }

    fn resource(&self) -> Resource {
        CANARY
    }

    fn read<'a>(
        &'a self,
        cluster: &'a Cluster,
        name: &'a str,
        _kept: Option<&'a Kept>,
    ) -> Pending<'a, Result<Route, ClusterError>> {
        Box::pin(read(cluster, name))
    }

    fn watches(&self, route: &Route) -> Vec<Watched> {
        super::watches(&route.name)
    }

    fn rebuild(
        &self,
        _seen: &Route,
        lists: &[Vec<DynamicObject>],
        ctx: &Context,
    ) -> Option<Result<Route, ClusterError>> {
        Some(route(lists.first()?.first()?, ctx))
    }

    fn stored(
        &self,
        _seen: &Route,
        obj: &DynamicObject,
        ctx: &Context,
    ) -> Result<Route, ClusterError> {
        route(obj, ctx)
    }

    fn selectors<'a>(
        &'a self,
        cluster: &'a Cluster,
        route: &'a Route,
    ) -> Pending<'a, Result<[Selector; 2], ClusterError>> {
        Box::pin(known_selectors(cluster, route))
    }

    fn weight_writes(
        &self,
        _route: &Route,
        _weight: Weight,
        _ended: Option<Ended>,
    ) -> Result<Vec<ObjectWrite>, ClusterError> {
        Err(super::weight_refused())
    }

    fn pause_writes(&self, route: &Route, paused: bool) -> Result<Vec<ObjectWrite>, ClusterError> {
        Ok(pause_writes(&route.name, paused))
    }

    fn route_writes(
        &self,
        route: &Route,
        change: &RouteChange,
    ) -> Result<Vec<ObjectWrite>, ClusterError> {
        route_writes(route, change)
    }

    fn lever(&self, route: &Route, action: Action, gates: bool) -> Result<Lever, ClusterError> {
        match &route.routing {
            Routing::Flagger(c) => lever(route, c, action, gates),
            _ => Err(foreign(route, NAME)),
        }
    }

    fn promote_action(&self, _full: bool) -> Action {
        Action::Promote
    }

    fn pause_field(&self, paused: bool) -> String {
        format!("spec.suspend: {paused}")
    }

    fn refusals(&self, _route: &Route) -> Vec<Refusal> {
        vec![Refusal {
            action: Capability::TestersRoute,
            why: "Flagger owns spec.analysis.match: edit the Canary (A/B testing)".to_string(),
        }]
    }

    fn metrics_hints(&self, route: &Route) -> MetricsHints {
        match &route.routing {
            Routing::Flagger(c) => metrics_hints(c),
            _ => MetricsHints::template(crate::metrics::templates::APP),
        }
    }

    fn discover<'a>(
        &'a self,
        cluster: &'a Cluster,
        all: bool,
    ) -> Pending<'a, Result<Option<Vec<Found>>, ClusterError>> {
        // the list needs no pods: the Deployments' selectors are read on opening
        Box::pin(objects(cluster, CANARY, all, |_, ns, o| {
            route(o, &Context::of(ns))
        }))
    }

    fn releases(&self, version: &'static str, objects: &[DynamicObject]) -> Vec<Found> {
        each(version, objects, |_, ns, o| route(o, &Context::of(ns)))
    }

    fn alert_sinks<'a>(
        &'a self,
        cluster: &'a Cluster,
        route: &'a Route,
    ) -> Pending<'a, (Vec<Sink>, Vec<String>)> {
        Box::pin(async move {
            match &route.routing {
                Routing::Flagger(c) => alert_sinks(cluster, c).await,
                _ => (Vec::new(), vec![foreign(route, NAME).to_string()]),
            }
        })
    }
}

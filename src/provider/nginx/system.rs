//! ingress-nginx as a [`TrafficSystem`].

use crate::alert::Sink;
use crate::app::Action;
use crate::cluster::dynamic::Resource;
use crate::cluster::selector::Selector;
use crate::cluster::{Cluster, ClusterError};
use crate::model::{Kind, Refusal, RouteChange, Weight};
use kube::api::DynamicObject;

use super::{discover, metrics_hints, pause_writes, read, rebuild, stored, weight_writes, INGRESS};
use crate::provider::common::alerts;
use crate::provider::common::infer::Kept;
use crate::provider::common::route::{
    cockpit_lever, foreign, known_selectors, pause_annotation_field,
};
use crate::provider::system::{cockpit_refusals, Context, Found, Pending, TrafficSystem, Watched};
use crate::provider::{Ended, Lever, MetricsHints, ObjectWrite, Route, Routing};

/// ingress-nginx: a primary Ingress and its canary Ingress; the cockpit drives the weight.
pub struct Nginx;

const NAME: &str = "ingress-nginx";

impl TrafficSystem for Nginx {
    fn kind(&self) -> Kind {
        Kind::Ingress
    }

    fn resource(&self) -> Resource {
        INGRESS
    }

    fn read<'a>(
        &'a self,
        cluster: &'a Cluster,
        name: &'a str,
        _kept: Option<&'a Kept>,
    ) -> Pending<'a, Result<Route, ClusterError>> {
        Box::pin(read(cluster, name))
    }

    fn watches(&self, _route: &Route) -> Vec<Watched> {
        super::watches()
    }

    fn rebuild(
        &self,
        seen: &Route,
        lists: &[Vec<DynamicObject>],
        _ctx: &Context,
    ) -> Option<Result<Route, ClusterError>> {
        rebuild(lists.first()?, &seen.name)
    }

    fn stored(
        &self,
        seen: &Route,
        obj: &DynamicObject,
        _ctx: &Context,
    ) -> Result<Route, ClusterError> {
        match &seen.routing {
            Routing::Nginx(r) => stored(r, obj),
            _ => Err(foreign(seen, NAME)),
        }
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
        route: &Route,
        weight: Weight,
        ended: Option<Ended>,
    ) -> Result<Vec<ObjectWrite>, ClusterError> {
        match &route.routing {
            Routing::Nginx(r) => weight_writes(route, r, weight, ended),
            _ => Err(foreign(route, NAME)),
        }
    }

    fn pause_writes(&self, route: &Route, paused: bool) -> Result<Vec<ObjectWrite>, ClusterError> {
        match &route.routing {
            Routing::Nginx(r) => Ok(pause_writes(r, paused)),
            _ => Err(foreign(route, NAME)),
        }
    }

    fn route_writes(
        &self,
        route: &Route,
        change: &RouteChange,
    ) -> Result<Vec<ObjectWrite>, ClusterError> {
        match &route.routing {
            Routing::Nginx(r) => super::routes::route_writes(r, change),
            _ => Err(foreign(route, NAME)),
        }
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

    fn refusals(&self, _route: &Route) -> Vec<Refusal> {
        cockpit_refusals()
    }

    fn metrics_hints(&self, route: &Route) -> MetricsHints {
        match &route.routing {
            Routing::Nginx(r) => metrics_hints(r),
            _ => MetricsHints::template(crate::metrics::templates::NGINX),
        }
    }

    fn discover<'a>(
        &'a self,
        cluster: &'a Cluster,
        all: bool,
    ) -> Pending<'a, Result<Option<Vec<Found>>, ClusterError>> {
        Box::pin(async move { discover(cluster, all).await.map(Some) })
    }

    fn releases(&self, _version: &'static str, objects: &[DynamicObject]) -> Vec<Found> {
        super::discover::found(objects)
    }

    fn alert_sinks<'a>(
        &'a self,
        _cluster: &'a Cluster,
        route: &'a Route,
    ) -> Pending<'a, (Vec<Sink>, Vec<String>)> {
        alerts::none(route)
    }
}

//! Argo Rollouts as a [`TrafficSystem`].

use crate::alert::Sink;
use crate::app::Action;
use crate::cluster::dynamic::Resource;
use crate::cluster::selector::Selector;
use crate::cluster::{Cluster, ClusterError};
use crate::model::{Kind, Refusal, RouteChange, Weight};
use kube::api::DynamicObject;

use super::{
    known, lever, metrics_hints, pause_writes, read, route, route_writes, watches, ROLLOUT,
};
use crate::provider::common::alerts;
use crate::provider::common::discover::{each, objects};
use crate::provider::common::infer::Kept;
use crate::provider::common::route::{foreign, known_selectors};
use crate::provider::system::{Context, Found, Pending, TrafficSystem, Watched};
use crate::provider::{Ended, Lever, MetricsHints, ObjectWrite, Route, Routing};

/// Argo Rollouts: its controller walks the Rollout's steps; the cockpit pulls its levers.
pub struct ArgoRollouts;

const NAME: &str = "Argo Rollouts";

impl TrafficSystem for ArgoRollouts {
    fn kind(&self) -> Kind {
        Kind::Rollout
    }

    fn resource(&self) -> Resource {
        ROLLOUT
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
        watches(&route.name)
    }

    fn rebuild(
        &self,
        seen: &Route,
        lists: &[Vec<DynamicObject>],
        _ctx: &Context,
    ) -> Option<Result<Route, ClusterError>> {
        Some(route(lists.first()?.first()?, lists.get(1)?, &known(seen)))
    }

    fn stored(
        &self,
        seen: &Route,
        obj: &DynamicObject,
        _ctx: &Context,
    ) -> Result<Route, ClusterError> {
        route(obj, &[], &known(seen))
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

    fn lever(&self, route: &Route, action: Action, _gates: bool) -> Result<Lever, ClusterError> {
        match &route.routing {
            Routing::Rollout(r) => lever(route, r, action),
            _ => Err(foreign(route, NAME)),
        }
    }

    fn promote_action(&self, full: bool) -> Action {
        // as `kubectl argo rollouts promote`: the next step, unless `--full`
        if full {
            Action::Promote
        } else {
            Action::NextStep
        }
    }

    fn pause_field(&self, paused: bool) -> String {
        if paused {
            "spec.paused: true".to_string()
        } else {
            "spec.paused: false, status.pauseConditions cleared".to_string()
        }
    }

    fn refusals(&self, _route: &Route) -> Vec<Refusal> {
        // the Rollout's own refusals come with its controller's view
        Vec::new()
    }

    fn metrics_hints(&self, route: &Route) -> MetricsHints {
        match &route.routing {
            Routing::Rollout(r) => metrics_hints(r),
            _ => MetricsHints::template(crate::metrics::templates::APP),
        }
    }

    fn discover<'a>(
        &'a self,
        cluster: &'a Cluster,
        all: bool,
    ) -> Pending<'a, Result<Option<Vec<Found>>, ClusterError>> {
        Box::pin(objects(cluster, ROLLOUT, all, |_, _, o| {
            route(o, &[], &Default::default())
        }))
    }

    fn releases(&self, version: &'static str, objects: &[DynamicObject]) -> Vec<Found> {
        each(version, objects, |_, _, o| {
            route(o, &[], &Default::default())
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

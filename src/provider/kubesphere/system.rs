//! KubeSphere's grayscale release as a [`TrafficSystem`].

use crate::alert::Sink;
use crate::app::Action;
use crate::cluster::dynamic::Resource;
use crate::cluster::selector::Selector;
use crate::cluster::{Cluster, ClusterError};
use crate::model::{Capability, Kind, Refusal, RouteChange, Weight};
use kube::api::DynamicObject;

use super::{lever, pause_writes, read, route, route_writes, watches, weight_writes, STRATEGY};
use crate::provider::common::alerts;
use crate::provider::common::discover::{each, objects};
use crate::provider::common::infer::Kept;
use crate::provider::common::route::{foreign, known_selectors, pause_annotation_field};
use crate::provider::system::{cockpit_refusals, Context, Found, Pending, TrafficSystem, Watched};
use crate::provider::{Ended, Lever, MetricsHints, ObjectWrite, Route, Routing};

/// KubeSphere: a Strategy whose template weights the cockpit moves and whose governor takes
/// over on promotion.
pub struct KubeSphere;

const NAME: &str = "KubeSphere";

impl TrafficSystem for KubeSphere {
    fn kind(&self) -> Kind {
        Kind::Strategy
    }

    fn resource(&self) -> Resource {
        STRATEGY
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
        _seen: &Route,
        lists: &[Vec<DynamicObject>],
        ctx: &Context,
    ) -> Option<Result<Route, ClusterError>> {
        Some(route(lists.first()?.first()?, &ctx.namespace))
    }

    fn stored(
        &self,
        _seen: &Route,
        obj: &DynamicObject,
        ctx: &Context,
    ) -> Result<Route, ClusterError> {
        route(obj, &ctx.namespace)
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
        _ended: Option<Ended>,
    ) -> Result<Vec<ObjectWrite>, ClusterError> {
        match &route.routing {
            Routing::Strategy(s) => weight_writes(route, s, weight),
            _ => Err(foreign(route, NAME)),
        }
    }

    fn pause_writes(&self, route: &Route, paused: bool) -> Result<Vec<ObjectWrite>, ClusterError> {
        match &route.routing {
            Routing::Strategy(s) => Ok(pause_writes(route, s, paused)),
            _ => Err(foreign(route, NAME)),
        }
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
            Routing::Strategy(s) => lever(route, s, action),
            _ => Err(foreign(route, NAME)),
        }
    }

    fn promote_action(&self, _full: bool) -> Action {
        Action::Promote
    }

    fn pause_field(&self, paused: bool) -> String {
        pause_annotation_field(paused)
    }

    fn refusals(&self, _route: &Route) -> Vec<Refusal> {
        let mut out = cockpit_refusals();
        out.push(Refusal {
            action: Capability::TestersRoute,
            why: "a KubeSphere Strategy's header match is pruned by its CRD: route testers with \
                  an Istio VirtualService instead"
                .to_string(),
        });
        out
    }

    fn metrics_hints(&self, _route: &Route) -> MetricsHints {
        MetricsHints::template(crate::metrics::templates::ISTIO)
    }

    fn discover<'a>(
        &'a self,
        cluster: &'a Cluster,
        all: bool,
    ) -> Pending<'a, Result<Option<Vec<Found>>, ClusterError>> {
        Box::pin(objects(cluster, STRATEGY, all, |_, ns, o| route(o, ns)))
    }

    fn releases(&self, version: &'static str, objects: &[DynamicObject]) -> Vec<Found> {
        each(version, objects, |_, ns, o| route(o, ns))
    }

    fn alert_sinks<'a>(
        &'a self,
        _cluster: &'a Cluster,
        route: &'a Route,
    ) -> Pending<'a, (Vec<Sink>, Vec<String>)> {
        alerts::none(route)
    }
}

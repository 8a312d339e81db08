//! The one shape of a traffic system: [`TrafficSystem`]. Every system the cockpit reads and acts
//! on implements it in its own folder (`provider/<system>/`), and [`super::registry`] lists them.
//!
//! The trait has no default methods: a system that cannot do something says so with a typed
//! refusal ([`ClusterError::Refused`], or a [`Refusal`] of a [`Capability`]) and its reason, never
//! by doing nothing.

use crate::alert::Sink;
use crate::app::Action;
use crate::cluster::dynamic::Resource;
use crate::cluster::selector::Selector;
use crate::cluster::{Cluster, ClusterError};
use crate::model::{Capability, Kind, Refusal, RouteChange, Weight};
use kube::api::DynamicObject;
use std::future::Future;
use std::pin::Pin;

use super::common::hints::MetricsHints;
use super::common::infer::Kept;
use super::common::route::{Ended, Lever, ObjectWrite, Route};

/// A future a system returns from its reads (boxed: the registry holds the systems as trait
/// objects).
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a system needs besides its objects to read a release: the namespace, the pod selectors
/// already known (Flagger's Deployments), the gates the cockpit serves.
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

/// A traffic system: how the cockpit reads a release of it, follows it, and acts on it.
pub trait TrafficSystem: Sync {
    /// The kind of object a target names for this system (its row of the kinds table).
    fn kind(&self) -> Kind;

    /// The resource of the object that names a release.
    fn resource(&self) -> Resource;

    /// The release `name` as it is now; `kept` is the canary as an earlier read decided it, for
    /// systems whose object alone does not tell.
    fn read<'a>(
        &'a self,
        cluster: &'a Cluster,
        name: &'a str,
        kept: Option<&'a Kept>,
    ) -> Pending<'a, Result<Route, ClusterError>>;

    /// What the live source lists and watches to follow the release, the routing object first.
    fn watches(&self, route: &Route) -> Vec<Watched>;

    /// The route again from the lists of [`Self::watches`] (in that order); `None` while the
    /// routing object is not there.
    fn rebuild(
        &self,
        seen: &Route,
        lists: &[Vec<DynamicObject>],
        ctx: &Context,
    ) -> Option<Result<Route, ClusterError>>;

    /// The route from an object a write stored, in place of `seen`.
    fn stored(
        &self,
        seen: &Route,
        obj: &DynamicObject,
        ctx: &Context,
    ) -> Result<Route, ClusterError>;

    /// The pod selectors of the release's two versions, when the route does not carry them.
    fn selectors<'a>(
        &'a self,
        cluster: &'a Cluster,
        route: &'a Route,
    ) -> Pending<'a, Result<[Selector; 2], ClusterError>>;

    /// The writes that give the canary `weight` percent; `ended` records in the same write that
    /// this weight ends the release. Refused where the release's controller sets the weight.
    fn weight_writes(
        &self,
        route: &Route,
        weight: Weight,
        ended: Option<Ended>,
    ) -> Result<Vec<ObjectWrite>, ClusterError>;

    /// The writes that pause or resume the release's progression.
    fn pause_writes(&self, route: &Route, paused: bool) -> Result<Vec<ObjectWrite>, ClusterError>;

    /// The writes that make `change` to the release's testers' routes, or why the system refuses.
    fn route_writes(
        &self,
        route: &Route,
        change: &RouteChange,
    ) -> Result<Vec<ObjectWrite>, ClusterError>;

    /// The lever `action` pulls on this release, or why there is none. `gates` tells whether this
    /// cockpit serves Flagger's gates.
    fn lever(&self, route: &Route, action: Action, gates: bool) -> Result<Lever, ClusterError>;

    /// The action of `canary promote` (`full`: `--full`).
    fn promote_action(&self, full: bool) -> Action;

    /// How the pause is written, for the operator (`spec.paused: true`).
    fn pause_field(&self, paused: bool) -> String;

    /// The capabilities this release lacks, each with its reason: the keys, the help, the footer
    /// and the verbs ask this once per read of the release.
    fn refusals(&self, route: &Route) -> Vec<Refusal>;

    /// Where the release's metrics are and which template reads them.
    fn metrics_hints(&self, route: &Route) -> MetricsHints;

    /// Every release of this system in the namespace (`all`: in every namespace); `None` when the
    /// cluster serves no such kind.
    fn discover<'a>(
        &'a self,
        cluster: &'a Cluster,
        all: bool,
    ) -> Pending<'a, Result<Option<Vec<Found>>, ClusterError>>;

    /// The releases among `objects`, the objects of [`Self::resource`] as the cluster served them
    /// at `version` (of one namespace or of all): the board rebuilds its rows from what its
    /// watches hold, without a request.
    fn releases(&self, version: &'static str, objects: &[DynamicObject]) -> Vec<Found>;

    /// The system's own alert sinks (Flagger's AlertProviders), with notes on what cannot be
    /// used; a system without any says why in a note.
    fn alert_sinks<'a>(
        &'a self,
        cluster: &'a Cluster,
        route: &'a Route,
    ) -> Pending<'a, (Vec<Sink>, Vec<String>)>;
}

/// The refusals every system the cockpit drives by weight shares: the controller-only actions.
pub fn cockpit_refusals() -> Vec<Refusal> {
    vec![
        Refusal {
            action: Capability::NextStep,
            why: "the cockpit drives this release by weight: + moves it by the step weight"
                .to_string(),
        },
        Refusal {
            action: Capability::Retry,
            why: "retry applies to Argo Rollouts (an aborted rollout)".to_string(),
        },
    ]
}

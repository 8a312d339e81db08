//! The traffic systems the cockpit reads and drives. Each is one folder implementing one trait,
//! [`TrafficSystem`]; [`registry::SYSTEMS`] is the one table of them. Callers never match on a
//! system: they ask [`system`] (by kind) or [`of`] (by a route read) for it.
//!
//! | system | folder | routing object |
//! | --- | --- | --- |
//! | ingress-nginx | [`nginx`] | the canary Ingress (and its primary) |
//! | Istio | [`istio`] | a VirtualService http route with two destinations |
//! | Gateway API | [`gateway`] | an HTTPRoute rule with two backendRefs |
//! | Argo Rollouts | [`argo`] | a Rollout with the canary strategy |
//! | KubeSphere | [`kubesphere`] | a grayscale Strategy |
//! | Flagger | [`flagger`] | a Canary, and the gates the cockpit serves for it ([`flagger::gate`]) |
//! | Traefik | [`traefik`] | a TraefikService with two weighted Services |
//! | Contour | [`contour`] | an HTTPProxy route with two weighted Services |
//!
//! What several systems share lives in two rooms: [`common`] (the route as read, the levers and
//! writes, the canary inference, metrics hints, discovery) and [`two_backends`] (the split of two
//! weighted backends that Istio, Gateway API, Traefik and Contour hold).

pub mod argo;
pub mod common;
pub mod contour;
pub mod flagger;
pub mod gateway;
pub mod istio;
pub mod kubesphere;
pub mod nginx;
pub mod registry;
pub mod system;
pub mod traefik;
pub mod two_backends;

use crate::model::Kind;

pub use common::hints::MetricsHints;
pub use common::route::{
    Ended, GateChange, Lever, Malformed, ObjectWrite, PatchBody, Route, OUTCOME, PAUSED,
};
pub use registry::system;
pub use system::{Context, Found, TrafficSystem, Watched};
pub use two_backends::is_no_split;

/// How the system holds the release, as read: writes are conditional on it. One per watched
/// release, never in a collection: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Routing {
    Nginx(nginx::Routing),
    /// Two weighted backends (Istio, Gateway API, Traefik, Contour): the split names its kind.
    Split(two_backends::Routing),
    Rollout(Box<argo::Rollout>),
    Strategy(Box<kubesphere::Strategy>),
    Flagger(Box<flagger::Canary>),
}

impl Routing {
    /// The kind of object it was read from.
    pub fn kind(&self) -> Kind {
        match self {
            Routing::Nginx(_) => Kind::Ingress,
            Routing::Split(r) => r.kind,
            Routing::Rollout(_) => Kind::Rollout,
            Routing::Strategy(_) => Kind::Strategy,
            Routing::Flagger(_) => Kind::Canary,
        }
    }
}

/// The system a route was read by.
pub fn of(route: &Route) -> &'static dyn TrafficSystem {
    system(route.routing.kind())
}

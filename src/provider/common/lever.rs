//! What a system asks the executor to do: the writes ([`ObjectWrite`]) and the lever an action
//! pulls ([`Lever`]), and the pieces every system the cockpit drives shares to name them.

use crate::cluster::dynamic::Resource;
use crate::cluster::selector::Selector;
use crate::cluster::ClusterError;
use crate::model::GateChange;
use crate::model::Weight;

use super::route::{Ended, Route, OUTCOME, PAUSED};

/// The body of one patch.
#[derive(Clone, Debug, PartialEq)]
pub enum PatchBody {
    /// A JSON merge patch.
    Merge(serde_json::Value),
    /// A JSON patch (RFC 6902): its `test` and `replace resourceVersion` operations make it
    /// conditional.
    Json(serde_json::Value),
}

/// One write to an object of the release, as a provider plans it.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectWrite {
    pub resource: Resource,
    pub version: &'static str,
    pub name: String,
    /// The status subresource rather than the object, named as in messages and RBAC
    /// (`rollouts/status`).
    pub status: Option<&'static str>,
    pub patch: PatchBody,
}

impl ObjectWrite {
    /// A merge patch of the object `name`.
    pub fn merge(
        resource: Resource,
        version: &'static str,
        name: &str,
        patch: serde_json::Value,
    ) -> Self {
        ObjectWrite {
            resource,
            version,
            name: name.to_string(),
            status: None,
            patch: PatchBody::Merge(patch),
        }
    }

    /// A JSON patch of the object `name`.
    pub fn json(
        resource: Resource,
        version: &'static str,
        name: &str,
        ops: serde_json::Value,
    ) -> Self {
        ObjectWrite {
            patch: PatchBody::Json(ops),
            ..ObjectWrite::merge(resource, version, name, serde_json::Value::Null)
        }
    }
}

/// The lever an action pulls on one release.
#[derive(Clone, Debug, PartialEq)]
pub enum Lever {
    /// Writes to the release's objects, in this order; `what` says what they did, for the
    /// operator (`status.abort: true`).
    Writes {
        writes: Vec<ObjectWrite>,
        what: Option<String>,
    },
    /// The cockpit's own promotion, stage by stage: it is the release's controller.
    StagedPromote,
    /// The cockpit's own rollback, stage by stage.
    StagedRollback,
    /// A gate the cockpit serves for Flagger.
    Gate { change: GateChange, what: String },
}

impl Lever {
    pub fn writes(writes: Vec<ObjectWrite>) -> Lever {
        Lever::Writes { writes, what: None }
    }
}

/// The outcome annotation a weight write sets: the end it records, or none (cleared) once a
/// weight above 0 starts the next release. `None` leaves it as it is.
pub fn outcome_value(
    seen: &Route,
    weight: Weight,
    ended: Option<Ended>,
) -> Option<serde_json::Value> {
    match ended {
        Some(e) => Some(serde_json::Value::String(e.label().to_string())),
        None if weight > Weight::ZERO && seen.annotations.contains_key(OUTCOME) => {
            Some(serde_json::Value::Null)
        }
        None => None,
    }
}

/// The pause annotation's value in a merge patch: set, or removed.
pub fn paused_value(paused: bool) -> serde_json::Value {
    if paused {
        serde_json::Value::String("true".to_string())
    } else {
        serde_json::Value::Null
    }
}

/// The levers of a release the cockpit itself drives (ingress-nginx, Istio, Gateway API): the
/// weight and the pause annotation on the routing object, promotion and rollback stage by stage.
pub fn cockpit_lever(route: &Route, action: crate::app::Action) -> Result<Lever, ClusterError> {
    use crate::app::Action;
    match action {
        Action::SetWeight { weight } => Ok(Lever::writes(
            crate::provider::of(route).weight_writes(route, weight, None)?,
        )),
        Action::Pause | Action::Resume => Ok(Lever::writes(
            crate::provider::of(route).pause_writes(route, action == Action::Pause)?,
        )),
        Action::Promote => Ok(Lever::StagedPromote),
        Action::Rollback => Ok(Lever::StagedRollback),
        Action::NextStep => Err(ClusterError::Refused(
            "the cockpit drives this release by weight: + moves it by the step weight".to_string(),
        )),
        Action::Retry => Err(retry_refused()),
    }
}

/// `canary retry` on a release that is not an Argo rollout.
pub fn retry_refused() -> ClusterError {
    ClusterError::Refused("retry applies to Argo Rollouts (an aborted rollout)".to_string())
}

/// A route handed to a system that did not read it: a caller's mistake, said as a refusal.
pub fn foreign(route: &Route, system: &str) -> ClusterError {
    ClusterError::Refused(format!(
        "{} was not read as a {system} release: nothing was written",
        route.object
    ))
}

/// The pod selectors a route carries (a controller's objects name the pods), else its
/// backends' Services'.
pub async fn known_selectors(
    cluster: &crate::cluster::Cluster,
    route: &Route,
) -> Result<[Selector; 2], ClusterError> {
    match &route.pod_selectors {
        Some(s) => Ok(s.clone()),
        None => crate::cluster::selector::of_services(cluster, &route.names).await,
    }
}

/// The note for `--alert flagger` on a release of a system without alert providers of its own.
pub fn no_alert_providers(route: &Route) -> String {
    format!(
        "--alert flagger: {} is not a Flagger canary, so this release has no AlertProviders for \
         --alert flagger to use",
        route.object
    )
}

/// How the cockpit's own pause is written, for the operator.
pub fn pause_annotation_field(paused: bool) -> String {
    if paused {
        format!("annotated {PAUSED}=true")
    } else {
        format!("annotation {PAUSED} removed")
    }
}

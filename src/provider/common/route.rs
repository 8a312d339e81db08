//! What every provider reads a release into ([`Route`]) and what it asks the executor to do
//! ([`Lever`], [`ObjectWrite`]). Providers decide; the live layer's executor performs.

use crate::model::{CanaryBy, ControllerView, Phase, Plan, Weight};
use kube::api::ObjectMeta;
use std::collections::BTreeMap;

use crate::cluster::selector::Selector;
use crate::cluster::ClusterError;
pub use crate::model::GateChange;

use crate::provider::common::infer::{Decided, Kept};

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

/// What the routing objects say about a release, before its pods are read.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// How the provider holds the split, as read: writes are conditional on it.
    pub routing: crate::provider::Routing,
    /// The object that carries the weight, `ingress/shop-canary`, `virtualservice/shop`.
    pub object: String,
    pub weight: Weight,
    /// The release's name: the primary Ingress, the VirtualService, the HTTPRoute.
    pub name: String,
    /// How each version is known: the backend Service, or the Istio subset.
    pub names: [String; 2],
    /// Rules that send some requests to the canary whatever the weight.
    pub bypass: Vec<String>,
    /// The same rules, as the cockpit reads and writes them (testers' routes).
    pub rules: Vec<crate::model::RouteRule>,
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
    /// The rule that told which backend is the canary (`names[1]`); `None` while no rule the
    /// routing object alone tells decides (the live layer goes on with the pods).
    pub canary_by: Option<CanaryBy>,
    /// Why, for the operator: `version order (v1 < v2)`.
    pub canary_why: String,
    /// Fields of the routing object that could not be read (a weight of `abc`): the release
    /// stays readable for the way back, and every action but rollback and pause is refused.
    pub malformed: Vec<Malformed>,
}

/// A field of the routing object the cockpit could not read, as found. The way back never
/// depends on it: a rollback writes its own value there whatever it held, a pause leaves it; every
/// other action is refused with it as the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// The object that holds it: `ingress/shop-canary`.
    pub object: String,
    /// The field as the operator knows it: `canary-weight`, `the weights of spec.http[0]`.
    pub field: String,
    /// What it held, as written.
    pub value: String,
    /// What it should hold: `a whole number`.
    pub expected: String,
    /// What a rollback writes there (`0`); `None` when the rollback leaves it as it is.
    pub rollback: Option<String>,
}

impl Malformed {
    /// The value as it may be quoted: one line, at most 60 characters, through the hygiene.
    fn quoted(&self) -> String {
        crate::hygiene::short(&self.value, 60)
    }

    /// What a rollback did with the field: `canary-weight was 'abc'; set to 0`.
    pub fn after_rollback(&self) -> String {
        match &self.rollback {
            Some(v) => format!("{} was '{}'; set to {v}", self.field, self.quoted()),
            None => format!(
                "{} is '{}', not {}; left as it is",
                self.field,
                self.quoted(),
                self.expected
            ),
        }
    }

    /// What a pause did with the field: nothing.
    pub fn after_pause(&self) -> String {
        format!(
            "{} is '{}', not {}; the pause leaves it as it is, `canary rollback` sets it right",
            self.field,
            self.quoted(),
            self.expected
        )
    }

    /// Why an action that moves the release forward is refused.
    pub fn refusal(&self, action: &str) -> String {
        format!("{self}: {action} is refused until it is set right; rollback and pause still work")
    }
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} is '{}', not {}",
            self.object,
            self.field,
            self.quoted(),
            self.expected
        )
    }
}

impl Route {
    /// Whether the release's own controller promotes and rolls back (one write each), rather
    /// than the cockpit stage by stage.
    pub fn controller_owned(&self) -> bool {
        self.controller.is_some()
    }

    /// A route whose object is `object`, read from `meta`, with the fields a provider without a
    /// controller of its own leaves empty.
    pub fn plain(
        routing: crate::provider::Routing,
        object: String,
        name: String,
        names: [String; 2],
        weight: Weight,
        meta: &ObjectMeta,
    ) -> Route {
        Route {
            routing,
            object,
            weight,
            name,
            names,
            bypass: Vec::new(),
            rules: Vec::new(),
            paused: is_paused(meta),
            ended: ended(meta, weight),
            annotations: annotations(meta),
            phase: None,
            plan: None,
            controller: None,
            pod_selectors: None,
            canary_by: Some(CanaryBy::Definition),
            canary_why: "the release's definition".to_string(),
            malformed: Vec::new(),
        }
    }

    /// Records the rule that decided the canary, or that none did.
    pub fn decided(&mut self, decided: Option<Decided>) {
        match decided {
            Some(d) => {
                self.canary_by = Some(d.by);
                self.canary_why = d.why;
            }
            None => {
                self.canary_by = None;
                self.canary_why.clear();
            }
        }
    }

    /// The decision to keep while the route is rebuilt: one the object alone does not tell
    /// again (image tags, the newer Deployment).
    pub fn kept(&self) -> Option<Kept> {
        let by = self.canary_by?;
        // after a take-over the primary is the version that was the canary: it stays the
        // canary by the versions once the take-over is undone
        if let Some(t) = super::takeover::recorded(self) {
            return Some(Kept {
                canary: t.new.clone(),
                decided: Decided::new(by, format!("the version that took over ({})", t.new)),
            });
        }
        matches!(by, CanaryBy::Version | CanaryBy::Newer).then(|| Kept {
            canary: self.names[1].clone(),
            decided: Decided::new(by, self.canary_why.clone()),
        })
    }

    /// The refusal of `action` on a release whose routing object has a field the cockpit could
    /// not read: only the way back (rollback, pause) goes on.
    pub fn refuse_malformed(&self, action: crate::app::Action) -> Result<(), ClusterError> {
        use crate::app::Action;
        match (self.malformed.first(), action) {
            (None, _) | (Some(_), Action::Rollback | Action::Pause) => Ok(()),
            (Some(m), action) => Err(ClusterError::Refused(m.refusal(&action.to_string()))),
        }
    }

    /// The capabilities a malformed field takes away, for the keys and the help.
    pub fn malformed_refusals(&self) -> Vec<crate::model::Refusal> {
        use crate::model::Capability;
        let Some(m) = self.malformed.first() else {
            return Vec::new();
        };
        [
            Capability::StepDown,
            Capability::SetWeight,
            Capability::StepUp,
            Capability::Promote,
        ]
        .into_iter()
        .map(|action| crate::model::Refusal {
            action,
            why: m.refusal(action.name()),
        })
        .collect()
    }

    /// One line for the event log: `canary v2 decided by version order (v1 < v2)`; `None` when
    /// the release's definition says it.
    pub fn canary_note(&self) -> Option<String> {
        match self.canary_by? {
            CanaryBy::Definition => None,
            _ => Some(format!(
                "canary {} decided by {}",
                self.names[1], self.canary_why
            )),
        }
    }
}

/// What a release's own controller reports, for [`Route::controlled`].
pub struct Controlled {
    pub paused: bool,
    pub phase: Option<Phase>,
    pub plan: Option<Plan>,
    pub view: ControllerView,
    /// Which pods are each version's, as the controller's objects say.
    pub selectors: [Selector; 2],
}

impl Route {
    /// The route of a release whose own controller (Argo Rollouts, Flagger, KubeSphere) moves the
    /// weight: the cockpit records no outcome of its own on it.
    pub fn controlled(self, c: Controlled) -> Route {
        Route {
            paused: c.paused,
            ended: None,
            phase: c.phase,
            plan: c.plan,
            controller: Some(c.view),
            pod_selectors: Some(c.selectors),
            ..self
        }
    }
}

/// The annotations of an object, as read.
pub fn annotations(meta: &ObjectMeta) -> BTreeMap<String, String> {
    meta.annotations.clone().unwrap_or_default()
}

/// The object carries the pause annotation.
pub fn is_paused(meta: &ObjectMeta) -> bool {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(PAUSED))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// How the cockpit ended the release, while the weight stays 0.
pub fn ended(meta: &ObjectMeta, weight: Weight) -> Option<Ended> {
    let ended = meta
        .annotations
        .as_ref()
        .and_then(|a| a.get(OUTCOME))
        .and_then(|v| Ended::parse(v));
    ended.filter(|_| weight == Weight::ZERO)
}

pub use super::lever::{
    cockpit_lever, foreign, known_selectors, no_alert_providers, outcome_value,
    pause_annotation_field, paused_value, retry_refused, Lever, ObjectWrite, PatchBody,
};

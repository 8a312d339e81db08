//! A route with two weighted backends, the shape Istio VirtualServices and Gateway API HTTPRoutes
//! share: which backend is the canary, the weights as written, and the conditional JSON patch that
//! changes them.

mod order;
mod pick;
mod service_ref;
mod shape;
mod system;
mod testers;

use crate::cluster::ClusterError;
use crate::model::Weight;
pub use order::{order, Hint};
pub use pick::{pick, weight_of};
pub use shape::{pause_writes, watched, weight_writes, Parser, Routing, TwoBackends};
pub use system::TwoBackendSystem;
pub use testers::Testers;

use crate::provider::common::infer::Decided;
use crate::provider::common::route::Route;

pub use service_ref::ServiceRef;

/// An annotation on the route that names the canary's backend (an Istio subset or host, a Gateway
/// API backendRef name). It comes first; without it the names (`-canary`, subset `stable`), the
/// versions in the names, the image tags and the newer Deployment tell ([`infer`]).
pub const CANARY_BACKEND: &str = "canary-cockpit.io/canary-backend";

/// One side of the split, as the route names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backend {
    /// The Service the traffic goes to.
    pub service: String,
    /// Istio: the DestinationRule subset, if the route names one.
    pub subset: Option<String>,
    /// The JSON pointer of this backend's weight in the object.
    pub weight_path: String,
    /// The weight as written (Istio: missing is 0; Gateway API: missing is 1); 0 when it cannot
    /// be read.
    pub weight: u64,
    /// The weight as written when it cannot be read (`-5`): the release stays readable for the
    /// way back, which writes its own value there.
    pub unreadable: Option<String>,
}

impl Backend {
    /// How the operator knows this version: the subset when there is one, else the Service.
    pub fn label(&self) -> &str {
        self.subset.as_deref().unwrap_or(&self.service)
    }
}

/// The split as read from one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// Where the route sits, for messages: `spec.http[0]`, `spec.rules[1]`.
    pub route: String,
    pub primary: Backend,
    pub canary: Backend,
    /// The object's resourceVersion: a write is conditional on it.
    pub resource_version: String,
    /// The rule that told the canary; `None`: no rule the object alone tells decides.
    pub decided: Option<Decided>,
    /// The testers' routes as read, for the provider that writes them.
    pub testers: Testers,
    /// Backends of the same route beyond the two (a third destination): the cockpit reads a
    /// split of two, so only the way back goes on, and a rollback sets their weights to 0.
    pub extra: Vec<Backend>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SplitError {
    #[error("{object} has no route with two weighted backends{hint}")]
    NoSplit { object: String, hint: String },
    #[error(
        "{object}: cannot tell which backend of {route} is the canary ({a} or {b}){why}: name \
         it with the annotation {CANARY_BACKEND}"
    )]
    WhichCanary {
        object: String,
        route: String,
        a: String,
        b: String,
        /// What was tried, in parentheses, or nothing.
        why: String,
    },
    #[error("{object}: {what}")]
    Malformed { object: String, what: String },
}

/// An object's `spec` read as `T`; `kind` names the spec in the error (`a VirtualService`).
pub fn spec_of<T: serde::de::DeserializeOwned>(
    object: &str,
    kind: &str,
    spec: &serde_json::Value,
) -> Result<T, SplitError> {
    serde_json::from_value(spec.clone()).map_err(|e| SplitError::Malformed {
        object: object.to_string(),
        what: format!("spec is not {kind} spec: {e}"),
    })
}

/// The error of a release whose canary no rule decides: both backends, what was tried (`why`,
/// may be empty), and the annotation.
pub fn undecided(route: &Route, why: &str) -> SplitError {
    let at = match &route.routing {
        crate::provider::Routing::Split(r) => r.split.route.clone(),
        _ => "the route".to_string(),
    };
    SplitError::WhichCanary {
        object: route.object.clone(),
        route: at,
        a: route.names[0].clone(),
        b: route.names[1].clone(),
        why: if why.is_empty() {
            String::new()
        } else {
            format!(" ({why})")
        },
    }
}

impl Split {
    /// The split of two backends at `route` of `object`, ordered by [`order`].
    pub fn of(
        object: &str,
        route: String,
        hint: &Hint,
        (a, b): (Backend, Backend),
        resource_version: &str,
    ) -> Result<Split, SplitError> {
        Split::of_all(object, route, hint, vec![a, b], resource_version)
    }

    /// The split of the backends of the route at `route` (two or more), the primary and the
    /// canary told by [`pick`]; the others are [`Split::extra`].
    pub fn of_all(
        object: &str,
        route: String,
        hint: &Hint,
        backends: Vec<Backend>,
        resource_version: &str,
    ) -> Result<Split, SplitError> {
        let (primary, canary, decided, extra) = pick(object, &route, hint, backends)?;
        Ok(Split {
            route,
            primary,
            canary,
            resource_version: resource_version.to_string(),
            testers: Testers::default(),
            decided,
            extra,
        })
    }

    /// The canary's share in percent, to the nearest whole percent.
    pub fn percent(&self) -> Result<Weight, String> {
        let total = u128::from(self.primary.weight) + u128::from(self.canary.weight);
        if total == 0 {
            return Err(format!(
                "both weights of {} are 0: the route sends its requests nowhere",
                self.route
            ));
        }
        let pct = (u128::from(self.canary.weight) * 100 + total / 2) / total;
        Ok(Weight::clamped(pct.min(100) as u8))
    }

    /// A JSON patch that gives the canary `weight` percent and the primary the rest, conditional
    /// on the resourceVersion that was read (the API server answers 409 when the object changed)
    /// and on the backends still being where they were.
    pub fn weight_patch(&self, weight: Weight) -> serde_json::Value {
        let canary = u32::from(weight.percent());
        let mut ops = vec![
            serde_json::json!({"op": "replace", "path": "/metadata/resourceVersion", "value": self.resource_version}),
            serde_json::json!({"op": "add", "path": self.primary.weight_path, "value": 100 - canary}),
            serde_json::json!({"op": "add", "path": self.canary.weight_path, "value": canary}),
        ];
        // backends beyond the two take nothing
        ops.extend(
            self.extra
                .iter()
                .map(|b| serde_json::json!({"op": "add", "path": b.weight_path, "value": 0})),
        );
        serde_json::Value::Array(ops)
    }

    /// Every backend's weight path as the operator knows the field (`spec.http[0].route[1].weight`).
    pub fn field(pointer: &str) -> String {
        let mut out = String::new();
        for seg in pointer.trim_start_matches('/').split('/') {
            if seg.parse::<usize>().is_ok() {
                out.push_str(&format!("[{seg}]"));
            } else {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&seg.replace("~1", "/").replace("~0", "~"));
            }
        }
        out
    }
}

/// A route that has no two-backend split is no canary release: the release list skips it.
pub fn is_no_split(e: &ClusterError) -> bool {
    matches!(e, ClusterError::Object(inner)
        if matches!(inner.downcast_ref::<SplitError>(), Some(SplitError::NoSplit { .. })))
}

impl From<SplitError> for ClusterError {
    fn from(e: SplitError) -> Self {
        ClusterError::Object(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CanaryBy;
    use crate::provider::common::infer::Kept;

    fn backend(service: &str, subset: Option<&str>, weight: u64) -> Backend {
        Backend {
            service: service.to_string(),
            subset: subset.map(str::to_string),
            weight_path: format!("/w/{service}"),
            weight,
            unreadable: None,
        }
    }

    fn hint(annotation: Option<&str>, kept: Option<(&str, CanaryBy)>) -> Hint {
        Hint {
            annotation: annotation.map(str::to_string),
            kept: kept.map(|(c, by)| Kept {
                canary: c.to_string(),
                decided: Decided::new(by, "earlier"),
            }),
            took_over: None,
        }
    }

    /// (primary, canary, rule) as `order` decides them.
    fn decide(h: &Hint, a: Backend, b: Backend) -> (String, String, Option<CanaryBy>) {
        let (p, c, d) = order("vs/shop", "http[0]", h, a, b).unwrap();
        (
            p.label().to_string(),
            c.label().to_string(),
            d.map(|d| d.by),
        )
    }

    fn owned(p: &str, c: &str, by: Option<CanaryBy>) -> (String, String, Option<CanaryBy>) {
        (p.to_string(), c.to_string(), by)
    }

    #[test]
    fn the_canary_is_told_by_annotation_then_names_then_versions() {
        let none = Hint::default();
        let sub = |s: &str| backend("shop", Some(s), 50);
        let svc = |s: &str| backend(s, None, 50);
        assert_eq!(
            decide(&none, sub("canary"), sub("stable")),
            owned("stable", "canary", Some(CanaryBy::Name))
        );
        assert_eq!(
            decide(&none, svc("shop-primary"), svc("shop")),
            owned("shop-primary", "shop", Some(CanaryBy::Name))
        );
        assert_eq!(
            decide(&none, sub("v2"), sub("v1")),
            owned("v1", "v2", Some(CanaryBy::Version))
        );
        assert_eq!(
            decide(&none, svc("reviews-v10"), svc("reviews-v2")),
            owned("reviews-v2", "reviews-v10", Some(CanaryBy::Version))
        );
        // the annotation comes first, even against the names
        assert_eq!(
            decide(&hint(Some("stable"), None), sub("stable"), sub("canary")),
            owned("canary", "stable", Some(CanaryBy::Annotation))
        );
        // names that say nothing stay as written, undecided, unless an earlier read decided
        assert_eq!(
            decide(&none, sub("blue"), sub("green")),
            owned("blue", "green", None)
        );
        assert_eq!(
            decide(
                &hint(None, Some(("blue", CanaryBy::Newer))),
                sub("blue"),
                sub("green")
            ),
            owned("green", "blue", Some(CanaryBy::Newer))
        );
        // the names win over a kept decision
        assert_eq!(
            decide(
                &hint(None, Some(("v1", CanaryBy::Newer))),
                sub("v1"),
                sub("v2")
            ),
            owned("v1", "v2", Some(CanaryBy::Version))
        );
        assert!(order(
            "vs/shop",
            "http[0]",
            &hint(Some("v9"), None),
            sub("v1"),
            sub("v2")
        )
        .is_err());
    }

    #[test]
    fn a_take_over_makes_the_new_version_the_primary() {
        let sub = |s: &str| backend("reviews", Some(s), 50);
        let took = |t: &str| Hint {
            took_over: Some(t.to_string()),
            ..Hint::default()
        };
        assert_eq!(
            decide(&took("v2"), sub("v1"), sub("v2")),
            owned("v2", "v1", Some(CanaryBy::Version))
        );
        assert_eq!(
            decide(&took("v2"), sub("v2"), sub("v1")),
            owned("v2", "v1", Some(CanaryBy::Version))
        );
        let (_, _, d) = order("vs/reviews", "http[0]", &took("v2"), sub("v1"), sub("v2")).unwrap();
        assert_eq!(
            d.map(|d| d.why).as_deref(),
            Some("the take-over (v2 took over from v1: annotation canary-cockpit.io/took-over)")
        );
        // a take-over of an older release (it names neither backend): the versions decide
        assert_eq!(
            decide(&took("v1"), sub("v2"), sub("v3")),
            owned("v2", "v3", Some(CanaryBy::Version))
        );
        // the operator's annotation comes first
        let both = Hint {
            annotation: Some("v2".to_string()),
            ..took("v2")
        };
        assert_eq!(
            decide(&both, sub("v1"), sub("v2")),
            owned("v1", "v2", Some(CanaryBy::Annotation))
        );
    }

    #[test]
    fn weights_in_percent_and_the_patch_sums_to_100() {
        let split = Split {
            route: "spec.http[0]".to_string(),
            primary: backend("a", None, 3),
            canary: backend("b", None, 1),
            resource_version: "42".to_string(),
            testers: Testers::default(),
            decided: None,
            extra: Vec::new(),
        };
        assert_eq!(split.percent().unwrap().percent(), 25);
        assert_eq!(
            Split::field("/spec/http/0/route/1/weight"),
            "spec.http[0].route[1].weight"
        );
        let patch = split.weight_patch(Weight::clamped(35));
        assert_eq!(patch[0]["value"], "42");
        assert_eq!(
            (patch[1]["value"].as_u64(), patch[2]["value"].as_u64()),
            (Some(65), Some(35))
        );
        assert_eq!(patch[2]["path"], "/w/b");
        let zero = Split {
            primary: backend("a", None, 0),
            canary: backend("b", None, 0),
            ..split
        };
        assert!(zero.percent().is_err());
    }
}

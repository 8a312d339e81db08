//! The object that holds a two-backend split, as the provider layer reads and writes it: its
//! kind and parser ([`TwoBackends`]), the route read from it, and its weight and pause writes.

use crate::cluster::dynamic::Resource;
use crate::cluster::{Cluster, ClusterError};
use crate::model::{Kind, Weight};
use kube::api::DynamicObject;

use super::{undecided, Hint, Split, SplitError, CANARY_BACKEND};
use crate::provider::common::infer::Kept;
use crate::provider::common::route::{
    outcome_value, paused_value, Ended, Malformed, ObjectWrite, Route, OUTCOME, PAUSED,
};
use crate::provider::common::takeover;
use crate::provider::Watched;

/// A two-backend route as read (Istio, Gateway API, Traefik, Contour): the object's kind and
/// API version, and its split.
#[derive(Clone, Debug, PartialEq)]
pub struct Routing {
    pub kind: Kind,
    pub version: &'static str,
    pub split: Split,
    /// The object's `spec` as read: testers' routes are written from it.
    pub spec: serde_json::Value,
}

/// A two-backend object's parser: its name, namespace, resourceVersion, the canary hint and its
/// `spec` in; the split and the rules that bypass the weight out.
pub type Parser =
    fn(&str, &str, &str, &Hint, &serde_json::Value) -> Result<(Split, Vec<String>), SplitError>;

/// A kind of object that holds a two-backend split: how the provider layer reads it.
pub struct TwoBackends {
    pub kind: Kind,
    pub resource: Resource,
    pub parse: Parser,
    /// What the system adds to the route it read (Gateway API: its testers' routes).
    pub finish: fn(Route) -> Route,
}

impl TwoBackends {
    /// The release's route from its object (an Istio VirtualService, a Gateway API HTTPRoute, a
    /// TraefikService), as the cluster served it at `version`; `kept` is the canary as decided
    /// by an earlier read. A route whose canary no rule decides has no `canary_by`.
    pub fn route(
        &self,
        version: &'static str,
        namespace: &str,
        obj: &DynamicObject,
        kept: Option<&Kept>,
    ) -> Result<Route, ClusterError> {
        let name = obj.metadata.name.clone().unwrap_or_default();
        let rv = obj.metadata.resource_version.clone().unwrap_or_default();
        let annotations = crate::provider::common::route::annotations(&obj.metadata);
        let hint = Hint {
            annotation: annotations.get(CANARY_BACKEND).cloned(),
            kept: kept.cloned(),
            took_over: annotations.get(takeover::TOOK_OVER).cloned(),
        };
        let spec = obj.data.get("spec").cloned().unwrap_or_default();
        let (split, bypass) = (self.parse)(&name, namespace, &rv, &hint, &spec)?;
        let routing = crate::provider::Routing::Split(Routing {
            kind: self.kind,
            version,
            split: split.clone(),
            spec,
        });
        route(self.kind, routing, obj, &split, bypass).map(self.finish)
    }

    /// The object `name` as it is now, and its route.
    pub async fn read(
        &self,
        cluster: &Cluster,
        name: &str,
        kept: Option<&Kept>,
    ) -> Result<Route, ClusterError> {
        let (obj, version) = crate::cluster::dynamic::get(cluster, self.resource, name).await?;
        self.route(version, &cluster.namespace, &obj, kept)
    }

    /// The route rebuilt after a change, keeping the canary of `seen`: an error when no rule
    /// decides it any more (the backends were renamed).
    pub fn rebuilt(
        &self,
        version: &'static str,
        namespace: &str,
        obj: &DynamicObject,
        seen: &Route,
    ) -> Result<Route, ClusterError> {
        let route = self.route(version, namespace, obj, seen.kept().as_ref())?;
        match &route.canary_by {
            Some(_) => Ok(route),
            None => {
                Err(undecided(&route, "the backends changed since the canary was decided").into())
            }
        }
    }
}

/// The route of a release whose object holds a two-backend split.
fn route(
    kind: Kind,
    routing: crate::provider::Routing,
    obj: &DynamicObject,
    split: &Split,
    bypass: Vec<String>,
) -> Result<Route, ClusterError> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let object = format!("{}/{name}", kind.prefix());
    // both weights 0: the release stays readable for the way back (a rollback writes 100 and 0)
    let (weight, malformed) = match split.percent() {
        Ok(w) => (w, None),
        Err(_) => (
            Weight::ZERO,
            Some(Malformed {
                object: object.clone(),
                field: format!("the split of {}", split.route),
                value: "0 and 0".to_string(),
                expected: "a weight above 0".to_string(),
                rollback: Some("100 (primary) and 0 (canary)".to_string()),
            }),
        ),
    };
    let names = [
        split.primary.label().to_string(),
        split.canary.label().to_string(),
    ];
    let unreadable = unreadable(&object, split);
    let mut route = Route::plain(routing, object, name, names, weight, &obj.metadata);
    route.bypass = bypass;
    route.rules = split.testers.rules.clone();
    route.decided(split.decided.clone());
    route.malformed.extend(unreadable);
    route.malformed.extend(malformed);
    Ok(route)
}

/// The fields of the split a rollback sets right: weights below 0, and backends beyond the two.
fn unreadable(object: &str, split: &Split) -> Vec<Malformed> {
    let sides = [(&split.primary, "100"), (&split.canary, "0")];
    let mut out: Vec<Malformed> = sides
        .iter()
        .filter_map(|(b, back)| {
            Some(Malformed {
                object: object.to_string(),
                field: Split::field(&b.weight_path),
                value: b.unreadable.clone()?,
                expected: "a weight of 0 or more".to_string(),
                rollback: Some(back.to_string()),
            })
        })
        .collect();
    out.extend(split.extra.iter().map(|b| Malformed {
        object: object.to_string(),
        field: Split::field(&b.weight_path),
        value: b.unreadable.clone().unwrap_or_else(|| b.weight.to_string()),
        expected: format!(
            "part of a split of two (a third backend, {}, beside {} and {})",
            b.label(),
            split.primary.label(),
            split.canary.label()
        ),
        rollback: Some("0".to_string()),
    }));
    out
}

/// The object by name.
pub fn watched(resource: Resource, r: &Routing, name: &str) -> Watched {
    Watched {
        resource,
        version: r.version,
        name: Some(name.to_string()),
    }
}

/// JSON pointer escaping of one path segment.
fn pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The conditional JSON patch of both weights, with the outcome annotation when the weight ends
/// the release (or clears it when a new one starts). Weights that could not be read are
/// replaced by a rollback's alone.
pub fn weight_writes(
    seen: &Route,
    r: &Routing,
    resource: Resource,
    weight: Weight,
    ended: Option<Ended>,
) -> Result<Vec<ObjectWrite>, ClusterError> {
    if let (Some(m), true) = (seen.malformed.first(), weight > Weight::ZERO) {
        return Err(ClusterError::Refused(
            m.refusal(&format!("set weight {weight} %")),
        ));
    }
    let mut ops = r.split.weight_patch(weight);
    if let (Some(list), Some(v)) = (ops.as_array_mut(), outcome_value(seen, weight, ended)) {
        match (&v, seen.annotations.is_empty()) {
            (serde_json::Value::Null, _) => list.push(serde_json::json!(
                {"op": "remove", "path": format!("/metadata/annotations/{}", pointer(OUTCOME))}
            )),
            (_, true) => list.push(serde_json::json!(
                {"op": "add", "path": "/metadata/annotations", "value": {OUTCOME: v}}
            )),
            (_, false) => list.push(serde_json::json!(
                {"op": "add", "path": format!("/metadata/annotations/{}", pointer(OUTCOME)), "value": v}
            )),
        }
    }
    Ok(vec![ObjectWrite::json(
        resource, r.version, &seen.name, ops,
    )])
}

/// The pause annotation, conditional on the version read.
pub fn pause_writes(
    seen: &Route,
    r: &Routing,
    resource: Resource,
    paused: bool,
) -> Vec<ObjectWrite> {
    let patch = serde_json::json!({"metadata": {
        "resourceVersion": r.split.resource_version,
        "annotations": {PAUSED: paused_value(paused)}}});
    vec![ObjectWrite::merge(resource, r.version, &seen.name, patch)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::two_backends::{Backend, Testers};

    fn backend(service: &str, subset: Option<&str>, weight: u64) -> Backend {
        Backend {
            service: service.to_string(),
            subset: subset.map(str::to_string),
            weight_path: format!("/w/{service}"),
            weight,
            unreadable: None,
        }
    }

    #[test]
    fn both_weights_0_leave_only_the_way_back() {
        let split = Split {
            route: "spec.http[0]".to_string(),
            primary: backend("a", None, 0),
            canary: backend("b", None, 0),
            resource_version: "42".to_string(),
            testers: Testers::default(),
            decided: None,
            extra: Vec::new(),
        };
        let obj: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "X", "metadata": {"name": "shop", "resourceVersion": "42"}
        }))
        .unwrap();
        let r = Routing {
            kind: Kind::VirtualService,
            version: "v1",
            split: split.clone(),
            spec: serde_json::Value::Null,
        };
        let seen = route(
            Kind::VirtualService,
            crate::provider::Routing::Split(r.clone()),
            &obj,
            &split,
            Vec::new(),
        )
        .unwrap();
        assert_eq!(seen.malformed.len(), 1);
        assert_eq!(
            seen.malformed[0].after_rollback(),
            "the split of spec.http[0] was '0 and 0'; set to 100 (primary) and 0 (canary)"
        );
        let res = crate::cluster::dynamic::Resource {
            group: "g",
            kind: "X",
            plural: "xs",
            versions: &["v1"],
        };
        let back = weight_writes(&seen, &r, res, Weight::ZERO, Some(Ended::RolledBack)).unwrap();
        let crate::provider::PatchBody::Json(ops) = &back[0].patch else {
            panic!("a JSON patch")
        };
        assert_eq!(
            (ops[1]["value"].as_u64(), ops[2]["value"].as_u64()),
            (Some(100), Some(0))
        );
        let err = weight_writes(&seen, &r, res, Weight::clamped(30), None).unwrap_err();
        assert!(
            err.to_string().contains("is refused until it is set right"),
            "{err}"
        );
        assert!(seen.refuse_malformed(crate::app::Action::Promote).is_err());
        assert!(seen.refuse_malformed(crate::app::Action::Pause).is_ok());
    }
}

//! A route with two weighted backends, the shape Istio VirtualServices and Gateway API HTTPRoutes
//! share: which backend is the canary, the weights as written, and the conditional JSON patch that
//! changes them.

use crate::cluster::dynamic::Resource;
use crate::cluster::{Cluster, ClusterError};
use crate::model::{Kind, Weight};
use kube::api::DynamicObject;

use super::route::{outcome_value, paused_value, Ended, ObjectWrite, Route, OUTCOME, PAUSED};
use super::Watched;

/// An annotation on the route that names the canary's backend (an Istio subset or host, a Gateway
/// API backendRef name) when the names do not tell (`-canary`, subset `canary`).
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
    /// The weight as written (Istio: missing is 0; Gateway API: missing is 1).
    pub weight: u32,
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
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SplitError {
    #[error("{object} has no route with two weighted backends{hint}")]
    NoSplit { object: String, hint: String },
    #[error(
        "{object}: cannot tell which backend of {route} is the canary ({a} or {b}): name it \
         with the annotation {CANARY_BACKEND}"
    )]
    WhichCanary {
        object: String,
        route: String,
        a: String,
        b: String,
    },
    #[error("{object}: {what}")]
    Malformed { object: String, what: String },
}

/// True when `name` says canary: `canary`, `x-canary`, `canary-x` (a subset, a host, a Service).
fn says_canary(name: &str) -> bool {
    let first = name.split('.').next().unwrap_or_default();
    first == "canary" || first.ends_with("-canary") || first.starts_with("canary-")
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

/// A reference to a Service as a Gateway API backendRef or a Traefik weighted service writes it.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ServiceRef {
    pub name: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub weight: Option<i64>,
}

impl ServiceRef {
    /// The backend this reference is: at `at` in `object` (for messages), its weight at the JSON
    /// pointer `pointer`, an unset weight weighing 1. Refused unless it is a Service of
    /// `namespace`: the cockpit reads pods through the Services of the release's namespace.
    pub fn backend(
        &self,
        object: &str,
        at: &str,
        pointer: String,
        namespace: &str,
    ) -> Result<Backend, SplitError> {
        let malformed = |what: String| SplitError::Malformed {
            object: object.to_string(),
            what,
        };
        let group = self.group.as_deref().unwrap_or_default();
        let kind = self.kind.as_deref().unwrap_or("Service");
        if !group.is_empty() || kind != "Service" {
            return Err(malformed(format!(
                "{at} is not a Service ({group}/{kind}): the cockpit reads pods through Services"
            )));
        }
        if let Some(ns) = self.namespace.as_deref().filter(|ns| *ns != namespace) {
            return Err(malformed(format!(
                "{at} is in namespace {ns}: the cockpit reads pods of the release's own namespace only"
            )));
        }
        let weight = u32::try_from(self.weight.unwrap_or(1))
            .map_err(|_| malformed(format!("{at}.weight is negative or too large")))?;
        Ok(Backend {
            service: self.name.clone(),
            subset: None,
            weight_path: pointer,
            weight,
        })
    }
}

/// Orders the two backends as (primary, canary): by the annotation when set, else by the names.
pub fn order(
    object: &str,
    route: &str,
    hint: Option<&str>,
    a: Backend,
    b: Backend,
) -> Result<(Backend, Backend), SplitError> {
    let named = |x: &Backend, h: &str| x.label() == h || x.service == h;
    if let Some(h) = hint {
        return match (named(&a, h), named(&b, h)) {
            (true, false) => Ok((b, a)),
            (false, true) => Ok((a, b)),
            _ => Err(SplitError::Malformed {
                object: object.to_string(),
                what: format!(
                    "annotation {CANARY_BACKEND} is {h:?}, which names neither backend of {route} ({} or {})",
                    a.label(),
                    b.label()
                ),
            }),
        };
    }
    match (says_canary(a.label()), says_canary(b.label())) {
        (true, false) => Ok((b, a)),
        (false, true) => Ok((a, b)),
        _ => Err(SplitError::WhichCanary {
            object: object.to_string(),
            route: route.to_string(),
            a: a.label().to_string(),
            b: b.label().to_string(),
        }),
    }
}

impl Split {
    /// The split of two backends at `route` of `object`, ordered by [`order`].
    pub fn of(
        object: &str,
        route: String,
        hint: Option<&str>,
        (a, b): (Backend, Backend),
        resource_version: &str,
    ) -> Result<Split, SplitError> {
        let (primary, canary) = order(object, &route, hint, a, b)?;
        Ok(Split {
            route,
            primary,
            canary,
            resource_version: resource_version.to_string(),
        })
    }

    /// The canary's share in percent, to the nearest whole percent.
    pub fn percent(&self) -> Result<Weight, String> {
        let total = u64::from(self.primary.weight) + u64::from(self.canary.weight);
        if total == 0 {
            return Err(format!(
                "both weights of {} are 0: the route sends its requests nowhere",
                self.route
            ));
        }
        let pct = (u64::from(self.canary.weight) * 100 + total / 2) / total;
        Ok(Weight::clamped(pct.min(100) as u8))
    }

    /// A JSON patch that gives the canary `weight` percent and the primary the rest, conditional
    /// on the resourceVersion that was read (the API server answers 409 when the object changed)
    /// and on the backends still being where they were.
    pub fn weight_patch(&self, weight: Weight) -> serde_json::Value {
        let canary = u32::from(weight.percent());
        serde_json::json!([
            {"op": "replace", "path": "/metadata/resourceVersion", "value": self.resource_version},
            {"op": "add", "path": self.primary.weight_path, "value": 100 - canary},
            {"op": "add", "path": self.canary.weight_path, "value": canary},
        ])
    }
}

/// A two-backend route as read (Istio, Gateway API): the object's API version and its split.
#[derive(Clone, Debug, PartialEq)]
pub struct Routing {
    pub version: &'static str,
    pub split: Split,
    /// The object's `spec` as read: testers' routes are written from it.
    pub spec: serde_json::Value,
}

/// A two-backend object's parser: its name, namespace, resourceVersion, the canary hint and its
/// `spec` in; the split and the rules that bypass the weight out.
pub type Parser = fn(
    &str,
    &str,
    &str,
    Option<&str>,
    &serde_json::Value,
) -> Result<(Split, Vec<String>), SplitError>;

/// A kind of object that holds a two-backend split: how the provider layer reads it.
pub struct TwoBackends {
    pub kind: Kind,
    pub resource: Resource,
    /// How the provider holds the split it read.
    pub variant: fn(Routing) -> super::Routing,
    pub parse: Parser,
}

impl TwoBackends {
    /// The release's route from its object (an Istio VirtualService, a Gateway API HTTPRoute, a
    /// TraefikService), as the cluster served it at `version`.
    pub fn route(
        &self,
        version: &'static str,
        namespace: &str,
        obj: &DynamicObject,
    ) -> Result<Route, ClusterError> {
        let name = obj.metadata.name.clone().unwrap_or_default();
        let rv = obj.metadata.resource_version.clone().unwrap_or_default();
        let hint = super::route::annotations(&obj.metadata)
            .get(CANARY_BACKEND)
            .cloned();
        let spec = obj.data.get("spec").cloned().unwrap_or_default();
        let (split, bypass) = (self.parse)(&name, namespace, &rv, hint.as_deref(), &spec)?;
        let routing = (self.variant)(Routing {
            version,
            split: split.clone(),
            spec,
        });
        route(self.kind, routing, obj, &split, bypass)
    }

    /// The object `name` as it is now, and its route.
    pub async fn read(&self, cluster: &Cluster, name: &str) -> Result<Route, ClusterError> {
        let (obj, version) = crate::cluster::dynamic::get(cluster, self.resource, name).await?;
        self.route(version, &cluster.namespace, &obj)
    }
}

/// The route of a release whose object holds a two-backend split.
fn route(
    kind: Kind,
    routing: super::Routing,
    obj: &DynamicObject,
    split: &Split,
    bypass: Vec<String>,
) -> Result<Route, ClusterError> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let object = format!("{}/{name}", kind.prefix());
    let weight = split.percent().map_err(|what| SplitError::Malformed {
        object: object.clone(),
        what,
    })?;
    let names = [
        split.primary.label().to_string(),
        split.canary.label().to_string(),
    ];
    let mut route = Route::plain(routing, object, name, names, weight, &obj.metadata);
    route.bypass = bypass;
    Ok(route)
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
/// the release (or clears it when a new one starts).
pub fn weight_writes(
    seen: &Route,
    r: &Routing,
    resource: Resource,
    weight: Weight,
    ended: Option<Ended>,
) -> Vec<ObjectWrite> {
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
    vec![ObjectWrite::json(resource, r.version, &seen.name, ops)]
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

impl From<SplitError> for ClusterError {
    fn from(e: SplitError) -> Self {
        ClusterError::Object(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(service: &str, subset: Option<&str>, weight: u32) -> Backend {
        Backend {
            service: service.to_string(),
            subset: subset.map(str::to_string),
            weight_path: format!("/w/{service}"),
            weight,
        }
    }

    #[test]
    fn the_canary_is_told_by_name_or_by_annotation() {
        let (p, c) = order(
            "vs/shop",
            "http[0]",
            None,
            backend("shop", Some("canary"), 10),
            backend("shop", Some("stable"), 90),
        )
        .unwrap();
        assert_eq!((p.label(), c.label()), ("stable", "canary"));
        let (p, c) = order(
            "r",
            "rules[0]",
            None,
            backend("shop-primary", None, 1),
            backend("shop-canary", None, 1),
        )
        .unwrap();
        assert_eq!((p.label(), c.label()), ("shop-primary", "shop-canary"));
        let err = order(
            "vs/shop",
            "http[0]",
            None,
            backend("shop", Some("v1"), 90),
            backend("shop", Some("v2"), 10),
        )
        .unwrap_err();
        assert!(err.to_string().contains(CANARY_BACKEND), "{err}");
        let (p, c) = order(
            "vs/shop",
            "http[0]",
            Some("v2"),
            backend("shop", Some("v1"), 90),
            backend("shop", Some("v2"), 10),
        )
        .unwrap();
        assert_eq!((p.label(), c.label()), ("v1", "v2"));
        assert!(order(
            "vs/shop",
            "http[0]",
            Some("v9"),
            backend("shop", Some("v1"), 90),
            backend("shop", Some("v2"), 10),
        )
        .is_err());
    }

    #[test]
    fn weights_in_percent_and_the_patch_sums_to_100() {
        let split = Split {
            route: "spec.http[0]".to_string(),
            primary: backend("a", None, 3),
            canary: backend("b", None, 1),
            resource_version: "42".to_string(),
        };
        assert_eq!(split.percent().unwrap().percent(), 25);
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

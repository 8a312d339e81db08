//! ingress-nginx canaries: a primary Ingress and a canary Ingress (annotation
//! `nginx.ingress.kubernetes.io/canary: "true"`) for the same host and path. The canary takes
//! `canary-weight` out of `canary-weight-total` (default 100) of the requests; requests matched by
//! `canary-by-header`/`canary-by-cookie` go to the canary whatever the weight (read and written
//! as testers' routes in [`crate::provider::nginx::routes`]).

use crate::cluster::dynamic::{self, Resource};
use crate::cluster::{Cluster, ClusterError};
use crate::metrics::templates;
use crate::model::Weight;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::DynamicObject;
use std::collections::BTreeSet;

use crate::provider::common::route::{
    outcome_value, paused_value, Ended, Malformed, ObjectWrite, Route, OUTCOME, PAUSED,
};
use crate::provider::{MetricsHints, Watched};

mod discover;
pub mod routes;
mod system;

pub use discover::discover;

pub use system::Nginx;

/// Ingresses, read and watched like the custom objects of the other providers.
pub const INGRESS: Resource = Resource {
    group: "networking.k8s.io",
    kind: "Ingress",
    plural: "ingresses",
    versions: &["v1"],
};

const PREFIX: &str = "nginx.ingress.kubernetes.io/";
pub const CANARY: &str = "nginx.ingress.kubernetes.io/canary";
pub const WEIGHT: &str = "nginx.ingress.kubernetes.io/canary-weight";
pub const WEIGHT_TOTAL: &str = "nginx.ingress.kubernetes.io/canary-weight-total";
/// Routing rules that send matching requests to the canary whatever the weight.
const BYPASS: [&str; 4] = [
    "canary-by-header",
    "canary-by-header-value",
    "canary-by-header-pattern",
    "canary-by-cookie",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NginxError {
    #[error("ingress/{0} not found in the namespace")]
    NotFound(String),
    #[error(
        "ingress/{0} has no canary Ingress: none with the annotation {CANARY}: \"true\" serves the same host and path"
    )]
    NoCanary(String),
    #[error("canary ingress/{0} has no primary Ingress: none without the canary annotation serves the same host and path")]
    NoPrimary(String),
    #[error("ingress/{name} matches several {what} Ingresses ({}): name one of them", .candidates.join(", "))]
    Ambiguous {
        name: String,
        what: &'static str,
        candidates: Vec<String>,
    },
    #[error(
        "ingress/{0} routes to no Service (no rule with a service backend, no defaultBackend)"
    )]
    NoBackend(String),
}

/// The two Ingresses of one release.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub primary: Ingress,
    pub canary: Ingress,
}

/// The canary's share as written in its annotations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CanaryWeight {
    pub weight: u32,
    pub total: u32,
}

impl CanaryWeight {
    /// The share in percent, to the nearest whole percent.
    pub fn percent(self) -> Weight {
        let pct =
            (u64::from(self.weight) * 100 + u64::from(self.total) / 2) / u64::from(self.total);
        Weight::clamped(pct.min(100) as u8)
    }

    /// The annotation value that gives `weight` percent with this total.
    pub fn value_for(self, weight: Weight) -> u32 {
        let total = u64::from(self.total);
        ((u64::from(weight.percent()) * total + 50) / 100) as u32
    }
}

pub fn name(ing: &Ingress) -> &str {
    ing.metadata.name.as_deref().unwrap_or_default()
}

fn annotation<'a>(ing: &'a Ingress, key: &str) -> Option<&'a str> {
    ing.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map(String::as_str)
}

pub fn is_canary(ing: &Ingress) -> bool {
    annotation(ing, CANARY).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The (host, path) pairs an Ingress serves.
fn routes(ing: &Ingress) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let Some(spec) = &ing.spec else { return out };
    for rule in spec.rules.iter().flatten() {
        let host = rule.host.clone().unwrap_or_default();
        for path in rule.http.iter().flat_map(|h| &h.paths) {
            out.insert((
                host.clone(),
                path.path.clone().unwrap_or_else(|| "/".into()),
            ));
        }
    }
    out
}

/// Finds the release that `name` (either of its Ingresses) belongs to.
pub fn find_pair(ingresses: &[Ingress], name_: &str) -> Result<Pair, NginxError> {
    let named = ingresses
        .iter()
        .find(|i| name(i) == name_)
        .ok_or_else(|| NginxError::NotFound(name_.to_string()))?;
    let served = routes(named);
    let partners: Vec<&Ingress> = ingresses
        .iter()
        .filter(|i| name(i) != name_ && is_canary(i) != is_canary(named))
        .filter(|i| !routes(i).is_disjoint(&served))
        .collect();
    let what = if is_canary(named) {
        "primary"
    } else {
        "canary"
    };
    let partner = match partners.as_slice() {
        [one] => (*one).clone(),
        [] if is_canary(named) => return Err(NginxError::NoPrimary(name_.to_string())),
        [] => return Err(NginxError::NoCanary(name_.to_string())),
        many => {
            return Err(NginxError::Ambiguous {
                name: name_.to_string(),
                what,
                candidates: many.iter().map(|i| name(i).to_string()).collect(),
            })
        }
    };
    Ok(if is_canary(named) {
        Pair {
            primary: partner,
            canary: named.clone(),
        }
    } else {
        Pair {
            primary: named.clone(),
            canary: partner,
        }
    })
}

/// A weight annotation that is not what it should be.
fn malformed(ing: &Ingress, key: &str, value: &str, expected: &str) -> Malformed {
    Malformed {
        object: format!("ingress/{}", name(ing)),
        field: key.strip_prefix(PREFIX).unwrap_or(key).to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
        // weight 0 is 0 of any total: a rollback writes the weight alone
        rollback: (key == WEIGHT).then(|| "0".to_string()),
    }
}

fn number(ing: &Ingress, key: &'static str, default: u32) -> Result<u32, Malformed> {
    match annotation(ing, key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| malformed(ing, key, v, "a whole number")),
    }
}

/// The canary's weight and total; a missing weight is 0, a missing total 100.
pub fn canary_weight(canary: &Ingress) -> Result<CanaryWeight, Malformed> {
    let total = number(canary, WEIGHT_TOTAL, 100)?;
    if total == 0 {
        return Err(malformed(canary, WEIGHT_TOTAL, "0", "a total above 0"));
    }
    let weight = number(canary, WEIGHT, 0)?;
    if weight > total {
        let expected = format!("at most canary-weight-total ({total})");
        return Err(malformed(canary, WEIGHT, &weight.to_string(), &expected));
    }
    Ok(CanaryWeight { weight, total })
}

/// `canary-by-header=X-Canary`, …: the rules that bypass the weight, as set.
pub fn bypass_rules(canary: &Ingress) -> Vec<String> {
    BYPASS
        .iter()
        .filter_map(|key| {
            annotation(canary, &format!("{PREFIX}{key}")).map(|v| format!("{key}={v}"))
        })
        .collect()
}

/// The Service an Ingress sends its traffic to.
pub fn backend_service(ing: &Ingress) -> Result<String, NginxError> {
    let spec = ing.spec.as_ref();
    let from_rules = spec
        .into_iter()
        .flat_map(|s| s.rules.iter().flatten())
        .flat_map(|r| r.http.iter().flat_map(|h| &h.paths))
        .find_map(|p| p.backend.service.as_ref().map(|s| s.name.clone()));
    from_rules
        .or_else(|| {
            spec.and_then(|s| s.default_backend.as_ref())
                .and_then(|b| b.service.as_ref())
                .map(|s| s.name.clone())
        })
        .ok_or_else(|| NginxError::NoBackend(name(ing).to_string()))
}

/// A merge patch that sets the canary's weight, conditional on the version the operator saw: the
/// API server answers 409 Conflict when the Ingress changed since.
pub fn weight_patch(canary: &Ingress, value: u32) -> serde_json::Value {
    serde_json::json!({
        "metadata": {
            "resourceVersion": canary.metadata.resource_version,
            "annotations": { WEIGHT: value.to_string() }
        }
    })
}

impl From<NginxError> for ClusterError {
    fn from(e: NginxError) -> Self {
        ClusterError::Object(Box::new(e))
    }
}

/// The two Ingresses and the canary's weight annotations, as read; `None` when they could not
/// be read (the route says why in `malformed`).
#[derive(Clone, Debug, PartialEq)]
pub struct Routing {
    pub pair: Pair,
    pub weight: Option<CanaryWeight>,
}

/// The release's route from the namespace's Ingresses; `name` is either of its Ingresses.
pub fn route(ingresses: &[Ingress], name_: &str) -> Result<Route, ClusterError> {
    let pair = find_pair(ingresses, name_)?;
    // a weight that cannot be read keeps the release readable for the way back
    let (weight, malformed) = match canary_weight(&pair.canary) {
        Ok(w) => (Some(w), None),
        Err(m) => (None, Some(m)),
    };
    let names = [
        backend_service(&pair.primary)?,
        backend_service(&pair.canary)?,
    ];
    let object = format!("ingress/{}", name(&pair.canary));
    let release = name(&pair.primary).to_string();
    let canary_meta = pair.canary.metadata.clone();
    let bypass = bypass_rules(&pair.canary);
    let rules = crate::provider::nginx::routes::rules(&pair.canary);
    let routing = crate::provider::Routing::Nginx(Routing { pair, weight });
    let mut route = Route::plain(
        routing,
        object,
        release,
        names,
        weight.map_or(Weight::ZERO, CanaryWeight::percent),
        &canary_meta,
    );
    route.bypass = bypass;
    route.rules = rules;
    route.malformed.extend(malformed);
    Ok(route)
}

pub(super) fn ingresses(objects: &[DynamicObject]) -> Result<Vec<Ingress>, ClusterError> {
    objects
        .iter()
        .map(|o| {
            dynamic::typed(o).map_err(|message| ClusterError::Api {
                verb: "read",
                resource: "ingresses",
                namespace: o.metadata.namespace.clone().unwrap_or_default(),
                message,
            })
        })
        .collect()
}

pub async fn read(cluster: &Cluster, name: &str) -> Result<Route, ClusterError> {
    let list = dynamic::list(cluster, INGRESS, INGRESS.versions[0]).await?;
    route(&ingresses(&list)?, name)
}

/// The namespace's Ingresses: the canary's partner may change.
pub fn watches() -> Vec<Watched> {
    vec![Watched {
        resource: INGRESS,
        version: INGRESS.versions[0],
        name: None,
    }]
}

pub fn rebuild(objects: &[DynamicObject], name: &str) -> Option<Result<Route, ClusterError>> {
    if objects.is_empty() {
        return None;
    }
    Some(ingresses(objects).and_then(|list| route(&list, name)))
}

/// The route with the canary Ingress as a write stored it.
pub fn stored(r: &Routing, obj: &DynamicObject) -> Result<Route, ClusterError> {
    let mut list = ingresses(std::slice::from_ref(obj))?;
    list.insert(0, r.pair.primary.clone());
    route(&list, name(&r.pair.primary))
}

/// The canary Ingress's weight annotation (in its own total), with the outcome annotation. A
/// weight of 0 is written whatever the annotations held; another only in a total that was read.
pub fn weight_writes(
    seen: &Route,
    r: &Routing,
    weight: Weight,
    ended: Option<Ended>,
) -> Result<Vec<ObjectWrite>, ClusterError> {
    let value = match (r.weight, seen.malformed.first()) {
        _ if weight == Weight::ZERO => 0,
        (Some(w), None) => w.value_for(weight),
        (_, Some(m)) => {
            return Err(ClusterError::Refused(
                m.refusal(&format!("set weight {weight} %")),
            ))
        }
        (None, None) => {
            return Err(ClusterError::Refused(format!(
                "{}: the weight annotations were not read: nothing was written",
                seen.object
            )))
        }
    };
    let mut patch = weight_patch(&r.pair.canary, value);
    if let Some(v) = outcome_value(seen, weight, ended) {
        patch["metadata"]["annotations"][OUTCOME] = v;
    }
    Ok(vec![ObjectWrite::merge(
        INGRESS,
        INGRESS.versions[0],
        name(&r.pair.canary),
        patch,
    )])
}

/// The pause annotation on the canary Ingress, conditional on the version read.
pub fn pause_writes(r: &Routing, paused: bool) -> Vec<ObjectWrite> {
    let patch = serde_json::json!({"metadata": {
        "resourceVersion": r.pair.canary.metadata.resource_version,
        "annotations": {PAUSED: paused_value(paused)}}});
    vec![ObjectWrite::merge(
        INGRESS,
        INGRESS.versions[0],
        name(&r.pair.canary),
        patch,
    )]
}

pub fn metrics_hints(r: &Routing) -> MetricsHints {
    MetricsHints {
        template: templates::NGINX,
        ingresses: Ok(format!(
            "{}|{}",
            name(&r.pair.primary),
            name(&r.pair.canary)
        )),
        workloads: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingress(name: &str, host: &str, canary: Option<(&str, Option<&str>)>) -> Ingress {
        let mut annotations = std::collections::BTreeMap::new();
        if let Some((weight, total)) = canary {
            annotations.insert(CANARY.to_string(), "true".to_string());
            annotations.insert(WEIGHT.to_string(), weight.to_string());
            if let Some(t) = total {
                annotations.insert(WEIGHT_TOTAL.to_string(), t.to_string());
            }
        }
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "annotations": annotations, "resourceVersion": "7"},
            "spec": {"rules": [{"host": host, "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": format!("{name}-svc"), "port": {"number": 80}}}}
            ]}}]}
        }))
        .unwrap()
    }

    #[test]
    fn either_ingress_finds_the_pair() {
        let all = vec![
            ingress("shop", "shop.example", None),
            ingress("shop-canary", "shop.example", Some(("20", None))),
            ingress("other", "other.example", None),
        ];
        let p = find_pair(&all, "shop").unwrap();
        assert_eq!((name(&p.primary), name(&p.canary)), ("shop", "shop-canary"));
        assert_eq!(find_pair(&all, "shop-canary").unwrap(), p);
        assert_eq!(
            find_pair(&all, "other"),
            Err(NginxError::NoCanary("other".to_string()))
        );
        assert_eq!(
            find_pair(&all, "nope"),
            Err(NginxError::NotFound("nope".to_string()))
        );
        assert_eq!(backend_service(&p.canary).unwrap(), "shop-canary-svc");
    }

    #[test]
    fn two_canaries_for_one_host_are_ambiguous() {
        let all = vec![
            ingress("shop", "shop.example", None),
            ingress("c1", "shop.example", Some(("20", None))),
            ingress("c2", "shop.example", Some(("10", None))),
        ];
        let err = find_pair(&all, "shop").unwrap_err();
        assert!(err.to_string().contains("c1, c2"), "{err}");
    }

    #[test]
    fn weights_read_with_their_total_and_malformed_values_are_named() {
        let w = canary_weight(&ingress("c", "h", Some(("125", Some("1000"))))).unwrap();
        assert_eq!(
            w,
            CanaryWeight {
                weight: 125,
                total: 1000
            }
        );
        assert_eq!(w.percent().percent(), 13);
        assert_eq!(w.value_for(Weight::clamped(30)), 300);
        let w = canary_weight(&ingress("c", "h", Some(("20", None)))).unwrap();
        assert_eq!(
            (w.percent().percent(), w.value_for(Weight::clamped(35))),
            (20, 35)
        );
        let err = canary_weight(&ingress("c", "h", Some(("abc", None)))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ingress/c: canary-weight is 'abc', not a whole number"
        );
        assert_eq!(err.after_rollback(), "canary-weight was 'abc'; set to 0");
        let err = canary_weight(&ingress("c", "h", Some(("1", Some("x"))))).unwrap_err();
        assert_eq!(
            err.after_rollback(),
            "canary-weight-total is 'x', not a whole number; left as it is"
        );
        assert!(canary_weight(&ingress("c", "h", Some(("120", None)))).is_err());
        assert!(canary_weight(&ingress("c", "h", Some(("1", Some("0"))))).is_err());
    }

    #[test]
    fn the_weight_patch_is_conditional_on_the_seen_version() {
        let c = ingress("c", "h", Some(("20", None)));
        let patch = weight_patch(&c, 35);
        assert_eq!(patch["metadata"]["resourceVersion"], "7");
        assert_eq!(patch["metadata"]["annotations"][WEIGHT], "35");
    }
}

//! Istio: a VirtualService http route with two weighted destinations. The versions are told apart
//! by DestinationRule subsets (whose labels, with the Service's selector, select the pods) or by
//! host names (`shop-primary` / `shop-canary`, each a Service). Setting the weight patches both
//! destinations' weights so that they sum to 100. Testers' routes (header and cookie matches
//! before the weighted route) are read and written by [`routes`], which says how the cockpit's own
//! are marked.

use crate::cluster::dynamic::{self, Resource};
use crate::cluster::selector::{self, Selector};
use crate::cluster::{Cluster, ClusterError};
use crate::model::Kind;
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::model::{Refusal, RouteChange};
use crate::provider::system::Pending;
use crate::provider::two_backends::{
    self as split, Backend, Split, SplitError, Testers, TwoBackendSystem,
};
use crate::provider::{MetricsHints, ObjectWrite, Route};

pub mod routes;

pub const VIRTUAL_SERVICE: Resource = Resource {
    group: "networking.istio.io",
    kind: "VirtualService",
    plural: "virtualservices",
    versions: &["v1", "v1beta1"],
};

pub const DESTINATION_RULE: Resource = Resource {
    group: "networking.istio.io",
    kind: "DestinationRule",
    plural: "destinationrules",
    versions: &["v1", "v1beta1"],
};

#[derive(Debug, Default, Deserialize)]
struct Spec {
    #[serde(default)]
    http: Vec<HttpRoute>,
}

#[derive(Debug, Default, Deserialize)]
struct HttpRoute {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "match")]
    matches: Vec<serde_json::Value>,
    #[serde(default)]
    route: Vec<RouteDestination>,
}

#[derive(Debug, Default, Deserialize)]
struct RouteDestination {
    destination: Destination,
    #[serde(default)]
    weight: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
struct Destination {
    host: String,
    #[serde(default)]
    subset: Option<String>,
}

/// The Service a destination host names, when it is in `namespace` (`shop`, `shop.prod`,
/// `shop.prod.svc.cluster.local`).
fn service_of(object: &str, host: &str, namespace: &str) -> Result<String, SplitError> {
    let mut labels = host.split('.');
    let service = labels.next().unwrap_or_default().to_string();
    match labels.next() {
        None => Ok(service),
        Some(ns) if ns == namespace => Ok(service),
        Some(_) => Err(SplitError::Malformed {
            object: object.to_string(),
            what: format!(
                "destination host {host} is not a Service of namespace {namespace}: the cockpit \
                 reads pods of the release's own namespace only"
            ),
        }),
    }
}

/// The split of a VirtualService (its `spec`, as stored), and the header or URI matches that send
/// requests to the canary whatever the weight.
pub fn split(
    name: &str,
    namespace: &str,
    resource_version: &str,
    hint: &split::Hint,
    spec: &serde_json::Value,
) -> Result<(Split, Vec<String>), SplitError> {
    let object = format!("virtualservice/{name}");
    let raw = spec;
    let spec: Spec = split::spec_of(&object, "a VirtualService", spec)?;
    // a route of two destinations; else one of more, read for the way back only
    let (index, route) = spec
        .http
        .iter()
        .enumerate()
        .find(|(_, r)| r.route.len() == 2)
        .or_else(|| {
            spec.http
                .iter()
                .enumerate()
                .find(|(_, r)| r.route.len() > 2)
        })
        .ok_or_else(|| SplitError::NoSplit {
            object: object.clone(),
            hint: ": no spec.http entry has two route destinations".to_string(),
        })?;
    let backend = |j: usize| -> Result<Backend, SplitError> {
        let d = &route.route[j];
        let (weight, unreadable) = split::weight_of(d.weight, 0);
        Ok(Backend {
            service: service_of(&object, &d.destination.host, namespace)?,
            subset: d.destination.subset.clone(),
            weight_path: format!("/spec/http/{index}/route/{j}/weight"),
            weight,
            unreadable,
        })
    };
    let where_ = match &route.name {
        Some(n) => format!("spec.http[{index}] ({n})"),
        None => format!("spec.http[{index}]"),
    };
    let all = (0..route.route.len())
        .map(backend)
        .collect::<Result<Vec<_>, _>>()?;
    let (primary, canary, decided, extra) = split::pick(&object, &where_, hint, all)?;
    // the canary's place among the route's destinations
    let canary_at = canary
        .weight_path
        .rsplit('/')
        .nth(1)
        .and_then(|j| j.parse::<usize>().ok())
        .unwrap_or(0);
    // earlier routes that match requests and send them to the canary alone bypass the weight
    let bypassing: Vec<&HttpRoute> = spec.http[..index]
        .iter()
        .filter(|r| !r.matches.is_empty() && r.route.len() == 1)
        .filter(|r| {
            let d = &r.route[0].destination;
            service_of(&object, &d.host, namespace).ok().as_deref() == Some(canary.service.as_str())
                && d.subset == canary.subset
        })
        .collect();
    let bypass = bypassing
        .iter()
        .map(|r| {
            let m: Vec<String> = r.matches.iter().map(|m| m.to_string()).collect();
            format!("match {}", m.join(" or "))
        })
        .collect();
    let testers = Testers {
        rules: bypassing
            .iter()
            .flat_map(|r| routes::rules_of(r.name.as_deref(), &r.matches))
            .collect(),
        routes: raw
            .get("http")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default(),
        index,
        canary: canary_at,
    };
    Ok((
        Split {
            route: where_,
            primary,
            canary,
            resource_version: resource_version.to_string(),
            testers,
            decided,
            extra,
        },
        bypass,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct RuleSpec {
    #[serde(default)]
    host: String,
    #[serde(default)]
    subsets: Vec<Subset>,
}

#[derive(Debug, Default, Deserialize)]
struct Subset {
    name: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

/// The labels of `subset` for `service`, from the namespace's DestinationRules (their `spec`s).
pub fn subset_labels(
    rules: &[serde_json::Value],
    service: &str,
    namespace: &str,
    subset: &str,
) -> Result<BTreeMap<String, String>, SplitError> {
    for spec in rules {
        let Ok(rule) = serde_json::from_value::<RuleSpec>(spec.clone()) else {
            continue;
        };
        if service_of("", &rule.host, namespace).ok().as_deref() != Some(service) {
            continue;
        }
        if let Some(s) = rule.subsets.iter().find(|s| s.name == subset) {
            if s.labels.is_empty() {
                break;
            }
            return Ok(s.labels.clone());
        }
    }
    Err(SplitError::Malformed {
        object: format!("subset {subset} of {service}"),
        what: "no DestinationRule of the namespace defines it with labels: the cockpit cannot \
               tell its pods"
            .to_string(),
    })
}

/// How the provider layer reads the object.
pub const OBJECT: split::TwoBackends = split::TwoBackends {
    kind: Kind::VirtualService,
    resource: VIRTUAL_SERVICE,
    parse: split,
    finish: |route| route,
};

/// Istio: a VirtualService route with two weighted destinations, driven by the cockpit.
pub struct Istio;

impl TwoBackendSystem for Istio {
    fn name(&self) -> &'static str {
        "Istio"
    }

    fn shape(&self) -> &'static split::TwoBackends {
        &OBJECT
    }

    fn selectors<'a>(
        &'a self,
        cluster: &'a Cluster,
        _route: &'a Route,
        r: &'a split::Routing,
    ) -> Pending<'a, Result<[Selector; 2], ClusterError>> {
        Box::pin(selectors(cluster, r))
    }

    fn route_writes(
        &self,
        route: &Route,
        r: &split::Routing,
        change: &RouteChange,
    ) -> Result<Vec<ObjectWrite>, ClusterError> {
        routes::route_writes(route, r, change)
    }

    fn metrics_hints(&self, _route: &Route) -> MetricsHints {
        MetricsHints::template(crate::metrics::templates::ISTIO)
    }

    fn refusals(&self, _route: &Route) -> Vec<Refusal> {
        Vec::new()
    }
}

/// Each destination's pods: its Service's selector, narrowed by its subset's labels from the
/// namespace's DestinationRules.
pub async fn selectors(
    cluster: &Cluster,
    r: &split::Routing,
) -> Result<[Selector; 2], ClusterError> {
    let ns = cluster.namespace.as_str();
    let services = selector::services(cluster).await?;
    let split = &r.split;
    let subsets = split.primary.subset.is_some() || split.canary.subset.is_some();
    let rules: Vec<serde_json::Value> = if subsets {
        dynamic::list(cluster, DESTINATION_RULE, r.version)
            .await?
            .into_iter()
            .filter_map(|d| d.data.get("spec").cloned())
            .collect()
    } else {
        Vec::new()
    };
    let mut out = [Selector::default(), Selector::default()];
    for (slot, backend) in out.iter_mut().zip([&split.primary, &split.canary]) {
        let base = selector::of_service(cluster, &services, &backend.service)?;
        *slot = match &backend.subset {
            Some(subset) => base.and(&subset_labels(&rules, &backend.service, ns, subset)?),
            None => base,
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> serde_json::Value {
        json!({"hosts": ["shop"], "http": [
            {"name": "by-header", "match": [{"headers": {"x-canary": {"exact": "yes"}}}],
             "route": [{"destination": {"host": "shop", "subset": "canary"}}]},
            {"name": "split", "route": [
                {"destination": {"host": "shop.prod.svc.cluster.local", "subset": "stable"}, "weight": 80},
                {"destination": {"host": "shop", "subset": "canary"}, "weight": 20}]}
        ]})
    }

    #[test]
    fn the_weighted_route_and_its_header_bypass_are_read() {
        let (split, bypass) = split("shop", "prod", "9", &Default::default(), &spec()).unwrap();
        assert_eq!(split.percent().unwrap().percent(), 20);
        assert_eq!(split.primary.subset.as_deref(), Some("stable"));
        assert_eq!(split.primary.service, "shop");
        assert_eq!(split.canary.weight_path, "/spec/http/1/route/1/weight");
        assert_eq!(bypass.len(), 1);
        assert!(bypass[0].contains("x-canary"), "{bypass:?}");
    }

    #[test]
    fn routes_without_a_split_or_outside_the_namespace_are_refused() {
        let one = json!({"http": [{"route": [{"destination": {"host": "shop"}}]}]});
        let err = split("shop", "prod", "1", &Default::default(), &one).unwrap_err();
        assert!(err.to_string().contains("two route destinations"), "{err}");
        let other_ns = json!({"http": [{"route": [
            {"destination": {"host": "shop.other.svc.cluster.local"}, "weight": 90},
            {"destination": {"host": "shop-canary"}, "weight": 10}]}]});
        let err = split("shop", "prod", "1", &Default::default(), &other_ns).unwrap_err();
        assert!(err.to_string().contains("namespace prod"), "{err}");
        let bad = json!({"http": "nope"});
        assert!(split("shop", "prod", "1", &Default::default(), &bad).is_err());
    }

    #[test]
    fn subsets_come_from_the_destination_rule_of_the_host() {
        let rules = vec![
            json!({"host": "other", "subsets": [{"name": "canary", "labels": {"v": "x"}}]}),
            json!({"host": "shop.prod.svc.cluster.local", "subsets": [
                {"name": "stable", "labels": {"version": "v1"}},
                {"name": "canary", "labels": {"version": "v2"}}]}),
        ];
        let labels = subset_labels(&rules, "shop", "prod", "canary").unwrap();
        assert_eq!(labels.get("version").map(String::as_str), Some("v2"));
        assert!(subset_labels(&rules, "shop", "prod", "blue").is_err());
    }
}

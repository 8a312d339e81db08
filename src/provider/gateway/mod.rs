//! Gateway API: an HTTPRoute rule with two weighted `backendRefs`, each a Service of the route's
//! namespace whose selector picks the version's pods. A backendRef without a weight weighs 1.
//! Rules that send header matches to the canary alone are testers' routes
//! ([`crate::provider::gateway::routes`]).

use crate::cluster::dynamic::Resource;
use crate::cluster::selector::{of_services, Selector};
use crate::cluster::{Cluster, ClusterError};
use crate::model::{Kind, Refusal, RouteChange, RouteRule};
use serde::Deserialize;

use crate::provider::system::Pending;
use crate::provider::two_backends::{
    self, self as split, ServiceRef, Split, SplitError, TwoBackendSystem,
};
use crate::provider::{MetricsHints, ObjectWrite, Route};

pub mod routes;

pub const HTTP_ROUTE: Resource = Resource {
    group: "gateway.networking.k8s.io",
    kind: "HTTPRoute",
    plural: "httproutes",
    versions: &["v1", "v1beta1"],
};

#[derive(Debug, Default, Deserialize)]
struct Spec {
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Debug, Default, Deserialize)]
struct Rule {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "backendRefs")]
    backend_refs: Vec<ServiceRef>,
}

/// The split of an HTTPRoute (its `spec`, as stored).
pub fn split(
    name: &str,
    namespace: &str,
    resource_version: &str,
    hint: &split::Hint,
    spec: &serde_json::Value,
) -> Result<Split, SplitError> {
    let object = format!("httproute/{name}");
    let spec: Spec = split::spec_of(&object, "an HTTPRoute", spec)?;
    // a rule of two backendRefs; else one of more, read for the way back only
    let (index, rule) = spec
        .rules
        .iter()
        .enumerate()
        .find(|(_, r)| r.backend_refs.len() == 2)
        .or_else(|| {
            spec.rules
                .iter()
                .enumerate()
                .find(|(_, r)| r.backend_refs.len() > 2)
        })
        .ok_or_else(|| SplitError::NoSplit {
            object: object.clone(),
            hint: ": no spec.rules entry has two backendRefs".to_string(),
        })?;
    let backend = |j: usize| {
        rule.backend_refs[j].backend(
            &object,
            &format!("spec.rules[{index}].backendRefs[{j}]"),
            format!("/spec/rules/{index}/backendRefs/{j}/weight"),
            namespace,
        )
    };
    let where_ = match &rule.name {
        Some(n) => format!("spec.rules[{index}] ({n})"),
        None => format!("spec.rules[{index}]"),
    };
    let all = (0..rule.backend_refs.len())
        .map(backend)
        .collect::<Result<Vec<_>, _>>()?;
    Split::of_all(&object, where_, hint, all, resource_version)
}

/// How the provider layer reads the object: the split, then the testers' routes.
pub const OBJECT: two_backends::TwoBackends = two_backends::TwoBackends {
    kind: Kind::HttpRoute,
    resource: HTTP_ROUTE,
    parse: |n, ns, rv, hint, spec| Ok((split(n, ns, rv, hint, spec)?, Vec::new())),
    finish: with_rules,
};

/// The route with the testers' routes of its HTTPRoute.
fn with_rules(mut route: Route) -> Route {
    if let crate::provider::Routing::Split(r) = &route.routing {
        route.rules = routes::rules(r);
    }
    route.bypass = route.rules.iter().map(RouteRule::describe).collect();
    route
}

/// Gateway API: an HTTPRoute rule with two weighted backendRefs, driven by the cockpit.
pub struct GatewayApi;

impl TwoBackendSystem for GatewayApi {
    fn name(&self) -> &'static str {
        "Gateway API"
    }

    fn shape(&self) -> &'static two_backends::TwoBackends {
        &OBJECT
    }

    fn selectors<'a>(
        &'a self,
        cluster: &'a Cluster,
        route: &'a Route,
        _r: &'a two_backends::Routing,
    ) -> Pending<'a, Result<[Selector; 2], ClusterError>> {
        Box::pin(of_services(cluster, &route.names))
    }

    fn route_writes(
        &self,
        route: &Route,
        r: &two_backends::Routing,
        change: &RouteChange,
    ) -> Result<Vec<ObjectWrite>, ClusterError> {
        routes::route_writes(route, r, change)
    }

    fn metrics_hints(&self, _route: &Route) -> MetricsHints {
        MetricsHints::template(crate::metrics::templates::APP)
    }

    fn refusals(&self, _route: &Route) -> Vec<Refusal> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_rule_with_two_backends_is_the_split() {
        let spec = json!({"parentRefs": [{"name": "gw"}], "rules": [
            {"matches": [{"path": {"type": "PathPrefix", "value": "/admin"}}],
             "backendRefs": [{"name": "admin", "port": 80}]},
            {"backendRefs": [{"name": "shop-canary", "port": 80, "weight": 30},
                             {"name": "shop", "port": 80}]}]});
        let split = split("shop", "prod", "5", &Default::default(), &spec).unwrap();
        assert_eq!(split.primary.service, "shop");
        assert_eq!(split.primary.weight, 1);
        assert_eq!(
            split.canary.weight_path,
            "/spec/rules/1/backendRefs/0/weight"
        );
        assert_eq!(split.percent().unwrap().percent(), 97);
    }

    #[test]
    fn backends_that_are_not_local_services_are_refused() {
        let spec = json!({"rules": [{"backendRefs": [
            {"group": "example.io", "kind": "Bucket", "name": "shop"},
            {"name": "shop-canary", "weight": 1}]}]});
        let err = split("shop", "prod", "5", &Default::default(), &spec).unwrap_err();
        assert!(err.to_string().contains("not a Service"), "{err}");
        let spec = json!({"rules": [{"backendRefs": [
            {"name": "shop", "namespace": "other"}, {"name": "shop-canary"}]}]});
        let err = split("shop", "prod", "5", &Default::default(), &spec).unwrap_err();
        assert!(err.to_string().contains("namespace other"), "{err}");
        // three backendRefs: read, the third left for a rollback to set to 0
        let spec = json!({"rules": [{"backendRefs": [
            {"name": "shop", "weight": 90}, {"name": "shop-canary", "weight": 5},
            {"name": "shop-extra", "weight": 5}]}]});
        let s = split("shop", "prod", "5", &Default::default(), &spec).unwrap();
        assert_eq!(s.canary.service, "shop-canary");
        let patch = s.weight_patch(crate::model::Weight::ZERO);
        assert_eq!(patch[3]["path"], "/spec/rules/0/backendRefs/2/weight");
        assert_eq!(patch[3]["value"], 0);
    }
}

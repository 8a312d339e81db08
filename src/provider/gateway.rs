//! Gateway API: an HTTPRoute rule with two weighted `backendRefs`, each a Service of the route's
//! namespace whose selector picks the version's pods. A backendRef without a weight weighs 1.
//! Rules that send header matches to the canary alone are testers' routes
//! ([`super::gateway_routes`]).

use crate::cluster::dynamic::Resource;
use crate::cluster::{Cluster, ClusterError};
use crate::model::{Kind, RouteRule};
use kube::api::DynamicObject;
use serde::Deserialize;

use super::route::Route;
use super::split::{self, ServiceRef, Split, SplitError};

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
    let (index, rule) = spec
        .rules
        .iter()
        .enumerate()
        .find(|(_, r)| r.backend_refs.len() == 2)
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
    let pair = (backend(0)?, backend(1)?);
    Split::of(&object, where_, hint, pair, resource_version)
}

/// How the split of the object is read.
const SPLIT: split::TwoBackends = split::TwoBackends {
    kind: Kind::HttpRoute,
    resource: HTTP_ROUTE,
    variant: super::Routing::Gateway,
    parse: |n, ns, rv, hint, spec| Ok((split(n, ns, rv, hint, spec)?, Vec::new())),
};

/// How the provider layer reads the object: the split, then the testers' routes.
pub struct Object;

/// How the provider layer reads the object.
pub const OBJECT: Object = Object;

impl Object {
    /// The release's route from its HTTPRoute, with its testers' routes; `kept` is the canary as
    /// decided by an earlier read.
    pub fn route(
        &self,
        version: &'static str,
        namespace: &str,
        obj: &DynamicObject,
        kept: Option<&super::infer::Kept>,
    ) -> Result<Route, ClusterError> {
        with_rules(SPLIT.route(version, namespace, obj, kept)?)
    }

    /// The HTTPRoute `name` as it is now, and its route.
    pub async fn read(
        &self,
        cluster: &Cluster,
        name: &str,
        kept: Option<&super::infer::Kept>,
    ) -> Result<Route, ClusterError> {
        let (obj, version) = crate::cluster::dynamic::get(cluster, HTTP_ROUTE, name).await?;
        self.route(version, &cluster.namespace, &obj, kept)
    }

    /// The route rebuilt after a change, keeping the canary of `seen`.
    pub fn rebuilt(
        &self,
        version: &'static str,
        namespace: &str,
        obj: &DynamicObject,
        seen: &Route,
    ) -> Result<Route, ClusterError> {
        with_rules(SPLIT.rebuilt(version, namespace, obj, seen)?)
    }
}

/// The route with the testers' routes of its HTTPRoute.
fn with_rules(mut route: Route) -> Result<Route, ClusterError> {
    if let super::Routing::Gateway(r) = &route.routing {
        route.rules = super::gateway_routes::rules(r);
    }
    route.bypass = route.rules.iter().map(RouteRule::describe).collect();
    Ok(route)
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
        let spec = json!({"rules": [{"backendRefs": [
            {"name": "shop", "weight": -1}, {"name": "shop-canary"}]}]});
        assert!(split("shop", "prod", "5", &Default::default(), &spec).is_err());
    }
}

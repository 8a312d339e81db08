//! Gateway API: an HTTPRoute rule with two weighted `backendRefs`, each a Service of the route's
//! namespace whose selector picks the version's pods. A backendRef without a weight weighs 1.

use crate::cluster::dynamic::{self, Resource};
use crate::cluster::{Cluster, ClusterError};
use crate::model::Kind;
use kube::api::DynamicObject;
use serde::Deserialize;

use super::route::Route;
use super::split::{self, Backend, Split, SplitError};

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
    backend_refs: Vec<BackendRef>,
}

#[derive(Debug, Default, Deserialize)]
struct BackendRef {
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    weight: Option<i64>,
}

/// The split of an HTTPRoute (its `spec`, as stored).
pub fn split(
    name: &str,
    namespace: &str,
    resource_version: &str,
    hint: Option<&str>,
    spec: &serde_json::Value,
) -> Result<Split, SplitError> {
    let object = format!("httproute/{name}");
    let spec: Spec = serde_json::from_value(spec.clone()).map_err(|e| SplitError::Malformed {
        object: object.clone(),
        what: format!("spec is not an HTTPRoute spec: {e}"),
    })?;
    let (index, rule) = spec
        .rules
        .iter()
        .enumerate()
        .find(|(_, r)| r.backend_refs.len() == 2)
        .ok_or_else(|| SplitError::NoSplit {
            object: object.clone(),
            hint: ": no spec.rules entry has two backendRefs".to_string(),
        })?;
    let backend = |j: usize| -> Result<Backend, SplitError> {
        let r = &rule.backend_refs[j];
        let malformed = |what: String| SplitError::Malformed {
            object: object.clone(),
            what,
        };
        let core = r.group.as_deref().unwrap_or_default().is_empty();
        if !core || r.kind.as_deref().is_some_and(|k| k != "Service") {
            return Err(malformed(format!(
                "spec.rules[{index}].backendRefs[{j}] is not a Service ({}/{}): the cockpit \
                 reads pods through Services",
                r.group.as_deref().unwrap_or_default(),
                r.kind.as_deref().unwrap_or("Service")
            )));
        }
        if r.namespace.as_deref().is_some_and(|ns| ns != namespace) {
            return Err(malformed(format!(
                "spec.rules[{index}].backendRefs[{j}] is in namespace {}: the cockpit reads pods \
                 of the route's own namespace only",
                r.namespace.as_deref().unwrap_or_default()
            )));
        }
        let weight = u32::try_from(r.weight.unwrap_or(1)).map_err(|_| {
            malformed(format!(
                "spec.rules[{index}].backendRefs[{j}].weight is negative or too large"
            ))
        })?;
        Ok(Backend {
            service: r.name.clone(),
            subset: None,
            weight_path: format!("/spec/rules/{index}/backendRefs/{j}/weight"),
            weight,
        })
    };
    let where_ = match &rule.name {
        Some(n) => format!("spec.rules[{index}] ({n})"),
        None => format!("spec.rules[{index}]"),
    };
    let (primary, canary) = split::order(&object, &where_, hint, backend(0)?, backend(1)?)?;
    Ok(Split {
        route: where_,
        primary,
        canary,
        resource_version: resource_version.to_string(),
    })
}

/// The release's route from its HTTPRoute.
pub fn route(
    version: &'static str,
    namespace: &str,
    obj: &DynamicObject,
) -> Result<Route, ClusterError> {
    let parse: split::Parser =
        |n, ns, rv, hint, spec| Ok((split(n, ns, rv, hint, spec)?, Vec::new()));
    split::object_route(
        Kind::HttpRoute,
        super::Routing::Gateway,
        parse,
        (version, namespace),
        obj,
    )
}

pub async fn read(cluster: &Cluster, name: &str) -> Result<Route, ClusterError> {
    let (obj, version) = dynamic::get(cluster, HTTP_ROUTE, name).await?;
    route(version, &cluster.namespace, &obj)
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
        let split = split("shop", "prod", "5", None, &spec).unwrap();
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
        let err = split("shop", "prod", "5", None, &spec).unwrap_err();
        assert!(err.to_string().contains("not a Service"), "{err}");
        let spec = json!({"rules": [{"backendRefs": [
            {"name": "shop", "namespace": "other"}, {"name": "shop-canary"}]}]});
        let err = split("shop", "prod", "5", None, &spec).unwrap_err();
        assert!(err.to_string().contains("namespace other"), "{err}");
        let spec = json!({"rules": [{"backendRefs": [
            {"name": "shop", "weight": -1}, {"name": "shop-canary"}]}]});
        assert!(split("shop", "prod", "5", None, &spec).is_err());
    }
}

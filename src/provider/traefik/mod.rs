//! Traefik: a TraefikService (traefik.io/v1alpha1) whose weighted round robin
//! (`spec.weighted.services[]`, each `name`, `port`, `weight`) holds the two Services, the object
//! Flagger's Traefik provider moves. Each backend is a Service of the object's namespace whose
//! selector picks the version's pods; a service without a weight weighs 1. Setting the weight
//! patches both weights so that they sum to 100, conditional on the version read.
//!
//! Testers' routes are refused ([`route_writes`]): a weighted round robin has no per-request
//! match of its own, and a match lives on the IngressRoute that points at the TraefikService,
//! which the cockpit does not read; a match written there would apply to the whole route.

use crate::cluster::dynamic::Resource;
use crate::cluster::selector::{of_services, Selector};
use crate::cluster::{Cluster, ClusterError};
use crate::metrics::templates;
use crate::model::{Capability, Kind, Refusal, RouteChange};
use serde::Deserialize;

use crate::provider::system::Pending;
use crate::provider::two_backends::{
    self as split, ServiceRef, Split, SplitError, TwoBackendSystem,
};
use crate::provider::{MetricsHints, ObjectWrite, Route};

pub const TRAEFIK_SERVICE: Resource = Resource {
    group: "traefik.io",
    kind: "TraefikService",
    plural: "traefikservices",
    versions: &["v1alpha1"],
};

#[derive(Debug, Default, Deserialize)]
struct Spec {
    #[serde(default)]
    weighted: Option<Weighted>,
}

#[derive(Debug, Default, Deserialize)]
struct Weighted {
    #[serde(default)]
    services: Vec<ServiceRef>,
}

/// The split of a TraefikService (its `spec`, as stored).
pub fn split(
    name: &str,
    namespace: &str,
    resource_version: &str,
    hint: &split::Hint,
    spec: &serde_json::Value,
) -> Result<Split, SplitError> {
    let object = format!("traefikservice/{name}");
    let spec: Spec = split::spec_of(&object, "a TraefikService", spec)?;
    let services = spec.weighted.map(|w| w.services).unwrap_or_default();
    // more than two: read for the way back only
    if services.len() < 2 {
        return Err(SplitError::NoSplit {
            object,
            hint: format!(
                ": spec.weighted.services has {} entries, a canary release has two",
                services.len()
            ),
        });
    }
    let backend = |j: usize| {
        services[j].backend(
            &object,
            &format!("spec.weighted.services[{j}]"),
            format!("/spec/weighted/services/{j}/weight"),
            namespace,
        )
    };
    let where_ = "spec.weighted.services".to_string();
    let all = (0..services.len())
        .map(backend)
        .collect::<Result<Vec<_>, _>>()?;
    Split::of_all(&object, where_, hint, all, resource_version)
}

/// How the provider layer reads the object.
pub const OBJECT: split::TwoBackends = split::TwoBackends {
    kind: Kind::TraefikService,
    resource: TRAEFIK_SERVICE,
    parse: |n, ns, rv, hint, spec| Ok((split(n, ns, rv, hint, spec)?, Vec::new())),
    finish: |route| route,
};

/// Traefik: a TraefikService's weighted round robin of two Services, driven by the cockpit.
pub struct Traefik;

impl TwoBackendSystem for Traefik {
    fn name(&self) -> &'static str {
        "Traefik"
    }

    fn shape(&self) -> &'static split::TwoBackends {
        &OBJECT
    }

    fn selectors<'a>(
        &'a self,
        cluster: &'a Cluster,
        route: &'a Route,
        _r: &'a split::Routing,
    ) -> Pending<'a, Result<[Selector; 2], ClusterError>> {
        Box::pin(of_services(cluster, &route.names))
    }

    fn route_writes(
        &self,
        route: &Route,
        _r: &split::Routing,
        change: &RouteChange,
    ) -> Result<Vec<ObjectWrite>, ClusterError> {
        Err(ClusterError::Refused(format!(
            "{}: {}",
            route.object,
            refusal(change)
        )))
    }

    fn metrics_hints(&self, _route: &Route) -> MetricsHints {
        MetricsHints::template(templates::TRAEFIK)
    }

    fn refusals(&self, _route: &Route) -> Vec<Refusal> {
        vec![Refusal {
            action: Capability::TestersRoute,
            why: TESTERS_REFUSED.to_string(),
        }]
    }
}

const TESTERS_REFUSED: &str = "a TraefikService's weighted round robin has no per-request match, \
    and a match on the IngressRoute that points at it would route the whole route; add an \
    IngressRoute route matching the header (Header(`NAME`, `VALUE`)) with the canary Service \
    alone and a higher priority";

/// Testers' routes are not written for a TraefikService: see the module's doc.
fn refusal(change: &RouteChange) -> String {
    format!("the cockpit does not {change} for Traefik: {TESTERS_REFUSED}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::two_backends::CANARY_BACKEND;
    use serde_json::json;

    #[test]
    fn the_two_weighted_services_are_the_split() {
        let spec = json!({"weighted": {"services": [
            {"name": "shop", "port": 80, "weight": 90},
            {"name": "shop-canary", "port": 80, "weight": 10}]}});
        let split = split("shop", "prod", "7", &Default::default(), &spec).unwrap();
        assert_eq!(split.primary.service, "shop");
        assert_eq!(split.canary.service, "shop-canary");
        assert_eq!(split.canary.weight_path, "/spec/weighted/services/1/weight");
        assert_eq!(split.percent().unwrap().percent(), 10);
        // an unset weight weighs 1
        let spec = json!({"weighted": {"services": [
            {"name": "shop-canary", "port": 80}, {"name": "shop", "port": 80, "weight": 3}]}});
        let split = split_of(&spec);
        assert_eq!(split.percent().unwrap().percent(), 25);
    }

    fn split_of(spec: &serde_json::Value) -> Split {
        split("shop", "prod", "7", &Default::default(), spec).unwrap()
    }

    #[test]
    fn what_is_not_two_local_services_is_refused() {
        let one = json!({"weighted": {"services": [{"name": "shop", "port": 80}]}});
        assert!(matches!(
            split("shop", "prod", "1", &Default::default(), &one),
            Err(SplitError::NoSplit { .. })
        ));
        assert!(matches!(
            split(
                "shop",
                "prod",
                "1",
                &Default::default(),
                &json!({"mirroring": {"name": "x"}})
            ),
            Err(SplitError::NoSplit { .. })
        ));
        let nested = json!({"weighted": {"services": [
            {"name": "shop", "kind": "TraefikService"}, {"name": "shop-canary"}]}});
        let err = split("shop", "prod", "1", &Default::default(), &nested).unwrap_err();
        assert!(err.to_string().contains("TraefikService"), "{err}");
        let elsewhere = json!({"weighted": {"services": [
            {"name": "shop", "namespace": "other"}, {"name": "shop-canary"}]}});
        let err = split("shop", "prod", "1", &Default::default(), &elsewhere).unwrap_err();
        assert!(err.to_string().contains("namespace other"), "{err}");
        let negative = json!({"weighted": {"services": [
            {"name": "shop", "weight": -1}, {"name": "shop-canary"}]}});
        let s = split("shop", "prod", "1", &Default::default(), &negative).unwrap();
        assert_eq!(s.primary.unreadable.as_deref(), Some("-1"));
    }

    #[test]
    fn versions_in_the_names_tell_the_canary_and_the_annotation_overrides() {
        let spec = json!({"weighted": {"services": [
            {"name": "shop-v2", "weight": 70}, {"name": "shop-v1", "weight": 30}]}});
        let by_names = split("shop", "prod", "1", &Default::default(), &spec).unwrap();
        assert_eq!(
            (
                by_names.canary.service.as_str(),
                by_names.decided.map(|d| d.by)
            ),
            ("shop-v2", Some(crate::model::CanaryBy::Version))
        );
        let hint = split::Hint::annotated("shop-v1");
        let named = split("shop", "prod", "1", &hint, &spec).unwrap();
        assert_eq!(named.canary.service, "shop-v1");
        let plain = json!({"weighted": {"services": [{"name": "shop-a"}, {"name": "shop-b"}]}});
        let undecided = split("shop", "prod", "1", &Default::default(), &plain).unwrap();
        assert_eq!(undecided.decided, None);
        let bad = split::Hint::annotated(CANARY_BACKEND);
        assert!(split("shop", "prod", "1", &bad, &spec).is_err());
    }
}

//! Contour: an HTTPProxy (projectcontour.io/v1) route whose `services[]` (each `name`, `port`,
//! `weight`) holds exactly two Services, as Flagger's Contour router writes it. Each is a Service
//! of the proxy's namespace whose selector picks the version's pods. Contour splits evenly when no
//! service of the route has a weight, and gives an unweighted service 0 when another has one.
//! Setting the weight patches both weights so that they sum to 100, conditional on the version
//! read. Mirror services (`mirror: true`) take no share and are not part of the split. Pause,
//! promotion and rollback are the cockpit's own, as for the other systems of two weighted
//! backends. Testers' routes are routes with a `header` condition to the canary's Service alone
//! ([`routes`]: how the cockpit tells its own from the release's).
//!
//! Fields checked against ../shared/crds/projectcontour.io_httpproxies.yaml: `spec.routes[]`,
//! `.conditions[].{prefix,header.{name,exact,contains,regex,present,ignoreCase}}`,
//! `.services[].{name,port,weight,mirror}`, `.requestHeadersPolicy.set[].{name,value}`.

use crate::cluster::dynamic::Resource;
use crate::cluster::selector::{of_services, Selector};
use crate::cluster::{Cluster, ClusterError};
use crate::metrics::templates;
use crate::model::{Kind, Refusal, RouteChange};
use serde::Deserialize;

use crate::provider::system::Pending;
use crate::provider::two_backends::{self as split, Backend, Split, SplitError, TwoBackendSystem};
use crate::provider::{MetricsHints, ObjectWrite, Route};

pub mod routes;

pub const HTTP_PROXY: Resource = Resource {
    group: "projectcontour.io",
    kind: "HTTPProxy",
    plural: "httpproxies",
    versions: &["v1"],
};

#[derive(Debug, Default, Deserialize)]
struct Spec {
    #[serde(default)]
    routes: Vec<ProxyRoute>,
}

#[derive(Debug, Default, Deserialize)]
struct ProxyRoute {
    #[serde(default)]
    services: Vec<Service>,
}

#[derive(Debug, Default, Deserialize)]
struct Service {
    name: String,
    #[serde(default)]
    weight: Option<i64>,
    #[serde(default)]
    mirror: bool,
}

/// The split of an HTTPProxy (its `spec`, as stored): the first route with two Services that
/// take traffic.
pub fn split(
    name: &str,
    _namespace: &str,
    resource_version: &str,
    hint: &split::Hint,
    raw: &serde_json::Value,
) -> Result<(Split, Vec<String>), SplitError> {
    let object = format!("httpproxy/{name}");
    let spec: Spec = split::spec_of(&object, "an HTTPProxy", raw)?;
    // a route of two Services; else one of more, read for the way back only
    let with = |two: bool| {
        spec.routes.iter().enumerate().find_map(|(i, r)| {
            let live = live_of(r);
            (if two { live.len() == 2 } else { live.len() > 2 }).then_some((i, live))
        })
    };
    let found = with(true).or_else(|| with(false));
    let Some((index, live)) = found else {
        return Err(SplitError::NoSplit {
            object,
            hint: ": no spec.routes entry has two services (besides mirrors)".to_string(),
        });
    };
    let any_weight = live.iter().any(|(_, s)| s.weight.is_some());
    let backend = |(j, s): (usize, &Service)| -> Result<Backend, SplitError> {
        let (weight, unreadable) = split::weight_of(s.weight, if any_weight { 0 } else { 1 });
        Ok(Backend {
            service: s.name.clone(),
            subset: None,
            weight_path: format!("/spec/routes/{index}/services/{j}/weight"),
            weight,
            unreadable,
        })
    };
    let where_ = format!("spec.routes[{index}]");
    let all = live
        .iter()
        .map(|x| backend(*x))
        .collect::<Result<Vec<_>, SplitError>>()?;
    let mut split = Split::of_all(&object, where_, hint, all, resource_version)?;
    split.testers = routes::testers(raw, index, &split);
    let bypass = split
        .testers
        .rules
        .iter()
        .map(crate::model::RouteRule::describe)
        .collect();
    Ok((split, bypass))
}

/// The Services of a route that take traffic (mirrors take none), with their places.
fn live_of(r: &ProxyRoute) -> Vec<(usize, &Service)> {
    r.services
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.mirror)
        .collect()
}

/// How the provider layer reads the object.
pub const OBJECT: split::TwoBackends = split::TwoBackends {
    kind: Kind::HttpProxy,
    resource: HTTP_PROXY,
    parse: split,
    finish: |route| route,
};

/// Contour: an HTTPProxy route with two weighted Services, driven by the cockpit.
pub struct Contour;

impl TwoBackendSystem for Contour {
    fn name(&self) -> &'static str {
        "Contour"
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
        r: &split::Routing,
        change: &RouteChange,
    ) -> Result<Vec<ObjectWrite>, ClusterError> {
        routes::route_writes(route, r, change)
    }

    fn metrics_hints(&self, _route: &Route) -> MetricsHints {
        MetricsHints::template(templates::CONTOUR)
    }

    fn refusals(&self, _route: &Route) -> Vec<Refusal> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(spec: serde_json::Value) -> Result<Split, SplitError> {
        split("shop", "prod", "3", &Default::default(), &spec).map(|(s, _)| s)
    }

    #[test]
    fn the_first_route_with_two_services_is_the_split_mirrors_aside() {
        let spec = json!({"routes": [
            {"conditions": [{"prefix": "/admin"}], "services": [{"name": "admin", "port": 80}]},
            {"services": [{"name": "shop-shadow", "port": 80, "mirror": true},
                          {"name": "shop-canary", "port": 80, "weight": 30},
                          {"name": "shop", "port": 80, "weight": 70}]}]});
        let s = read(spec).unwrap();
        assert_eq!(
            (s.primary.service.as_str(), s.canary.service.as_str()),
            ("shop", "shop-canary")
        );
        assert_eq!(s.canary.weight_path, "/spec/routes/1/services/1/weight");
        assert_eq!(s.primary.weight_path, "/spec/routes/1/services/2/weight");
        assert_eq!(s.route, "spec.routes[1]");
        assert_eq!(s.percent().unwrap().percent(), 30);
    }

    #[test]
    fn unset_weights_split_evenly_or_weigh_nothing_beside_a_set_one() {
        let even = json!({"routes": [{"services": [{"name": "shop", "port": 80}, {"name": "shop-canary", "port": 80}]}]});
        assert_eq!(read(even).unwrap().percent().unwrap().percent(), 50);
        let one = json!({"routes": [{"services": [{"name": "shop", "port": 80, "weight": 5}, {"name": "shop-canary", "port": 80}]}]});
        assert_eq!(read(one).unwrap().percent().unwrap().percent(), 0);
    }

    #[test]
    fn no_two_services_is_no_release_and_a_negative_weight_is_malformed() {
        let solo = json!({"routes": [{"services": [{"name": "shop", "port": 80}]}]});
        assert!(matches!(read(solo), Err(SplitError::NoSplit { .. })));
        assert!(matches!(
            read(json!({"includes": [{"name": "x"}]})),
            Err(SplitError::NoSplit { .. })
        ));
        let negative = json!({"routes": [{"services": [{"name": "shop", "port": 80, "weight": -1}, {"name": "shop-canary", "port": 80}]}]});
        // kept as written for the way back; the primary's weight reads as 0
        let s = read(negative).unwrap();
        assert_eq!(
            (s.primary.weight, s.primary.unreadable.as_deref()),
            (0, Some("-1"))
        );
        // a weight beyond 32 bits is a weight (int64 in the CRD)
        let huge = json!({"routes": [{"services": [{"name": "shop", "port": 80, "weight": 9_000_000_000_000_000_000_i64}, {"name": "shop-canary", "port": 80, "weight": 1}]}]});
        assert_eq!(read(huge).unwrap().percent().unwrap().percent(), 0);
        // a third Service: the two the names tell, the third left for a rollback to set to 0
        let three = json!({"routes": [{"services": [{"name": "shop-other", "port": 80, "weight": 10}, {"name": "shop", "port": 80, "weight": 80}, {"name": "shop-canary", "port": 80, "weight": 10}]}]});
        let s = read(three).unwrap();
        assert_eq!(
            (s.primary.service.as_str(), s.canary.service.as_str()),
            ("shop", "shop-canary")
        );
        assert_eq!(s.extra[0].weight_path, "/spec/routes/0/services/0/weight");
        // names with versions tell the canary
        let versions = json!({"routes": [{"services": [{"name": "reviews-v2", "port": 9080, "weight": 10}, {"name": "reviews-v1", "port": 9080, "weight": 90}]}]});
        let s = read(versions).unwrap();
        assert_eq!(s.canary.service, "reviews-v2");
        assert_eq!(
            s.decided.map(|d| d.by),
            Some(crate::model::CanaryBy::Version)
        );
    }
}

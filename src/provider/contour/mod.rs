//! Contour: an HTTPProxy (projectcontour.io/v1) route whose `services[]` (each `name`, `port`,
//! `weight`) holds exactly two Services, as Flagger's Contour router writes it. Each is a Service
//! of the proxy's namespace whose selector picks the version's pods. Contour splits evenly when no
//! service of the route has a weight, and gives an unweighted service 0 when another has one.
//! Setting the weight patches both weights so that they sum to 100, conditional on the version
//! read. Mirror services (`mirror: true`) take no share and are not part of the split.
//!
//! Fields checked against ../shared/crds/projectcontour.io_httpproxies.yaml: `spec.routes[]`,
//! `.conditions[].{prefix,header.{name,exact,contains}}`, `.services[].{name,port,weight,mirror}`.

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
    let found = spec.routes.iter().enumerate().find_map(|(i, r)| {
        let live: Vec<(usize, &Service)> = r
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.mirror)
            .collect();
        (live.len() == 2).then_some((i, live))
    });
    let Some((index, live)) = found else {
        return Err(SplitError::NoSplit {
            object,
            hint: ": no spec.routes entry has two services (besides mirrors)".to_string(),
        });
    };
    let any_weight = live.iter().any(|(_, s)| s.weight.is_some());
    let backend = |(j, s): (usize, &Service)| -> Result<Backend, SplitError> {
        let w = s.weight.unwrap_or(if any_weight { 0 } else { 1 });
        let weight = u32::try_from(w).map_err(|_| SplitError::Malformed {
            object: object.clone(),
            what: format!("spec.routes[{index}].services[{j}].weight is negative or too large"),
        })?;
        Ok(Backend {
            service: s.name.clone(),
            subset: None,
            weight_path: format!("/spec/routes/{index}/services/{j}/weight"),
            weight,
        })
    };
    let where_ = format!("spec.routes[{index}]");
    let pair = (backend(live[0])?, backend(live[1])?);
    let mut split = Split::of(&object, where_, hint, pair, resource_version)?;
    split.testers = routes::testers(raw, index, &split);
    let bypass = split
        .testers
        .rules
        .iter()
        .map(crate::model::RouteRule::describe)
        .collect();
    Ok((split, bypass))
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

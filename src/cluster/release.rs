//! Reading a release from the cluster, and changing its weight. One release costs four requests:
//! the Ingresses, the Services, and the pods of each version (by the Services' selectors).

use crate::model::{PodSet, ReleaseSnapshot, Version, Weight};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod as KubePod, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{ListParams, Patch, PatchParams};
use kube::Api;

use super::error::Call;
use super::nginx::{self, CanaryWeight, Pair};
use super::{pods, Cluster, ClusterError, Kind, Target};

/// A release as read from the cluster.
#[derive(Clone, Debug)]
pub struct Observed {
    pub target: Target,
    pub snapshot: ReleaseSnapshot,
    pub pods: PodSet,
    /// Rules that send some requests to the canary whatever the weight (ingress-nginx headers and
    /// cookies), as `name=value`.
    pub bypass: Vec<String>,
    /// The Ingresses as read: a write is conditional on their resourceVersion.
    pub pair: Pair,
    pub weight: CanaryWeight,
    /// Label selectors of the primary's and the canary's pods (from their Services).
    pub selectors: [String; 2],
}

pub async fn read(cluster: &Cluster, target: &Target) -> Result<Observed, ClusterError> {
    match target.kind {
        Kind::Ingress => read_nginx(cluster, target).await,
        kind => Err(ClusterError::Unsupported(kind.prefix())),
    }
}

fn call<'a>(
    cluster: &'a Cluster,
    verb: &'static str,
    resource: &'static str,
    name: &'a str,
) -> Call<'a> {
    Call {
        verb,
        resource,
        name,
        namespace: &cluster.namespace,
        user: &cluster.user,
    }
}

async fn read_nginx(cluster: &Cluster, target: &Target) -> Result<Observed, ClusterError> {
    let ns = cluster.namespace.as_str();
    let ingresses: Api<Ingress> = Api::namespaced(cluster.client.clone(), ns);
    let list = ingresses
        .list(&ListParams::default())
        .await
        .map_err(|e| call(cluster, "list", "ingresses", "").error(e))?;
    let pair = nginx::find_pair(&list.items, &target.name)?;
    // a malformed weight is reported before any further request
    nginx::canary_weight(&pair.canary)?;
    let services: Api<Service> = Api::namespaced(cluster.client.clone(), ns);
    let services = services
        .list(&ListParams::default())
        .await
        .map_err(|e| call(cluster, "list", "services", "").error(e))?;
    let primary_svc = nginx::backend_service(&pair.primary)?;
    let canary_svc = nginx::backend_service(&pair.canary)?;
    let selectors = [
        selector(cluster, &services.items, &primary_svc)?,
        selector(cluster, &services.items, &canary_svc)?,
    ];
    let primary_pods = pods_of(cluster, &selectors[0]).await?;
    let canary_pods = pods_of(cluster, &selectors[1]).await?;
    assemble(target, ns, pair, selectors, (&primary_pods, &canary_pods))
}

/// The release from its Ingresses and the pods of each version: the one place both the first
/// read and the watches build it.
pub fn assemble(
    target: &Target,
    namespace: &str,
    pair: Pair,
    selectors: [String; 2],
    (primary_pods, canary_pods): (&[KubePod], &[KubePod]),
) -> Result<Observed, ClusterError> {
    let weight = nginx::canary_weight(&pair.canary)?;
    let primary_svc = nginx::backend_service(&pair.primary)?;
    let canary_svc = nginx::backend_service(&pair.canary)?;
    let version = |svc: &str, pods: &[KubePod]| Version {
        name: svc.to_string(),
        image: pods.iter().find_map(pods::image).unwrap_or_default(),
    };
    let snapshot = ReleaseSnapshot {
        name: nginx::name(&pair.primary).to_string(),
        namespace: namespace.to_string(),
        source: Kind::Ingress.provider().to_string(),
        primary: version(&primary_svc, primary_pods),
        canary: version(&canary_svc, canary_pods),
        weight: weight.percent(),
        canary_replicas: canary_pods.len() as u32,
        phase: None,
        plan: None,
    };
    let mut set = PodSet {
        primary: primary_pods.iter().map(pods::from_kube).collect(),
        canary: canary_pods.iter().map(pods::from_kube).collect(),
    };
    set.primary.sort_by(|a, b| a.name.cmp(&b.name));
    set.canary.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Observed {
        target: target.clone(),
        snapshot,
        pods: set,
        bypass: nginx::bypass_rules(&pair.canary),
        pair,
        weight,
        selectors,
    })
}

/// The label selector of a Service, as `k=v,k2=v2`.
fn selector(cluster: &Cluster, services: &[Service], name: &str) -> Result<String, ClusterError> {
    let service = services
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some(name))
        .ok_or_else(|| ClusterError::NotFound {
            resource: "service",
            name: name.to_string(),
            namespace: cluster.namespace.clone(),
        })?;
    let selector = service
        .spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ClusterError::NoSelector {
            service: name.to_string(),
        })?;
    Ok(selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(","))
}

/// The pods a label selector selects.
async fn pods_of(cluster: &Cluster, labels: &str) -> Result<Vec<KubePod>, ClusterError> {
    let api: Api<KubePod> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let list = api
        .list(&ListParams::default().labels(labels))
        .await
        .map_err(|e| call(cluster, "list", "pods", "").error(e))?;
    Ok(list.items)
}

/// Sets the canary's weight, conditional on the state in `seen`: when the object changed since,
/// the API server refuses with 409 and nothing is written.
pub async fn set_weight(
    cluster: &Cluster,
    seen: &Observed,
    weight: Weight,
) -> Result<(), ClusterError> {
    let canary = &seen.pair.canary;
    let name = nginx::name(canary);
    let value = seen.weight.value_for(weight);
    let api: Api<Ingress> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let patch = nginx::weight_patch(canary, value);
    api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| call(cluster, "patch", "ingresses", name).error(e))?;
    Ok(())
}

/// The Deployment whose pod template the canary's Service selects.
async fn canary_deployment(cluster: &Cluster, seen: &Observed) -> Result<String, ClusterError> {
    let api: Api<Deployment> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| call(cluster, "list", "deployments", "").error(e))?;
    let wanted: Vec<(&str, &str)> = seen.selectors[1]
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let matching: Vec<String> = list
        .items
        .iter()
        .filter(|d| {
            let labels = d
                .spec
                .template
                .metadata
                .as_ref()
                .and_then(|m| m.labels.as_ref());
            labels.is_some_and(|l| {
                wanted
                    .iter()
                    .all(|(k, v)| l.get(*k).is_some_and(|x| x == v))
            })
        })
        .filter_map(|d| d.metadata.name.clone())
        .collect();
    match matching.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(ClusterError::NoDeployment {
            selector: seen.selectors[1].clone(),
            found: String::new(),
        }),
        many => Err(ClusterError::NoDeployment {
            selector: seen.selectors[1].clone(),
            found: many.join(", "),
        }),
    }
}

/// What a rollback did, stage by stage, and the error that stopped it, if any.
#[derive(Debug)]
pub struct RollbackReport {
    pub done: Vec<String>,
    pub error: Option<ClusterError>,
}

/// Rolls back: the canary's weight to 0 at once, then (unless `keep_canary`) its Deployment
/// scaled to 0. A failed stage stops the rest; what was done before it is reported too.
pub async fn rollback(cluster: &Cluster, seen: &Observed, keep_canary: bool) -> RollbackReport {
    let mut done = Vec::new();
    if let Err(e) = set_weight(cluster, seen, Weight::ZERO).await {
        return RollbackReport {
            done,
            error: Some(e),
        };
    }
    done.push(format!(
        "ingress/{}: canary weight 0 %",
        nginx::name(&seen.pair.canary)
    ));
    if keep_canary {
        done.push("canary pods kept (--keep-canary)".to_string());
        return RollbackReport { done, error: None };
    }
    let error = scale_canary_to_zero(cluster, seen)
        .await
        .map(|name| done.push(format!("deployment/{name} scaled to 0")))
        .err();
    RollbackReport { done, error }
}

async fn scale_canary_to_zero(cluster: &Cluster, seen: &Observed) -> Result<String, ClusterError> {
    let name = canary_deployment(cluster, seen).await?;
    let api: Api<Deployment> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let scale = serde_json::json!({"spec": {"replicas": 0}});
    api.patch_scale(&name, &PatchParams::default(), &Patch::Merge(&scale))
        .await
        .map_err(|e| call(cluster, "patch", "deployments/scale", &name).error(e))?;
    Ok(name)
}

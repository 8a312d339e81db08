//! Every release of a namespace (or of all of them), for the picker of `canary watch`: the
//! ingress-nginx canary pairs, the VirtualServices and HTTPRoutes with a two-backend split, and
//! Argo Rollouts, from the providers whose kinds the cluster serves. One list per kind.
//! Objects a controller owns (ownerReferences with `controller: true`) are that controller's
//! business, not releases of their own: they are listed under their owner ("manages …").

use crate::app::picker::Listed;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{DynamicObject, ListParams};
use kube::Api;
use std::collections::BTreeMap;

use super::dynamic::{call, Resource};
use super::release::{
    route_from_canary, route_from_ingresses, route_from_object, route_from_rollout, Route,
};
use super::split::SplitError;
use super::{
    argo, flagger, gateway, istio, kubesphere, nginx, status, Cluster, ClusterError, Kind,
};

/// The controller that owns the object, as a target (`rollout/shop`), if one does.
fn controller_of(meta: &kube::api::ObjectMeta) -> Option<String> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map(|o| format!("{}/{}", o.kind.to_ascii_lowercase(), o.name))
}

/// Objects a controller made, per (namespace, owner target), to show under their owner.
type Managed = BTreeMap<(String, String), Vec<String>>;

fn managed_by(managed: &mut Managed, meta: &kube::api::ObjectMeta, what: String) -> bool {
    match controller_of(meta) {
        Some(owner) => {
            let ns = meta.namespace.clone().unwrap_or_default();
            managed.entry((ns, owner)).or_default().push(what);
            true
        }
        None => false,
    }
}

fn listed(namespace: &str, kind: Kind, name: &str, route: Result<Route, ClusterError>) -> Listed {
    match route {
        Ok(route) => Listed {
            namespace: namespace.to_string(),
            target: format!("{}/{}", kind.prefix(), route.name),
            provider: kind.provider().to_string(),
            phase: status::phase(&route),
            weight: Some(route.weight.percent()),
            note: route
                .bypass
                .first()
                .map_or_else(String::new, |b| format!("bypass: {b}")),
        },
        Err(e) => Listed {
            namespace: namespace.to_string(),
            target: format!("{}/{name}", kind.prefix()),
            provider: kind.provider().to_string(),
            phase: "unreadable".to_string(),
            weight: None,
            note: e.to_string(),
        },
    }
}

/// The namespace's (or, with `all`, every namespace's) releases, and what could not be listed
/// (a kind the user may not list is left out with a word, not an error).
pub async fn releases(
    cluster: &Cluster,
    all: bool,
) -> Result<(Vec<Listed>, Vec<String>), ClusterError> {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    let mut managed = Managed::new();
    let ingresses: Api<Ingress> = if all {
        Api::all(cluster.client.clone())
    } else {
        Api::namespaced(cluster.client.clone(), &cluster.namespace)
    };
    let list = ingresses
        .list(&ListParams::default())
        .await
        .map_err(|e| call(cluster, "list", "ingresses", "").error(e))?;
    let mut by_ns: BTreeMap<String, Vec<Ingress>> = BTreeMap::new();
    for ing in list.items {
        by_ns
            .entry(ing.metadata.namespace.clone().unwrap_or_default())
            .or_default()
            .push(ing);
    }
    for (ns, ings) in &by_ns {
        for canary in ings.iter().filter(|i| nginx::is_canary(i)) {
            let what = format!("ingress/{}", nginx::name(canary));
            if managed_by(&mut managed, &canary.metadata, what) {
                continue;
            }
            let name = nginx::name(canary);
            out.push(listed(
                ns,
                Kind::Ingress,
                name,
                route_from_ingresses(ings, name),
            ));
        }
    }
    for (kind, resource) in [
        (Kind::VirtualService, istio::VIRTUAL_SERVICE),
        (Kind::HttpRoute, gateway::HTTP_ROUTE),
        (Kind::Rollout, argo::ROLLOUT),
        (Kind::Strategy, kubesphere::STRATEGY),
        (Kind::Canary, flagger::CANARY),
    ] {
        let (objects, version) = match list_any(cluster, resource, all).await {
            Ok(Some(found)) => found,
            Ok(None) => continue,
            Err(e) => {
                missing.push(e.to_string());
                continue;
            }
        };
        for obj in objects {
            let what = format!(
                "{}/{}",
                kind.prefix(),
                obj.metadata.name.as_deref().unwrap_or_default()
            );
            if managed_by(&mut managed, &obj.metadata, what) {
                continue;
            }
            let ns = obj.metadata.namespace.clone().unwrap_or_default();
            let name = obj.metadata.name.clone().unwrap_or_default();
            let route = match kind {
                Kind::Rollout => route_from_rollout(&obj, &[]),
                // the list needs no pods: the Deployments' selectors are read on opening
                Kind::Canary => route_from_canary(&obj, Default::default(), None),
                _ => route_from_object(kind, version, &ns, &obj),
            };
            // a route without a two-backend split is not a canary release
            if matches!(route, Err(ClusterError::Split(SplitError::NoSplit { .. }))) {
                continue;
            }
            out.push(listed(&ns, kind, &name, route));
        }
    }
    // controller-made objects appear under their owner
    for l in &mut out {
        if let Some(objects) = managed.get(&(l.namespace.clone(), l.target.clone())) {
            let list = format!("manages {}", objects.join(", "));
            l.note = if l.note.is_empty() {
                list
            } else {
                format!("{} · {list}", l.note)
            };
        }
    }
    Ok((out, missing))
}

/// Every object of `resource` at the first version the cluster serves; `None` when it serves none.
async fn list_any(
    cluster: &Cluster,
    resource: Resource,
    all: bool,
) -> Result<Option<(Vec<DynamicObject>, &'static str)>, ClusterError> {
    for version in resource.versions {
        let ar = resource.api_resource(version);
        let api: Api<DynamicObject> = if all {
            Api::all_with(cluster.client.clone(), &ar)
        } else {
            Api::namespaced_with(cluster.client.clone(), &cluster.namespace, &ar)
        };
        match api.list(&ListParams::default()).await {
            Ok(list) => return Ok(Some((list.items, version))),
            Err(kube::Error::Api(s)) if s.code == 404 => continue,
            Err(e) => return Err(call(cluster, "list", resource.plural, "").error(e)),
        }
    }
    Ok(None)
}

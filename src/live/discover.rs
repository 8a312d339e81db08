//! Every release of a namespace (or of all of them), for the picker of `canary watch`: every
//! provider's releases (each provider says how it finds them), from the providers whose kinds the
//! cluster serves. One list per kind.
//! Objects a controller owns (ownerReferences with `controller: true`) are that controller's
//! business, not releases of their own: they are listed under their owner ("manages …").

use crate::app::picker::Listed;
use crate::cluster::{Cluster, ClusterError};
use crate::model::{CanaryBy, Kind, KINDS};
use crate::provider::{self, Route};
use std::collections::BTreeMap;

use super::status;

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
        // a field that could not be read: no weight to show, and why
        Ok(route) if !route.malformed.is_empty() => Listed {
            namespace: namespace.to_string(),
            target: format!("{}/{}", kind.prefix(), route.name),
            provider: kind.provider().to_string(),
            phase: "unreadable".to_string(),
            weight: None,
            note: route
                .malformed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        },
        Ok(route) => Listed {
            namespace: namespace.to_string(),
            target: format!("{}/{}", kind.prefix(), route.name),
            provider: kind.provider().to_string(),
            phase: status::phase(&route),
            weight: Some(route.weight.percent()),
            note: note(&route),
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

/// What the list says besides the weight: the canary when a rule other than the release's
/// definition told it (`canary v2 by version`), the rules that bypass the weight.
fn note(route: &Route) -> String {
    let canary = match route.canary_by {
        Some(CanaryBy::Definition) | None => None,
        Some(by) => Some(format!("canary {} by {}", route.names[1], by.label())),
    };
    let bypass = route.bypass.first().map(|b| format!("bypass: {b}"));
    canary
        .into_iter()
        .chain(bypass)
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The canary of a route its object alone does not tell, decided as when the release is opened
/// ([`super::canary::settle`]): the list and the cockpit agree.
async fn settled(cluster: &Cluster, kind: Kind, f: &mut provider::Found) {
    let Ok(route) = &f.route else { return };
    if route.canary_by.is_some() {
        return;
    }
    let mut here = cluster.clone();
    here.namespace.clone_from(&f.namespace);
    f.route = super::canary::settle(&here, kind, &f.name, route.clone()).await;
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
    for info in KINDS {
        let found = match provider::system(info.kind).discover(cluster, all).await {
            Ok(Some(found)) => found,
            Ok(None) => continue,
            Err(e) => {
                missing.push(e.to_string());
                continue;
            }
        };
        for mut f in found {
            let what = format!("{}/{}", info.prefix, f.name);
            if managed_by(&mut managed, &f.meta, what) {
                continue;
            }
            // a route without a two-backend split is not a canary release
            if f.route.as_ref().is_err_and(provider::is_no_split) {
                continue;
            }
            settled(cluster, info.kind, &mut f).await;
            out.push(listed(&f.namespace, info.kind, &f.name, f.route));
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

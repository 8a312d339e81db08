//! The board's lists: the first list of each kind at the first version the cluster serves,
//! cluster-wide or in each namespace given with `-n` where that is forbidden (said once), and the
//! board of a context read once for `canary board -o json`.

use crate::cluster::listing::{self, Listed, Query, Wire};
use crate::model::{wall_clock, Kind, KINDS};
use crate::provider;
use kube::api::DynamicObject;
use kube::Resource as _;
use std::collections::BTreeMap;

use super::board::Scope;
use super::board_rows::{self, Memory, Workloads};
use super::board_wire::{DeploymentWire, Keyed};

/// A kind's watches as listed first: the version served and each scope's list.
pub struct FirstLists<K> {
    pub version: &'static str,
    pub lists: Vec<(Query, Listed<K>)>,
}

fn is_code(e: &kube::Error, code: u16) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == code)
}

fn words(e: &kube::Error) -> String {
    crate::cluster::words::cause_in_words(e)
}

/// The first lists of one kind at the first version served: cluster-wide, else in each of
/// `namespaces` when that is forbidden. `Ok(None)`: not served, or not listable (said in
/// `notes`).
pub async fn first_lists<W: Wire>(
    scope: &Scope,
    path: impl Fn(&'static str, Option<&str>) -> String,
    versions: &'static [&'static str],
    what: &str,
    notes: &mut Vec<String>,
) -> Result<Option<FirstLists<W::Kept>>, String> {
    let client = &scope.cluster.client;
    for &version in versions {
        let query = Query {
            path: path(version, None),
            labels: None,
            fields: None,
        };
        match listing::list::<W>(client, &query).await {
            Ok(listed) => {
                return Ok(Some(FirstLists {
                    version,
                    lists: vec![(query, listed)],
                }))
            }
            Err(e) if is_code(&e, 404) => continue,
            Err(e) if is_code(&e, 403) => {
                if scope.namespaces.is_empty() {
                    notes.push(format!(
                        "{what}: may not list them in every namespace; pass -n NAMESPACE (repeatable) to look in those"
                    ));
                    return Ok(None);
                }
                let said = fallback(scope);
                if !notes.contains(&said) {
                    notes.push(said);
                }
                return per_namespace::<W>(scope, &path, version, what, notes).await;
            }
            Err(e) => return Err(words(&e)),
        }
    }
    Ok(None)
}

/// What the board says, once, when listing every namespace is forbidden.
fn fallback(scope: &Scope) -> String {
    format!(
        "listing every namespace is forbidden: the board looks in {} (-n)",
        scope.namespaces.join(", ")
    )
}

async fn per_namespace<W: Wire>(
    scope: &Scope,
    path: &impl Fn(&'static str, Option<&str>) -> String,
    version: &'static str,
    what: &str,
    notes: &mut Vec<String>,
) -> Result<Option<FirstLists<W::Kept>>, String> {
    let mut lists = Vec::new();
    for ns in &scope.namespaces {
        let query = Query {
            path: path(version, Some(ns)),
            labels: None,
            fields: None,
        };
        match listing::list::<W>(&scope.cluster.client, &query).await {
            Ok(listed) => lists.push((query, listed)),
            Err(e) if is_code(&e, 403) || is_code(&e, 404) => {
                notes.push(format!("{what} in {ns}: {}", words(&e)));
            }
            Err(e) => return Err(words(&e)),
        }
    }
    Ok(Some(FirstLists { version, lists }))
}

/// Every action on `facts` unavailable, and why.
pub fn refuse(facts: &mut [crate::board::Facts], why: &str) {
    for f in facts {
        for p in &mut f.plans {
            p.plan = Err(why.to_string());
        }
    }
}

pub fn route_path(kind: Kind) -> impl Fn(&'static str, Option<&str>) -> String {
    let resource = provider::system(kind).resource();
    move |version, ns| DynamicObject::url_path(&resource.api_resource(version), ns)
}

pub fn deployment_path(_version: &'static str, ns: Option<&str>) -> String {
    k8s_openapi::api::apps::v1::Deployment::url_path(&(), ns)
}

/// Every release of the context once, for `canary board -o json`: one list per kind, no watch.
/// What could not be listed is said in the notes.
pub async fn snapshot(scope: &Scope) -> Result<(Vec<crate::board::Facts>, Vec<String>), String> {
    let mut notes = Vec::new();
    let mut objects: Vec<(Option<&'static str>, BTreeMap<String, DynamicObject>)> = Vec::new();
    let mut workloads = Workloads::new();
    for info in &KINDS {
        let resource = provider::system(info.kind).resource();
        let what = format!("{} ({})", resource.plural, info.provider);
        let first = first_lists::<Keyed>(
            scope,
            route_path(info.kind),
            resource.versions,
            &what,
            &mut notes,
        )
        .await?;
        let mut map = BTreeMap::new();
        let version = first.map(|f| {
            for (_, listed) in f.lists {
                map.extend(listed.items.into_iter().map(|k| (k.key, k.obj)));
            }
            f.version
        });
        objects.push((version, map));
    }
    let first =
        first_lists::<DeploymentWire>(scope, deployment_path, &["v1"], "deployments", &mut notes)
            .await?;
    for (_, listed) in first.into_iter().flat_map(|f| f.lists) {
        for w in listed.items {
            workloads.insert((w.namespace, w.name), w.ready);
        }
    }
    let now = wall_clock();
    let mut memory = Memory::new();
    let mut all = Vec::new();
    for (slot, info) in KINDS.iter().enumerate() {
        let Some((Some(version), map)) = objects.get(slot) else {
            continue;
        };
        let listed: Vec<DynamicObject> = map.values().cloned().collect();
        let mut facts = board_rows::facts(
            &scope.cluster.context,
            info.kind,
            version,
            &listed,
            &workloads,
            &mut memory,
            now,
        );
        if !facts.is_empty() {
            if let Some(why) = super::board_access::refused(scope, info.kind).await {
                refuse(&mut facts, &why);
            }
        }
        all.extend(facts);
    }
    Ok((all, notes))
}

//! The board's watches of one context: one list+watch per kind, cluster-wide (or per namespace
//! given with `-n` where a cluster-wide list is forbidden): the routing objects of every system
//! and the Deployments' status, never a pod. Nothing else is asked in steady state. When the API
//! server stops answering, the context is said unreachable; once it answers again (a probe every
//! few seconds while it does not), everything is listed anew.

use crate::board::Update;
use crate::cluster::follow::{follow, Update as Change};
use crate::cluster::listing::Wire;
use crate::cluster::Cluster;
use crate::model::{wall_clock, KINDS};
use crate::provider;
use kube::api::DynamicObject;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::board_lists::{deployment_path, first_lists, refuse, route_path, FirstLists};
use super::board_rows::{self, Memory, Workloads};
use super::board_wire::{DeploymentWire, Keyed, Workload};

/// Changes that arrive within this of each other are one rebuild of the rows.
const COALESCE: Duration = Duration::from_millis(100);

/// How often an unreachable API server is asked whether it is back.
const PROBE: Duration = Duration::from_secs(3);

/// Where the board looks in one context: every namespace, else those given with `-n`.
#[derive(Clone)]
pub struct Scope {
    pub cluster: Cluster,
    pub namespaces: Vec<String>,
}

/// A change from one of the context's watches: `slot` is the kind's index in [`KINDS`], or
/// [`KINDS`]`.len()` for the Deployments.
enum Payload {
    Objects(usize, Box<Change<Keyed>>),
    Workloads(Change<Workload>),
}

/// Why a session of watches ended.
enum End {
    /// The board closed.
    Closed,
    /// The API server stopped answering: when, and what was said.
    Lost(String),
}

/// Follows each of the context's watches into one channel, from the first lists.
fn spawn_follows<W, F>(
    scope: &Scope,
    first: FirstLists<W::Kept>,
    tx: &mpsc::Sender<Payload>,
    wrap: F,
    tasks: &mut Vec<JoinHandle<()>>,
) where
    W: Wire,
    F: Fn(Change<W::Kept>) -> Payload + Clone + Send + Sync + 'static,
{
    for (query, listed) in first.lists {
        let task = follow::<W, _, _>(
            scope.cluster.client.clone(),
            query,
            Some(listed),
            tx.clone(),
            wrap.clone(),
        );
        tasks.push(tokio::spawn(task));
    }
}

/// What one context's watches hold.
#[derive(Default)]
struct Held {
    /// Per kind of [`KINDS`]: the version served (none: not watched) and the objects by
    /// `namespace/name`.
    objects: Vec<(Option<&'static str>, BTreeMap<String, DynamicObject>)>,
    workloads: Workloads,
    /// Per kind: why the user may not change its objects, when they may not.
    refused: Vec<Option<String>>,
}

fn apply_objects(map: &mut BTreeMap<String, DynamicObject>, change: Change<Keyed>) {
    match change {
        Change::Listed(all) => *map = all.into_iter().map(|k| (k.key, k.obj)).collect(),
        Change::Upsert(k) => {
            map.insert(k.key, k.obj);
        }
        Change::Removed(key) => {
            map.remove(&key);
        }
        Change::Restarting | Change::Failed { .. } => {}
    }
}

/// Applies a change of the Deployments; whether a readiness the board shows changed (a status
/// update that leaves ready and desired as they were changes nothing).
fn apply_workloads(map: &mut Workloads, change: Change<Workload>) -> bool {
    match change {
        Change::Listed(all) => {
            *map = all
                .into_iter()
                .map(|w| ((w.namespace, w.name), w.ready))
                .collect();
            true
        }
        Change::Upsert(w) => map.insert((w.namespace, w.name), w.ready) != Some(w.ready),
        Change::Removed(key) => key
            .split_once('/')
            .and_then(|(ns, name)| map.remove(&(ns.to_string(), name.to_string())))
            .is_some(),
        Change::Restarting | Change::Failed { .. } => false,
    }
}

/// Sends the releases of the kinds `dirty` marks.
async fn emit(
    context: &str,
    held: &Held,
    dirty: &mut [bool],
    memory: &mut Memory,
    tx: &mpsc::Sender<Update>,
) -> bool {
    let now = wall_clock();
    for (slot, info) in KINDS.iter().enumerate() {
        if !std::mem::take(&mut dirty[slot]) {
            continue;
        }
        let Some((Some(version), map)) = held.objects.get(slot) else {
            continue;
        };
        let objects: Vec<DynamicObject> = map.values().cloned().collect();
        let mut facts = board_rows::facts(
            context,
            info.kind,
            version,
            &objects,
            &held.workloads,
            memory,
            now,
        );
        if let Some(Some(why)) = held.refused.get(slot) {
            refuse(&mut facts, why);
        }
        let update = Update::Releases {
            context: context.to_string(),
            kind: info.prefix,
            facts,
            at: now,
        };
        if tx.send(update).await.is_err() {
            return false;
        }
    }
    true
}

/// One session of the context's watches: the first lists, then the watches until the board
/// closes or the API server stops answering.
async fn session(
    scope: &Scope,
    tx: &mpsc::Sender<Update>,
    memory: &mut Memory,
    said: &mut bool,
) -> End {
    let context = scope.cluster.context.clone();
    let (ptx, mut prx) = mpsc::channel::<Payload>(1024);
    let mut tasks = Vec::new();
    let mut held = Held::default();
    let mut notes = Vec::new();
    for (slot, info) in KINDS.iter().enumerate() {
        let resource = provider::system(info.kind).resource();
        let what = format!("{} ({})", resource.plural, info.provider);
        let first = first_lists::<Keyed>(
            scope,
            route_path(info.kind),
            resource.versions,
            &what,
            &mut notes,
        )
        .await;
        let first = match first {
            Ok(f) => f,
            Err(why) => return stop(tasks, why),
        };
        held.objects
            .push((first.as_ref().map(|f| f.version), BTreeMap::new()));
        held.refused.push(None);
        if let Some(first) = first {
            let wrap = move |c| Payload::Objects(slot, Box::new(c));
            spawn_follows::<Keyed, _>(scope, first, &ptx, wrap, &mut tasks);
        }
    }
    match first_lists::<DeploymentWire>(scope, deployment_path, &["v1"], "deployments", &mut notes)
        .await
    {
        Ok(Some(first)) => {
            spawn_follows::<DeploymentWire, _>(scope, first, &ptx, Payload::Workloads, &mut tasks)
        }
        Ok(None) => {}
        Err(why) => return stop(tasks, why),
    }
    drop(ptx);
    for (slot, info) in KINDS.iter().enumerate() {
        if held.objects[slot].0.is_some() {
            held.refused[slot] = super::board_access::refused(scope, info.kind).await;
        }
    }
    if !*said && !notes.is_empty() {
        *said = true;
        let text = format!("{context}: {}", notes.join("; "));
        if tx.send(Update::Note { warn: true, text }).await.is_err() {
            return stop(tasks, String::new());
        }
    }
    let mut dirty = vec![false; KINDS.len()];
    // the board is complete once every watch has brought its first list
    let mut awaited = tasks.len();
    let mut listed = false;
    while let Some(p) = prx.recv().await {
        let mut next = Some(p);
        // what arrives within a moment is one emission: a burst costs one rebuild
        let until = tokio::time::Instant::now() + COALESCE;
        while let Some(p) = next.take() {
            let first = matches!(
                &p,
                Payload::Objects(_, c) if matches!(**c, Change::Listed(_))
            ) || matches!(&p, Payload::Workloads(Change::Listed(_)));
            if first {
                awaited = awaited.saturating_sub(1);
            }
            match p {
                Payload::Objects(_, change) if matches!(*change, Change::Failed { .. }) => {
                    return stop(tasks, failed_words(*change))
                }
                Payload::Workloads(Change::Failed { words, .. }) => return stop(tasks, words),
                Payload::Objects(slot, change) => {
                    dirty[slot] = true;
                    apply_objects(&mut held.objects[slot].1, *change);
                }
                Payload::Workloads(change) => {
                    if apply_workloads(&mut held.workloads, change) {
                        dirty.iter_mut().for_each(|d| *d = true);
                    }
                }
            }
            next = match prx.try_recv() {
                Ok(p) => Some(p),
                // the first lists are all on their way: no need to wait for more
                Err(_) if !listed && awaited > 0 => prx.recv().await,
                Err(_) => tokio::time::timeout_at(until, prx.recv())
                    .await
                    .ok()
                    .flatten(),
            };
        }
        if !dirty.iter().any(|d| *d) && listed {
            continue;
        }
        if !emit(&context, &held, &mut dirty, memory, tx).await {
            return stop(tasks, String::new());
        }
        if !listed && awaited == 0 {
            listed = true;
            if tx.send(Update::Listed).await.is_err() {
                return stop(tasks, String::new());
            }
        }
    }
    stop(tasks, String::new())
}

fn failed_words<K>(change: Change<K>) -> String {
    match change {
        Change::Failed { words, .. } => words,
        _ => String::new(),
    }
}

fn stop(tasks: Vec<JoinHandle<()>>, why: String) -> End {
    for t in tasks {
        t.abort();
    }
    if why.is_empty() {
        End::Closed
    } else {
        End::Lost(why)
    }
}

/// Follows the context until the board closes.
pub async fn run(scope: Scope, tx: mpsc::Sender<Update>) {
    let context = scope.cluster.context.clone();
    let mut memory = Memory::new();
    let mut said = false;
    loop {
        let why = match session(&scope, &tx, &mut memory, &mut said).await {
            End::Closed => return,
            End::Lost(why) => why,
        };
        tracing::warn!(context = %context, why = %why, "the board lost the context");
        let lost = Update::Unreachable {
            context: context.clone(),
            since: wall_clock(),
            why,
        };
        if tx.send(lost).await.is_err() {
            return;
        }
        // asked every few seconds while it does not answer: not steady state
        loop {
            tokio::time::sleep(PROBE).await;
            if tx.is_closed() {
                return;
            }
            if scope.cluster.client.apiserver_version().await.is_ok() {
                break;
            }
        }
        tracing::info!(context = %context, "the board's context answers again");
        if tx
            .send(Update::Reachable {
                context: context.clone(),
            })
            .await
            .is_err()
        {
            return;
        }
    }
}

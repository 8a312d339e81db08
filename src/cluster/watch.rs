//! A live release as a stream of cockpit events: list+watch of its routing object(s) (the
//! namespace's Ingresses; the VirtualService or HTTPRoute by name) and of its pods (kube-runtime
//! reflectors, reconnecting with backoff and relisting after 410 Gone). Nothing is polled: in
//! steady state the only traffic is the open watches.
//!
//! Effects become conditional writes; their results come back as `ActionResult` events. A
//! promotion or rollback runs as a task of its own so that the watches keep the screen current
//! while it waits for a rollout; a rollback during a promotion stops the promotion first.

use crate::app::{Action, Actor, Effect, Event};
use crate::model::Millis;
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Event as KubeEvent, Pod as KubePod};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::DynamicObject;
use kube::runtime::reflector::{self, store::Writer, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Api;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

use super::actions::{self, Reporter};
use super::release::{self, Observed, Route, Routing};
use super::selector::pod_queries;
use super::{argo, flagger, gateway, kubesphere, write, Cluster, Kind};
use crate::gate::{GateBook, GateState};

/// How often the source confirms that its watches are up (and the clock moves on).
pub const HEARTBEAT: Duration = Duration::from_secs(1);

fn now() -> Millis {
    crate::run::wall_clock()
}

/// An item of one of the watches.
struct Change {
    watch: usize,
    item: Item,
}

enum Item {
    /// The watch is (re)starting its list; it proves nothing about the connection yet.
    Restarting,
    /// The list is complete: the store holds the whole picture.
    Listed,
    /// An object was added, changed or deleted.
    Changed,
    /// A Warning event about a pod of the namespace.
    Warning {
        pod: String,
        text: String,
    },
    Failed(String),
}

fn change<K>(watch: usize) -> impl Fn(Result<watcher::Event<K>, watcher::Error>) -> Change {
    move |r| Change {
        watch,
        item: match r {
            Ok(watcher::Event::Init) => Item::Restarting,
            Ok(watcher::Event::InitDone) => Item::Listed,
            Ok(_) => Item::Changed,
            Err(e) => Item::Failed(e.to_string()),
        },
    }
}

/// How the source acts on the release.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A rollback moves the traffic back but leaves the canary's pods running.
    pub keep_canary: bool,
    /// Never write: every action is refused (the cockpit's keys say so before they get here).
    pub read_only: bool,
    /// The gates this cockpit answers for Flagger (`--gate-listen`), and where.
    pub gates: Option<(GateBook, String)>,
}

/// A promotion or rollback under way.
struct Running {
    action: Action,
    actor: Actor,
    task: tokio::task::JoinHandle<()>,
    /// What the promotion changed so far, for a rollback that stops it.
    undo: actions::SharedUndo,
}

/// Runs until the cockpit closes the channels. `seen` is the release as first read.
pub async fn run(
    cluster: Cluster,
    seen: Observed,
    options: Options,
    tx: mpsc::Sender<Event>,
    mut effects: mpsc::UnboundedReceiver<Effect>,
) {
    let mut set = WatchSet::start(&cluster, &seen);
    let mut latest = seen;
    let mut running: Option<Running> = None;
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let event = tokio::select! {
            change = set.changes.next() => match change {
                None => break,
                Some(Change { watch, item: Item::Failed(e) }) => {
                    let newly = !set.failing();
                    set.failing[watch] = true;
                    // one message when the source goes down, not one per retry
                    newly.then(|| Event::SourceError { at: now(), source: "watch".to_string(), message: e })
                }
                Some(Change { item: Item::Restarting, .. }) => None,
                Some(Change { item: Item::Warning { pod, text }, .. }) => {
                    let ours = latest.pods.primary.iter().chain(&latest.pods.canary).any(|p| p.name == pod);
                    ours.then(|| Event::Note {
                        at: now(),
                        author: "cluster".to_string(),
                        text,
                    })
                }
                Some(Change { watch, item }) => {
                    if matches!(item, Item::Listed) {
                        set.listed[watch] = true;
                        set.failing[watch] = false;
                    }
                    if !set.listed.iter().all(|l| *l) {
                        continue;
                    }
                    match set.stores.rebuild(&latest, options.gates.as_ref().map(|(b, _)| b)) {
                        Some(Ok(next)) => {
                            let mut events = differences(&latest, &next, now());
                            events.extend(gate_follows(&options, &next));
                            latest = next;
                            for ev in events {
                                if tx.send(ev).await.is_err() {
                                    return;
                                }
                            }
                            None
                        }
                        Some(Err(e)) => Some(Event::SourceError {
                            at: now(),
                            source: "cluster".to_string(),
                            message: e,
                        }),
                        None => None,
                    }
                }
            },
            _ = heartbeat.tick() => {
                if running.as_ref().is_some_and(|r| r.task.is_finished()) {
                    running = None;
                }
                if set.failing() && cluster.client.apiserver_version().await.is_ok() {
                    // the server answers again: start over with fresh lists, so that nothing
                    // missed during the outage stays missed and freshness is proven, not assumed
                    tracing::info!("the API server answers again: relisting");
                    set = WatchSet::start(&cluster, &latest);
                }
                // fresh only when every watch has listed and none is failing
                Some(if set.failing() || !set.listed.iter().all(|l| *l) {
                    Event::Tick { at: now() }
                } else {
                    Event::Heartbeat { at: now() }
                })
            }
            effect = effects.recv() => match effect {
                None => break,
                Some(effect) => {
                    for ev in execute(&cluster, &latest, &options, effect, &mut running, &tx).await {
                        if tx.send(ev).await.is_err() {
                            return;
                        }
                    }
                    None
                }
            },
        };
        if let Some(ev) = event {
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    }
    if let Some(r) = running {
        r.task.abort();
    }
}

type Changes = futures_util::stream::SelectAll<
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Change> + Send>>,
>;

/// The watches (the routing object(s), the pods, the pods' Warning events) and their stores.
struct WatchSet {
    stores: Stores,
    changes: Changes,
    /// The stores are only complete once every watch has listed: no release from half a list.
    listed: Vec<bool>,
    /// A failing watch stays failing until it has listed again.
    failing: Vec<bool>,
}

enum RouteStore {
    Ingresses(Store<Ingress>),
    Object {
        kind: Kind,
        version: &'static str,
        store: Store<DynamicObject>,
    },
    /// The Rollout (by name) and the namespace's AnalysisRuns.
    Rollout {
        store: Store<DynamicObject>,
        runs: Store<DynamicObject>,
    },
}

/// A reflector over custom objects of `resource` (by name when `name` is given).
fn dynamic_watch(
    cluster: &Cluster,
    resource: super::dynamic::Resource,
    version: &str,
    name: Option<&str>,
    watch: usize,
) -> (Store<DynamicObject>, Changes) {
    let writer = Writer::<DynamicObject>::new(resource.api_resource(version));
    let store = writer.as_reader();
    let config = match name {
        Some(n) => watcher::Config::default().fields(&format!("metadata.name={n}")),
        None => watcher::Config::default(),
    };
    let stream = reflector::reflector(
        writer,
        watcher(resource.api(cluster, version), config).default_backoff(),
    )
    .map(change(watch));
    let mut one = futures_util::stream::SelectAll::new();
    one.push(stream.boxed());
    (store, one)
}

struct Stores {
    route: RouteStore,
    pods: Vec<Store<KubePod>>,
}

impl WatchSet {
    fn start(cluster: &Cluster, latest: &Observed) -> WatchSet {
        let client = cluster.client.clone();
        let ns = cluster.namespace.as_str();
        let mut changes = futures_util::stream::SelectAll::new();
        let route = match &latest.route.routing {
            Routing::Nginx { .. } => {
                let (store, writer) = reflector::store::<Ingress>();
                let stream = reflector::reflector(
                    writer,
                    watcher(
                        Api::<Ingress>::namespaced(client.clone(), ns),
                        watcher::Config::default(),
                    )
                    .default_backoff(),
                )
                .map(change(0));
                changes.push(stream.boxed());
                RouteStore::Ingresses(store)
            }
            Routing::Flagger { .. } => {
                let version = flagger::CANARY.versions[0];
                let (store, stream) = dynamic_watch(
                    cluster,
                    flagger::CANARY,
                    version,
                    Some(&latest.route.name),
                    0,
                );
                changes.push(stream.boxed());
                RouteStore::Object {
                    kind: Kind::Canary,
                    version,
                    store,
                }
            }
            Routing::Strategy { .. } => {
                let version = kubesphere::STRATEGY.versions[0];
                let (store, stream) = dynamic_watch(
                    cluster,
                    kubesphere::STRATEGY,
                    version,
                    Some(&latest.route.name),
                    0,
                );
                changes.push(stream.boxed());
                RouteStore::Object {
                    kind: Kind::Strategy,
                    version,
                    store,
                }
            }
            Routing::Split { kind, version, .. } => {
                let resource = release::resource_of(*kind).unwrap_or(gateway::HTTP_ROUTE);
                let (store, stream) =
                    dynamic_watch(cluster, resource, version, Some(&latest.route.name), 0);
                changes.push(stream.boxed());
                RouteStore::Object {
                    kind: *kind,
                    version,
                    store,
                }
            }
            Routing::Rollout { .. } => {
                let version = argo::ROLLOUT.versions[0];
                let (store, stream) =
                    dynamic_watch(cluster, argo::ROLLOUT, version, Some(&latest.route.name), 0);
                changes.push(stream.boxed());
                let (runs, stream) = dynamic_watch(cluster, argo::ANALYSIS_RUN, version, None, 1);
                changes.push(stream.boxed());
                RouteStore::Rollout { store, runs }
            }
        };
        let first_pods = match &route {
            RouteStore::Rollout { .. } => 2,
            _ => 1,
        };
        let mut pods = Vec::new();
        for (i, query) in pod_queries(&latest.selectors).into_iter().enumerate() {
            let (store, writer) = reflector::store::<KubePod>();
            let stream = reflector::reflector(
                writer,
                watcher(
                    Api::<KubePod>::namespaced(client.clone(), ns),
                    watcher::Config::default().labels(&query.to_string()),
                )
                .default_backoff(),
            )
            .map(change(first_pods + i));
            changes.push(stream.boxed());
            pods.push(store);
        }
        let watches = first_pods + pods.len();
        changes.push(warnings(cluster, watches).boxed());
        WatchSet {
            stores: Stores { route, pods },
            changes,
            listed: vec![false; watches + 1],
            failing: vec![false; watches + 1],
        }
    }

    fn failing(&self) -> bool {
        self.failing.iter().any(|f| *f)
    }
}

/// Warning events of the namespace's pods (the loop keeps those of the release's pods). Only events
/// that happen while the cockpit watches: the list that starts the watch is history.
fn warnings(cluster: &Cluster, watch: usize) -> impl futures_util::Stream<Item = Change> + Send {
    let api = Api::<KubeEvent>::namespaced(cluster.client.clone(), &cluster.namespace);
    let config = watcher::Config::default().fields("type=Warning,involvedObject.kind=Pod");
    let mut listing = false;
    let mut known: std::collections::HashSet<String> = std::collections::HashSet::new();
    watcher(api, config).default_backoff().filter_map(move |r| {
        let out = match r {
            Ok(watcher::Event::Init) => {
                listing = true;
                Some(Item::Restarting)
            }
            Ok(watcher::Event::InitApply(e)) => {
                known.insert(event_key(&e));
                None
            }
            Ok(watcher::Event::InitDone) => {
                listing = false;
                Some(Item::Listed)
            }
            Ok(watcher::Event::Apply(e)) if !listing => {
                // a repeated event comes back with a higher count: say it again
                let pod = e.involved_object.name.clone().unwrap_or_default();
                known.insert(event_key(&e)).then(|| Item::Warning {
                    text: warning_text(&pod, &e),
                    pod,
                })
            }
            Ok(_) => None,
            Err(e) => Some(Item::Failed(e.to_string())),
        };
        futures_util::future::ready(out.map(|item| Change { watch, item }))
    })
}

fn event_key(e: &KubeEvent) -> String {
    format!(
        "{}/{}",
        e.metadata.name.as_deref().unwrap_or_default(),
        e.count.unwrap_or(1)
    )
}

fn warning_text(pod: &str, e: &KubeEvent) -> String {
    let reason = e.reason.as_deref().unwrap_or("Warning");
    let message = e.message.as_deref().unwrap_or_default();
    match e.count {
        Some(n) if n > 1 => format!("pod {pod}: {reason}: {message} (×{n})"),
        _ => format!("pod {pod}: {reason}: {message}"),
    }
}

impl Stores {
    /// The release from the stores; `None` until the routing store has its object.
    fn rebuild(
        &self,
        latest: &Observed,
        gates: Option<&GateBook>,
    ) -> Option<Result<Observed, String>> {
        let ns = &latest.snapshot.namespace;
        let route: Result<Route, String> = match &self.route {
            RouteStore::Ingresses(store) => {
                let ingresses: Vec<Ingress> = owned(store.state());
                if ingresses.is_empty() {
                    return None;
                }
                release::route_from_ingresses(&ingresses, &latest.route.name)
                    .map_err(|e| e.to_string())
            }
            RouteStore::Object {
                kind,
                version,
                store,
            } => {
                let objects = store.state();
                let obj = objects.first()?;
                if *kind == Kind::Canary {
                    let state = gates.map(|b| gate_state(b, ns, &latest.route.name));
                    release::route_from_canary(obj, latest.selectors.clone(), state)
                        .map_err(|e| e.to_string())
                } else {
                    release::route_from_object(*kind, version, ns, obj).map_err(|e| e.to_string())
                }
            }
            RouteStore::Rollout { store, runs } => {
                let objects = store.state();
                let obj = objects.first()?;
                let runs: Vec<DynamicObject> = owned(runs.state());
                release::route_from_rollout(obj, &runs).map_err(|e| e.to_string())
            }
        };
        let route = match route {
            Ok(route) => route,
            Err(e) => return Some(Err(e)),
        };
        let pods: Vec<KubePod> = self.pods.iter().flat_map(|s| owned(s.state())).collect();
        let mut next =
            release::assemble(&latest.target, ns, route, latest.selectors.clone(), &pods);
        // the operator's stepping plan is the cockpit's, not the cluster's
        next.snapshot.plan.clone_from(&latest.snapshot.plan);
        Some(Ok(next))
    }
}

fn owned<K: Clone>(items: Vec<Arc<K>>) -> Vec<K> {
    items.iter().map(|k| K::clone(k)).collect()
}

/// The events that tell the cockpit what changed between two reads.
fn differences(before: &Observed, after: &Observed, at: Millis) -> Vec<Event> {
    let mut out = Vec::new();
    if before.snapshot != after.snapshot {
        out.push(Event::ReleaseObserved {
            at,
            release: after.snapshot.clone(),
        });
    }
    if before.pods != after.pods {
        out.push(Event::PodsObserved {
            at,
            pods: after.pods.clone(),
        });
    }
    out
}

/// How the cockpit's gates stand for a canary, for its analysis panel.
pub fn gate_state(book: &GateBook, namespace: &str, name: &str) -> (String, bool) {
    let gate = match book.gate(namespace, name) {
        GateState::Closed => "closed".to_string(),
        GateState::Open => "open".to_string(),
        GateState::OpenForStep { .. } => "open for one step".to_string(),
    };
    (gate, book.rollback(namespace, name))
}

/// What the gates do when a Flagger canary moves: a gate opened for one step closes once the
/// weight moved; every gate closes when the release is over, so the next one starts closed.
fn gate_follows(options: &Options, next: &Observed) -> Vec<Event> {
    let (Some((book, _)), Routing::Flagger { canary }) = (&options.gates, &next.route.routing)
    else {
        return Vec::new();
    };
    let (ns, name) = (&next.snapshot.namespace, &next.route.name);
    let mut out = Vec::new();
    if book.observe_weight(ns, name, canary.weight) {
        out.push(format!(
            "gate closed again: the weight moved to {} %",
            canary.weight
        ));
    }
    let over = matches!(canary.phase.as_str(), "Succeeded" | "Failed");
    if over && (book.gate(ns, name) != GateState::Closed || book.rollback(ns, name)) {
        book.set_gate(ns, name, GateState::Closed);
        book.set_rollback(ns, name, false);
        out.push(format!("gates closed: the release is {}", canary.phase));
    }
    out.into_iter()
        .map(|text| Event::Note {
            at: now(),
            author: "cockpit".to_string(),
            text,
        })
        .collect()
}

fn result(action: Action, actor: Actor, error: Option<String>) -> Event {
    Event::ActionResult {
        at: now(),
        action,
        actor,
        error,
    }
}

/// Performs one effect against the cluster. Quick writes answer at once; a promotion or rollback
/// starts a task that tells its stages as notes, then its result.
async fn execute(
    cluster: &Cluster,
    latest: &Observed,
    options: &Options,
    effect: Effect,
    running: &mut Option<Running>,
    tx: &mpsc::Sender<Event>,
) -> Vec<Event> {
    let (action, actor) = match effect {
        Effect::Act { action, actor } => (action, actor),
        Effect::SendAlert { message } => {
            tracing::warn!(%message, "alert");
            return Vec::new();
        }
    };
    if options.read_only {
        return vec![result(
            action,
            actor,
            Some("the cockpit is read-only (--readonly): nothing was written".to_string()),
        )];
    }
    let mut out = Vec::new();
    let mut undo = actions::SharedUndo::default();
    if let Some(r) = running.take() {
        if !r.task.is_finished() {
            if action == Action::Rollback && r.action == Action::Promote {
                // the operator wants out: stop the promotion where it is, then roll back
                r.task.abort();
                undo = r.undo.clone();
                out.push(result(
                    r.action,
                    r.actor,
                    Some("stopped by a rollback".to_string()),
                ));
            } else {
                let busy = format!("a {} is under way: wait for it to finish", r.action);
                *running = Some(r);
                return vec![result(action, actor, Some(busy))];
            }
        }
    }
    if let Routing::Flagger { .. } = &latest.route.routing {
        let gates = options.gates.as_ref().map(|(b, _)| b);
        let done = actions::flagger(cluster, latest, action, gates).await;
        if let Ok(Some(note)) = &done {
            out.push(Event::Note {
                at: now(),
                author: "cockpit".to_string(),
                text: note.clone(),
            });
        }
        out.push(result(action, actor, done.err().map(|e| e.to_string())));
        return out;
    }
    let outcome = match action {
        Action::SetWeight { weight } => write::set_weight(cluster, &latest.route, weight, None)
            .await
            .map(drop),
        Action::NextStep => actions::next_step(cluster, latest).await,
        Action::Pause | Action::Resume => {
            write::set_paused(cluster, &latest.route, action == Action::Pause)
                .await
                .map(drop)
        }
        Action::Promote | Action::Rollback if actions::controller_owned(latest) => {
            actions::through_controller(cluster, latest, action).await
        }
        Action::Promote | Action::Rollback => {
            let (cluster, seen, tx) = (cluster.clone(), latest.clone(), tx.clone());
            let actor_ = actor.clone();
            let shared = undo.clone();
            let keep_canary = options.keep_canary;
            let task = tokio::spawn(async move {
                let mut report = Reporter::Events(tx.clone());
                let done = if action == Action::Promote {
                    actions::promote(&cluster, &seen, &mut report, &shared).await
                } else {
                    let keep = keep_canary;
                    actions::rollback(&cluster, &seen, keep, &mut report, &shared).await
                };
                let ev = result(action, actor_, done.err().map(|e| e.to_string()));
                if tx.send(ev).await.is_err() {
                    tracing::debug!("the cockpit closed before the action ended");
                }
            });
            *running = Some(Running {
                action,
                actor,
                task,
                undo,
            });
            return out;
        }
    };
    out.push(result(action, actor, outcome.err().map(|e| e.to_string())));
    out
}

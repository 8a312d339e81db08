//! A live release as a stream of cockpit events: list+watch of the namespace's Ingresses and of
//! each version's pods (kube-runtime reflectors, reconnecting with backoff and relisting after
//! 410 Gone). Nothing is polled: in steady state the only traffic is the open watches.
//!
//! Effects become conditional writes; their results come back as `ActionResult` events.

use crate::app::{Action, Effect, Event};
use crate::model::Millis;
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Pod as KubePod;
use k8s_openapi::api::networking::v1::Ingress;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Api;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

use super::nginx;
use super::release::{self, Observed};
use super::Cluster;

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
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// A rollback moves the traffic back but leaves the canary's pods running.
    pub keep_canary: bool,
}

/// Runs until the cockpit closes the channels. `seen` is the release as first read.
pub async fn run(
    cluster: Cluster,
    seen: Observed,
    options: Options,
    tx: mpsc::Sender<Event>,
    mut effects: mpsc::UnboundedReceiver<Effect>,
) {
    let mut set = WatchSet::start(&cluster, &seen.selectors);
    let mut latest = seen;
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
                Some(Change { watch, item }) => {
                    if matches!(item, Item::Listed) {
                        set.listed[watch] = true;
                        set.failing[watch] = false;
                    }
                    if !set.listed.iter().all(|l| *l) {
                        continue;
                    }
                    match set.stores.rebuild(&latest) {
                        Some(Ok(next)) => {
                            let events = differences(&latest, &next, now());
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
                if set.failing() && cluster.client.apiserver_version().await.is_ok() {
                    // the server answers again: start over with fresh lists, so that nothing
                    // missed during the outage stays missed and freshness is proven, not assumed
                    tracing::info!("the API server answers again: relisting");
                    set = WatchSet::start(&cluster, &latest.selectors);
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
                    for ev in execute(&cluster, &latest, options, effect).await {
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
}

type Changes = std::pin::Pin<Box<dyn futures_util::Stream<Item = Change> + Send>>;

/// The three watches (the namespace's Ingresses, each version's pods) and their stores.
struct WatchSet {
    stores: Stores,
    changes: Changes,
    /// The stores are only complete once every watch has listed: no release from half a list.
    listed: [bool; 3],
    /// A failing watch stays failing until it has listed again.
    failing: [bool; 3],
}

impl WatchSet {
    fn start(cluster: &Cluster, selectors: &[String; 2]) -> WatchSet {
        let client = cluster.client.clone();
        let ns = cluster.namespace.as_str();
        let (ingresses, ing_writer) = reflector::store::<Ingress>();
        let (primary, p_writer) = reflector::store::<KubePod>();
        let (canary, c_writer) = reflector::store::<KubePod>();
        let pods = |labels: &str| {
            watcher(
                Api::<KubePod>::namespaced(client.clone(), ns),
                watcher::Config::default().labels(labels),
            )
            .default_backoff()
        };
        let ing_stream = reflector::reflector(
            ing_writer,
            watcher(
                Api::<Ingress>::namespaced(client.clone(), ns),
                watcher::Config::default(),
            )
            .default_backoff(),
        )
        .map(change(0));
        let p_stream = reflector::reflector(p_writer, pods(&selectors[0])).map(change(1));
        let c_stream = reflector::reflector(c_writer, pods(&selectors[1])).map(change(2));
        WatchSet {
            stores: Stores {
                ingresses,
                primary,
                canary,
            },
            changes: Box::pin(futures_util::stream::select(
                ing_stream,
                futures_util::stream::select(p_stream, c_stream),
            )),
            listed: [false; 3],
            failing: [false; 3],
        }
    }

    fn failing(&self) -> bool {
        self.failing.iter().any(|f| *f)
    }
}

struct Stores {
    ingresses: Store<Ingress>,
    primary: Store<KubePod>,
    canary: Store<KubePod>,
}

impl Stores {
    /// The release from the stores; `None` until every store has its first list.
    fn rebuild(&self, latest: &Observed) -> Option<Result<Observed, String>> {
        let ingresses: Vec<Ingress> = owned(self.ingresses.state());
        if ingresses.is_empty() {
            return None;
        }
        let pair = match nginx::find_pair(&ingresses, &latest.target.name) {
            Ok(pair) => pair,
            Err(e) => return Some(Err(e.to_string())),
        };
        let primary = owned(self.primary.state());
        let canary = owned(self.canary.state());
        let next = release::assemble(
            &latest.target,
            &latest.snapshot.namespace,
            pair,
            latest.selectors.clone(),
            (&primary, &canary),
        );
        Some(
            next.map(|mut next| {
                // the operator's stepping plan is the cockpit's, not the cluster's
                next.snapshot.plan.clone_from(&latest.snapshot.plan);
                next
            })
            .map_err(|e| e.to_string()),
        )
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

/// Performs one effect against the cluster and says how it went: the stages of a multi-step
/// action as notes, then its result.
async fn execute(
    cluster: &Cluster,
    latest: &Observed,
    options: Options,
    effect: Effect,
) -> Vec<Event> {
    let (action, actor) = match effect {
        Effect::Act { action, actor } => (action, actor),
        Effect::SendAlert { message } => {
            tracing::warn!(%message, "alert");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let result = match action {
        Action::SetWeight { weight } => release::set_weight(cluster, latest, weight)
            .await
            .map_err(|e| e.to_string()),
        // the cockpit's own progression: nothing in the cluster changes
        Action::Pause | Action::Resume => Ok(()),
        Action::Rollback => {
            let report = release::rollback(cluster, latest, options.keep_canary).await;
            out.extend(report.done.into_iter().map(|text| Event::Note {
                at: now(),
                author: "cockpit".to_string(),
                text: format!("rollback: {text}"),
            }));
            report.error.map_or(Ok(()), |e| Err(e.to_string()))
        }
        Action::Promote => Err(
            "promotion of ingress-nginx releases is not available yet: set the weight with w"
                .to_string(),
        ),
    };
    out.push(Event::ActionResult {
        at: now(),
        action,
        actor,
        error: result.err(),
    });
    out
}

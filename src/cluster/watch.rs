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
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Millis(since_epoch.as_millis() as i64)
}

/// An item of one of the watches: `Ok(true)` when that watch finished its (re)list.
struct Change {
    watch: usize,
    item: Result<bool, String>,
}

fn change<K>(watch: usize) -> impl Fn(Result<watcher::Event<K>, watcher::Error>) -> Change {
    move |r| Change {
        watch,
        item: r
            .map(|ev| matches!(ev, watcher::Event::InitDone))
            .map_err(|e| e.to_string()),
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
    let client = cluster.client.clone();
    let ns = cluster.namespace.clone();
    let (ingresses, ing_writer) = reflector::store::<Ingress>();
    let (primary, p_writer) = reflector::store::<KubePod>();
    let (canary, c_writer) = reflector::store::<KubePod>();
    let pods = |labels: &str| {
        watcher(
            Api::<KubePod>::namespaced(client.clone(), &ns),
            watcher::Config::default().labels(labels),
        )
        .default_backoff()
    };
    let ing_stream = reflector::reflector(
        ing_writer,
        watcher(
            Api::<Ingress>::namespaced(client.clone(), &ns),
            watcher::Config::default(),
        )
        .default_backoff(),
    )
    .map(change(0));
    let p_stream = reflector::reflector(p_writer, pods(&seen.selectors[0])).map(change(1));
    let c_stream = reflector::reflector(c_writer, pods(&seen.selectors[1])).map(change(2));
    let mut changes = std::pin::pin!(futures_util::stream::select(
        ing_stream,
        futures_util::stream::select(p_stream, c_stream)
    ));

    let mut latest = seen;
    let mut healthy = true;
    // the stores are only complete once every watch has listed: no release from half a list
    let mut listed = [false; 3];
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let stores = Stores {
        ingresses,
        primary,
        canary,
    };
    loop {
        let event = tokio::select! {
            change = changes.next() => match change {
                None => break,
                Some(Change { item: Err(e), .. }) => {
                    if !std::mem::replace(&mut healthy, false) {
                        continue;
                    }
                    Some(Event::SourceError { at: now(), source: "watch".to_string(), message: e })
                }
                Some(Change { watch, item: Ok(init_done) }) => {
                    healthy = true;
                    listed[watch] |= init_done;
                    if !listed.iter().all(|l| *l) {
                        continue;
                    }
                    match stores.rebuild(&latest) {
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
            _ = heartbeat.tick() => Some(if healthy {
                Event::Heartbeat { at: now() }
            } else {
                Event::Tick { at: now() }
            }),
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

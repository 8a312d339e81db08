//! A live release as a stream of cockpit events: list+watch of what its provider names and of
//! its pods ([`super::watches`]). Nothing is polled: in steady state the only traffic is the open
//! watches.
//!
//! Effects go to the one executor ([`super::executor`]); their results come back as
//! `ActionResult` events. Every write runs as a task of its own ([`super::inflight`]) so that the
//! watches, the heartbeat and the gate server go on while it waits; a rollback stops whatever
//! runs first.
//!
//! When the cockpit serves Flagger's gates, the source takes the release's gates over from the
//! gate book for as long as it runs: it tells the cockpit how they stand (`GatesServed`), turns
//! the changes asked through the gate server into `GateChanged` events, and publishes the gates
//! when the cockpit asks (`PublishGates`).

use crate::app::{Action, Actor, Effect, Event, GateBy};
use crate::cluster::Cluster;
use crate::model::{wall_clock as now, Millis};
use crate::perform::{self, Work};
use crate::provider::flagger::gate::{GateBook, GateRequest, Handover};
use std::time::Duration;
use tokio::sync::mpsc;

use super::executor::{self, Options};
use super::inflight::{InFlight, Live};
use super::release::Observed;
use super::watches::{Change, Item, WatchSet};

/// How often the source confirms that its watches are up (and the clock moves on).
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// Runs until the cockpit closes the channels. `seen` is the release as first read.
pub async fn run(
    cluster: Cluster,
    seen: Observed,
    options: Options,
    tx: mpsc::Sender<Event>,
    mut effects: mpsc::UnboundedReceiver<Effect>,
) {
    let mut set = WatchSet::start(&cluster, &seen);
    let mut handover = options
        .gates
        .as_ref()
        .map(|(book, _)| book.hand_over(&seen.snapshot.namespace, &seen.route.name));
    if let Some(h) = &handover {
        let served = Event::GatesServed {
            at: now(),
            namespace: h.namespace().to_string(),
            name: h.name().to_string(),
            gates: h.gates(),
        };
        if tx.send(served).await.is_err() {
            return;
        }
    }
    if let Some(ev) = malformed_error(None, &seen, true) {
        if tx.send(ev).await.is_err() {
            return;
        }
    }
    // the waits the API server asks for (429), told in the event log
    let mut waits = cluster.waits.divert();
    let mut latest = seen;
    // the Warning events from before the session are shown once, when the watches first listed
    let mut told_earlier = false;
    let mut in_flight = InFlight::default();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let event = tokio::select! {
            change = set.next() => match change {
                None => break,
                Some(Change { watch, item: Item::Failed { words, detail } }) => {
                    tracing::warn!(%detail, "watch failed");
                    let newly = !set.failing();
                    set.failing[watch] = true;
                    // one message when the source goes down, not one per retry
                    let message = format!("lost the API server at {}: {words}; retrying; the data is stale", cluster.server);
                    newly.then(|| Event::SourceError { at: now(), source: "watch".to_string(), message })
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
                    if !std::mem::replace(&mut told_earlier, true) {
                        for text in earlier(&set, &latest) {
                            if tx.send(Event::Note { at: now(), author: "cluster".to_string(), text }).await.is_err() {
                                return;
                            }
                        }
                    }
                    let gates = options.gates.as_ref().map(|(b, _)| gate_state(b, &latest.snapshot.namespace, &latest.route.name));
                    match set.rebuild(&latest, gates) {
                        Some(Ok(next)) => {
                            let mut events = differences(&latest, &next, now());
                            // after the release, whose news clears the cluster's error
                            events.extend(malformed_error(Some(&latest), &next, !events.is_empty()));
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
                in_flight.reap();
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
            Some(text) = waits.recv() => Some(Event::Note {
                at: now(),
                author: "cluster".to_string(),
                text,
            }),
            request = next_request(&mut handover) => match request {
                Some(GateRequest { namespace, name, change, path }) => Some(Event::GateChanged {
                    at: now(),
                    namespace,
                    name,
                    change,
                    by: GateBy::Call { path },
                }),
                // another cockpit took the gates over
                None => {
                    handover = None;
                    None
                }
            },
            effect = effects.recv() => match effect {
                None => break,
                Some(Effect::PublishGates { namespace, name, gates, notes, action }) => {
                    let done = executor::publish(handover.as_ref(), &namespace, &name, gates)
                        .map_err(|e| e.to_string());
                    for ev in published(done, notes, action) {
                        if tx.send(ev).await.is_err() {
                            return;
                        }
                    }
                    None
                }
                Some(effect) => {
                    for ev in execute(&cluster, &latest, &options, effect, &mut in_flight, &tx) {
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
    in_flight.abort();
}

/// The last Warning events about the release's pods from before the session, marked as such.
fn earlier(set: &WatchSet, latest: &Observed) -> Vec<String> {
    let pods = &latest.pods;
    super::watches::earlier_lines(&set.earlier, |pod| {
        pods.primary
            .iter()
            .chain(&pods.canary)
            .any(|p| p.name == pod)
    })
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

/// The error that a field of the routing object could not be read, when it is new or the news
/// of the release just cleared it (`cleared`).
fn malformed_error(before: Option<&Observed>, after: &Observed, cleared: bool) -> Option<Event> {
    let m = after.route.malformed.first()?;
    let new = before.is_none_or(|b| b.route.malformed != after.route.malformed);
    (new || cleared).then(|| Event::SourceError {
        at: now(),
        source: "cluster".to_string(),
        message: format!(
            "{m}: the weight is unknown (shown as 0 %); R rolls back to 0, p pauses, every other \
             action is refused"
        ),
    })
}

/// How the cockpit's gates stand for a canary as published, for its analysis panel.
pub fn gate_state(book: &GateBook, namespace: &str, name: &str) -> (String, bool) {
    let gates = book.gates(namespace, name);
    (gates.gate.label().to_string(), gates.rollback)
}

/// The next change asked through the gate server, while the source has the release's gates.
async fn next_request(handover: &mut Option<Handover>) -> Option<GateRequest> {
    match handover {
        Some(h) => h.next_request().await,
        None => std::future::pending().await,
    }
}

/// What the executor tells once it published the gates: the notes, then the result of the
/// action they carry out. A failure without an action is a source error.
fn published(
    done: Result<(), String>,
    notes: Vec<String>,
    action: Option<(Action, Actor)>,
) -> Vec<Event> {
    let mut out = Vec::new();
    if done.is_ok() {
        out.extend(notes.into_iter().map(note));
    }
    match (action, done) {
        (Some((action, actor)), done) => {
            let outcome = done.map(|()| None);
            out.extend(perform::ended(Work::Act(action), actor, outcome, now()))
        }
        (None, Err(message)) => out.push(Event::SourceError {
            at: now(),
            source: "gates".to_string(),
            message,
        }),
        (None, Ok(())) => {}
    }
    out
}

fn note(text: String) -> Event {
    Event::Note {
        at: now(),
        author: "cockpit".to_string(),
        text,
    }
}

/// Starts one effect through the executor, in a task of its own: nothing here awaits the
/// network. What it says comes back through `tx`. (The notifier takes alerts before effects
/// reach the source; the loop, which has the gates, publishes them.)
fn execute(
    cluster: &Cluster,
    latest: &Observed,
    options: &Options,
    effect: Effect,
    in_flight: &mut InFlight,
    tx: &mpsc::Sender<Event>,
) -> Vec<Event> {
    let mut live = Live {
        cluster,
        latest,
        options,
        tx,
    };
    in_flight.perform(&mut live, effect)
}

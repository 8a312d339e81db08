//! The action in flight on a live release. Every write runs as a task of its own, so the watch
//! loop (the watches, the heartbeat, the gate server's requests) never waits on the network:
//!
//! - one action at a time: a second one is refused with the reason, never queued;
//! - a rollback never waits: it stops the action in flight (whose conditional write either
//!   landed or did not), reads the release afresh and runs at once;
//! - a write that takes longer than the timeout is given up, and said so: the watches show
//!   whether it landed.

use crate::app::{Action, Actor, Event};
use crate::cluster::{Cluster, ClusterError};
use crate::model::{wall_clock as now, RouteChange};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

use super::executor::{self, Options, Reporter};
use super::release::{self, Observed};
use super::stages::SharedUndo;
use crate::provider::Lever;

/// What runs: an action, or a change of the testers' routes.
#[derive(Clone, Debug, PartialEq)]
pub enum Work {
    Act(Action),
    Route(RouteChange),
}

impl std::fmt::Display for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Work::Act(a) => write!(f, "{a}"),
            Work::Route(c) => write!(f, "{c}"),
        }
    }
}

/// The task of the work in flight.
struct Running {
    work: Work,
    actor: Actor,
    started: Instant,
    task: tokio::task::JoinHandle<()>,
    /// What a promotion changed so far, for a rollback that stops it.
    undo: SharedUndo,
}

/// The one slot of a release's work in flight.
#[derive(Default)]
pub struct InFlight {
    running: Option<Running>,
}

fn result(action: Action, actor: Actor, error: Option<String>) -> Event {
    Event::ActionResult {
        at: now(),
        action,
        actor,
        error,
    }
}

fn note(text: String) -> Event {
    Event::Note {
        at: now(),
        author: "cockpit".to_string(),
        text,
    }
}

/// The words for a write given up after `limit`.
fn timed_out(what: &Work, limit: Duration) -> String {
    format!(
        "{what}: no answer from the API server within {} s; the write may or may not have \
         landed: the watches show what did",
        limit.as_secs()
    )
}

impl InFlight {
    /// Forgets a task that ended.
    pub fn reap(&mut self) {
        if self.running.as_ref().is_some_and(|r| r.task.is_finished()) {
            self.running = None;
        }
    }

    /// Stops the work in flight, if any (the cockpit closed).
    pub fn abort(&mut self) {
        if let Some(r) = self.running.take() {
            r.task.abort();
        }
    }

    /// Why `work` must wait, or `None` when it may start (a rollback always may: it stops what
    /// runs). The events tell the cockpit what was stopped.
    fn admit(&mut self, work: &Work) -> Result<(SharedUndo, Vec<Event>), String> {
        self.reap();
        let Some(r) = self.running.take() else {
            return Ok((SharedUndo::default(), Vec::new()));
        };
        if *work == Work::Act(Action::Rollback) {
            // the operator wants out: stop what runs where it is, then roll back
            r.task.abort();
            let stopped = match r.work {
                Work::Act(action) => {
                    result(action, r.actor, Some("stopped by a rollback".to_string()))
                }
                Work::Route(change) => Event::RouteResult {
                    at: now(),
                    change,
                    actor: r.actor,
                    error: Some("stopped by a rollback".to_string()),
                },
            };
            return Ok((r.undo, vec![stopped]));
        }
        let why = format!(
            "{} is in flight ({} s): wait for its result, or roll back",
            r.work,
            r.started.elapsed().as_secs()
        );
        self.running = Some(r);
        Err(why)
    }

    /// Starts an action: refused while another runs (unless it is a rollback), else a task of
    /// its own. What it says comes back through `tx`; the events returned are for now.
    pub fn act(
        &mut self,
        cluster: &Cluster,
        latest: &Observed,
        options: &Options,
        (action, actor): (Action, Actor),
        tx: &mpsc::Sender<Event>,
    ) -> Vec<Event> {
        let lever = match executor::lever(latest, action, options) {
            Ok(lever) => lever,
            Err(e) => return vec![result(action, actor, Some(e.to_string()))],
        };
        if let Lever::Gate { change, what } = lever {
            // the cockpit owns the gates: it applies the change and asks for them to be
            // published; nothing here touches the network
            let changed =
                executor::gate_changed(latest, options, (change, what), action, actor.clone());
            return vec![changed.unwrap_or_else(|e| result(action, actor, Some(e.to_string())))];
        }
        let work = Work::Act(action);
        let (undo, out) = match self.admit(&work) {
            Ok(admitted) => admitted,
            Err(why) => return vec![result(action, actor, Some(why))],
        };
        let stopped_something = !out.is_empty();
        let (cluster, seen, tx_, opts) =
            (cluster.clone(), latest.clone(), tx.clone(), options.clone());
        let actor_ = actor.clone();
        let shared = undo.clone();
        let task = tokio::spawn(async move {
            let staged = executor::is_staged(&lever);
            let run = async {
                let mut seen = seen;
                let mut lever = lever;
                if stopped_something {
                    // what was stopped may or may not have landed: act on the release as it is
                    seen.route =
                        release::current_route(&cluster, &seen.target, &seen.route).await?;
                    lever = executor::lever(&seen, action, &opts)?;
                }
                let mut report = Reporter::Events(tx_.clone());
                executor::pull(&cluster, &seen, lever, &opts, &mut report, &shared).await
            };
            // staged levers wait for rollouts under bounds of their own
            let done: Result<Option<String>, ClusterError> = if staged {
                run.await
            } else {
                match tokio::time::timeout(opts.timeout, run).await {
                    Ok(done) => done,
                    Err(_) => Err(ClusterError::Refused(timed_out(
                        &Work::Act(action),
                        opts.timeout,
                    ))),
                }
            };
            let mut events = Vec::new();
            if let Ok(Some(what)) = &done {
                events.push(note(what.clone()));
            }
            events.push(result(action, actor_, done.err().map(|e| e.to_string())));
            for ev in events {
                if tx_.send(ev).await.is_err() {
                    tracing::debug!("the cockpit closed before the action ended");
                }
            }
        });
        self.running = Some(Running {
            work,
            actor,
            started: Instant::now(),
            task,
            undo,
        });
        out
    }

    /// Starts a change of the testers' routes, as [`Self::act`] starts an action.
    pub fn route(
        &mut self,
        cluster: &Cluster,
        latest: &Observed,
        options: &Options,
        (change, actor): (RouteChange, Actor),
        tx: &mpsc::Sender<Event>,
    ) -> Vec<Event> {
        let work = Work::Route(change.clone());
        if let Err(why) = self.admit(&work) {
            return vec![Event::RouteResult {
                at: now(),
                change,
                actor,
                error: Some(why),
            }];
        }
        let (cluster, seen, tx_, opts) =
            (cluster.clone(), latest.clone(), tx.clone(), options.clone());
        let (change_, actor_) = (change, actor.clone());
        let task = tokio::spawn(async move {
            let run = executor::route(&cluster, &seen, &change_, &opts);
            let error = match tokio::time::timeout(opts.timeout, run).await {
                Ok(done) => done.err().map(|e| e.to_string()),
                Err(_) => Some(timed_out(&Work::Route(change_.clone()), opts.timeout)),
            };
            let ev = Event::RouteResult {
                at: now(),
                change: change_,
                actor: actor_,
                error,
            };
            if tx_.send(ev).await.is_err() {
                tracing::debug!("the cockpit closed before the route change ended");
            }
        });
        self.running = Some(Running {
            work,
            actor,
            started: Instant::now(),
            task,
            undo: SharedUndo::default(),
        });
        Vec::new()
    }
}

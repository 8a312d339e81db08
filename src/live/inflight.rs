//! The live cluster as the world of the one executor ([`crate::perform`]): every write runs as a
//! task of its own, so the watch loop (the watches, the heartbeat, the gate server's requests)
//! never waits on the network. The executor decides what may run and when; here the provider's
//! levers are pulled in those tasks, which tell how they ended through the cockpit's channel.

use crate::app::{Action, Actor, Event};
use crate::cluster::Cluster;
use crate::model::{wall_clock as now, Millis};
use crate::perform::{self, Executor, Plan, Pull, RouteJob, Started, Work};
use crate::provider::Lever;
use std::time::Duration;
use tokio::sync::mpsc;

use super::executor::{self, Options, Reporter};
use super::release::{self, Observed};
use super::stages::SharedUndo;

/// A write running in a task of its own.
pub struct Task {
    task: tokio::task::JoinHandle<()>,
    /// What a promotion changed so far, for a rollback that stops it.
    undo: SharedUndo,
}

impl perform::Running for Task {
    fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
    fn stop(&mut self) {
        self.task.abort();
    }
}

/// The one slot of a release's work in flight.
pub type InFlight = Executor<Task>;

/// The release as last observed on the cluster, and where the tasks tell their results.
pub struct Live<'a> {
    pub cluster: &'a Cluster,
    pub latest: &'a Observed,
    pub options: &'a Options,
    pub tx: &'a mpsc::Sender<Event>,
}

async fn tell(tx: &mpsc::Sender<Event>, events: Vec<Event>) {
    for ev in events {
        if tx.send(ev).await.is_err() {
            tracing::debug!("the cockpit closed before the work ended");
        }
    }
}

impl perform::World for Live<'_> {
    type Lever = Lever;
    type Running = Task;

    fn now(&self) -> Millis {
        now()
    }

    fn timeout(&self) -> Duration {
        self.options.timeout
    }

    fn plan(&self, action: Action, actor: &Actor) -> Result<Plan<Lever>, String> {
        let lever =
            executor::lever(self.latest, action, self.options).map_err(|e| e.to_string())?;
        if let Lever::Gate { change, what } = lever {
            // the cockpit owns the gates: it applies the change and asks for them to be
            // published; nothing here touches the network
            let changed = executor::gate_changed(
                self.latest,
                self.options,
                (change, what),
                action,
                actor.clone(),
            );
            return changed
                .map(|ev| Plan::Said(vec![ev]))
                .map_err(|e| e.to_string());
        }
        Ok(Plan::Pull(lever))
    }

    fn bounded(&self, lever: &Lever) -> bool {
        !executor::is_staged(lever)
    }

    fn pull(&mut self, pull: Pull<Lever, Task>) -> Started<Task> {
        let Pull {
            action,
            actor,
            lever,
            stopped,
            limit,
        } = pull;
        let reread = stopped.is_some();
        let undo = stopped.map(|t| t.undo).unwrap_or_default();
        let (cluster, seen, tx, opts) = (
            self.cluster.clone(),
            self.latest.clone(),
            self.tx.clone(),
            self.options.clone(),
        );
        let shared = undo.clone();
        let task = tokio::spawn(async move {
            let run = async {
                let mut seen = seen;
                let mut lever = lever;
                if reread {
                    // what was stopped may or may not have landed: act on the release as it is
                    seen.route = release::current_route(&cluster, &seen.target, &seen.route)
                        .await
                        .map_err(|e| e.to_string())?;
                    lever = executor::lever(&seen, action, &opts).map_err(|e| e.to_string())?;
                }
                let mut report = Reporter::Events(tx.clone());
                executor::pull(&cluster, &seen, lever, &opts, &mut report, &shared)
                    .await
                    .map_err(|e| e.to_string())
            };
            let work = Work::Act(action);
            let done = perform::within(limit, &work, run).await;
            tell(&tx, perform::ended(work, actor, done, now())).await;
        });
        Started::Running(Task { task, undo })
    }

    fn route(&mut self, job: RouteJob) -> Started<Task> {
        let (cluster, seen, tx, opts) = (
            self.cluster.clone(),
            self.latest.clone(),
            self.tx.clone(),
            self.options.clone(),
        );
        let task = tokio::spawn(async move {
            let RouteJob {
                change,
                actor,
                limit,
            } = job;
            let run = async {
                executor::route(&cluster, &seen, &change, &opts)
                    .await
                    .map(|()| None)
                    .map_err(|e| e.to_string())
            };
            let work = Work::Route(change.clone());
            let done = perform::within(Some(limit), &work, run).await;
            tell(&tx, perform::ended(work, actor, done, now())).await;
        });
        Started::Running(Task {
            task,
            undo: SharedUndo::default(),
        })
    }
}

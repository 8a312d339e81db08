//! The one executor of the cockpit's actions and testers' routes, whatever world it acts on: the
//! live cluster (`live::inflight`), the demo's simulated release (`source::demo::world`) and the
//! integration tests' stand-in. It decides; the world it is handed does:
//!
//! - what an action comes to: the world's lever for it, or its refusal and reason ([`World::plan`]);
//! - one piece of work at a time: a second one is refused with the reason, never queued;
//! - a rollback never waits: it stops the work in flight (whose conditional write either landed
//!   or did not), and the world reads the release afresh before it runs, at once;
//! - a write that takes longer than the world's timeout is given up, and said so ([`within`]);
//! - how work ends, in events: a note of what it did, then its result ([`ended`]).
//!
//! A world that acts at once (the demo, the tests) answers [`Started::Done`]; the live cluster
//! answers [`Started::Running`] with a task of its own, which sends its [`ended`] events itself.

use crate::app::{Action, Actor, Effect, Event};
use crate::model::{Millis, RouteChange};
use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

/// How long a write may take unless the operator says otherwise (`--action-timeout`).
pub const TIMEOUT: Duration = Duration::from_secs(30);

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

/// What an action comes to in a world, once it is not refused.
pub enum Plan<L> {
    /// A lever to pull on the release: one piece of work at a time.
    Pull(L),
    /// Nothing to write on the release: these events say what changed (the gates the cockpit
    /// owns for Flagger).
    Said(Vec<Event>),
}

/// An action the executor admitted, for the world to pull.
pub struct Pull<L, R> {
    pub action: Action,
    pub actor: Actor,
    pub lever: L,
    /// The work a rollback stopped to run: it may or may not have landed, so the world reads the
    /// release afresh before it pulls.
    pub stopped: Option<R>,
    /// How long it may take; `None` for a lever with bounds of its own.
    pub limit: Option<Duration>,
}

/// A change of the testers' routes the executor admitted.
pub struct RouteJob {
    pub change: RouteChange,
    pub actor: Actor,
    pub limit: Duration,
}

/// What a world did with the work it was handed.
pub enum Started<R> {
    /// Done at once: what it did (a note to say) or why it failed, and the observations it
    /// changed, told after its result.
    Done {
        outcome: Result<Option<String>, String>,
        then: Vec<Event>,
    },
    /// Running on its own; it tells how it ended with [`ended`].
    Running(R),
}

/// Work running on its own.
pub trait Running {
    fn is_finished(&self) -> bool;
    /// Stops it where it is.
    fn stop(&mut self);
}

/// A world that acts at once has nothing running.
impl Running for Infallible {
    fn is_finished(&self) -> bool {
        match *self {}
    }
    fn stop(&mut self) {
        match *self {}
    }
}

/// What the executor acts on.
pub trait World {
    /// What an action pulls in this world.
    type Lever;
    type Running: Running;
    /// The world's clock, for the events' times.
    fn now(&self) -> Millis;
    /// How long a write may take before it is given up.
    fn timeout(&self) -> Duration;
    /// What `action` comes to, or why it is refused (nothing is started then).
    fn plan(&self, action: Action, actor: &Actor) -> Result<Plan<Self::Lever>, String>;
    /// Whether the timeout bounds the lever (a promotion stage by stage waits for rollouts under
    /// bounds of its own).
    fn bounded(&self, lever: &Self::Lever) -> bool;
    fn pull(&mut self, pull: Pull<Self::Lever, Self::Running>) -> Started<Self::Running>;
    fn route(&mut self, job: RouteJob) -> Started<Self::Running>;
}

/// The events that say how `work` ended: the note of what it did, then its result.
pub fn ended(
    work: Work,
    actor: Actor,
    outcome: Result<Option<String>, String>,
    at: Millis,
) -> Vec<Event> {
    let mut out = Vec::new();
    let error = match outcome {
        Ok(Some(text)) => {
            out.push(Event::Note {
                at,
                author: "cockpit".to_string(),
                text,
            });
            None
        }
        Ok(None) => None,
        Err(e) => Some(e),
    };
    out.push(match work {
        Work::Act(action) => Event::ActionResult {
            at,
            action,
            actor,
            error,
        },
        Work::Route(change) => Event::RouteResult {
            at,
            change,
            actor,
            error,
        },
    });
    out
}

/// The words for a write given up after `limit`.
pub fn timed_out(work: &Work, limit: Duration) -> String {
    format!(
        "{work}: no answer from the API server within {} s; the write may or may not have \
         landed: the watches show what did",
        limit.as_secs()
    )
}

/// Runs `run`, given up after `limit` when there is one.
pub async fn within<T>(
    limit: Option<Duration>,
    work: &Work,
    run: impl Future<Output = Result<T, String>>,
) -> Result<T, String> {
    let Some(limit) = limit else {
        return run.await;
    };
    tokio::time::timeout(limit, run)
        .await
        .unwrap_or_else(|_| Err(timed_out(work, limit)))
}

/// The work in flight.
struct Slot<R> {
    work: Work,
    actor: Actor,
    since: Millis,
    running: R,
}

/// The executor: the one slot of a release's work in flight.
pub struct Executor<R> {
    slot: Option<Slot<R>>,
}

impl<R> Default for Executor<R> {
    fn default() -> Self {
        Executor { slot: None }
    }
}

impl<R: Running> Executor<R> {
    /// Forgets work that ended.
    pub fn reap(&mut self) {
        if self.slot.as_ref().is_some_and(|s| s.running.is_finished()) {
            self.slot = None;
        }
    }

    /// Stops the work in flight, if any (the cockpit closed).
    pub fn abort(&mut self) {
        if let Some(mut s) = self.slot.take() {
            s.running.stop();
        }
    }

    /// Whether `work` may start now, and what it stopped (a rollback always may: it stops what
    /// runs, and the events say so); else why it must wait.
    fn admit(&mut self, work: &Work, now: Millis) -> Result<(Option<R>, Vec<Event>), String> {
        self.reap();
        let Some(mut s) = self.slot.take() else {
            return Ok((None, Vec::new()));
        };
        if *work == Work::Act(Action::Rollback) {
            // the operator wants out: stop what runs where it is, then roll back
            s.running.stop();
            let stopped = ended(
                s.work,
                s.actor,
                Err("stopped by a rollback".to_string()),
                now,
            );
            return Ok((Some(s.running), stopped));
        }
        let why = format!(
            "{} is in flight ({} s): wait for its result, or roll back",
            s.work,
            now.since(s.since).max(0) / 1000
        );
        self.slot = Some(s);
        Err(why)
    }

    /// Performs an action or a change of the testers' routes on `world`; what it says now
    /// (work running on its own tells the rest itself). Other effects are not the executor's.
    pub fn perform<W: World<Running = R>>(&mut self, world: &mut W, effect: Effect) -> Vec<Event> {
        match effect {
            Effect::Act { action, actor } => self.act(world, action, actor),
            Effect::Route { change, actor } => self.route(world, change, actor),
            Effect::Alert { .. } | Effect::PublishGates { .. } | Effect::KeelVote { .. } => {
                Vec::new()
            }
        }
    }

    /// Starts `action`: refused when the world refuses it, or while other work runs (unless it
    /// is a rollback).
    pub fn act<W: World<Running = R>>(
        &mut self,
        world: &mut W,
        action: Action,
        actor: Actor,
    ) -> Vec<Event> {
        let now = world.now();
        let work = Work::Act(action);
        let lever = match world.plan(action, &actor) {
            Ok(Plan::Pull(lever)) => lever,
            Ok(Plan::Said(events)) => return events,
            Err(why) => return ended(work, actor, Err(why), now),
        };
        let (stopped, mut out) = match self.admit(&work, now) {
            Ok(admitted) => admitted,
            Err(why) => return ended(work, actor, Err(why), now),
        };
        let limit = world.bounded(&lever).then(|| world.timeout());
        let pull = Pull {
            action,
            actor: actor.clone(),
            lever,
            stopped,
            limit,
        };
        match world.pull(pull) {
            Started::Done { outcome, then } => {
                out.extend(ended(work, actor, outcome, world.now()));
                out.extend(then);
            }
            Started::Running(running) => self.hold(work, actor, now, running),
        }
        out
    }

    /// Starts a change of the testers' routes, refused while other work runs.
    pub fn route<W: World<Running = R>>(
        &mut self,
        world: &mut W,
        change: RouteChange,
        actor: Actor,
    ) -> Vec<Event> {
        let now = world.now();
        let work = Work::Route(change.clone());
        if let Err(why) = self.admit(&work, now) {
            return ended(work, actor, Err(why), now);
        }
        let job = RouteJob {
            change,
            actor: actor.clone(),
            limit: world.timeout(),
        };
        match world.route(job) {
            Started::Done { outcome, then } => {
                let mut out = ended(work, actor, outcome, world.now());
                out.extend(then);
                out
            }
            Started::Running(running) => {
                self.hold(work, actor, now, running);
                Vec::new()
            }
        }
    }

    fn hold(&mut self, work: Work, actor: Actor, since: Millis, running: R) {
        self.slot = Some(Slot {
            work,
            actor,
            since,
            running,
        });
    }
}

#[cfg(test)]
mod tests;

//! What one release on the board shows: the [`Facts`] the live layer observed, and the [`Row`]
//! of display cells prepared from them once per change (never per frame).
//!
//! The board is a list of [`Entry`]s: today each is one release; a group of releases can become
//! an entry of its own without the sort, the filter or the keys changing.

use crate::app::Action;
use crate::model::{Hold, Millis, Phase};
use serde::Serialize;

use super::attention::{attention, Attention};

/// Which release an entry is, across contexts: the context, the namespace, the target.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Key {
    pub context: String,
    pub namespace: String,
    /// `rollout/shop`, `ingress/web`.
    pub target: String,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.target)
    }
}

/// Ready and desired pods of one version, from its workload's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Ready {
    pub ready: u32,
    pub desired: u32,
}

/// What an action would write to one release, or why it cannot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionPlan {
    pub action: Action,
    /// `Ok`: what will be written (`rollout/shop spec.paused: true`); `Err`: why not.
    pub plan: Result<String, String>,
}

/// Error rate and p99 latency of each version, when the cluster has a Prometheus.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Compare {
    /// Errors per request, 0 to 1: [primary, canary].
    pub errors: [Option<f64>; 2],
    /// p99 latency in milliseconds: [primary, canary].
    pub p99_ms: [Option<f64>; 2],
}

/// What the live layer observed of one release.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Facts {
    pub key: Key,
    /// `argo-rollouts`, `flagger`, `ingress-nginx`.
    pub system: String,
    /// The phase in the words of its controller (`WaitingPromotion`), or the cockpit's
    /// (`progressing`, `paused`).
    pub phase: String,
    /// The phase as the cockpit reads it; `None` when the cockpit is the release's controller.
    pub state: Option<Phase>,
    /// Step n of m of the controller's steps.
    pub step: Option<(usize, usize)>,
    /// The canary's weight in percent; `None` when it could not be read.
    pub weight: Option<u8>,
    /// [primary, canary]; `None` when no workload was found for that version.
    pub ready: [Option<Ready>; 2],
    pub metrics: Option<Compare>,
    /// Who holds the release where it is, as its controller or the release says.
    pub hold: Option<Hold>,
    /// The cockpit's pause annotation is set.
    pub cockpit_paused: bool,
    /// What the controller says besides its phase (a failed check, why it aborted).
    pub message: String,
    /// When the current phase began: from the controller's conditions, else when the board
    /// first saw it in this phase (`since_seen`).
    pub since: Millis,
    pub since_seen: bool,
    /// When the weight or the step last moved (or the phase changed).
    pub moved: Millis,
    /// The release's step interval, when its definition has one (Flagger `analysis.interval`).
    pub interval_ms: Option<i64>,
    /// Why the release could not be read, when it could not.
    pub unreadable: Option<String>,
    /// What p, r, P and R would do here.
    pub plans: Vec<ActionPlan>,
}

/// The cells of one release on the board, prepared once per change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub facts: Facts,
    pub attention: Attention,
    pub step: String,
    pub weight: String,
    pub canary: String,
    pub primary: String,
    pub errors: String,
    pub p99: String,
    /// Time in phase as prepared at the last refresh.
    pub age: String,
}

fn ready(r: Option<Ready>) -> String {
    r.map_or_else(|| "-".to_string(), |r| format!("{}/{}", r.ready, r.desired))
}

fn pair(v: [Option<f64>; 2], fmt: impl Fn(f64) -> String) -> String {
    match v {
        [None, None] => "-".to_string(),
        [p, c] => {
            let f = |x: Option<f64>| x.map_or_else(|| "?".to_string(), &fmt);
            format!("{} vs {}", f(c), f(p))
        }
    }
}

impl Row {
    /// The row of `facts` at `now`.
    pub fn new(facts: Facts, now: Millis) -> Row {
        let attention = attention(&facts, now);
        let step = facts
            .step
            .map_or_else(String::new, |(n, m)| format!("{n}/{m}"));
        let weight = facts
            .weight
            .map_or_else(|| "?".to_string(), |w| format!("{w}%"));
        let (errors, p99) = match &facts.metrics {
            Some(m) => (
                pair(m.errors, |e| format!("{:.1}%", e * 100.0)),
                pair(m.p99_ms, |ms| format!("{ms:.0}ms")),
            ),
            None => ("-".to_string(), "-".to_string()),
        };
        Row {
            step,
            weight,
            canary: ready(facts.ready[1]),
            primary: ready(facts.ready[0]),
            errors,
            p99,
            age: age(&facts, now),
            attention,
            facts,
        }
    }

    /// The time in phase and the attention again at `now` (the clock moved, nothing else).
    pub fn refresh(&mut self, now: Millis) {
        self.attention = attention(&self.facts, now);
        self.age = age(&self.facts, now);
    }

    /// The text the filter looks in.
    pub fn haystack(&self) -> String {
        let f = &self.facts;
        format!(
            "{} {} {} {} {} {}",
            f.key.context,
            f.key.namespace,
            f.key.target,
            f.system,
            f.phase,
            self.attention.reason()
        )
        .to_lowercase()
    }
}

fn age(f: &Facts, now: Millis) -> String {
    let age = crate::model::Age(now.since(f.since)).to_string();
    if f.since_seen {
        format!("≥{age}")
    } else {
        age
    }
}

/// One entry of the board. A release today; the seam where a group of releases would go.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Release(Box<Row>),
}

impl Entry {
    pub fn key(&self) -> &Key {
        match self {
            Entry::Release(r) => &r.facts.key,
        }
    }

    pub fn row(&self) -> &Row {
        match self {
            Entry::Release(r) => r,
        }
    }

    pub fn row_mut(&mut self) -> &mut Row {
        match self {
            Entry::Release(r) => r,
        }
    }
}

//! Events: what happened. Sources send them; `App::update` is the only consumer.

use crate::controller::Step;
use crate::model::{
    Alert, AnalysisSettings, Delivery, GateChange, Gates, JudgeReport, MetricsSample, Millis, Plan,
    PodSet, ReleaseSnapshot, ResourceSample, RouteChange, Target, Verdict,
};
use crossterm::event::KeyEvent;
use serde::{Deserialize, Serialize};

use super::effect::{Action, Actor};
use super::gates::GateBy;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A key press. Never recorded.
    #[serde(skip)]
    Key(KeyEvent),
    /// The terminal changed size. Never recorded.
    #[serde(skip)]
    Resize { width: u16, height: u16 },
    /// The source's clock moved on.
    Tick { at: Millis },
    /// A watching source confirms that all its watches are connected: what the cockpit shows is
    /// current at `at`, even when nothing changed.
    Heartbeat { at: Millis },
    /// The release itself changed (weight, versions, phase reported by the cluster).
    ReleaseObserved {
        at: Millis,
        release: ReleaseSnapshot,
    },
    /// Pods of both versions.
    PodsObserved { at: Millis, pods: PodSet },
    /// One metrics sample per version.
    MetricsSampled { sample: MetricsSample },
    /// CPU and memory of both versions' pods.
    ResourcesSampled { sample: ResourceSample },
    /// The outcome of an effect the executor performed.
    ActionResult {
        at: Millis,
        action: Action,
        actor: Actor,
        /// `None` when the action succeeded, else what went wrong.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A background source failed; shown in the status line, never fatal.
    SourceError {
        at: Millis,
        source: String,
        message: String,
    },
    /// The cockpit's own analysis took charge of the release, with these settings and plan.
    AnalysisStarted {
        at: Millis,
        settings: AnalysisSettings,
        plan: Plan,
    },
    /// The cockpit's analysis judged the canary, and what it decided to do next.
    Verdict { verdict: Verdict, step: Step },
    /// The cockpit serves the release's gates for Flagger, standing as published when it opened it.
    GatesServed {
        at: Millis,
        namespace: String,
        name: String,
        gates: Gates,
    },
    /// A gate of the release changed: by the operator's action, or through the gate server.
    GateChanged {
        at: Millis,
        namespace: String,
        name: String,
        change: GateChange,
        by: GateBy,
    },
    /// A free-text note from the operator or the system.
    Note {
        at: Millis,
        author: String,
        text: String,
    },
    /// The outcome of a change to the testers' routes.
    RouteResult {
        at: Millis,
        change: RouteChange,
        actor: Actor,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// The cockpit raised an alert for the team's channels (its own event; replay never sends it).
    AlertRaised { alert: Alert },
    /// The statistical judge's report over its window, once per analysis interval (the cockpit's
    /// own event, format 1.5 on): the post-mortem, the plot and the alerts read the same numbers.
    Judged { at: Millis, report: JudgeReport },
    /// What became of an alert at one sink.
    AlertDelivered { delivery: Delivery },
    /// Keel's pending approvals for the release's workloads, as Keel's API gave them (sent
    /// when they change).
    KeelApprovals {
        at: Millis,
        approvals: Vec<crate::model::approval::Approval>,
    },
    /// The outcome of the operator's vote on a Keel approval (format 1.5 on): Keel's approval as
    /// it answered, or what went wrong.
    KeelVoted {
        at: Millis,
        identifier: String,
        version: String,
        vote: crate::model::approval::Vote,
        actor: Actor,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approval: Option<crate::model::approval::Approval>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// The operator chose the release this cockpit opened: from the release list, or by typing
    /// its target after `:` (`canary watch`).
    ReleasePicked {
        at: Millis,
        namespace: String,
        target: Target,
        from: PickedFrom,
    },
}

/// How the operator chose a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PickedFrom {
    /// `enter` on a row of the release list.
    List,
    /// Its target typed after `:`, in the release list or in the cockpit.
    Typed,
}

impl PickedFrom {
    /// How the event log says it: `from the release list`.
    pub fn describe(self) -> &'static str {
        match self {
            PickedFrom::List => "from the release list",
            PickedFrom::Typed => "by its target, typed after :",
        }
    }
}

impl Event {
    /// The instant the event carries, if any.
    pub fn at(&self) -> Option<Millis> {
        match self {
            Event::Key(_) | Event::Resize { .. } => None,
            Event::Tick { at }
            | Event::Heartbeat { at }
            | Event::ReleaseObserved { at, .. }
            | Event::PodsObserved { at, .. }
            | Event::ActionResult { at, .. }
            | Event::SourceError { at, .. }
            | Event::AnalysisStarted { at, .. }
            | Event::GatesServed { at, .. }
            | Event::GateChanged { at, .. }
            | Event::Note { at, .. }
            | Event::ReleasePicked { at, .. }
            | Event::Judged { at, .. }
            | Event::RouteResult { at, .. }
            | Event::KeelApprovals { at, .. }
            | Event::KeelVoted { at, .. } => Some(*at),
            Event::MetricsSampled { sample } => Some(sample.at),
            Event::ResourcesSampled { sample } => Some(sample.at),
            Event::Verdict { verdict, .. } => Some(verdict.at),
            Event::AlertRaised { alert } => Some(alert.at),
            Event::AlertDelivered { delivery } => Some(delivery.at),
        }
    }
}

//! Effects: I/O that `update` asks for. Executors perform them and answer with `Event::ActionResult`
//! (and notes).

use crate::model::{Alert, Gates, RouteChange, Weight};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A change to the release, requested by the operator or by the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    SetWeight {
        weight: Weight,
    },
    /// A release whose controller walks steps (Argo Rollouts, Flagger): go on to the next one.
    NextStep,
    Pause,
    Resume,
    Promote,
    Rollback,
    /// An aborted Argo rollout starts again (`canary retry`).
    Retry,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::SetWeight { weight } => write!(f, "set weight {weight} %"),
            Action::NextStep => f.write_str("next step"),
            Action::Pause => f.write_str("pause"),
            Action::Resume => f.write_str("resume"),
            Action::Promote => f.write_str("promote"),
            Action::Rollback => f.write_str("roll back"),
            Action::Retry => f.write_str("retry"),
        }
    }
}

/// Who asked for an action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A person at the keyboard: the OS user, and the Kubernetes user when known.
    Operator {
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kube_user: Option<String>,
    },
    /// The cockpit's own analysis and progression.
    Controller,
}

impl Actor {
    /// Who votes on Keel's approvals: the Kubernetes user when known (the API server's name for
    /// it, else the kubeconfig's user entry), else the OS user.
    pub fn voter(&self) -> String {
        match self {
            Actor::Operator {
                kube_user: Some(k), ..
            } => k.strip_prefix("kubeconfig user ").unwrap_or(k).to_string(),
            Actor::Operator { user, .. } => user.clone(),
            Actor::Controller => "controller".to_string(),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Operator {
                user,
                kube_user: Some(k),
            } => write!(f, "{user} ({k})"),
            Actor::Operator { user, .. } => f.write_str(user),
            Actor::Controller => f.write_str("controller"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Effect {
    Act {
        action: Action,
        actor: Actor,
    },
    /// Add or clear a testers' route on the release.
    Route {
        change: RouteChange,
        actor: Actor,
    },
    /// Tell the team's channels (the sinks given with `--alert`).
    Alert {
        alert: Box<Alert>,
    },
    /// Vote on Keel's approval `identifier` (an update to `version`) as the operator.
    KeelVote {
        identifier: String,
        version: String,
        vote: crate::model::approval::Vote,
        actor: Actor,
    },
    /// Publish how the release's gates stand to the gate server, which answers Flagger from
    /// them; then tell `notes` to the event log and report the result of `action`, the
    /// operator's action these gates carry out.
    PublishGates {
        namespace: String,
        name: String,
        gates: Gates,
        notes: Vec<String>,
        action: Option<(Action, Actor)>,
    },
}

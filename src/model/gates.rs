//! The gates of a Flagger canary as plain data: whether Flagger may go ahead, whether it should
//! roll back, and how a gate follows the canary's weight. The cockpit's state, the gate server's
//! published book and the recorded events all use these types.

use super::ControllerView;
use serde::{Deserialize, Serialize};

/// How a Flagger Canary's view marks its phase while `spec.suspend` is set:
/// `Progressing (suspended)`.
pub const SUSPENDED: &str = " (suspended)";

/// The phases in which Flagger has ended a release.
const ENDED: [&str; 2] = ["Succeeded", "Failed"];

/// The phase in which Flagger ended the release `view` shows (`Succeeded`, `Failed`); `None`
/// while the release runs, and for other controllers.
pub fn flagger_ended(view: &ControllerView) -> Option<&str> {
    if view.kind != "flagger" {
        return None;
    }
    let phase = view.phase.strip_suffix(SUSPENDED).unwrap_or(&view.phase);
    ENDED.contains(&phase).then_some(phase)
}

/// Whether Flagger may go ahead with the canary it asks about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum GateState {
    #[default]
    Closed,
    /// Open until the canary's weight moves away from `from_weight` (one traffic step).
    OpenForStep {
        from_weight: Option<u8>,
    },
    Open,
}

impl GateState {
    /// Whether a check against this gate is approved right now.
    pub fn is_open(self) -> bool {
        !matches!(self, GateState::Closed)
    }

    /// The state in words, for the analysis panel.
    pub fn label(self) -> &'static str {
        match self {
            GateState::Closed => "closed",
            GateState::Open => "open",
            GateState::OpenForStep { .. } => "open for one step",
        }
    }
}

/// The gates of one canary: the confirm gate (`/gate/check`) and the rollback gate
/// (`/rollback/check`). Both start closed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gates {
    pub gate: GateState,
    /// Flagger's rollback check says "roll back now".
    #[serde(default)]
    pub rollback: bool,
}

/// A change to a canary's gates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateChange {
    /// The confirm gate takes this state.
    Gate(GateState),
    /// The rollback gate opens (`true`) or closes.
    Rollback(bool),
}

impl Gates {
    /// Both gates closed: where every canary starts.
    pub const CLOSED: Gates = Gates {
        gate: GateState::Closed,
        rollback: false,
    };

    /// Whether both gates are closed.
    pub fn is_closed(self) -> bool {
        self == Gates::CLOSED
    }

    pub fn apply(&mut self, change: GateChange) {
        match change {
            GateChange::Gate(state) => self.gate = state,
            GateChange::Rollback(open) => self.rollback = open,
        }
    }

    /// These gates after `change`.
    pub fn with(mut self, change: GateChange) -> Gates {
        self.apply(change);
        self
    }

    /// The canary's weight as observed: a gate opened for one step closes once the weight
    /// differs from its `from_weight` (a `None` from_weight closes on the first observation).
    /// Returns true when it closed the gate.
    pub fn observe_weight(&mut self, weight: u8) -> bool {
        match self.gate {
            GateState::OpenForStep { from_weight } if from_weight != Some(weight) => {
                self.gate = GateState::Closed;
                true
            }
            _ => false,
        }
    }

    /// Closes both gates; returns true when one of them was open.
    pub fn close_all(&mut self) -> bool {
        let was_open = !self.is_closed();
        *self = Gates::CLOSED;
        was_open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(from: u8) -> Gates {
        Gates {
            gate: GateState::OpenForStep {
                from_weight: Some(from),
            },
            rollback: false,
        }
    }

    #[test]
    fn gates_start_closed() {
        assert_eq!(Gates::default(), Gates::CLOSED);
        assert!(Gates::default().is_closed());
        assert!(!GateState::default().is_open());
    }

    #[test]
    fn a_step_gate_closes_once_the_weight_moves_either_way() {
        let mut gates = step(10);
        assert!(!gates.observe_weight(10));
        assert!(gates.gate.is_open());
        assert!(gates.observe_weight(20));
        assert_eq!(gates.gate, GateState::Closed);
        assert!(!gates.observe_weight(30), "already closed");

        let mut down = step(50);
        assert!(down.observe_weight(0));

        let mut unknown = Gates {
            gate: GateState::OpenForStep { from_weight: None },
            rollback: true,
        };
        assert!(unknown.observe_weight(0));
        assert!(unknown.rollback, "the rollback gate is left alone");
    }

    #[test]
    fn open_and_closed_gates_ignore_the_weight() {
        let mut open = Gates::CLOSED.with(GateChange::Gate(GateState::Open));
        assert!(!open.observe_weight(10));
        assert!(!open.observe_weight(20));
        assert_eq!(open.gate, GateState::Open);
        let mut closed = Gates::CLOSED;
        assert!(!closed.observe_weight(20));
    }

    #[test]
    fn changes_set_one_gate_each() {
        let gates = Gates::CLOSED
            .with(GateChange::Rollback(true))
            .with(GateChange::Gate(GateState::Open));
        assert_eq!(
            gates,
            Gates {
                gate: GateState::Open,
                rollback: true
            }
        );
        let mut all = gates;
        assert!(all.close_all());
        assert!(all.is_closed());
        assert!(!all.close_all(), "nothing was open");
    }

    #[test]
    fn gate_states_serialize_with_a_state_tag() {
        let json = |s: GateState| serde_json::to_value(s).ok();
        assert_eq!(
            json(GateState::Closed),
            Some(serde_json::json!({"state": "closed"}))
        );
        assert_eq!(
            json(GateState::Open),
            Some(serde_json::json!({"state": "open"}))
        );
        let step = GateState::OpenForStep {
            from_weight: Some(20),
        };
        assert_eq!(
            json(step),
            Some(serde_json::json!({"state": "open-for-step", "from_weight": 20}))
        );
        let back: Result<GateState, _> = serde_json::from_value(
            serde_json::json!({"state": "open-for-step", "from_weight": 20}),
        );
        assert_eq!(back.ok(), Some(step));
    }

    #[test]
    fn flagger_ends_a_release_when_it_succeeded_or_failed() {
        let view = |kind: &str, phase: &str| ControllerView {
            kind: kind.to_string(),
            phase: phase.to_string(),
            ..ControllerView::default()
        };
        assert_eq!(
            flagger_ended(&view("flagger", "Succeeded")),
            Some("Succeeded")
        );
        assert_eq!(flagger_ended(&view("flagger", "Failed")), Some("Failed"));
        assert_eq!(
            flagger_ended(&view("flagger", "Failed (suspended)")),
            Some("Failed")
        );
        assert_eq!(flagger_ended(&view("flagger", "Progressing")), None);
        assert_eq!(flagger_ended(&view("flagger", "Initialized")), None);
        assert_eq!(flagger_ended(&view("argo-rollouts", "Failed")), None);
    }

    #[test]
    fn changes_and_gates_serialize_compactly() {
        let change = GateChange::Gate(GateState::Open);
        assert_eq!(
            serde_json::to_value(change).ok(),
            Some(serde_json::json!({"gate": {"state": "open"}}))
        );
        assert_eq!(
            serde_json::to_value(GateChange::Rollback(true)).ok(),
            Some(serde_json::json!({"rollback": true}))
        );
        let gates: Result<Gates, _> =
            serde_json::from_value(serde_json::json!({"gate": {"state": "closed"}}));
        assert_eq!(gates.ok(), Some(Gates::CLOSED));
    }
}

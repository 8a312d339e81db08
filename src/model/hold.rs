//! Who holds a release where it is: a pause step of its controller, a gate its controller waits
//! at, or a pause written on the release (by the operator, through a cockpit or a controller's
//! own tools). The event log and the analysis panel name the holder, so an operator never takes
//! a controller's pause for the cockpit's.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Hold {
    /// A pause step of the controller's steps (Argo Rollouts `pause`): `index` into `steps`
    /// steps, with its duration when it has one (`pause: {}` waits until promoted).
    PauseStep {
        index: usize,
        steps: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration: Option<String>,
    },
    /// The controller waits at a gate for a webhook's yes (Flagger's `confirm-promotion`).
    Gate { gate: String },
    /// A pause written on the release, and the field that holds it (`spec.paused`,
    /// `spec.suspend`, the cockpit's `canary-cockpit.io/paused` annotation).
    Paused { field: String },
    /// The controller paused for a reason of its own (`InconclusiveAnalysis`).
    Controller { reason: String },
}

impl Hold {
    /// What the controller `system` (`Argo Rollouts`) holds the release by, in words; `None`
    /// for a pause written on the release, which only the cockpit can put a name to.
    pub fn controllers(&self, system: &str) -> Option<String> {
        let short = system.strip_suffix(" Rollouts").unwrap_or(system);
        Some(match self {
            Hold::PauseStep {
                index,
                steps,
                duration: None,
            } => format!(
                "{short} pause step {}/{steps} (until promoted): press P to promote",
                index + 1
            ),
            Hold::PauseStep {
                index,
                steps,
                duration: Some(d),
            } => format!("{short} pause step {}/{steps} ({d})", index + 1),
            Hold::Gate { gate } => format!("{system} waits at the {gate} gate"),
            Hold::Controller { reason } => format!("{system} paused the release: {reason}"),
            Hold::Paused { .. } => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_holder_in_words() {
        let step = Hold::PauseStep {
            index: 1,
            steps: 4,
            duration: None,
        };
        assert_eq!(
            step.controllers("Argo Rollouts").as_deref(),
            Some("Argo pause step 2/4 (until promoted): press P to promote")
        );
        let timed = Hold::PauseStep {
            index: 3,
            steps: 4,
            duration: Some("30s".to_string()),
        };
        assert_eq!(
            timed.controllers("Argo Rollouts").as_deref(),
            Some("Argo pause step 4/4 (30s)")
        );
        let gate = Hold::Gate {
            gate: "confirm-promotion".to_string(),
        };
        assert_eq!(
            gate.controllers("Flagger").as_deref(),
            Some("Flagger waits at the confirm-promotion gate")
        );
        let paused = Hold::Paused {
            field: "spec.paused".to_string(),
        };
        assert_eq!(paused.controllers("Argo Rollouts"), None);
        // recorded as data: a tagged object
        let json = serde_json::to_value(&gate).unwrap();
        assert_eq!(json["by"], "gate");
        assert_eq!(serde_json::from_value::<Hold>(json).unwrap(), gate);
    }
}

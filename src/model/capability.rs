//! What an operator can ask of a release, as a type: the keys, the help, the footer and the
//! verbs ask the release's traffic system which of these it refuses, and why.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One thing an operator can ask of a release. The serde names are those recordings have always
/// carried (`set-weight`, `step-up`), so older recordings read unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    StepDown,
    SetWeight,
    StepUp,
    Pause,
    Promote,
    Rollback,
    /// Go on to the controller's next step (Argo Rollouts, Flagger).
    NextStep,
    /// Start an aborted rollout again (Argo Rollouts).
    Retry,
    /// Add or clear a testers' route.
    TestersRoute,
}

impl Capability {
    /// Every capability, in the order the help lists them.
    pub const ALL: [Capability; 9] = [
        Capability::StepDown,
        Capability::SetWeight,
        Capability::StepUp,
        Capability::Pause,
        Capability::Promote,
        Capability::Rollback,
        Capability::NextStep,
        Capability::Retry,
        Capability::TestersRoute,
    ];

    /// The name as recordings and `-o json` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Capability::StepDown => "step-down",
            Capability::SetWeight => "set-weight",
            Capability::StepUp => "step-up",
            Capability::Pause => "pause",
            Capability::Promote => "promote",
            Capability::Rollback => "rollback",
            Capability::NextStep => "next-step",
            Capability::Retry => "retry",
            Capability::TestersRoute => "testers-route",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_are_the_recorded_strings() {
        for c in Capability::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.name()));
            assert_eq!(serde_json::from_str::<Capability>(&json).unwrap(), c);
        }
        assert!(serde_json::from_str::<Capability>("\"fly\"").is_err());
    }
}

//! What the cockpit shows of a Strategy: its phase in KubeSphere's words, its analysis lines,
//! the consequences of promote and roll back, and what it refuses.

use crate::model::{Capability, ControllerView, Phase, Refusal};

use super::Strategy;

impl Strategy {
    pub fn view(&self) -> ControllerView {
        let phase = match self.phase() {
            Some(Phase::Promoted) => format!("taken over by {}", self.canary),
            Some(_) => format!("governed by {}", self.principal),
            None => "Canary".to_string(),
        };
        let mut analysis = vec![format!(
            "principal {} · canary {} · policy {}",
            self.principal,
            self.canary,
            if self.policy.is_empty() {
                "—"
            } else {
                &self.policy
            }
        )];
        if !self.governor.is_empty() {
            analysis.push(format!("governor {}: it takes all traffic", self.governor));
        }
        ControllerView {
            kind: "kubesphere".to_string(),
            phase,
            message: self.condition.clone(),
            analysis,
            consequences: vec![
                Refusal {
                    action: Capability::Promote,
                    why: format!(
                        "Take over: spec.governor = {} sends all traffic to the canary.",
                        self.canary
                    ),
                },
                Refusal {
                    action: Capability::Rollback,
                    why: format!(
                        "Back to the principal: spec.governor = {} sends all traffic to it.",
                        self.principal
                    ),
                },
            ],
            ..ControllerView::default()
        }
    }
}

//! What the analysis panel shows of a Flagger Canary, and what each key does to it.

use crate::model::{Capability, ControllerView, Hold, Refusal};

use super::Canary;

impl Canary {
    /// The view for the analysis panel; `gates` says whether this cockpit answers the gates
    /// (`--gate-listen`), and their state when it does.
    pub fn view(&self, gates: Option<(String, bool)>) -> ControllerView {
        let mut analysis = vec![format!(
            "failed checks {}/{} · iterations {}",
            self.failed_checks,
            self.threshold.map_or("?".to_string(), |t| t.to_string()),
            self.iterations
        )];
        if !self.settings.is_empty() {
            analysis.push(self.settings.clone());
        }
        analysis.extend(self.metrics.iter().map(|m| format!("metric {m}")));
        for w in &self.webhooks {
            analysis.push(format!("webhook {} ({}) → {}", w.name, w.kind, w.url));
        }
        if let Some((gate, rollback)) = &gates {
            analysis.push(format!(
                "cockpit gate: {gate} · rollback gate: {}",
                if *rollback { "open" } else { "closed" }
            ));
        }
        let serving = gates.is_some();
        let mut refusals = vec![
            Refusal {
                action: Capability::SetWeight,
                why: "Flagger sets the weight by its analysis (stepWeight): + lets it take one step through its confirm-traffic-increase gate".to_string(),
            },
            Refusal {
                action: Capability::StepDown,
                why: "Flagger only steps forward: R rolls back through its rollback gate".to_string(),
            },
        ];
        if !(serving && (self.gated("confirm-traffic-increase") || self.gated("confirm-rollout"))) {
            refusals.push(Refusal {
                action: Capability::StepUp,
                why: if serving {
                    "no confirm-traffic-increase webhook points at the cockpit's /gate/check: Flagger steps by its own analysis".to_string()
                } else {
                    "Flagger steps by its own analysis; start the cockpit with --gate-listen ADDR and point a confirm-traffic-increase webhook at ADDR/gate/check to step by hand".to_string()
                },
            });
        }
        if !(serving && self.rollback_gated()) {
            refusals.push(Refusal {
                action: Capability::Rollback,
                why: format!(
                    "no rollback webhook points at the cockpit: add to spec.analysis.webhooks of canary/{}: {{name: cockpit-rollback, type: rollback, url: http://ADDR/rollback/check}} and start the cockpit with --gate-listen ADDR",
                    self.name
                ),
            });
        }
        let promote = if serving && self.gated("confirm-promotion") {
            format!("Promote {}: the cockpit opens its promotion gate; Flagger promotes at its next check.", self.name)
        } else {
            format!("Promote {}: spec.skipAnalysis = true. Flagger promotes without further analysis: failed metrics no longer stop it, and the skip stays until it is set back to false.", self.name)
        };
        let consequences = vec![
            Refusal {
                action: Capability::Promote,
                why: promote,
            },
            Refusal {
                action: Capability::Rollback,
                why: format!("Roll back {}: the cockpit opens its rollback gate; Flagger rolls back at its next check.", self.name),
            },
        ];
        ControllerView {
            kind: "flagger".to_string(),
            consequences,
            phase: if self.suspend {
                format!("{}{}", self.phase, crate::model::gates::SUSPENDED)
            } else {
                self.phase.clone()
            },
            steps: Vec::new(),
            current_step: None,
            set_weight: None,
            message: self.condition.clone(),
            analysis,
            refusals,
            pause: None,
            hold: self.hold(),
        }
    }

    /// Who holds the canary: its suspension (`spec.suspend`), else the gate Flagger waits at
    /// (`Waiting`: confirm-rollout, `WaitingPromotion`: confirm-promotion).
    fn hold(&self) -> Option<Hold> {
        if self.suspend {
            return Some(Hold::Paused {
                field: "spec.suspend".to_string(),
            });
        }
        let gate = match self.phase.as_str() {
            "Waiting" => "confirm-rollout",
            "WaitingPromotion" => "confirm-promotion",
            _ => return None,
        };
        Some(Hold::Gate {
            gate: gate.to_string(),
        })
    }
}

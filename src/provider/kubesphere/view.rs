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

/// The template's weights that cannot be read, which a rollback (spec.governor) leaves as they are.
pub(super) fn unreadable(s: &Strategy) -> Vec<crate::provider::common::route::Malformed> {
    use crate::provider::common::route::Malformed;
    let object = format!("strategy/{}", s.name);
    let split = &s.split;
    let mut out: Vec<Malformed> = [&split.primary, &split.canary]
        .into_iter()
        .filter_map(|b| {
            Some(Malformed {
                object: object.clone(),
                field: crate::provider::two_backends::Split::field(&b.weight_path),
                value: b.unreadable.clone()?,
                expected: "a weight of 0 or more".to_string(),
                rollback: None,
            })
        })
        .collect();
    out.extend(split.extra.iter().map(|b| Malformed {
        object: object.clone(),
        field: crate::provider::two_backends::Split::field(&b.weight_path),
        value: b.weight.to_string(),
        expected: format!("part of a split of two (a third subset, {})", b.label()),
        rollback: None,
    }));
    if s.governor.is_empty() && split.percent().is_err() {
        out.push(Malformed {
            object,
            field: format!("the split of {}", split.route),
            value: "0 and 0".to_string(),
            expected: "a weight above 0".to_string(),
            rollback: None,
        });
    }
    out
}

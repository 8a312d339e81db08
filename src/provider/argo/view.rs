//! What the analysis panel shows of a Rollout: its steps, where it is, its AnalysisRuns, and
//! what each key does to it.

use crate::model::{Capability, ControllerView, Hold, Refusal, TimedPause};
use kube::api::DynamicObject;

use super::{Rollout, Step};

impl Rollout {
    pub fn view(&self, analysis: Vec<String>) -> ControllerView {
        let set = self.set_weight();
        let mut message = self.message.clone();
        if !self.pause_reasons.is_empty() {
            let reasons = self.pause_reasons.join(", ");
            message = if message.is_empty() {
                format!("paused: {reasons}")
            } else {
                format!("{message} (paused: {reasons})")
            };
        }
        if let Some(w) = &self.workload {
            message = if message.is_empty() {
                format!("pod template from {w}")
            } else {
                format!("{message} · pod template from {w}")
            };
        }
        // what the cockpit (or anyone) asked that the controller has not carried out yet
        let asked = if self.abort && !self.abort_done() {
            Some("abort requested (status.abort), not yet carried out")
        } else if self.promote_full && !self.abort && self.phase() != crate::model::Phase::Promoted
        {
            Some("full promotion requested (status.promoteFull)")
        } else {
            None
        };
        if let Some(asked) = asked {
            message = if message.is_empty() {
                asked.to_string()
            } else {
                format!("{message} · {asked}")
            };
        }
        let phase = match (self.abort_done(), self.phase.as_deref()) {
            (true, _) => "Aborted".to_string(),
            (false, Some(p)) => p.to_string(),
            (false, None) => "Pending".to_string(),
        };
        // a timed pause step under way counts down from the controller's own start of it
        let pause = match (
            self.current_step.and_then(|i| self.steps.get(i)),
            self.pause_started,
        ) {
            (Some(Step::Pause(Some(d))), Some(started_at)) => {
                duration_ms(d).map(|duration_ms| TimedPause {
                    duration_ms,
                    started_at,
                })
            }
            _ => None,
        };
        ControllerView {
            hold: self.hold(),
            pause,
            kind: "argo-rollouts".to_string(),
            phase,
            steps: self.steps.iter().map(Step::label).collect(),
            current_step: self.current_step,
            set_weight: (self.actual_weight.is_some() && set != self.weight()).then_some(set),
            message,
            analysis,
            consequences: vec![
                Refusal {
                    action: Capability::Promote,
                    why: format!("Promote {} fully: status.promoteFull skips the remaining steps, analysis and pauses; the canary becomes stable.", self.name),
                },
                Refusal {
                    action: Capability::Rollback,
                    why: format!("Abort {}: status.abort returns all traffic to the stable version and scales the canary down; `canary retry` starts it again.", self.name),
                },
            ],
            refusals: vec![
                Refusal {
                    action: Capability::StepDown,
                    why: "Argo Rollouts moves the weight only forward, through its steps: R aborts, which returns all traffic to the stable version".to_string(),
                },
                Refusal {
                    action: Capability::SetWeight,
                    why: "Argo Rollouts sets the weight by its steps (setWeight): + goes to the next step, P promotes fully, R aborts to stable".to_string(),
                },
            ],
        }
    }
}

impl Rollout {
    /// Who holds the rollout: a pause written on it (`spec.paused`) before the controller's own
    /// pause step or reason.
    fn hold(&self) -> Option<Hold> {
        if self.paused {
            return Some(Hold::Paused {
                field: "spec.paused".to_string(),
            });
        }
        let reason = self.pause_reasons.first()?;
        match self
            .current_step
            .and_then(|i| Some((i, self.steps.get(i)?)))
        {
            Some((index, Step::Pause(duration))) if reason == "CanaryPauseStep" => {
                Some(Hold::PauseStep {
                    index,
                    steps: self.steps.len(),
                    duration: duration.clone(),
                })
            }
            _ => Some(Hold::Controller {
                reason: reason.clone(),
            }),
        }
    }
}

/// The analysis panel's lines from the AnalysisRuns the Rollout owns (uid), newest first: the
/// run's phase, then each metric's phase, counts and latest value.
pub fn analysis_lines(rollout_uid: &str, runs: &[DynamicObject]) -> Vec<String> {
    let mut owned: Vec<&DynamicObject> = runs
        .iter()
        .filter(|r| {
            r.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == rollout_uid)
        })
        .collect();
    owned.sort_by(|a, b| {
        b.metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0)
            .cmp(&a.metadata.creation_timestamp.as_ref().map(|t| t.0))
            .then_with(|| b.metadata.name.cmp(&a.metadata.name))
    });
    let mut out = Vec::new();
    for run in owned.into_iter().take(2) {
        let status = run.data.get("status");
        let phase = status
            .and_then(|s| s.get("phase"))
            .and_then(|p| p.as_str())
            .unwrap_or("Pending");
        let name = run.metadata.name.as_deref().unwrap_or_default();
        out.push(format!("analysisrun {name}: {phase}"));
        let metrics = status
            .and_then(|s| s.get("metricResults"))
            .and_then(|m| m.as_array())
            .cloned()
            .unwrap_or_default();
        for m in metrics {
            let get = |k: &str| m.get(k).and_then(serde_json::Value::as_i64).unwrap_or(0);
            let value = m
                .get("measurements")
                .and_then(|ms| ms.as_array())
                .and_then(|ms| ms.last())
                .and_then(|last| last.get("value"))
                .and_then(|v| v.as_str())
                .map(|v| format!(" · last {v}"))
                .unwrap_or_default();
            out.push(format!(
                "  {}: {} ({} ok, {} failed, {} inconclusive){value}",
                m.get("name").and_then(|n| n.as_str()).unwrap_or("metric"),
                m.get("phase").and_then(|p| p.as_str()).unwrap_or("Running"),
                get("successful"),
                get("failed"),
                get("inconclusive"),
            ));
        }
    }
    out
}

/// An Argo Rollouts duration (`30s`, `10m`, `1h30m`, or whole seconds) in milliseconds.
pub fn duration_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<i64>() {
        return (secs >= 0).then_some(secs * 1000);
    }
    let (mut total, mut digits) = (0i64, String::new());
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        total += n * match c {
            's' => 1000,
            'm' => 60_000,
            'h' => 3_600_000,
            _ => return None,
        };
    }
    (digits.is_empty() && total > 0).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::duration_ms;

    #[test]
    fn durations_read_as_argo_writes_them() {
        assert_eq!(duration_ms("30s"), Some(30_000));
        assert_eq!(duration_ms("10m"), Some(600_000));
        assert_eq!(duration_ms("1h30m"), Some(5_400_000));
        assert_eq!(duration_ms("45"), Some(45_000));
        assert_eq!(duration_ms("10x"), None);
        assert_eq!(duration_ms("5m3"), None);
    }
}

//! What a Rollout says of itself: paused or not, settled or not, the weight its steps ask for
//! and the one shown, its phase, its plan and which pods are each version's.

use crate::model::{Phase, Plan, Weight};
use std::collections::BTreeMap;

use super::{Rollout, Step, HASH_LABEL};

impl Rollout {
    /// Paused by the operator (`spec.paused`) or by a pause step (`status.pauseConditions`).
    pub fn is_paused(&self) -> bool {
        self.paused || !self.pause_reasons.is_empty()
    }

    /// The canary and the stable version are the same: nothing is being rolled out.
    pub fn settled(&self) -> bool {
        self.canary_hash.is_none() || self.canary_hash == self.stable_hash
    }

    /// The weight the steps ask for at the current step: the last `setWeight` at or before it;
    /// 100 once every step is done; 0 when aborted or settled.
    pub fn set_weight(&self) -> Weight {
        if self.abort || self.settled() {
            return Weight::ZERO;
        }
        let upto = self.current_step.unwrap_or(0);
        if upto >= self.steps.len() {
            return Weight::FULL;
        }
        self.steps[..=upto]
            .iter()
            .rev()
            .find_map(|s| match s {
                Step::SetWeight(w) => Some(Weight::clamped(*w)),
                _ => None,
            })
            .unwrap_or(Weight::ZERO)
    }

    /// The weight shown: what the traffic router reports when it reports, else the steps'.
    pub fn weight(&self) -> Weight {
        if self.settled() {
            return Weight::ZERO;
        }
        self.actual_weight
            .map_or_else(|| self.set_weight(), Weight::clamped)
    }

    /// The controller has carried out an abort: it says so (`status.abortedAt`), or reports
    /// the aborted rollout as degraded.
    pub fn abort_done(&self) -> bool {
        self.abort && (self.aborted || self.phase.as_deref() == Some("Degraded"))
    }

    /// The phase as the controller's status confirms it. An abort asked for and not yet carried
    /// out is under way; promoted needs the controller's `Healthy` with the new stable
    /// ReplicaSet: the stable hash is the current pod template's.
    pub fn phase(&self) -> Phase {
        if self.abort {
            return if self.abort_done() {
                Phase::RolledBack
            } else {
                Phase::RollingBack
            };
        }
        let promoted = self.stable_hash.is_some() && self.stable_hash == self.canary_hash;
        match self.phase.as_deref() {
            Some("Paused") => Phase::Paused,
            Some("Degraded") => Phase::Failed,
            Some("Healthy") if promoted => Phase::Promoted,
            _ if self.is_paused() => Phase::Paused,
            _ => Phase::Progressing,
        }
    }

    /// The ascending setWeight steps as the cockpit's plan (for the gauge), when they ascend.
    pub fn plan(&self) -> Option<Plan> {
        let mut weights: Vec<Weight> = Vec::new();
        for s in &self.steps {
            if let Step::SetWeight(w) = s {
                let w = Weight::clamped(*w);
                if weights.last().is_some_and(|last| w <= *last) {
                    return None;
                }
                if w > Weight::ZERO {
                    weights.push(w);
                }
            }
        }
        Plan::steps(weights).ok()
    }

    /// The label selectors of the stable and the canary pods.
    pub fn pod_selectors(&self) -> [BTreeMap<String, String>; 2] {
        let with = |hash: &Option<String>| {
            let mut s = self.selector.clone();
            // before the controller has named a hash, no pod is that version's
            s.insert(
                HASH_LABEL.to_string(),
                hash.clone().unwrap_or_else(|| "-".to_string()),
            );
            s
        };
        let canary = if self.settled() {
            None
        } else {
            self.canary_hash.clone()
        };
        [with(&self.stable_hash), with(&canary)]
    }
}

//! The progression plan: which canary weights the release walks through.

use super::weight::Weight;
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// Flagger's `stepWeight` + `maxWeight`: step, 2×step, … up to max.
    Linear { step: Weight, max: Weight },
    /// Flagger's `stepWeights`: an explicit ascending list such as 5, 10, 25, 50.
    Steps(Vec<Weight>),
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("step weight must be between 1 and 100")]
    ZeroStep,
    #[error("max weight {max} is below the step weight {step}")]
    MaxBelowStep { step: u8, max: u8 },
    #[error("the list of step weights is empty")]
    EmptySteps,
    #[error("step weights must rise strictly and be above 0 (found {prev} then {next})")]
    NotAscending { prev: u8, next: u8 },
}

impl Plan {
    pub fn linear(step: Weight, max: Weight) -> Result<Self, PlanError> {
        if step.percent() == 0 {
            return Err(PlanError::ZeroStep);
        }
        if max < step {
            return Err(PlanError::MaxBelowStep {
                step: step.percent(),
                max: max.percent(),
            });
        }
        Ok(Plan::Linear { step, max })
    }

    pub fn steps(list: Vec<Weight>) -> Result<Self, PlanError> {
        if list.is_empty() {
            return Err(PlanError::EmptySteps);
        }
        let mut prev = 0u8;
        for w in &list {
            if w.percent() <= prev {
                return Err(PlanError::NotAscending {
                    prev,
                    next: w.percent(),
                });
            }
            prev = w.percent();
        }
        Ok(Plan::Steps(list))
    }

    /// Every weight of the plan, ascending, ending at the max weight.
    pub fn weights(&self) -> Vec<Weight> {
        match self {
            Plan::Steps(list) => list.clone(),
            Plan::Linear { step, max } => {
                let (s, m) = (step.percent().max(1), max.percent());
                let mut out: Vec<Weight> = (1..=m / s).map(|i| Weight::clamped(i * s)).collect();
                if out.last().is_none_or(|w| w.percent() != m) {
                    out.push(Weight::clamped(m));
                }
                out
            }
        }
    }

    pub fn max(&self) -> Weight {
        self.weights().last().copied().unwrap_or(Weight::ZERO)
    }

    /// The first plan weight above `w`: where progression goes next.
    pub fn next_above(&self, w: Weight) -> Option<Weight> {
        self.weights().into_iter().find(|s| *s > w)
    }

    /// The last plan weight below `w` (0 when none): where a manual step down goes.
    pub fn prev_below(&self, w: Weight) -> Weight {
        self.weights()
            .into_iter()
            .rev()
            .find(|s| *s < w)
            .unwrap_or(Weight::ZERO)
    }

    /// Step number (1-based) reached at weight `w`, and the number of steps.
    pub fn position(&self, w: Weight) -> (usize, usize) {
        let ws = self.weights();
        (ws.iter().filter(|s| **s <= w).count(), ws.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(p: u8) -> Weight {
        Weight::new(p).unwrap()
    }

    #[test]
    fn linear_plan_walks_to_max() {
        let p = Plan::linear(w(20), w(50)).unwrap();
        assert_eq!(p.weights(), vec![w(20), w(40), w(50)]);
        assert_eq!(p.next_above(w(0)), Some(w(20)));
        assert_eq!(p.next_above(w(33)), Some(w(40)));
        assert_eq!(p.next_above(w(50)), None);
        assert_eq!(p.prev_below(w(40)), w(20));
        assert_eq!(p.prev_below(w(20)), w(0));
        assert_eq!(p.position(w(40)), (2, 3));
    }

    #[test]
    fn explicit_steps_must_ascend() {
        assert!(Plan::steps(vec![w(5), w(10), w(25), w(50)]).is_ok());
        assert_eq!(
            Plan::steps(vec![w(10), w(5)]),
            Err(PlanError::NotAscending { prev: 10, next: 5 })
        );
        assert_eq!(Plan::steps(vec![]), Err(PlanError::EmptySteps));
        assert_eq!(Plan::linear(w(0), w(50)), Err(PlanError::ZeroStep));
    }
}

//! The checks a scenario passes before the demo runs it: every rate a share, every latency a
//! positive number of milliseconds, a progression that is either steps or a linear ramp.

use super::{Scenario, ScenarioError};
use crate::model::{Plan, Weight};

impl Scenario {
    pub(super) fn validate(&self, origin: &str) -> Result<(), ScenarioError> {
        let bad = |field: &str, message: &str| ScenarioError::Invalid {
            origin: origin.to_string(),
            field: field.to_string(),
            message: message.to_string(),
        };
        let finite_range = |v: f64, lo: f64, hi: f64| v.is_finite() && v >= lo && v <= hi;
        if !finite_range(self.traffic.base_rps, 0.0, 1e7) {
            return Err(bad("traffic.base_rps", "must be between 0 and 10000000"));
        }
        if !finite_range(self.traffic.noise, 0.0, 1.0) {
            return Err(bad("traffic.noise", "must be between 0 and 1"));
        }
        if !finite_range(self.traffic.wave, 0.0, 1.0) {
            return Err(bad("traffic.wave", "must be between 0 and 1"));
        }
        if !finite_range(self.traffic.wave_period_secs, 1.0, 1e6) {
            return Err(bad("traffic.wave_period_secs", "must be at least 1"));
        }
        if !(1..=3600).contains(&self.traffic.sample_secs) {
            return Err(bad("traffic.sample_secs", "must be between 1 and 3600"));
        }
        for (side, v) in [("primary", &self.primary), ("canary", &self.canary)] {
            if !finite_range(v.error_rate, 0.0, 1.0) {
                return Err(bad(
                    &format!("{side}.error_rate"),
                    "must be a share between 0 and 1 (0.15 = 15 %)",
                ));
            }
            if !finite_range(v.error_4xx_rate, 0.0, 1.0) || v.error_rate + v.error_4xx_rate > 1.0 {
                return Err(bad(
                    &format!("{side}.error_4xx_rate"),
                    "must be a share between 0 and 1, with error_rate at most 1 together",
                ));
            }
            for (field, ms) in [("p50_ms", v.p50_ms), ("p95_ms", v.p95_ms)] {
                if ms.is_some_and(|ms| !finite_range(ms, 0.0, 3_600_000.0)) {
                    return Err(bad(
                        &format!("{side}.{field}"),
                        "must be a positive number of milliseconds",
                    ));
                }
            }
            if !finite_range(v.p99_ms, 0.0, 3_600_000.0) {
                return Err(bad(
                    &format!("{side}.p99_ms"),
                    "must be a positive number of milliseconds",
                ));
            }
            if !finite_range(v.ready_after_secs, 0.0, 86_400.0) {
                return Err(bad(
                    &format!("{side}.ready_after_secs"),
                    "must be between 0 and 86400",
                ));
            }
            if v.replicas.is_some_and(|r| r > 5000) {
                return Err(bad(&format!("{side}.replicas"), "must be at most 5000"));
            }
        }
        if self.primary.replicas.unwrap_or(1) == 0 {
            return Err(bad("primary.replicas", "must be at least 1"));
        }
        if self.analysis.interval_secs == 0 {
            return Err(bad("analysis.interval_secs", "must be at least 1"));
        }
        if self.analysis.threshold == 0 {
            return Err(bad("analysis.threshold", "must be at least 1"));
        }
        if !finite_range(self.analysis.min_success_rate, 0.0, 100.0) {
            return Err(bad(
                "analysis.min_success_rate",
                "must be a percentage between 0 and 100",
            ));
        }
        if !finite_range(self.analysis.max_p99_ms, 0.0, 3_600_000.0) {
            return Err(bad(
                "analysis.max_p99_ms",
                "must be a positive number of milliseconds",
            ));
        }
        if self
            .analysis
            .max_4xx_rate
            .is_some_and(|r| !finite_range(r, 0.0, 100.0))
        {
            return Err(bad(
                "analysis.max_4xx_rate",
                "must be a percentage between 0 and 100",
            ));
        }
        if self
            .analysis
            .max_memory_growth
            .is_some_and(|g| !finite_range(g, 0.0, 100_000.0))
        {
            return Err(bad(
                "analysis.max_memory_growth",
                "must be a positive percentage",
            ));
        }
        self.plan_checked()
            .map_err(|(field, msg)| bad(field, &msg))?;
        Ok(())
    }

    pub(super) fn plan_checked(&self) -> Result<Plan, (&'static str, String)> {
        let weight = |field: &'static str, v: i64| {
            u8::try_from(v)
                .ok()
                .and_then(|p| Weight::new(p).ok())
                .ok_or((field, format!("{v} is not a weight between 0 and 100")))
        };
        let p = &self.progression;
        match (&p.steps, p.step_weight, p.max_weight) {
            (Some(steps), None, None) => {
                let list = steps
                    .iter()
                    .map(|v| weight("progression.steps", *v))
                    .collect::<Result<Vec<_>, _>>()?;
                Plan::steps(list).map_err(|e| ("progression.steps", e.to_string()))
            }
            (None, Some(step), max) => {
                let step = weight("progression.step_weight", step)?;
                let max = weight("progression.max_weight", max.unwrap_or(50))?;
                Plan::linear(step, max).map_err(|e| ("progression.max_weight", e.to_string()))
            }
            (Some(_), _, _) => Err((
                "progression",
                "give either `steps` or `step_weight` (+ `max_weight`), not both".to_string(),
            )),
            (None, None, _) => Err((
                "progression",
                "missing: give `steps = [5, 10, 25, 50]` or `step_weight` and `max_weight`"
                    .to_string(),
            )),
        }
    }
}

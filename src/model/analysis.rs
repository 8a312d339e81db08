//! Analysis settings and verdicts (Flagger's semantics).

use super::time::Millis;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisSettings {
    /// How often the canary is judged, in seconds.
    pub interval_secs: u32,
    /// Failed checks that trigger the automatic rollback.
    pub threshold: u32,
    /// Minimum success rate in percent (share of non-5xx responses).
    pub min_success_rate: f64,
    /// Maximum p99 latency in milliseconds.
    pub max_p99_ms: f64,
    /// Fewer canary requests in an interval make the check inconclusive.
    pub min_requests: u32,
    /// Maximum share of 4xx responses in percent; `None`: 4xx never fail a check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_4xx_rate: Option<f64>,
    /// Maximum growth in percent of the canary's average working-set memory per pod, from the
    /// first resource sample with canary pods in the kept history (the last hour) to the latest;
    /// `None`: memory never fails a check. Without resource samples the check is skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_memory_growth: Option<f64>,
    /// Which judge decides the automatic steps (recordings before it: the thresholds).
    #[serde(default)]
    pub judge: super::judge::JudgeKind,
    /// The statistical judge's thresholds.
    #[serde(default)]
    pub statistical: super::judge::JudgeSettings,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        Self {
            interval_secs: 60,
            threshold: 5,
            min_success_rate: 99.0,
            max_p99_ms: 500.0,
            min_requests: 20,
            max_4xx_rate: None,
            max_memory_growth: None,
            judge: super::judge::JudgeKind::default(),
            statistical: super::judge::JudgeSettings::default(),
        }
    }
}

impl AnalysisSettings {
    pub fn interval_ms(&self) -> i64 {
        i64::from(self.interval_secs) * 1000
    }

    /// Highest acceptable error rate as a share (0–1).
    pub fn max_error_rate(&self) -> f64 {
        (100.0 - self.min_success_rate) / 100.0
    }

    /// Highest acceptable 4xx share (0–1), when 4xx are judged at all.
    pub fn max_4xx_share(&self) -> Option<f64> {
        self.max_4xx_rate.map(|p| p / 100.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    Fail,
    Inconclusive,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "passed",
            Outcome::Fail => "failed",
            Outcome::Inconclusive => "inconclusive",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub at: Millis,
    pub outcome: Outcome,
    pub reason: String,
    /// Failed checks after this verdict.
    pub failed_checks: u32,
}

/// Running totals of the analysis, shown in the analysis panel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalysisState {
    pub passed: u32,
    pub failed: u32,
    pub inconclusive: u32,
    pub recent: VecDeque<Verdict>,
}

impl AnalysisState {
    const KEEP: usize = 50;

    pub fn record(&mut self, verdict: Verdict) {
        match verdict.outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail => self.failed += 1,
            Outcome::Inconclusive => self.inconclusive += 1,
        }
        if self.recent.len() == Self::KEEP {
            self.recent.pop_front();
        }
        self.recent.push_back(verdict);
    }

    pub fn last(&self) -> Option<&Verdict> {
        self.recent.back()
    }
}

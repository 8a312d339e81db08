//! The statistical judge's settings and what it found: per metric a class and the numbers behind
//! it, and a weighted score with its verdict. Plain data; the controller computes it.

use serde::{Deserialize, Serialize};

/// Which judge decides the automatic steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JudgeKind {
    /// Each check compares a number with a threshold (Flagger's analysis).
    #[default]
    Threshold,
    /// Canary against primary: Mann-Whitney, Hodges-Lehmann and counts, scored by groups.
    Statistical,
}

impl JudgeKind {
    pub fn label(self) -> &'static str {
        match self {
            JudgeKind::Threshold => "threshold",
            JudgeKind::Statistical => "statistical",
        }
    }
}

impl std::str::FromStr for JudgeKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "threshold" => Ok(JudgeKind::Threshold),
            "statistical" => Ok(JudgeKind::Statistical),
            other => Err(format!(
                "`{}` is not a judge: threshold or statistical",
                crate::hygiene::short(other, 40)
            )),
        }
    }
}

/// The statistical judge's thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JudgeSettings {
    /// The samples judged: those of the last `window_secs`.
    pub window_secs: u32,
    /// Confidence level of the intervals, 0–1.
    pub confidence: f64,
    /// The canary's error rate may exceed the primary's by this many percentage points.
    pub max_error_increase_pp: f64,
    /// Ratios of means (canary / primary) at which a significant increase counts.
    pub max_latency_ratio: f64,
    pub max_cpu_ratio: f64,
    pub max_memory_ratio: f64,
    /// Fewer samples per version make a Mann-Whitney metric inconclusive.
    pub min_samples: u32,
    /// Fewer requests per version make the error rate inconclusive.
    pub min_requests: u32,
    /// Group weights.
    pub weight_errors: f64,
    pub weight_latency: f64,
    pub weight_saturation: f64,
    /// Score at or above which the canary passes, and at or above which it is marginal.
    pub pass_score: f64,
    pub marginal_score: f64,
    /// A High error rate fails the run whatever the score.
    pub errors_critical: bool,
}

impl Default for JudgeSettings {
    fn default() -> Self {
        Self {
            window_secs: 300,
            confidence: 0.98,
            max_error_increase_pp: 0.2,
            max_latency_ratio: 1.10,
            max_cpu_ratio: 1.20,
            max_memory_ratio: 1.20,
            min_samples: 20,
            min_requests: 200,
            weight_errors: 50.0,
            weight_latency: 30.0,
            weight_saturation: 20.0,
            pass_score: 95.0,
            marginal_score: 75.0,
            errors_critical: true,
        }
    }
}

/// The group a metric is scored in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Errors,
    Latency,
    Saturation,
}

/// A metric's class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricClass {
    Pass,
    High,
    Low,
    Inconclusive,
}

impl MetricClass {
    pub fn label(self) -> &'static str {
        match self {
            MetricClass::Pass => "Pass",
            MetricClass::High => "High",
            MetricClass::Low => "Low",
            MetricClass::Inconclusive => "Inconclusive",
        }
    }
}

/// One metric, canary against primary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricJudgement {
    /// `error rate`, `p50`, `p95`, `p99`, `cpu`, `memory`.
    pub name: String,
    pub group: Group,
    pub critical: bool,
    /// The canary's and the primary's value: the error rate over the window, or the mean of
    /// the samples.
    pub canary: Option<f64>,
    pub primary: Option<f64>,
    /// Requests (error rate) or samples per version.
    pub n_canary: u64,
    pub n_primary: u64,
    /// The effect: the difference of the error rates (canary − primary), or the ratio of means.
    pub effect: Option<f64>,
    /// The interval of the difference of the error rates, or of the Hodges-Lehmann shift in the
    /// metric's unit.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// The Hodges-Lehmann shift (Mann-Whitney metrics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<f64>,
    /// Common-language effect size: P(canary > primary), ties counting half.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cles: Option<f64>,
    pub p_value: Option<f64>,
    pub class: MetricClass,
    pub reason: String,
}

/// `+38 %` of a share (0.38).
fn signed_percent(share: f64) -> String {
    format!("{:+.0} %", share * 100.0)
}

impl MetricJudgement {
    /// The effect and its interval in a few characters: percentage points for the error rate
    /// (`+0.75 pp [+0.10, +1.90]`), the Hodges-Lehmann shift as a share of the primary's mean for
    /// the others (`+38 % [+21 %, +55 %]`); `None` without an interval.
    pub fn effect_text(&self) -> Option<String> {
        let (low, high) = (self.ci_low?, self.ci_high?);
        if self.group == Group::Errors {
            let d = self.effect?;
            return Some(format!(
                "{:+.2} pp [{:+.2}, {:+.2}]",
                d * 100.0,
                low * 100.0,
                high * 100.0
            ));
        }
        let base = self.primary.filter(|p| *p > 0.0)?;
        Some(format!(
            "{} [{}, {}]",
            signed_percent(self.shift? / base),
            signed_percent(low / base),
            signed_percent(high / base)
        ))
    }

    /// One line, as the analysis panel, the post-mortem and the alerts say it:
    /// `p99 +38 % [+21 %, +55 %] High n 48/48`, or `cpu inconclusive: 12 samples < 20`.
    pub fn line(&self) -> String {
        if self.class == MetricClass::Inconclusive {
            return format!("{} {}", self.name, self.reason);
        }
        let effect = self.effect_text().unwrap_or_else(|| "—".to_string());
        format!(
            "{} {effect} {} n {}/{}",
            self.name,
            self.class.label(),
            self.n_canary,
            self.n_primary
        )
    }
}

/// The judge's overall verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JudgeVerdict {
    Pass,
    Marginal,
    Fail,
    Inconclusive,
}

impl JudgeVerdict {
    pub fn label(self) -> &'static str {
        match self {
            JudgeVerdict::Pass => "pass",
            JudgeVerdict::Marginal => "marginal",
            JudgeVerdict::Fail => "fail",
            JudgeVerdict::Inconclusive => "inconclusive",
        }
    }
}

/// What the judge found over one window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JudgeReport {
    /// 0–100; `None` when no metric could be judged.
    pub score: Option<f64>,
    pub verdict: JudgeVerdict,
    /// Why the verdict, in a few words.
    pub reason: String,
    pub metrics: Vec<MetricJudgement>,
}

impl JudgeReport {
    /// The names of the inconclusive metrics, left out of the score.
    pub fn inconclusive(&self) -> Vec<&str> {
        self.metrics
            .iter()
            .filter(|m| m.class == MetricClass::Inconclusive)
            .map(|m| m.name.as_str())
            .collect()
    }

    /// `judge 62/100 marginal (p99 High)`: the summary and its reason on one line.
    pub fn headline(&self) -> String {
        format!("judge {} ({})", self.summary(), self.reason)
    }

    /// `62/100 marginal`, or `inconclusive` without a score.
    pub fn summary(&self) -> String {
        match (self.score, self.verdict) {
            (Some(s), v) if v != JudgeVerdict::Inconclusive => {
                format!("{:.0}/100 {}", s.floor(), v.label())
            }
            _ => self.verdict.label().to_string(),
        }
    }
}

//! Demo scenarios: TOML files that describe a release story (traffic, versions, pods, analysis).

use crate::model::{AnalysisSettings, Plan, Weight};

mod validate;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Scenarios shipped in the binary, from `assets/scenarios/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "faulty-v2",
        include_str!("../../../../assets/scenarios/faulty-v2.toml"),
    ),
    (
        "healthy-v2",
        include_str!("../../../../assets/scenarios/healthy-v2.toml"),
    ),
    (
        "slow-v2",
        include_str!("../../../../assets/scenarios/slow-v2.toml"),
    ),
    (
        "crashloop-v2",
        include_str!("../../../../assets/scenarios/crashloop-v2.toml"),
    ),
    (
        "leaky-v2",
        include_str!("../../../../assets/scenarios/leaky-v2.toml"),
    ),
    (
        "noisy-v2",
        include_str!("../../../../assets/scenarios/noisy-v2.toml"),
    ),
    (
        "subtle-v2",
        include_str!("../../../../assets/scenarios/subtle-v2.toml"),
    ),
];

pub const DEFAULT: &str = "faulty-v2";

#[derive(Debug, Error)]
pub enum ScenarioError {
    #[error(
        "unknown scenario '{name}': built-in scenarios are {known}; or give a path to a .toml file"
    )]
    Unknown { name: String, known: String },
    #[error("cannot read scenario file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("scenario {origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("scenario {origin}: field `{field}`: {message}")]
    Invalid {
        origin: String,
        field: String,
        message: String,
    },
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub release: ReleaseSpec,
    pub traffic: TrafficSpec,
    pub primary: VersionSpec,
    pub canary: VersionSpec,
    pub analysis: AnalysisSpec,
    pub progression: ProgressionSpec,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSpec {
    pub name: String,
    pub namespace: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrafficSpec {
    /// Mean requests per second across both versions.
    pub base_rps: f64,
    /// Relative sample noise (0.05 = ±5 % standard deviation).
    #[serde(default = "default_noise")]
    pub noise: f64,
    /// Relative amplitude of a slow wave on top of the base rate.
    #[serde(default)]
    pub wave: f64,
    /// Period of the wave in seconds.
    #[serde(default = "default_wave_period")]
    pub wave_period_secs: f64,
    /// Seconds between metric samples.
    #[serde(default = "default_sample_secs")]
    pub sample_secs: u32,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VersionSpec {
    pub version: String,
    pub image: String,
    /// Primary: its replica count. Canary: replicas at 100 % weight (defaults to the primary's).
    #[serde(default)]
    pub replicas: Option<u32>,
    /// Share of 5xx responses (0–1).
    pub error_rate: f64,
    /// Share of 4xx responses (0–1).
    #[serde(default)]
    pub error_4xx_rate: f64,
    /// Typical p99 latency in milliseconds.
    pub p99_ms: f64,
    /// Typical p50 and p95 latency in milliseconds; by default 40 % and 70 % of the p99.
    #[serde(default)]
    pub p50_ms: Option<f64>,
    #[serde(default)]
    pub p95_ms: Option<f64>,
    /// Spread of the latency from one sample to the next: the standard deviation of its
    /// logarithm (default 0.08).
    #[serde(default)]
    pub latency_noise: Option<f64>,
    /// Seconds from pod creation to ready.
    #[serde(default = "default_ready_after")]
    pub ready_after_secs: f64,
    /// Pods crash after start and never become ready.
    #[serde(default)]
    pub crashloop: bool,
    /// CPU per pod, in millicores.
    #[serde(default = "super::usage::default_cpu")]
    pub cpu_millicores: f64,
    /// Working-set memory per pod at start, in MiB.
    #[serde(default = "super::usage::default_memory")]
    pub memory_mib: f64,
    /// Memory a pod adds per minute of its life, in MiB (a leak).
    #[serde(default)]
    pub memory_growth_mib_per_min: f64,
    /// The pods' CPU request and memory limit, as in a pod spec (`250m`, `512Mi`).
    #[serde(default = "super::usage::default_cpu_request")]
    pub cpu_request: Option<String>,
    #[serde(default = "super::usage::default_memory_limit")]
    pub memory_limit: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSpec {
    pub interval_secs: u32,
    pub threshold: u32,
    #[serde(default = "default_success")]
    pub min_success_rate: f64,
    #[serde(default = "default_p99")]
    pub max_p99_ms: f64,
    #[serde(default = "default_min_requests")]
    pub min_requests: u32,
    /// Maximum 4xx share in percent; absent: 4xx never fail a check.
    #[serde(default)]
    pub max_4xx_rate: Option<f64>,
    /// Maximum growth of the canary's memory per pod in percent; absent: memory never fails.
    #[serde(default)]
    pub max_memory_growth: Option<f64>,
    /// Which judge decides; absent: the thresholds.
    #[serde(default)]
    pub judge: Option<crate::model::JudgeKind>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProgressionSpec {
    #[serde(default)]
    pub steps: Option<Vec<i64>>,
    #[serde(default)]
    pub step_weight: Option<i64>,
    #[serde(default)]
    pub max_weight: Option<i64>,
}

fn default_noise() -> f64 {
    0.05
}
fn default_wave_period() -> f64 {
    120.0
}
fn default_sample_secs() -> u32 {
    2
}
fn default_ready_after() -> f64 {
    5.0
}
fn default_success() -> f64 {
    99.0
}
fn default_p99() -> f64 {
    500.0
}
fn default_min_requests() -> u32 {
    20
}

impl Scenario {
    /// A built-in name (`faulty-v2`) or a path to a TOML file.
    pub fn load(name_or_path: &str) -> Result<Self, ScenarioError> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Self::parse(text, &format!("'{name_or_path}' (built in)"));
        }
        let path = Path::new(name_or_path);
        let looks_like_path = name_or_path.contains('/') || name_or_path.ends_with(".toml");
        if !looks_like_path && !path.exists() {
            return Err(ScenarioError::Unknown {
                name: name_or_path.to_string(),
                known: BUILT_IN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and validates a scenario; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            origin: origin.to_string(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        scenario.validate(origin)?;
        Ok(scenario)
    }

    pub fn plan(&self) -> Plan {
        // validated in `parse`; fall back to Flagger's defaults should a caller build one by hand
        self.plan_checked().unwrap_or(Plan::Linear {
            step: Weight::clamped(10),
            max: Weight::clamped(50),
        })
    }

    pub fn analysis_settings(&self) -> AnalysisSettings {
        AnalysisSettings {
            interval_secs: self.analysis.interval_secs,
            threshold: self.analysis.threshold,
            min_success_rate: self.analysis.min_success_rate,
            max_p99_ms: self.analysis.max_p99_ms,
            min_requests: self.analysis.min_requests,
            max_4xx_rate: self.analysis.max_4xx_rate,
            max_memory_growth: self.analysis.max_memory_growth,
            judge: self.analysis.judge.unwrap_or_default(),
            ..crate::model::AnalysisSettings::default()
        }
    }

    pub fn primary_replicas(&self) -> u32 {
        self.primary.replicas.unwrap_or(4).max(1)
    }

    pub fn canary_full_replicas(&self) -> u32 {
        self.canary
            .replicas
            .unwrap_or(self.primary_replicas())
            .max(1)
    }
}

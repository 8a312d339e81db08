//! The post-mortem of a recorded session: what happened, when, and who did it, as data
//! ([`Summary`], serializable to JSON) and as text for a terminal ([`Summary::to_text`]).
//!
//! One linear pass over the recording: every event goes through the same `App::update` the live
//! cockpit ran (read-only, effects dropped), which gives phase changes, pauses and the outcome
//! exactly as the cockpit saw them; actions, notes, verdicts and metrics are read from the events.
//!
//! Times are given twice: `t_ms`, milliseconds since the session started (the header's
//! `started_at`), and `at`, the instant in UTC as `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339).

mod judge;
mod keel;
mod labels;
mod pass;
mod text;

pub use judge::{JudgeSummary, ScorePoint};
pub use labels::{offset_label, percent_label, source_label, utc};
pub use pass::summarize;
pub(crate) use pass::{error_rate, p99};

use crate::app::{Action, ReleaseOutcome};
use crate::model::{AnalysisSettings, Phase};
use crate::record::SessionSource;
use serde::Serialize;

/// Everything a post-mortem needs, in field names that stay stable (snake_case).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The release's name, from the header.
    pub release: String,
    /// Where the events came from, as in the header (`{"kind":"demo",...}` or `{"kind":"cluster",...}`).
    pub source: SessionSource,
    /// Start of the session, milliseconds since the Unix epoch.
    pub started_at_ms: i64,
    /// Start of the session in UTC (RFC 3339).
    pub started_at: String,
    /// From the start to the last event, in milliseconds (0 without events).
    pub duration_ms: i64,
    /// Number of events read.
    pub event_count: usize,
    /// How the release ended: `promoted`, `rolled-back`, `failed` or `undecided`.
    pub outcome: SessionOutcome,
    /// When the release reached its outcome, since the start; `None` while undecided.
    pub outcome_t_ms: Option<i64>,
    /// Time the release spent paused, in milliseconds (the sum of `pauses`).
    pub paused_ms: i64,
    /// Every pause: from a successful pause (or a phase `Paused` reported by the cluster) to the next
    /// resume, the end of the release, or the end of the recording.
    pub pauses: Vec<Pause>,
    /// The versions as first observed.
    pub versions: Versions,
    /// The canary's weight.
    pub weight: WeightSummary,
    /// The settings of the cockpit's analysis, when it judged this release.
    pub analysis: Option<AnalysisSummary>,
    /// How many checks the analysis made, by result.
    pub checks: CheckCounts,
    pub phase_changes: Vec<PhaseChange>,
    /// Actions a person asked for, successful or not.
    pub operator_actions: Vec<ActionRecord>,
    /// Actions the cockpit's controller performed (weight steps, automatic promotion or rollback).
    pub controller_actions: Vec<ActionRecord>,
    pub notes: Vec<NoteRecord>,
    /// Testers' routes the operators added or cleared, with the result.
    pub route_changes: Vec<RouteRecord>,
    /// Keel approvals the operators answered from the cockpit, with Keel's answer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keel_votes: Vec<keel::KeelVoteRecord>,
    /// Alerts raised for the team's channels, with what became of each at each sink.
    pub alerts: Vec<AlertRecord>,
    /// The statistical judge's reports: its score over time and its last numbers per metric.
    pub judge: Option<JudgeSummary>,
    /// Checks of the analysis that failed, with the reason given.
    pub failed_verdicts: Vec<FailedVerdict>,
    /// The worst error rate and p99 latency seen, per side of the release.
    pub peaks: Peaks,
    /// Failures of background sources (metrics, cluster) during the session.
    pub source_errors: usize,
    /// When the watch of the cluster or the metrics were down, and for how long.
    pub outages: Vec<OutageRecord>,
    /// What the reader had to skip or could not read.
    pub warnings: Vec<String>,
}

/// How the release ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionOutcome {
    Promoted,
    RolledBack,
    Failed,
    /// The recording ends before the release did.
    Undecided,
}

impl SessionOutcome {
    pub fn label(self) -> &'static str {
        match self {
            SessionOutcome::Promoted => "promoted",
            SessionOutcome::RolledBack => "rolled-back",
            SessionOutcome::Failed => "failed",
            SessionOutcome::Undecided => "undecided",
        }
    }
}

impl From<ReleaseOutcome> for SessionOutcome {
    fn from(outcome: ReleaseOutcome) -> Self {
        match outcome {
            ReleaseOutcome::Promoted => SessionOutcome::Promoted,
            ReleaseOutcome::RolledBack => SessionOutcome::RolledBack,
            ReleaseOutcome::Failed => SessionOutcome::Failed,
        }
    }
}

/// One period during which the release was paused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pause {
    pub start_t_ms: i64,
    pub end_t_ms: i64,
    /// Still paused when the recording ends.
    pub open: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Versions {
    pub primary: Option<VersionInfo>,
    pub canary: Option<VersionInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionInfo {
    /// Short name, such as `v2`.
    pub name: String,
    pub image: String,
}

/// Canary weights in percent; `None` when the release was never observed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WeightSummary {
    pub max_percent: Option<u8>,
    pub final_percent: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnalysisSummary {
    pub interval_secs: u32,
    /// Failed checks that trigger the automatic rollback.
    pub threshold: u32,
    /// Minimum success rate in percent.
    pub min_success_rate: f64,
    /// Highest acceptable error rate as a share (0–1).
    pub max_error_rate: f64,
    pub max_p99_ms: f64,
    pub min_requests: u32,
}

impl From<&AnalysisSettings> for AnalysisSummary {
    fn from(s: &AnalysisSettings) -> Self {
        Self {
            interval_secs: s.interval_secs,
            threshold: s.threshold,
            min_success_rate: s.min_success_rate,
            max_error_rate: s.max_error_rate(),
            max_p99_ms: s.max_p99_ms,
            min_requests: s.min_requests,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CheckCounts {
    pub passed: u32,
    pub failed: u32,
    pub inconclusive: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PhaseChange {
    pub t_ms: i64,
    pub at: String,
    pub from: Phase,
    pub to: Phase,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionRecord {
    pub t_ms: i64,
    pub at: String,
    /// Who acted, as the cockpit shows it: `alice`, `alice (alice@corp)` or `controller`.
    pub who: String,
    /// The operator's OS user; `None` for the controller.
    pub user: Option<String>,
    /// The operator's Kubernetes user, when known.
    pub kube_user: Option<String>,
    /// The action as recorded (`{"kind":"set_weight","weight":25}`, `{"kind":"pause"}`, …).
    pub action: Action,
    pub ok: bool,
    /// What went wrong, when it failed.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutageRecord {
    /// `watch` (the API server) or `metrics`.
    pub source: String,
    pub t_ms: i64,
    pub at: String,
    pub duration_ms: i64,
    /// False when the recording ends before the source answered again.
    pub ended: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteRecord {
    pub t_ms: i64,
    pub at: String,
    pub who: String,
    pub change: crate::model::RouteChange,
    pub ok: bool,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlertRecord {
    pub t_ms: i64,
    pub at: String,
    pub event: crate::model::AlertEvent,
    pub severity: crate::model::Severity,
    /// The alert's line: release and reason.
    pub text: String,
    pub deliveries: Vec<DeliveryRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    pub sink: String,
    /// `delivered (HTTP 204)`, `HTTP 400: …`, `undelivered: …`.
    pub result: String,
    pub delivered: bool,
    pub attempts: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoteRecord {
    pub t_ms: i64,
    pub at: String,
    pub author: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedVerdict {
    pub t_ms: i64,
    pub at: String,
    pub reason: String,
    /// Failed checks counted after this one.
    pub failed_checks: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Peaks {
    pub primary: VersionPeaks,
    pub canary: VersionPeaks,
}

/// `None` when the side never had traffic: no traffic is never reported as 0 %.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VersionPeaks {
    /// Highest share of 5xx responses in one sample (0–1).
    pub error_rate: Option<Peak>,
    /// Highest p99 latency of one sample, in milliseconds.
    pub p99_ms: Option<Peak>,
    /// Highest average working-set memory per pod of one resource sample; absent from
    /// recordings without resource samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_per_pod: Option<MemoryPeak>,
}

/// The highest memory per pod of a version and the first resource sample that had it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemoryPeak {
    pub t_ms: i64,
    pub at: String,
    pub bytes: u64,
    /// The version's pods in that sample.
    pub pods: usize,
}

/// The worst value of one metric and the first sample that had it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Peak {
    pub t_ms: i64,
    pub at: String,
    pub value: f64,
    /// Requests counted in that sample.
    pub requests: f64,
}

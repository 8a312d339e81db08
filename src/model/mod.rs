//! Plain data: the release, its versions and pods, weights, plans, samples, verdicts and Flagger's
//! gates. No I/O.

pub mod alert;
pub mod analysis;
pub mod approval;
pub mod capability;
pub mod gates;
pub mod hold;
pub mod judge;
pub mod metrics;
pub mod plan;
pub mod quantity;
pub mod release;
pub mod resources;
pub mod rules;
pub mod target;
pub mod time;
pub mod weight;

pub use alert::{Alert, AlertEvent, Delivery, DeliveryOutcome, Severity, VersionNumbers};
pub use analysis::{AnalysisSettings, AnalysisState, Outcome, Verdict};
pub use capability::Capability;
pub use gates::{flagger_ended, GateChange, GateState, Gates};
pub use hold::Hold;
pub use judge::{
    Group, JudgeKind, JudgeReport, JudgeSettings, JudgeVerdict, MetricClass, MetricJudgement,
};
pub use metrics::{MetricsHistory, MetricsSample, Quantile, VersionSample, WindowStats};
pub use plan::{Plan, PlanError};
pub use release::{
    ControllerView, Phase, Pod, PodSet, PodStatus, Refusal, ReleaseSnapshot, Side, TimedPause,
    Version,
};
pub use resources::{MemoryGrowth, PodResources, PodUsage, ResourceHistory, ResourceSample};
pub use rules::{CanaryBy, RouteChange, RouteRule, RuleKind, RuleMatch, RuleOwner};
pub use target::{Kind, KindInfo, Target, TargetError, KINDS};
pub use time::{wall_clock, Age, Clock, Millis, TimeOfDay};
pub use weight::{Weight, WeightError};

//! Alerts: what the cockpit tells the team's channels (Discord, Slack, Teams, …) about a release.
//! Plain data; the cockpit raises them, the alert module delivers them.

use super::metrics::VersionSample;
use super::release::Phase;
use super::time::Millis;
use super::weight::Weight;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How urgent an alert is; sinks can ask for a minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warn,
    Error,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }

    /// Reads `info`, `warn` (or `warning`) and `error`, as the config file and Flagger write them.
    pub fn parse(text: &str) -> Option<Severity> {
        match text.trim().to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warn" | "warning" => Some(Severity::Warn),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What happened. The names are the `event` key of the webhook body and of the config's
/// `events` filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertEvent {
    /// The analysis rolled the canary back.
    AutomaticRollback,
    /// An operator rolled the canary back.
    OperatorRollback,
    /// All traffic is on the new version.
    PromotionFinished,
    /// A staged promotion stopped at one of its stages.
    PromotionStopped,
    /// A check of the analysis failed.
    CheckFailed,
    /// An operator paused the progression.
    Paused,
    /// An operator resumed it.
    Resumed,
    /// A Flagger gate was opened.
    GateOpened,
    /// A Flagger gate was closed.
    GateClosed,
    /// The watch of the cluster or the metrics were down for longer than a minute.
    Outage,
    /// They answer again.
    Recovered,
    /// An operator answered a Keel approval of the release's workloads.
    KeelVote,
    /// `canary alert test`.
    Test,
}

impl AlertEvent {
    pub const ALL: [AlertEvent; 13] = [
        AlertEvent::AutomaticRollback,
        AlertEvent::OperatorRollback,
        AlertEvent::PromotionFinished,
        AlertEvent::PromotionStopped,
        AlertEvent::CheckFailed,
        AlertEvent::Paused,
        AlertEvent::Resumed,
        AlertEvent::GateOpened,
        AlertEvent::GateClosed,
        AlertEvent::Outage,
        AlertEvent::Recovered,
        AlertEvent::KeelVote,
        AlertEvent::Test,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AlertEvent::AutomaticRollback => "automatic_rollback",
            AlertEvent::OperatorRollback => "operator_rollback",
            AlertEvent::PromotionFinished => "promotion_finished",
            AlertEvent::PromotionStopped => "promotion_stopped",
            AlertEvent::CheckFailed => "check_failed",
            AlertEvent::Paused => "paused",
            AlertEvent::Resumed => "resumed",
            AlertEvent::GateOpened => "gate_opened",
            AlertEvent::GateClosed => "gate_closed",
            AlertEvent::Outage => "outage",
            AlertEvent::Recovered => "recovered",
            AlertEvent::KeelVote => "keel_vote",
            AlertEvent::Test => "test",
        }
    }

    /// How a message's title says it.
    pub fn headline(self) -> &'static str {
        match self {
            AlertEvent::AutomaticRollback => "automatic rollback",
            AlertEvent::OperatorRollback => "rolled back by an operator",
            AlertEvent::PromotionFinished => "promotion finished",
            AlertEvent::PromotionStopped => "promotion stopped",
            AlertEvent::CheckFailed => "check failed",
            AlertEvent::Paused => "paused",
            AlertEvent::Resumed => "resumed",
            AlertEvent::GateOpened => "gate opened",
            AlertEvent::GateClosed => "gate closed",
            AlertEvent::Outage => "outage",
            AlertEvent::Recovered => "recovered",
            AlertEvent::KeelVote => "Keel approval answered",
            AlertEvent::Test => "test message",
        }
    }

    pub fn parse(text: &str) -> Option<AlertEvent> {
        let text = text.trim().replace('-', "_");
        AlertEvent::ALL.into_iter().find(|e| e.name() == text)
    }
}

impl fmt::Display for AlertEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One version's name, image and latest numbers, as an alert carries them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VersionNumbers {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    /// Requests per second; `None` without a metrics sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps: Option<f64>,
    /// Share of 5xx responses, 0–1; `None` without traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
}

impl VersionNumbers {
    pub fn new(name: &str, image: &str, sample: Option<&VersionSample>) -> Self {
        Self {
            name: name.to_string(),
            image: image.to_string(),
            rps: sample.map(|s| s.rps),
            error_rate: sample.and_then(VersionSample::error_rate),
            p99_ms: sample.and_then(|s| s.p99_ms),
        }
    }

    /// `12.0 req/s · 4.10 % 5xx · p99 180 ms`, or `no metrics`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(rps) = self.rps {
            parts.push(format!("{rps:.1} req/s"));
        }
        if let Some(e) = self.error_rate {
            parts.push(format!("{:.2} % 5xx", e * 100.0));
        }
        if let Some(p) = self.p99_ms {
            parts.push(format!("p99 {p:.0} ms"));
        }
        if parts.is_empty() {
            "no metrics".to_string()
        } else {
            parts.join(" · ")
        }
    }
}

/// An alert about one release, with everything a channel message shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub at: Millis,
    pub event: AlertEvent,
    pub severity: Severity,
    pub release: String,
    pub namespace: String,
    /// Where the release comes from: the provider (`ingress-nginx`, `flagger`, …) or `demo:…`.
    pub provider: String,
    pub phase: Phase,
    pub weight: Weight,
    /// Who acted, when a person did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    pub reason: String,
    pub primary: VersionNumbers,
    pub canary: VersionNumbers,
    /// The statistical judge's report when the alert was raised: the same numbers as the
    /// cockpit's panel, the recording and the post-mortem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<Box<super::judge::JudgeReport>>,
}

impl Alert {
    /// `shop/frontend: automatic rollback`.
    pub fn title(&self) -> String {
        format!(
            "{}/{}: {}",
            self.namespace,
            self.release,
            self.event.headline()
        )
    }

    /// The one line the event log and plain-text channels show: `frontend: automatic rollback of
    /// v2 to v1 after 5 failed checks (threshold 5)`. The reason names who acted, when a person did.
    pub fn line(&self) -> String {
        format!("{}: {}", self.release, self.reason)
    }

    /// What makes two alerts the same for de-duplication: event, release and reason.
    pub fn identity(&self) -> (AlertEvent, &str, &str, &str) {
        (self.event, &self.namespace, &self.release, &self.reason)
    }
}

/// What became of one alert at one sink. Recorded; the URL never is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub at: Millis,
    /// The sink's name (`discord`, a config entry, `flagger/NS/NAME`).
    pub sink: String,
    pub event: AlertEvent,
    /// Attempts made, retries included.
    pub attempts: u32,
    pub outcome: DeliveryOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The service took it (its HTTP status).
    Delivered { http: u16 },
    /// The service refused it or could not be reached; `http` is its last status, if any.
    Failed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        http: Option<u16>,
        error: String,
    },
    /// Never sent: the queue was full.
    Dropped { reason: String },
    /// Still pending when the cockpit quit and its grace ran out.
    Undelivered,
}

impl DeliveryOutcome {
    pub fn is_delivered(&self) -> bool {
        matches!(self, DeliveryOutcome::Delivered { .. })
    }
}

impl fmt::Display for DeliveryOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryOutcome::Delivered { http } => write!(f, "delivered (HTTP {http})"),
            DeliveryOutcome::Failed {
                http: Some(h),
                error,
            } => write!(f, "HTTP {h}: {error}"),
            DeliveryOutcome::Failed { http: None, error } => f.write_str(error),
            DeliveryOutcome::Dropped { reason } => write!(f, "dropped: {reason}"),
            DeliveryOutcome::Undelivered => f.write_str("undelivered: the cockpit quit first"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Info < Severity::Warn && Severity::Warn < Severity::Error);
        assert_eq!(Severity::parse("Warning"), Some(Severity::Warn));
        assert_eq!(Severity::parse("fatal"), None);
    }

    #[test]
    fn events_parse_by_name() {
        for e in AlertEvent::ALL {
            assert_eq!(AlertEvent::parse(e.name()), Some(e));
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(json, format!("\"{}\"", e.name()));
        }
        assert_eq!(
            AlertEvent::parse("automatic-rollback"),
            Some(AlertEvent::AutomaticRollback)
        );
        assert_eq!(AlertEvent::parse("reboot"), None);
    }

    #[test]
    fn numbers_describe_what_is_known() {
        let s = VersionSample {
            rps: 12.0,
            requests: 100.0,
            errors: 4.1,
            p99_ms: Some(180.4),
            ..VersionSample::default()
        };
        let n = VersionNumbers::new("v2", "img:2", Some(&s));
        assert_eq!(n.describe(), "12.0 req/s · 4.10 % 5xx · p99 180 ms");
        assert_eq!(VersionNumbers::new("v1", "", None).describe(), "no metrics");
    }
}

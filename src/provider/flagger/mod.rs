//! Flagger: a Canary (flagger.app/v1beta1). `spec.targetRef` names the Deployment `X` that is
//! the canary; Flagger runs the primary as `X-primary`. Flagger moves the weight itself
//! (`status.canaryWeight`) by its analysis; the cockpit shows it and gives the operator its
//! levers:
//!
//! - pause / resume: `spec.suspend: true / false`;
//! - gates: Flagger asks webhooks before it acts (`confirm-rollout`, `confirm-traffic-increase`,
//!   `confirm-promotion`, `rollback`). With `--gate-listen` the cockpit answers them (the same
//!   paths as Flagger's load tester): step up opens the gate for one step, promote opens it for
//!   good, roll back opens the rollback gate;
//! - promote without a promotion gate: `spec.skipAnalysis: true` (Flagger promotes without
//!   further analysis).
//!
//! Testers' routes: `spec.analysis.match` (Flagger's A/B testing, header and cookie matches) is
//! shown as the release's own rules; the cockpit does not write it ([`route_writes`]).

use crate::cluster::dynamic::Resource;
use crate::model::{Phase, Plan, RouteRule, Weight};
use kube::api::DynamicObject;
use serde::Deserialize;

pub mod alerts;
pub mod gate;
mod lever;
mod system;
mod view;

pub use system::Flagger;

pub use alerts::{alert_sinks, AlertRef};
pub use lever::{
    lever, metrics_hints, pause_writes, read, route, route_writes, watches, weight_refused,
};

pub const CANARY: Resource = Resource {
    group: "flagger.app",
    kind: "Canary",
    plural: "canaries",
    versions: &["v1beta1"],
};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FlaggerError {
    #[error("canary/{name}: {what}")]
    Malformed { name: String, what: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(default)]
    target_ref: TargetRef,
    #[serde(default)]
    suspend: bool,
    #[serde(default)]
    skip_analysis: bool,
    #[serde(default)]
    analysis: Option<Analysis>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    ingress_ref: Option<TargetRef>,
}

#[derive(Debug, Default, Deserialize)]
struct TargetRef {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Analysis {
    #[serde(default)]
    interval: Option<String>,
    #[serde(default)]
    threshold: Option<f64>,
    #[serde(default)]
    max_weight: Option<f64>,
    #[serde(default)]
    step_weight: Option<f64>,
    #[serde(default)]
    step_weights: Vec<f64>,
    #[serde(default)]
    iterations: Option<f64>,
    #[serde(default)]
    metrics: Vec<Metric>,
    #[serde(default)]
    webhooks: Vec<Webhook>,
    #[serde(default)]
    alerts: serde_json::Value,
    /// A/B testing: requests matching any of these go to the canary.
    #[serde(default, rename = "match")]
    matches: Vec<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    #[serde(default)]
    name: String,
    #[serde(default)]
    threshold_range: Option<Range>,
    #[serde(default)]
    interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Range {
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
}

/// One webhook of the analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Webhook {
    #[serde(default)]
    pub name: String,
    /// `confirm-rollout`, `pre-rollout`, `rollout`, `confirm-traffic-increase`,
    /// `confirm-promotion`, `post-rollout`, `rollback`, `event`.
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    #[serde(default)]
    phase: Option<String>,
    #[serde(default)]
    canary_weight: Option<f64>,
    #[serde(default)]
    failed_checks: Option<f64>,
    #[serde(default)]
    iterations: Option<f64>,
    #[serde(default)]
    conditions: Vec<Condition>,
    #[serde(default)]
    last_applied_spec: Option<String>,
    #[serde(default)]
    last_promoted_spec: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Condition {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    message: String,
}

/// A Canary as read.
#[derive(Clone, Debug, PartialEq)]
pub struct Canary {
    /// The status as written and what it should be, when it cannot be read.
    pub unreadable_status: Option<(String, String)>,
    pub name: String,
    pub namespace: String,
    /// The canary Deployment (`spec.targetRef.name`); the primary is `<target>-primary`.
    pub target: String,
    pub suspend: bool,
    pub skip_analysis: bool,
    pub phase: String,
    pub weight: u8,
    pub failed_checks: i64,
    pub threshold: Option<i64>,
    pub iterations: i64,
    pub plan: Option<Plan>,
    pub settings: String,
    pub metrics: Vec<String>,
    pub webhooks: Vec<Webhook>,
    /// `spec.analysis.alerts`, each entry read or the reason it is no alert.
    pub alerts: Vec<Result<AlertRef, String>>,
    pub condition: String,
    /// `spec.provider` (istio, linkerd, nginx, gatewayapi:…), as written.
    pub provider: String,
    /// `spec.ingressRef.name` (nginx): Flagger's canary Ingress is `<it>-canary`.
    pub ingress: Option<String>,
    /// `spec.analysis.match` (A/B testing) as rules, the release's own.
    pub rules: Vec<RouteRule>,
    /// `status.lastAppliedSpec`: the hash of the spec Flagger's current (or last) analysis runs.
    pub last_applied_spec: String,
    /// `status.lastPromotedSpec`: the hash of the spec Flagger last promoted.
    pub last_promoted_spec: String,
}

pub fn parse(obj: &DynamicObject) -> Result<Canary, FlaggerError> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let malformed = |what: String| FlaggerError::Malformed {
        name: name.clone(),
        what,
    };
    let spec: Spec = serde_json::from_value(obj.data.get("spec").cloned().unwrap_or_default())
        .map_err(|e| malformed(format!("spec is not a Canary spec: {e}")))?;
    if spec.target_ref.name.is_empty() {
        return Err(malformed("spec.targetRef.name is not set".to_string()));
    }
    if !spec.target_ref.kind.is_empty() && spec.target_ref.kind != "Deployment" {
        return Err(malformed(format!(
            "spec.targetRef is a {}: the cockpit reads Deployment targets",
            spec.target_ref.kind
        )));
    }
    // a status that cannot be read leaves the Canary readable for the way back (the rollback
    // gate never reads it); every other action is refused with it
    let mut unreadable_status = None;
    let status: Status = match obj.data.get("status") {
        None | Some(serde_json::Value::Null) => Status::default(),
        Some(s) => serde_json::from_value(s.clone()).unwrap_or_else(|e| {
            unreadable_status = Some((s.to_string(), format!("a Canary status ({e})")));
            Status::default()
        }),
    };
    let analysis = spec.analysis.unwrap_or_default();
    // Flagger's schema types these as numbers: whole values are expected, anything else rounds
    let pct = |v: f64| Weight::clamped(v.round().clamp(0.0, 100.0) as u8);
    let whole = |v: f64| v.round() as i64;
    let plan = if !analysis.step_weights.is_empty() {
        Plan::steps(analysis.step_weights.iter().map(|w| pct(*w)).collect()).ok()
    } else {
        analysis.step_weight.and_then(|step| {
            Plan::linear(pct(step), pct(analysis.max_weight.unwrap_or(100.0))).ok()
        })
    };
    let mut settings = Vec::new();
    if let Some(i) = &analysis.interval {
        settings.push(format!("every {i}"));
    }
    if !analysis.step_weights.is_empty() {
        let list: Vec<String> = analysis
            .step_weights
            .iter()
            .map(|w| whole(*w).to_string())
            .collect();
        settings.push(format!("steps {} %", list.join(", ")));
    } else if let Some(step) = analysis.step_weight {
        settings.push(format!(
            "step {} % up to {} %",
            whole(step),
            whole(analysis.max_weight.unwrap_or(100.0))
        ));
    }
    if let Some(n) = analysis.iterations {
        settings.push(format!("{} iterations", whole(n)));
    }
    let metrics = analysis
        .metrics
        .iter()
        .map(|m| {
            let range =
                m.threshold_range
                    .as_ref()
                    .map_or(String::new(), |r| match (r.min, r.max) {
                        (Some(min), Some(max)) => format!(" in {min}..{max}"),
                        (Some(min), None) => format!(" ≥ {min}"),
                        (None, Some(max)) => format!(" ≤ {max}"),
                        (None, None) => String::new(),
                    });
            let every = m
                .interval
                .as_ref()
                .map_or(String::new(), |i| format!(" over {i}"));
            format!("{}{range}{every}", m.name)
        })
        .collect();
    let condition = status
        .conditions
        .iter()
        .find(|c| c.kind == "Promoted")
        .or(status.conditions.last())
        .map(|c| {
            let mut s = format!("{}={} {}", c.kind, c.status, c.reason);
            if !c.message.is_empty() {
                s.push_str(&format!(": {}", c.message));
            }
            s
        })
        .unwrap_or_default();
    Ok(Canary {
        unreadable_status,
        namespace: obj.metadata.namespace.clone().unwrap_or_default(),
        target: spec.target_ref.name,
        suspend: spec.suspend,
        skip_analysis: spec.skip_analysis,
        phase: status.phase.unwrap_or_else(|| "Pending".to_string()),
        weight: pct(status.canary_weight.unwrap_or(0.0)).percent(),
        failed_checks: whole(status.failed_checks.unwrap_or(0.0)),
        threshold: analysis.threshold.map(whole),
        iterations: whole(status.iterations.unwrap_or(0.0)),
        plan,
        settings: settings.join(" · "),
        metrics,
        alerts: alerts::refs(&analysis.alerts),
        webhooks: analysis.webhooks,
        condition,
        provider: spec.provider.unwrap_or_default(),
        ingress: spec.ingress_ref.map(|r| r.name).filter(|n| !n.is_empty()),
        rules: super::istio::routes::rules_of(None, &analysis.matches),
        last_applied_spec: status.last_applied_spec.unwrap_or_default(),
        last_promoted_spec: status.last_promoted_spec.unwrap_or_default(),
        name,
    })
}

/// Whether `url` is one of the cockpit's own gate paths (`…/gate/check`, `…/rollback/check`).
fn points_at(url: &str, path: &str) -> bool {
    url.split('?').next().unwrap_or_default().ends_with(path)
}

impl Canary {
    pub fn primary(&self) -> String {
        format!("{}-primary", self.target)
    }

    pub fn phase(&self) -> Phase {
        if self.suspend {
            return Phase::Paused;
        }
        match self.phase.as_str() {
            "Succeeded" | "Initialized" => Phase::Promoted,
            "Failed" => Phase::RolledBack,
            "Promoting" | "Finalising" => Phase::Promoting,
            "Terminating" | "Terminated" => Phase::Failed,
            "Waiting" | "WaitingPromotion" => Phase::Paused,
            _ => Phase::Progressing,
        }
    }

    fn webhook(&self, kind: &str) -> Option<&Webhook> {
        self.webhooks.iter().find(|w| w.kind == kind)
    }

    /// The traffic-increase or promotion gate points at a gate check the cockpit can answer.
    pub fn gated(&self, kind: &str) -> bool {
        self.webhook(kind)
            .is_some_and(|w| points_at(&w.url, "/gate/check"))
    }

    pub fn rollback_gated(&self) -> bool {
        self.webhook("rollback")
            .is_some_and(|w| points_at(&w.url, "/rollback/check"))
    }

    /// The YAML that gives this Canary a rollback webhook answered by the cockpit at `addr`.
    pub fn rollback_webhook_yaml(&self, addr: &str) -> String {
        format!(
            "spec:\n  analysis:\n    webhooks:\n      - name: cockpit-rollback\n        type: rollback\n        url: http://{addr}/rollback/check"
        )
    }
}

pub fn suspend_patch(suspend: bool) -> serde_json::Value {
    serde_json::json!({"spec": {"suspend": suspend}})
}

pub fn skip_analysis_patch() -> serde_json::Value {
    serde_json::json!({"spec": {"skipAnalysis": true}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canary(status: serde_json::Value, webhooks: serde_json::Value) -> Canary {
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                "analysis": {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10,
                    "metrics": [{"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "1m"},
                                {"name": "request-duration", "thresholdRange": {"max": 500}, "interval": "30s"}],
                    "webhooks": webhooks}},
            "status": status
        }))
        .unwrap();
        parse(&obj).unwrap()
    }

    #[test]
    fn status_and_analysis_are_read() {
        let c = canary(
            json!({"phase": "Progressing", "canaryWeight": 20, "failedChecks": 1, "iterations": 2,
                   "conditions": [{"type": "Promoted", "status": "Unknown", "reason": "Progressing", "message": "New revision detected"}]}),
            json!([]),
        );
        assert_eq!((c.weight, c.phase()), (20, Phase::Progressing));
        assert_eq!(c.primary(), "podinfo-primary");
        assert_eq!(
            c.plan,
            Plan::linear(Weight::clamped(10), Weight::clamped(50)).ok()
        );
        let v = c.view(None);
        assert_eq!(v.analysis[0], "failed checks 1/5 · iterations 2");
        assert!(
            v.analysis
                .iter()
                .any(|l| l == "metric request-success-rate ≥ 99 over 1m"),
            "{:?}",
            v.analysis
        );
        assert!(v.message.contains("New revision detected"));
        assert!(v
            .refusal(crate::model::Capability::StepUp)
            .is_some_and(|w| w.contains("--gate-listen")));
        assert!(v
            .refusal(crate::model::Capability::Rollback)
            .is_some_and(|w| w.contains("rollback/check")));
    }

    #[test]
    fn gates_pointing_at_the_cockpit_enable_the_keys() {
        let c = canary(
            json!({"phase": "WaitingPromotion", "canaryWeight": 50}),
            json!([{"name": "step", "type": "confirm-traffic-increase", "url": "http://cockpit:9090/gate/check"},
                   {"name": "promote", "type": "confirm-promotion", "url": "http://cockpit:9090/gate/check"},
                   {"name": "back", "type": "rollback", "url": "http://cockpit:9090/rollback/check"}]),
        );
        assert_eq!(c.phase(), Phase::Paused);
        assert!(c.gated("confirm-promotion") && c.rollback_gated());
        let v = c.view(Some(("closed".to_string(), false)));
        assert!(
            v.refusal(crate::model::Capability::StepUp).is_none()
                && v.refusal(crate::model::Capability::Rollback).is_none()
        );
        assert!(v
            .analysis
            .iter()
            .any(|l| l.contains("cockpit gate: closed")));
        assert!(c
            .rollback_webhook_yaml("10.0.0.5:9090")
            .contains("url: http://10.0.0.5:9090/rollback/check"));
    }

    #[test]
    fn a_status_that_cannot_be_read_leaves_the_way_back() {
        let c = canary(json!({"phase": 7, "canaryWeight": "half"}), json!([]));
        let (value, expected) = c.unreadable_status.clone().expect("said");
        assert!(value.contains("\"half\""), "{value}");
        assert!(expected.starts_with("a Canary status ("), "{expected}");
        assert_eq!(c.weight, 0);
        let fine = canary(
            json!({"phase": "Progressing", "canaryWeight": 10}),
            json!([]),
        );
        assert_eq!(fine.unreadable_status, None);
    }

    #[test]
    fn a_canary_without_a_target_is_named() {
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "x"}, "spec": {"targetRef": {}}
        }))
        .unwrap();
        assert!(parse(&obj)
            .unwrap_err()
            .to_string()
            .contains("targetRef.name"));
    }
}

//! Argo Rollouts: a Rollout (argoproj.io/v1alpha1) with the canary strategy. Its controller walks
//! `spec.strategy.canary.steps`; the cockpit shows where it is and pulls the same levers
//! `kubectl argo rollouts` pulls, on the same fields:
//!
//! | lever | write |
//! | --- | --- |
//! | pause | `spec.paused: true` |
//! | resume | `spec.paused: false`, then `status.pauseConditions: null` |
//! | next step | paused: resume as above; else `status.currentStepIndex: N+1` (only if still N) and `status.pauseConditions: null` |
//! | promote (full) | `status.promoteFull: true` (and resume) |
//! | abort (roll back) | `status.abort: true` |
//! | retry an aborted rollout | `status.abort: false` |
//!
//! Pods of each version are the Rollout's pods (`spec.selector`) told apart by the label
//! `rollouts-pod-template-hash`: `status.stableRS` is the primary, `status.currentPodHash` the
//! canary. AnalysisRuns the Rollout owns fill the analysis panel.

use crate::cluster::dynamic::Resource;
#[cfg(test)]
use crate::model::{Phase, Plan, Weight};
use kube::api::DynamicObject;
use serde::Deserialize;
use std::collections::BTreeMap;

mod headers;
mod lever;
mod rollout;
mod system;
mod versions;
mod view;
mod writes;

pub use system::ArgoRollouts;

pub use headers::route_writes;

pub use lever::{known, lever, metrics_hints, read, route, watches, weight_refused};
pub use versions::{Revision, REVISION};
pub use view::{analysis_lines, duration_ms};
pub use writes::{
    abort_writes, next_step_writes, pause_writes as pause_patches, promote_full_writes, Writes,
};

/// The Rollout's pause writes as object writes.
pub fn pause_writes(name: &str, paused: bool) -> Vec<crate::provider::ObjectWrite> {
    pause_patches(paused).on(name)
}

pub const ROLLOUT: Resource = Resource {
    group: "argoproj.io",
    kind: "Rollout",
    plural: "rollouts",
    versions: &["v1alpha1"],
};

pub const ANALYSIS_RUN: Resource = Resource {
    group: "argoproj.io",
    kind: "AnalysisRun",
    plural: "analysisruns",
    versions: &["v1alpha1"],
};

/// The label the Rollout's ReplicaSets put on their pods.
pub const HASH_LABEL: &str = "rollouts-pod-template-hash";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgoError {
    #[error("rollout/{name}: {what}")]
    Malformed { name: String, what: String },
    #[error("rollout/{0} has no canary strategy (spec.strategy.canary): the cockpit drives canary rollouts only")]
    NotCanary(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(default)]
    paused: bool,
    #[serde(default)]
    selector: Option<LabelSelector>,
    #[serde(default)]
    strategy: Strategy,
    #[serde(default)]
    workload_ref: Option<WorkloadRef>,
    #[serde(default)]
    template: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LabelSelector {
    #[serde(default)]
    match_labels: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct WorkloadRef {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Default, Deserialize)]
struct Strategy {
    #[serde(default)]
    canary: Option<CanaryStrategy>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CanaryStrategy {
    #[serde(default)]
    steps: Vec<serde_json::Value>,
    #[serde(default)]
    traffic_routing: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    #[serde(default)]
    current_step_index: Option<i64>,
    #[serde(default)]
    phase: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    abort: bool,
    /// Set by the controller once it has carried out an abort.
    #[serde(default)]
    aborted_at: Option<String>,
    #[serde(default)]
    promote_full: bool,
    #[serde(default)]
    pause_conditions: Option<Vec<PauseCondition>>,
    #[serde(default, rename = "stableRS")]
    stable_rs: Option<String>,
    #[serde(default)]
    current_pod_hash: Option<String>,
    #[serde(default)]
    canary: Option<CanaryStatus>,
}

#[derive(Debug, Default, Deserialize)]
struct PauseCondition {
    #[serde(default)]
    reason: String,
    #[serde(default, rename = "startTime")]
    start_time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
}

#[derive(Debug, Default, Deserialize)]
struct CanaryStatus {
    #[serde(default)]
    weights: Option<Weights>,
}

#[derive(Debug, Default, Deserialize)]
struct Weights {
    canary: WeightDestination,
}

#[derive(Debug, Default, Deserialize)]
struct WeightDestination {
    #[serde(default)]
    weight: i64,
}

/// One step of the canary strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    SetWeight(u8),
    /// A pause, with its duration when it has one (`pause: {}` waits for the operator).
    Pause(Option<String>),
    Analysis,
    Other(String),
}

impl Step {
    fn parse(v: &serde_json::Value) -> Step {
        if let Some(w) = v.get("setWeight").and_then(serde_json::Value::as_i64) {
            return Step::SetWeight(w.clamp(0, 100) as u8);
        }
        if let Some(p) = v.get("pause") {
            let d = p.get("duration").map(|d| match d {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => format!("{n}s"),
                other => other.to_string(),
            });
            return Step::Pause(d);
        }
        if v.get("analysis").is_some() {
            return Step::Analysis;
        }
        let name = v
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_else(|| "step".to_string());
        Step::Other(name)
    }

    pub fn label(&self) -> String {
        match self {
            Step::SetWeight(w) => format!("setWeight {w}"),
            Step::Pause(Some(d)) => format!("pause {d}"),
            Step::Pause(None) => "pause (until resumed)".to_string(),
            Step::Analysis => "analysis".to_string(),
            Step::Other(name) => name.clone(),
        }
    }
}

/// A field of a Rollout's status that could not be read, as found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub field: String,
    pub value: String,
    pub expected: String,
}

/// A Rollout as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rollout {
    /// Status fields that could not be read: only the way back (abort, pause) goes on.
    pub unreadable: Vec<Unreadable>,
    pub name: String,
    pub uid: String,
    pub resource_version: String,
    pub steps: Vec<Step>,
    /// `status.currentStepIndex`, when the controller has set it.
    pub current_step: Option<usize>,
    pub paused: bool,
    pub pause_reasons: Vec<String>,
    /// When the controller's pause began (`status.pauseConditions[].startTime`).
    pub pause_started: Option<crate::model::Millis>,
    pub abort: bool,
    /// `status.abortedAt`: the controller has carried the abort out.
    pub aborted: bool,
    /// `status.promoteFull`: a full promotion is asked for.
    pub promote_full: bool,
    pub phase: Option<String>,
    pub message: String,
    pub stable_hash: Option<String>,
    pub canary_hash: Option<String>,
    /// `status.canary.weights.canary.weight`: the weight the traffic router reports.
    pub actual_weight: Option<u8>,
    pub traffic_routing: bool,
    /// `trafficRouting.nginx.stableIngress`: Argo's canary Ingress is `<rollout>-<it>-canary`.
    pub stable_ingress: Option<String>,
    pub selector: BTreeMap<String, String>,
    /// `Deployment/NAME` when a Deployment holds the pod template.
    pub workload: Option<String>,
    /// The header routes its steps set, as rules (the release's own) and as lines.
    pub rules: Vec<crate::model::RouteRule>,
    pub header_routes: Vec<String>,
    /// The revision and image of the pod template hashes known (the stable's and the canary's).
    pub revisions: BTreeMap<String, Revision>,
    /// The Rollout's own revision annotation and the spec's image: the current pod template's.
    pub current_revision: Option<Revision>,
}

pub fn parse(obj: &DynamicObject) -> Result<Rollout, ArgoError> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let malformed = |what: String| ArgoError::Malformed {
        name: name.clone(),
        what,
    };
    let spec: Spec = serde_json::from_value(obj.data.get("spec").cloned().unwrap_or_default())
        .map_err(|e| malformed(format!("spec is not a Rollout spec: {e}")))?;
    // a status that cannot be read leaves the Rollout readable for the way back (the abort
    // writes status.abort whatever the status holds); every other action is refused with it
    let mut unreadable = Vec::new();
    let status: Status = match obj.data.get("status") {
        None | Some(serde_json::Value::Null) => Status::default(),
        Some(s) => serde_json::from_value(s.clone()).unwrap_or_else(|e| {
            unreadable.push(Unreadable {
                field: "status".to_string(),
                value: s.to_string(),
                expected: format!("a Rollout status ({e})"),
            });
            Status::default()
        }),
    };
    let canary = spec
        .strategy
        .canary
        .ok_or_else(|| ArgoError::NotCanary(name.clone()))?;
    let selector = spec
        .selector
        .map(|s| s.match_labels)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| malformed("spec.selector has no matchLabels".to_string()))?;
    let current_step = status.current_step_index.and_then(|i| {
        let at = usize::try_from(i).ok();
        if at.is_none() {
            unreadable.push(Unreadable {
                field: "status.currentStepIndex".to_string(),
                value: i.to_string(),
                expected: "an index".to_string(),
            });
        }
        at
    });
    let (rules, header_routes) = headers::read(&canary.steps, canary.traffic_routing.as_ref());
    let pauses = status.pause_conditions.unwrap_or_default();
    let current = versions::current(&obj.metadata, spec.template.as_ref());
    Ok(Rollout {
        unreadable,
        revisions: BTreeMap::new(),
        aborted: status.aborted_at.is_some_and(|t| !t.is_empty()),
        promote_full: status.promote_full,
        rules,
        header_routes,
        uid: obj.metadata.uid.clone().unwrap_or_default(),
        resource_version: obj.metadata.resource_version.clone().unwrap_or_default(),
        steps: canary.steps.iter().map(Step::parse).collect(),
        current_step,
        paused: spec.paused,
        pause_started: pauses
            .iter()
            .filter_map(|p| p.start_time.as_ref())
            .map(|t| crate::model::Millis(t.0.as_millisecond()))
            .min(),
        pause_reasons: pauses.into_iter().map(|p| p.reason).collect(),
        abort: status.abort,
        phase: status.phase,
        message: status.message.unwrap_or_default(),
        stable_hash: status.stable_rs.filter(|s| !s.is_empty()),
        canary_hash: status.current_pod_hash.filter(|s| !s.is_empty()),
        actual_weight: status
            .canary
            .and_then(|c| c.weights)
            .map(|w| w.canary.weight.clamp(0, 100) as u8),
        stable_ingress: canary
            .traffic_routing
            .as_ref()
            .and_then(|t| t.get("nginx"))
            .and_then(|n| n.get("stableIngress"))
            .and_then(|s| s.as_str())
            .map(str::to_string),
        traffic_routing: canary.traffic_routing.is_some(),
        selector,
        workload: spec.workload_ref.map(|w| format!("{}/{}", w.kind, w.name)),
        name,
        current_revision: current,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rollout(status: serde_json::Value, paused: bool) -> Rollout {
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "shop", "uid": "u1", "resourceVersion": "3"},
            "spec": {"paused": paused, "selector": {"matchLabels": {"app": "shop"}},
                "strategy": {"canary": {"steps": [
                    {"setWeight": 20}, {"pause": {}}, {"setWeight": 50},
                    {"pause": {"duration": "30s"}}, {"analysis": {"templates": []}}]}}},
            "status": status
        }))
        .unwrap();
        parse(&obj).unwrap()
    }

    #[test]
    fn a_timed_pause_step_counts_from_the_controllers_start() {
        let r = rollout(
            json!({"currentStepIndex": 3, "pauseConditions": [
                {"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}]}),
            false,
        );
        let pause = r.view(Vec::new()).pause.expect("a timed pause");
        assert_eq!(pause.duration_ms, 30_000);
        assert_eq!(pause.started_at, crate::model::Millis(1_767_225_600_000));
        // a pause without a duration waits for the operator: no countdown
        let r = rollout(
            json!({"currentStepIndex": 1, "pauseConditions": [
                {"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}]}),
            false,
        );
        assert_eq!(r.view(Vec::new()).pause, None);
    }

    #[test]
    fn weights_follow_the_steps_or_the_router() {
        let r = rollout(
            json!({"currentStepIndex": 2, "stableRS": "a", "currentPodHash": "b", "phase": "Progressing"}),
            false,
        );
        assert_eq!(r.set_weight(), Weight::clamped(50));
        assert_eq!(r.weight(), Weight::clamped(50));
        assert_eq!(r.phase(), Phase::Progressing);
        assert_eq!(
            r.plan(),
            Plan::steps(vec![Weight::clamped(20), Weight::clamped(50)]).ok()
        );
        let r = rollout(
            json!({"currentStepIndex": 2, "stableRS": "a", "currentPodHash": "b",
                   "canary": {"weights": {"canary": {"weight": 20}, "stable": {"weight": 80}}}}),
            false,
        );
        assert_eq!(r.weight(), Weight::clamped(20));
        assert_eq!(r.view(Vec::new()).set_weight, Some(Weight::clamped(50)));
        let done = rollout(
            json!({"currentStepIndex": 5, "stableRS": "b", "currentPodHash": "b", "phase": "Healthy"}),
            false,
        );
        assert_eq!(
            (done.weight(), done.phase()),
            (Weight::ZERO, Phase::Promoted)
        );
        let aborted = rollout(
            json!({"currentStepIndex": 2, "stableRS": "a", "currentPodHash": "b", "abort": true, "phase": "Degraded"}),
            false,
        );
        assert_eq!(
            (aborted.weight(), aborted.phase()),
            (Weight::ZERO, Phase::RolledBack)
        );
    }

    #[test]
    fn levers_write_what_kubectl_argo_rollouts_writes() {
        let paused = rollout(
            json!({"currentStepIndex": 1, "stableRS": "a", "currentPodHash": "b",
                   "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}]}),
            false,
        );
        assert_eq!(paused.phase(), Phase::Paused);
        let w = next_step_writes(&paused).unwrap();
        assert_eq!(w.status, Some(json!({"status": {"pauseConditions": null}})));
        assert_eq!(w.spec, Some(json!({"spec": {"paused": false}})));
        let running = rollout(
            json!({"currentStepIndex": 2, "stableRS": "a", "currentPodHash": "b"}),
            false,
        );
        let w = next_step_writes(&running).unwrap();
        let ops = w.status_json.unwrap();
        assert_eq!(
            ops[0],
            json!({"op": "test", "path": "/status/currentStepIndex", "value": 2})
        );
        assert_eq!(ops[1]["value"], 3);
        let end = rollout(
            json!({"currentStepIndex": 5, "stableRS": "a", "currentPodHash": "b"}),
            false,
        );
        assert!(next_step_writes(&end).unwrap_err().contains("P promotes"));
        let full = promote_full_writes(&rollout(
            json!({"stableRS": "a", "currentPodHash": "b"}),
            true,
        ));
        assert_eq!(full.spec, Some(json!({"spec": {"paused": false}})));
        assert_eq!(full.status.unwrap()["status"]["promoteFull"], true);
        assert_eq!(
            abort_writes(true).status,
            Some(json!({"status": {"abort": true}}))
        );
        assert_eq!(
            pause_patches(true).spec,
            Some(json!({"spec": {"paused": true}}))
        );
    }

    #[test]
    fn pods_are_told_apart_by_the_template_hash() {
        let r = rollout(json!({"stableRS": "a1", "currentPodHash": "b2"}), false);
        let [p, c] = r.pod_selectors();
        assert_eq!(p.get(HASH_LABEL).map(String::as_str), Some("a1"));
        assert_eq!(c.get(HASH_LABEL).map(String::as_str), Some("b2"));
        assert_eq!(p.get("app").map(String::as_str), Some("shop"));
        let settled = rollout(json!({"stableRS": "a1", "currentPodHash": "a1"}), false);
        assert_eq!(
            settled.pod_selectors()[1]
                .get(HASH_LABEL)
                .map(String::as_str),
            Some("-")
        );
    }

    #[test]
    fn a_malformed_rollout_is_named() {
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "x"},
            "spec": {"selector": {"matchLabels": {"app": "x"}}, "strategy": {"blueGreen": {}}}
        }))
        .unwrap();
        assert_eq!(parse(&obj), Err(ArgoError::NotCanary("x".to_string())));
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "x"},
            "spec": {"selector": {"matchLabels": {"app": "x"}}, "strategy": {"canary": {}}},
            "status": {"currentStepIndex": -2}
        }))
        .unwrap();
        // a status that cannot be read leaves only the way back
        let r = parse(&obj).unwrap();
        assert_eq!(r.current_step, None);
        assert_eq!(
            (
                r.unreadable[0].field.as_str(),
                r.unreadable[0].value.as_str()
            ),
            ("status.currentStepIndex", "-2")
        );
        let route = lever::route(&obj, &[], &BTreeMap::new()).unwrap();
        assert_eq!(
            route.malformed[0].to_string(),
            "rollout/x: status.currentStepIndex is '-2', not an index"
        );
        use crate::app::Action;
        assert!(route.refuse_malformed(Action::Promote).is_err());
        assert!(route.refuse_malformed(Action::Rollback).is_ok());
        assert!(route.refuse_malformed(Action::Pause).is_ok());
        let garbled: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "x"},
            "spec": {"selector": {"matchLabels": {"app": "x"}}, "strategy": {"canary": {}}},
            "status": {"phase": 7, "pauseConditions": "soon"}
        }))
        .unwrap();
        let r = parse(&garbled).unwrap();
        assert_eq!(r.unreadable[0].field, "status");
        assert!(r.unreadable[0].expected.starts_with("a Rollout status ("));
    }
}

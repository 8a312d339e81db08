//! The release being watched: a primary (stable) version, a canary version, and how traffic is split.

use super::plan::Plan;
use super::resources::PodResources;
use super::time::Millis;
use super::weight::Weight;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Progressing,
    Paused,
    Promoting,
    Promoted,
    RollingBack,
    RolledBack,
    Failed,
}

impl Phase {
    /// The release is over: nothing progresses and weight actions no longer apply.
    pub fn is_final(self) -> bool {
        matches!(self, Phase::Promoted | Phase::RolledBack | Phase::Failed)
    }

    /// A promotion or rollback is under way.
    pub fn is_transition(self) -> bool {
        matches!(self, Phase::Promoting | Phase::RollingBack)
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Progressing => "Progressing",
            Phase::Paused => "Paused",
            Phase::Promoting => "Promoting",
            Phase::Promoted => "Promoted",
            Phase::RollingBack => "RollingBack",
            Phase::RolledBack => "RolledBack",
            Phase::Failed => "Failed",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Which side of the release a version or pod belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Primary,
    Canary,
}

impl Side {
    pub fn label(self) -> &'static str {
        match self {
            Side::Primary => "primary",
            Side::Canary => "canary",
        }
    }
}

/// Pod status as kubectl shows it in its STATUS column.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub enum PodStatus {
    Pending,
    ContainerCreating,
    Running,
    Error,
    CrashLoopBackOff,
    Terminating,
    /// Any other reason reported by the cluster, kept verbatim.
    Other(String),
}

impl PodStatus {
    pub fn label(&self) -> &str {
        match self {
            PodStatus::Pending => "Pending",
            PodStatus::ContainerCreating => "ContainerCreating",
            PodStatus::Running => "Running",
            PodStatus::Error => "Error",
            PodStatus::CrashLoopBackOff => "CrashLoopBackOff",
            PodStatus::Terminating => "Terminating",
            PodStatus::Other(s) => s,
        }
    }

    pub fn is_failing(&self) -> bool {
        matches!(self, PodStatus::Error | PodStatus::CrashLoopBackOff)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pod {
    pub name: String,
    pub status: PodStatus,
    pub ready: bool,
    pub restarts: u32,
    pub created_at: Millis,
    /// Requests and limits from the pod's spec, summed over its containers.
    #[serde(default, skip_serializing_if = "PodResources::is_empty")]
    pub resources: PodResources,
}

/// `1 restart`, `3 restarts`.
pub fn restarts(n: u32) -> String {
    if n == 1 {
        "1 restart".to_string()
    } else {
        format!("{n} restarts")
    }
}

/// One version of the workload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// Short name shown to the operator, e.g. `v2`.
    pub name: String,
    /// Image or revision, e.g. `registry/frontend:1.5.0`.
    pub image: String,
}

impl Version {
    /// `v2 (registry/frontend:1.5.0)`: the name, and the image unless the name already says it
    /// (`rev 2 (frontend:1.5.0)`) or it is not known.
    pub fn described(&self) -> String {
        let said = format!("({})", short_image(&self.image));
        if self.image.is_empty() || self.name.ends_with(&said) {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.image)
        }
    }
}

/// An image without its registry and path, its digest cut to 12 characters:
/// `registry.example.com/shop/frontend:1.5.0` → `frontend:1.5.0`.
pub fn short_image(image: &str) -> String {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    match digest {
        Some(d) => {
            let hex = d.split_once(':').map_or(d, |(_, h)| h);
            format!("{last}@{}", hex.chars().take(12).collect::<String>())
        }
        None => last.to_string(),
    }
}

/// What a source reports about the release itself (pods and metrics arrive separately).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseSnapshot {
    pub name: String,
    pub namespace: String,
    /// Where the release comes from: `demo:faulty-v2`, later a provider name.
    pub source: String,
    pub primary: Version,
    pub canary: Version,
    pub weight: Weight,
    /// Desired canary replicas (0 once the canary is scaled down).
    pub canary_replicas: u32,
    /// Phase reported by an in-cluster controller; `None` when the cockpit drives the release itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// The steps the weight moves through: reported by an in-cluster controller, or the
    /// operator's stepping plan for a release driven by hand; `None` when the cockpit's own
    /// analysis plan applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// Whether the cockpit's progression of the release is paused, as recorded on the cluster
    /// (a release the cockpit drives keeps it there so that every cockpit agrees); `None` when
    /// the source does not record it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// What the release's own controller in the cluster reports (Argo Rollouts, Flagger,
    /// KubeSphere); `None` when the cockpit is the controller.
    /// Boxed: most releases have none, and events carry snapshots by value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<Box<ControllerView>>,
    /// Rules that send some requests to the canary whatever the weight (testers' routes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<super::rules::RouteRule>,
    /// What the release's traffic system refuses to do, and why (asked once per read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<Refusal>,
}

impl ReleaseSnapshot {
    /// Why the release's system (or its controller) has no lever for `action`, if it has none.
    pub fn refusal(&self, action: super::Capability) -> Option<&str> {
        self.refusals
            .iter()
            .find(|r| r.action == action)
            .map(|r| r.why.as_str())
            .or_else(|| self.controller.as_ref().and_then(|c| c.refusal(action)))
    }
}

/// A cluster controller's view of its release: its steps and where it is, what it says, its
/// analysis, and the cockpit keys it has no lever for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerView {
    /// `argo-rollouts`, `flagger`, `kubesphere`.
    pub kind: String,
    /// The phase as the controller spells it (`Healthy`, `Progressing`, `WaitingPromotion`…).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phase: String,
    /// The steps as the controller has them: `setWeight 20`, `pause 30s`, `analysis`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    /// Index into `steps` of the step under way (`steps.len()` when all are done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step: Option<usize>,
    /// The weight the current step asks for, when the measured (actual) weight differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_weight: Option<Weight>,
    /// The controller's own status line (`status.message`, a condition's message).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The controller's analysis, one line each (runs, metrics, failed checks, gates).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub analysis: Vec<String>,
    /// Keys the controller has no lever for, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<Refusal>,
    /// What a lever does here, said in its confirm modal (`promote`, `rollback`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consequences: Vec<Refusal>,
    /// A timed pause under way, from the controller's own start of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<TimedPause>,
    /// Who holds the release where it is, when something does (a pause step, a gate, a pause
    /// written on the release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<super::hold::Hold>,
}

/// A pause step with a duration, as the controller started it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedPause {
    pub duration_ms: i64,
    pub started_at: Millis,
}

impl TimedPause {
    /// `pause 10m · 6:42 left` at `now`; `pause 10m · due` once the time is up.
    pub fn describe(&self, now: Millis) -> String {
        let left = self.duration_ms - now.since(self.started_at);
        if left <= 0 {
            format!("pause {} · due", short(self.duration_ms))
        } else {
            let s = (left + 999) / 1000;
            format!(
                "pause {} · {}:{:02} left",
                short(self.duration_ms),
                s / 60,
                s % 60
            )
        }
    }
}

/// `10m`, `30s`, `1h30m`: a pause's length as the controller writes it.
fn short(ms: i64) -> String {
    let s = ms / 1000;
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

/// A key the release's controller offers no lever for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub action: super::Capability,
    pub why: String,
}

impl ControllerView {
    /// The controller's name as its project writes it: `Argo Rollouts`, `Flagger`, `KubeSphere`.
    pub fn system(&self) -> &str {
        match self.kind.as_str() {
            "argo-rollouts" => "Argo Rollouts",
            "flagger" => "Flagger",
            "kubesphere" => "KubeSphere",
            other => other,
        }
    }

    pub fn consequence(&self, action: super::Capability) -> Option<&str> {
        self.consequences
            .iter()
            .find(|r| r.action == action)
            .map(|r| r.why.as_str())
    }

    pub fn refusal(&self, action: super::Capability) -> Option<&str> {
        self.refusals
            .iter()
            .find(|r| r.action == action)
            .map(|r| r.why.as_str())
    }
}

/// Pods of both versions, as last observed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodSet {
    pub primary: Vec<Pod>,
    pub canary: Vec<Pod>,
}

impl PodSet {
    pub fn side(&self, side: Side) -> &[Pod] {
        match side {
            Side::Primary => &self.primary,
            Side::Canary => &self.canary,
        }
    }

    pub fn ready_count(&self, side: Side) -> usize {
        self.side(side).iter().filter(|p| p.ready).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_shortened_and_said_once() {
        assert_eq!(
            short_image("registry.example.com:5000/shop/frontend:1.5.0"),
            "frontend:1.5.0"
        );
        assert_eq!(
            short_image("shop@sha256:0123456789abcdef0123"),
            "shop@0123456789ab"
        );
        let rev = Version {
            name: "rev 2 (frontend:1.5.0)".to_string(),
            image: "registry.example.com/frontend:1.5.0".to_string(),
        };
        assert_eq!(rev.described(), "rev 2 (frontend:1.5.0)");
        let v2 = Version {
            name: "v2".to_string(),
            image: "registry.example.com/frontend:1.5.0".to_string(),
        };
        assert_eq!(v2.described(), "v2 (registry.example.com/frontend:1.5.0)");
    }
}

//! The writes of each lever, on the fields `kubectl argo rollouts` writes.

use super::{Rollout, ROLLOUT};
use crate::provider::common::route::{ObjectWrite, PatchBody};

/// Merge patches of the spec, then of the status subresource, for one lever; and the JSON patch
/// of the status that moves to the next step.
#[derive(Clone, Debug, PartialEq)]
pub struct Writes {
    pub spec: Option<serde_json::Value>,
    pub status: Option<serde_json::Value>,
    /// A JSON patch of the status (next step: conditional on the index still being N).
    pub status_json: Option<serde_json::Value>,
}

fn resume() -> Writes {
    Writes {
        spec: Some(serde_json::json!({"spec": {"paused": false}})),
        status: Some(serde_json::json!({"status": {"pauseConditions": null}})),
        status_json: None,
    }
}

pub fn pause_writes(pause: bool) -> Writes {
    if pause {
        Writes {
            spec: Some(serde_json::json!({"spec": {"paused": true}})),
            status: None,
            status_json: None,
        }
    } else {
        resume()
    }
}

/// Next step, as `kubectl argo rollouts promote`: a paused rollout is resumed; a running one
/// skips to the next step.
pub fn next_step_writes(r: &Rollout) -> Result<Writes, String> {
    if r.abort {
        return Err("the rollout is aborted: `canary retry` starts it again".to_string());
    }
    if r.settled() {
        return Err("nothing is being rolled out: the canary is the stable version".to_string());
    }
    if r.is_paused() {
        return Ok(resume());
    }
    let at = r.current_step.unwrap_or(0);
    if at >= r.steps.len() {
        return Err("every step is done: P promotes fully".to_string());
    }
    let mut ops = Vec::new();
    if let Some(i) = r.current_step {
        ops.push(serde_json::json!({"op": "test", "path": "/status/currentStepIndex", "value": i}));
    }
    ops.push(serde_json::json!({"op": "add", "path": "/status/currentStepIndex", "value": at + 1}));
    ops.push(serde_json::json!({"op": "add", "path": "/status/pauseConditions", "value": null}));
    Ok(Writes {
        spec: None,
        status: None,
        status_json: Some(serde_json::Value::Array(ops)),
    })
}

pub fn promote_full_writes(r: &Rollout) -> Writes {
    Writes {
        spec: r
            .paused
            .then(|| serde_json::json!({"spec": {"paused": false}})),
        status: Some(serde_json::json!({"status": {"promoteFull": true, "pauseConditions": null}})),
        status_json: None,
    }
}

pub fn abort_writes(abort: bool) -> Writes {
    Writes {
        spec: None,
        status: Some(serde_json::json!({"status": {"abort": abort}})),
        status_json: None,
    }
}

impl Writes {
    /// The writes on the Rollout `name`, in order: the spec, then the status subresource.
    pub fn on(self, name: &str) -> Vec<ObjectWrite> {
        let version = ROLLOUT.versions[0];
        let mut out = Vec::new();
        if let Some(spec) = self.spec {
            out.push(ObjectWrite::merge(ROLLOUT, version, name, spec));
        }
        for patch in [
            self.status.map(PatchBody::Merge),
            self.status_json.map(PatchBody::Json),
        ]
        .into_iter()
        .flatten()
        {
            out.push(ObjectWrite {
                status: Some("rollouts/status"),
                patch,
                ..ObjectWrite::merge(ROLLOUT, version, name, serde_json::Value::Null)
            });
        }
        out
    }
}

//! The lines `canary wait` prints: one per phase or weight change, as text for a CI log or as one
//! JSON object per line (`-o json`).

use crate::live::Observed;
use crate::model::Millis;
use serde::Serialize;

/// What one line says about the release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct State {
    /// The phase as the release's controller spells it (`Progressing`, `WaitingPromotion`), else
    /// the cockpit's (`Promoted`, `Paused`); empty when nothing says.
    pub phase: String,
    /// The canary's weight in percent.
    pub weight: u8,
    /// The step under way (1-based) and the number of steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<[usize; 2]>,
    /// The controller's own count of checks (`failed checks 1/5 · iterations 2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<String>,
    /// Who holds the release, when someone does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
    /// Which release is shown: Flagger's applied spec, Argo's pod template hash, the canary's
    /// image.
    pub release: String,
}

impl State {
    pub fn of(o: &Observed, mark: &str) -> State {
        let s = &o.snapshot;
        let controller = s.controller.as_deref();
        let phase = match controller.map(|c| c.phase.as_str()) {
            Some(p) if !p.is_empty() => p.to_string(),
            _ => match (&o.route.ended, s.phase, s.paused) {
                (Some(e), _, _) => e.label().to_string(),
                (None, Some(p), _) => p.label().to_string(),
                (None, None, Some(true)) => "Paused".to_string(),
                _ => String::new(),
            },
        };
        let step = match controller.and_then(|c| c.current_step.map(|i| (i, c.steps.len()))) {
            Some((i, n)) if n > 0 => Some([(i + 1).min(n), n]),
            _ => s.plan.as_ref().map(|p| {
                let (i, n) = p.position(s.weight);
                [i, n]
            }),
        };
        State {
            phase,
            weight: s.weight.percent(),
            step,
            checks: controller.and_then(|c| c.analysis.first().cloned()),
            hold: controller
                .and_then(|c| c.hold.as_ref())
                .and_then(|h| h.controllers(controller.map_or("", |c| c.system()))),
            release: mark.to_string(),
        }
    }

    /// `12:03:10 Progressing · weight 20 % · step 2/5 · failed checks 1/5 · iterations 1`.
    pub fn text(&self, at: Millis) -> String {
        let mut parts = Vec::new();
        if !self.phase.is_empty() {
            parts.push(self.phase.clone());
        }
        parts.push(format!("weight {} %", self.weight));
        if let Some([i, n]) = self.step {
            parts.push(format!("step {i}/{n}"));
        }
        parts.extend(self.checks.clone());
        parts.extend(self.hold.clone());
        format!("{} {}", clock(at), parts.join(" · "))
    }
}

/// `12:03:10`, UTC.
pub fn clock(at: Millis) -> String {
    let utc = crate::record::retention::utc_rfc3339(at);
    utc.get(11..19).unwrap_or(&utc).to_string()
}

/// One object of `-o json`.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Json<'a> {
    /// The release changed.
    Change {
        at: String,
        #[serde(flatten)]
        state: &'a State,
    },
    /// A note from the wait itself (which release it follows, the API server lost).
    Note { at: String, text: &'a str },
    /// How the wait ended: `promoted`, `rolled-back`, `failed`, `waiting`, `replaced`,
    /// `timeout`, and the exit code.
    End {
        at: String,
        outcome: &'a str,
        exit: u8,
        message: &'a str,
    },
    /// The post-mortem of the waited span, as `canary replay --summary -o json` gives it.
    Summary {
        summary: &'a crate::replay::summary::Summary,
    },
}

impl Json<'_> {
    /// One line of JSON, its hazards escaped as `\uXXXX`.
    pub fn line(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_else(|e| {
            // strings, numbers and lists of them only: said as a line of its own if ever
            serde_json::json!({"kind": "error", "text": e.to_string()}).to_string()
        });
        format!("{}\n", crate::hygiene::escape_json(&text))
    }
}

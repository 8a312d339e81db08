//! Whose pause it is. A release can be held by its controller (an Argo pause step, a Flagger
//! gate), by a pause written on it, or by the cockpit's own pause; the event log and the
//! analysis panel name the holder. Only the cockpit's own pause, while its analysis runs, keeps
//! the automatic rollback armed, and only it says so.

use super::{Actor, App};
use crate::model::Hold;

/// The holder of the release in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// `Argo pause step 2/4 (until promoted): press P to promote`, `paused by alice in the
    /// cockpit`.
    pub text: String,
    /// The cockpit's own pause: progression held, the cockpit's analysis still judging.
    pub cockpit: bool,
}

impl Held {
    /// The cockpit's own pause keeps its automatic rollback armed when its analysis runs.
    pub fn rollback_armed(&self, app: &App) -> bool {
        self.cockpit && app.runs_analysis()
    }
}

fn by(actor: &Actor) -> String {
    format!("paused by {actor} in the cockpit")
}

impl App {
    /// Who holds the release now, if anything does.
    pub fn held(&self) -> Option<Held> {
        let release = self.release.as_ref();
        if let Some(view) = release.and_then(|r| r.controller.as_ref()) {
            return match (&view.hold, &self.paused_by) {
                (Some(Hold::Paused { field }), Some(actor)) => Some(Held {
                    text: format!("{} ({field})", by(actor)),
                    cockpit: true,
                }),
                (Some(Hold::Paused { field }), None) => Some(Held {
                    text: format!("paused on the release ({field})"),
                    cockpit: false,
                }),
                (Some(hold), _) => hold.controllers(view.system()).map(|text| Held {
                    text,
                    cockpit: false,
                }),
                // a recording made before the holder was recorded
                (None, _) => self.paused.then(|| Held {
                    text: format!("paused ({} reports it)", view.system()),
                    cockpit: false,
                }),
            };
        }
        if !self.paused {
            return None;
        }
        let text = match &self.paused_by {
            Some(actor) => by(actor),
            None => {
                "paused on the release (canary-cockpit.io/paused), by `canary pause` or another \
                 cockpit"
                    .to_string()
            }
        };
        Some(Held {
            text,
            cockpit: true,
        })
    }
}

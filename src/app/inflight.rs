//! The action the cockpit asked of its executor and whose result has not come back: the footer
//! shows it with its age, and another action waits for it (a rollback never does).

use super::{Action, App};
use crate::model::Millis;

/// An action asked of the release's executor, until its result comes back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlight {
    pub action: Action,
    pub since: Millis,
}

impl App {
    /// `setting weight 30 % · 4 s`: the action in flight and how long it has been, for the
    /// footer.
    pub fn in_flight_line(&self) -> Option<String> {
        let f = self.in_flight.as_ref()?;
        let secs = self.now.since(f.since).max(0) / 1000;
        Some(format!("{} in flight · {secs} s", f.action))
    }
}

//! Requested, then confirmed. Where a controller in the cluster carries out the promotion or
//! the rollback (Argo Rollouts, Flagger, KubeSphere), a successful write only asks it to: the
//! cockpit says "promote requested (status.promoteFull: true) · waiting for Argo Rollouts" until
//! the controller's status says the release is promoted (or rolled back), and warns once when
//! the controller has not acted within [`super::AppConfig::confirm_within_ms`].
//!
//! Everything here follows from recorded events (the executor's note of what it wrote, the
//! action's result, the observations, the clock), so replay tells the same story.

use super::{Action, Actor, App, Level, LogKind};
use crate::model::{Millis, Phase};

/// How long a controller may take to act on a request before the cockpit says so.
pub const CONFIRM_WITHIN_MS: i64 = 60_000;

/// A note of the executor counts as the "what" of the result that follows it this soon.
const NOTE_BEFORE_RESULT_MS: i64 = 2_000;

/// A promotion or rollback the controller was asked for and has not confirmed yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Awaiting {
    pub action: Action,
    /// What was written or opened (`status.promoteFull: true`), as the executor said it.
    pub what: Option<String>,
    /// The controller: `Argo Rollouts`.
    pub system: String,
    /// When the request landed.
    pub since: Millis,
    /// The controller's own phase and step then: when they change, it acted.
    baseline: (String, Option<usize>),
    /// The controller's phase, once it acted.
    pub acting: Option<String>,
    /// The warning that it has not acted was given.
    pub warned: bool,
    /// The footer's count of messages when this was last said there: anything said since
    /// takes the footer's place.
    footer_said: u64,
}

impl Awaiting {
    fn noun(&self) -> &'static str {
        match self.action {
            Action::Rollback => "rollback",
            _ => "promotion",
        }
    }

    fn target(&self) -> Phase {
        match self.action {
            Action::Rollback => Phase::RolledBack,
            _ => Phase::Promoted,
        }
    }

    fn requested(&self) -> String {
        match &self.what {
            Some(what) => format!("{} requested ({what})", self.action),
            None => format!("{} requested", self.action),
        }
    }

    fn not_acted(&self, secs: i64) -> String {
        format!(
            "{} has not acted on the {} for {secs} s: is its controller running?",
            self.system,
            self.noun()
        )
    }
}

impl App {
    /// A note of the cockpit itself: what the action whose result follows wrote.
    pub(super) fn remember_note(&mut self, at: Millis, author: &str, text: &str) {
        if author == "cockpit" {
            self.last_note = Some((at, text.to_string()));
        }
    }

    /// The controller's own phase and step, as last observed.
    fn controller_state(&self) -> Option<(String, Option<usize>)> {
        let view = self.release.as_ref()?.controller.as_ref()?;
        Some((view.phase.clone(), view.current_step))
    }

    /// A promotion or rollback was written. When a controller carries it out, the cockpit waits
    /// for its status and returns `true`; `false` when the cockpit carried it out itself.
    pub(super) fn await_controller(&mut self, at: Millis, action: Action, actor: &Actor) -> bool {
        if !matches!(action, Action::Promote | Action::Rollback) {
            return false;
        }
        let Some(system) = self
            .release
            .as_ref()
            .and_then(|r| r.controller.as_ref())
            .map(|v| v.system().to_string())
        else {
            return false;
        };
        let what = self
            .last_note
            .take()
            .filter(|(noted, _)| at.since(*noted) <= NOTE_BEFORE_RESULT_MS)
            .map(|(_, text)| text);
        let mut awaiting = Awaiting {
            action,
            what,
            system,
            since: at,
            baseline: self.controller_state().unwrap_or_default(),
            acting: None,
            warned: false,
            footer_said: 0,
        };
        if self.phase == awaiting.target() {
            // the watch was quicker than the result
            self.log.push(
                at,
                LogKind::Info,
                format!("{} confirmed: {}", awaiting.system, self.phase),
            );
            return true;
        }
        let line = format!("{} · waiting for {}", awaiting.requested(), awaiting.system);
        self.log
            .push(at, LogKind::Action, format!("{actor}: {line}"));
        self.set_status(Level::Info, line);
        awaiting.footer_said = self.footer.said();
        self.awaiting = Some(awaiting);
        true
    }

    /// The release was observed: the controller confirms what was asked, or shows it acts.
    pub(super) fn follow_controller(&mut self, at: Millis) {
        let Some(a) = &self.awaiting else {
            return;
        };
        let (target, system) = (a.target(), a.system.clone());
        if self.phase == target {
            self.awaiting = None;
            let text = format!("{system} confirmed: {}", self.phase);
            self.log.push(at, LogKind::Info, text.clone());
            self.set_status(Level::Info, text);
            return;
        }
        if self.phase.is_final() {
            // the controller ended the release otherwise; the phase line says how
            self.awaiting = None;
            return;
        }
        let now = self.controller_state();
        if let (Some(a), Some(now)) = (self.awaiting.as_mut(), now) {
            if a.acting.is_some() || now != a.baseline {
                a.acting = Some(now.0);
            }
        }
    }

    /// Time passed: a controller that has not acted within the bound is said so, once.
    pub(super) fn check_controller(&mut self, at: Millis) {
        let bound = self.config.confirm_within_ms;
        let Some(a) = &self.awaiting else {
            return;
        };
        if a.warned || a.acting.is_some() || at.since(a.since) < bound {
            return;
        }
        let text = a.not_acted(bound / 1000);
        self.log.push(at, LogKind::Error, text.clone());
        self.set_status(Level::Warn, text);
        let said = self.footer.said();
        if let Some(a) = self.awaiting.as_mut() {
            a.warned = true;
            a.footer_said = said;
        }
    }

    /// The footer's line while a controller is asked and has not confirmed, unless something
    /// said since holds the footer: `promote requested (status.promoteFull: true) · waiting
    /// for Argo Rollouts · 4 s`, then the warning with its time.
    pub fn awaiting_line(&self) -> Option<(Level, String)> {
        let a = self.awaiting.as_ref()?;
        if self.footer.holds_since(a.footer_said, self.now) {
            return None;
        }
        let secs = self.now.since(a.since).max(0) / 1000;
        Some(match (&a.acting, a.warned) {
            (Some(phase), _) => (
                Level::Info,
                format!("{} · {} at {phase} · {secs} s", a.requested(), a.system),
            ),
            (None, true) => (Level::Warn, a.not_acted(secs)),
            (None, false) => (
                Level::Info,
                format!("{} · waiting for {} · {secs} s", a.requested(), a.system),
            ),
        })
    }
}

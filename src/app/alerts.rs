//! When the cockpit raises an alert for the team's channels, and what it says. An alert is raised
//! live only (`AppConfig::raise_alerts`): it goes to the event log, into the recording as
//! `AlertRaised`, and out as `Effect::Alert`. Replay shows the recorded `AlertRaised` instead, so
//! nothing is ever sent twice.

use super::{Action, Actor, App, Effect, Event, LogKind};
use crate::model::{
    Alert, AlertEvent, Delivery, DeliveryOutcome, GateChange, Millis, Phase, Severity,
    VersionNumbers,
};
use std::collections::BTreeMap;

/// At most one failed-check alert per release in this long.
pub const CHECK_ALERT_EVERY_MS: i64 = 5 * 60_000;
/// A source down for longer than this is an outage worth an alert.
pub const OUTAGE_ALERT_AFTER_MS: i64 = 60_000;

/// What the cockpit remembers to raise alerts with care.
#[derive(Clone, Debug, Default)]
pub struct AlertState {
    /// When the last failed-check alert was raised.
    pub last_check_alert: Option<Millis>,
    /// Sources that are down (`watch`, `metrics`): since when, and whether the outage was alerted.
    pub outages: BTreeMap<String, (Millis, bool)>,
    /// The release's rollback was alerted already (the automatic one, or the operator's).
    pub rollback_alerted: bool,
    /// Alerts raised or replayed in this session.
    pub raised: usize,
    /// Deliveries that failed, per sink, since the sink last delivered.
    pub failing: BTreeMap<String, usize>,
}

impl App {
    /// Raises an alert about the release: event log, recording, and out to the sinks. Nothing
    /// happens in replay, which shows the recorded alert instead.
    pub(super) fn raise(
        &mut self,
        at: Millis,
        event: AlertEvent,
        severity: Severity,
        reason: String,
        actor: Option<&Actor>,
    ) -> Vec<Effect> {
        if !self.config.raise_alerts {
            return Vec::new();
        }
        let Some(release) = &self.release else {
            return Vec::new();
        };
        let latest = self.history.latest();
        let alert = Alert {
            at,
            event,
            severity,
            release: release.name.clone(),
            namespace: release.namespace.clone(),
            provider: release.source.clone(),
            phase: self.phase,
            weight: release.weight,
            actor: actor.map(ToString::to_string),
            reason,
            primary: VersionNumbers::new(
                &release.primary.name,
                &release.primary.image,
                latest.map(|s| &s.primary),
            ),
            canary: VersionNumbers::new(
                &release.canary.name,
                &release.canary.image,
                latest.map(|s| &s.canary),
            ),
            judge: self.judging.report.clone().map(Box::new),
        };
        self.show_alert(&alert);
        self.produced.push(Event::AlertRaised {
            alert: alert.clone(),
        });
        vec![Effect::Alert {
            alert: Box::new(alert),
        }]
    }

    /// The event-log line of an alert, live or replayed.
    pub(super) fn show_alert(&mut self, alert: &Alert) {
        self.now = self.now.max(alert.at);
        self.alerts.raised += 1;
        if matches!(
            alert.event,
            AlertEvent::AutomaticRollback | AlertEvent::OperatorRollback
        ) {
            self.alerts.rollback_alerted = true;
        }
        // the other alerts repeat a line the log has already (the verdict, the action, the gate)
        let kind = match (alert.severity, alert.event) {
            (Severity::Error, _) => LogKind::Alert,
            (_, AlertEvent::Outage) => LogKind::Error,
            (_, AlertEvent::Recovered) => LogKind::Info,
            _ => return,
        };
        self.log
            .push(alert.at, kind, format!("ALERT {}", alert.line()));
    }

    /// What became of an alert at a sink: a failure is told in the log, and in the footer until
    /// the sink delivers again.
    pub(super) fn on_delivery(&mut self, d: Delivery) {
        self.now = self.now.max(d.at);
        let sink = format!("alerts to {}", d.sink);
        if d.outcome.is_delivered() {
            self.source_recovered(&sink);
            if self.alerts.failing.remove(&d.sink).is_some() {
                self.log.push(
                    d.at,
                    LogKind::Info,
                    format!("alerts reach {} again", d.sink),
                );
            }
            return;
        }
        let count = self.alerts.failing.entry(d.sink.clone()).or_default();
        *count += 1;
        let again = if *count > 1 {
            format!(" ({} alerts lost there so far)", count)
        } else {
            String::new()
        };
        let text = match &d.outcome {
            DeliveryOutcome::Undelivered => {
                format!(
                    "alert {} to {}: undelivered, the cockpit quit first",
                    d.event, d.sink
                )
            }
            other => format!(
                "alert {} to {} not delivered: {other}{again}",
                d.event, d.sink
            ),
        };
        self.log.push(d.at, LogKind::Error, text.clone());
        self.footer.raise(&sink, d.at, text);
    }

    /// Alerts that follow an action's result: an operator's rollback, pause or resume; a
    /// promotion that finished, or stopped at a stage.
    pub(super) fn alert_action(
        &mut self,
        at: Millis,
        action: Action,
        actor: &Actor,
        error: Option<&str>,
    ) -> Vec<Effect> {
        let by_operator = matches!(actor, Actor::Operator { .. });
        let (primary, canary) = self.release.as_ref().map_or_else(Default::default, |r| {
            (r.primary.name.clone(), r.canary.name.clone())
        });
        match (action, error) {
            (Action::Promote, Some(err)) => self.raise(
                at,
                AlertEvent::PromotionStopped,
                Severity::Error,
                format!("promotion of {canary} stopped by {actor}: {err}"),
                by_operator.then_some(actor),
            ),
            (_, Some(_)) => Vec::new(),
            (Action::Rollback, None) if by_operator => self.raise(
                at,
                AlertEvent::OperatorRollback,
                Severity::Warn,
                format!("{actor} rolled {canary} back to {primary}"),
                Some(actor),
            ),
            (Action::Pause, None) if by_operator => self.raise(
                at,
                AlertEvent::Paused,
                Severity::Info,
                format!("{actor} paused the progression of {canary}"),
                Some(actor),
            ),
            (Action::Resume, None) if by_operator => self.raise(
                at,
                AlertEvent::Resumed,
                Severity::Info,
                format!("{actor} resumed the progression of {canary}"),
                Some(actor),
            ),
            _ => Vec::new(),
        }
    }

    /// After every event: a promotion that finished is told; a rollback or failure that no alert
    /// told yet (the release's own controller decided it) is told as automatic.
    pub(super) fn alert_phase_change(&mut self, at: Millis, before: Phase) -> Vec<Effect> {
        let phase = self.phase;
        if before == phase {
            return Vec::new();
        }
        // the versions as they were when it ended: a controller may rename them after
        let (primary, canary) = self.ended_from.clone().unwrap_or_else(|| {
            self.release.as_ref().map_or_else(Default::default, |r| {
                (r.primary.name.clone(), r.canary.name.clone())
            })
        });
        match phase {
            Phase::Progressing => {
                self.alerts.rollback_alerted = false;
                Vec::new()
            }
            Phase::Promoted => self.raise(
                at,
                AlertEvent::PromotionFinished,
                Severity::Info,
                format!("{canary} takes all traffic; {primary} is replaced"),
                None,
            ),
            // a failure of the cockpit's own action is told by that action's alert
            Phase::RolledBack | Phase::Failed
                if !self.alerts.rollback_alerted
                    && (phase == Phase::RolledBack
                        || self
                            .release
                            .as_ref()
                            .is_some_and(|r| r.controller.is_some())) =>
            {
                let why = self
                    .release
                    .as_ref()
                    .and_then(|r| r.controller.as_ref())
                    .map(|c| c.message.clone())
                    .filter(|m| !m.is_empty())
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                self.raise(
                    at,
                    AlertEvent::AutomaticRollback,
                    Severity::Error,
                    format!("{canary} rolled back to {primary} (phase {phase}){why}"),
                    None,
                )
            }
            _ => Vec::new(),
        }
    }

    /// A check failed: at most one alert per release every five minutes.
    pub(super) fn alert_check(&mut self, at: Millis, reason: &str) -> Vec<Effect> {
        if self
            .alerts
            .last_check_alert
            .is_some_and(|t| at.since(t) < CHECK_ALERT_EVERY_MS)
        {
            return Vec::new();
        }
        if !self.config.raise_alerts || self.release.is_none() {
            return Vec::new();
        }
        self.alerts.last_check_alert = Some(at);
        self.raise(
            at,
            AlertEvent::CheckFailed,
            Severity::Warn,
            format!("check failed: {reason}"),
            None,
        )
    }

    /// A Flagger gate opened or closed.
    pub(super) fn alert_gate(
        &mut self,
        at: Millis,
        change: GateChange,
        by: Option<&Actor>,
        how: &str,
    ) -> Vec<Effect> {
        let (event, what) = match change {
            GateChange::Gate(state) if state.is_open() => {
                (AlertEvent::GateOpened, "confirm gate opened")
            }
            GateChange::Gate(_) => (AlertEvent::GateClosed, "confirm gate closed"),
            GateChange::Rollback(true) => (AlertEvent::GateOpened, "rollback gate opened"),
            GateChange::Rollback(false) => (AlertEvent::GateClosed, "rollback gate closed"),
        };
        let who = by.map(|a| format!(" by {a}")).unwrap_or_default();
        self.raise(
            at,
            event,
            Severity::Info,
            format!("{what}{who} ({how})"),
            by,
        )
    }

    /// A source reported a failure: remember since when it is down.
    pub(super) fn source_down(&mut self, at: Millis, source: &str) {
        if matches!(source, "watch" | "metrics") {
            self.alerts
                .outages
                .entry(source.to_string())
                .or_insert((at, false));
        }
    }

    /// A source answers again: the event log says so with the outage's length, and an outage that
    /// was alerted gets its recovery alert.
    pub(super) fn source_up(&mut self, at: Millis, source: &str) -> Vec<Effect> {
        self.source_recovered(source);
        let Some((since, alerted)) = self.alerts.outages.remove(source) else {
            return Vec::new();
        };
        let took = span(at.since(since));
        let text = match source {
            "watch" => format!("API server back after {took}; relisted"),
            other => format!("{other} back after {took}"),
        };
        self.log.push(at, LogKind::Info, text);
        if !alerted {
            return Vec::new();
        }
        self.raise(
            at,
            AlertEvent::Recovered,
            Severity::Info,
            format!("the {} answers again after {took}", describe(source)),
            None,
        )
    }

    /// Time moved on: an outage older than a minute is alerted, once.
    pub(super) fn alert_outages(&mut self, at: Millis) -> Vec<Effect> {
        let due: Vec<(String, Millis)> = self
            .alerts
            .outages
            .iter()
            .filter(|(_, (since, alerted))| !alerted && at.since(*since) > OUTAGE_ALERT_AFTER_MS)
            .map(|(s, (since, _))| (s.clone(), *since))
            .collect();
        let mut effects = Vec::new();
        for (source, since) in due {
            if let Some(o) = self.alerts.outages.get_mut(&source) {
                o.1 = true;
            }
            effects.extend(self.raise(
                at,
                AlertEvent::Outage,
                Severity::Warn,
                format!(
                    "the {} has been down for {}: what the cockpit shows is stale",
                    describe(&source),
                    span(at.since(since))
                ),
                None,
            ));
        }
        effects
    }
}

fn describe(source: &str) -> &str {
    match source {
        "watch" => "watch of the cluster",
        "metrics" => "metrics source",
        other => other,
    }
}

/// A length of time as people say it: `45s`, `2m05s`, `1h03m`.
pub fn span(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, min, sec) => format!("{min}m{sec:02}s"),
        (h, min, _) => format!("{h}h{min:02}m"),
    }
}

//! The one pass over a recording that fills a [`Summary`]: the events as read, and the app as
//! `App::update` leaves it after each of them.

use super::labels::utc;
use super::{
    ActionRecord, AlertRecord, AnalysisSummary, CheckCounts, DeliveryRecord, FailedVerdict,
    MemoryPeak, NoteRecord, OutageRecord, Pause, Peak, Peaks, PhaseChange, RouteRecord,
    SessionOutcome, Summary, VersionInfo, Versions, WeightSummary,
};
use crate::app::{Action, Actor, App, AppConfig, Event};
use crate::model::{MetricsSample, Millis, Outcome, Phase, ResourceSample, Side, VersionSample};
use crate::record::Recording;

/// Reads the whole recording once and sums it up.
pub fn summarize(rec: &Recording) -> Summary {
    let mut pass = Pass::new(rec);
    let mut app = App::new(rec.header.replay_config(AppConfig::default()));
    for (t, event) in &rec.events {
        pass.read_event(*t, event);
        let phase_before = app.phase;
        // Replay: the effects were performed (or not) when the session ran.
        let _ = app.update(event.clone());
        // a recording older than 1.4 holds no alerts: the replayed cockpit raises them again
        for produced in app.take_produced() {
            // and before 1.5 no judge's reports: the replayed cockpit judges again
            if let Event::AlertRaised { alert } = &produced {
                pass.read_event(alert.at, &produced);
            }
            if let Event::Judged { at, .. } = &produced {
                pass.read_event(*at, &produced);
            }
        }
        pass.follow_app(*t, phase_before, &app);
    }
    pass.finish(rec)
}

/// Accumulates the summary while the events stream by; holds no per-event state.
struct Pass {
    start: Millis,
    end: Option<Millis>,
    summary: Summary,
    pause_start: Option<Millis>,
    /// Sources down, since when.
    down: std::collections::BTreeMap<String, Millis>,
}

impl Pass {
    fn new(rec: &Recording) -> Self {
        let start = rec.header.started_at;
        Self {
            start,
            end: None,
            pause_start: None,
            down: Default::default(),
            summary: Summary {
                release: rec.header.release.clone(),
                source: rec.header.source.clone(),
                started_at_ms: start.0,
                started_at: utc(start),
                duration_ms: 0,
                event_count: rec.events.len(),
                outcome: SessionOutcome::Undecided,
                outcome_t_ms: None,
                paused_ms: 0,
                pauses: Vec::new(),
                versions: Versions::default(),
                weight: WeightSummary::default(),
                analysis: None,
                judge: None,
                checks: CheckCounts::default(),
                phase_changes: Vec::new(),
                operator_actions: Vec::new(),
                controller_actions: Vec::new(),
                notes: Vec::new(),
                route_changes: Vec::new(),
                keel_votes: Vec::new(),
                alerts: Vec::new(),
                failed_verdicts: Vec::new(),
                peaks: Peaks::default(),
                source_errors: 0,
                outages: Vec::new(),
                warnings: rec.warnings.clone(),
            },
        }
    }

    fn offset(&self, t: Millis) -> i64 {
        t.0.saturating_sub(self.start.0)
    }

    fn read_event(&mut self, t: Millis, event: &Event) {
        self.end = Some(self.end.map_or(t, |e| e.max(t)));
        let s = &mut self.summary;
        match event {
            Event::ReleaseObserved { release, .. } => {
                let w = release.weight.percent();
                s.weight.final_percent = Some(w);
                s.weight.max_percent = Some(s.weight.max_percent.map_or(w, |m| m.max(w)));
                let info = |v: &crate::model::Version| VersionInfo {
                    name: v.name.clone(),
                    image: v.image.clone(),
                };
                s.versions
                    .primary
                    .get_or_insert_with(|| info(&release.primary));
                s.versions
                    .canary
                    .get_or_insert_with(|| info(&release.canary));
            }
            Event::ResourcesSampled { sample } => self.read_resources(t, sample),
            Event::MetricsSampled { sample } => {
                self.read_sample(t, sample);
                self.up("metrics", t, true);
            }
            Event::ActionResult {
                action,
                actor,
                error,
                ..
            } => self.read_action(t, *action, actor, error.as_deref()),
            Event::SourceError { source, .. } => {
                s.source_errors += 1;
                if matches!(source.as_str(), "watch" | "metrics") {
                    self.down.entry(source.clone()).or_insert(t);
                }
            }
            Event::Heartbeat { .. } => self.up("watch", t, true),
            Event::AnalysisStarted { settings, .. } => {
                s.analysis = Some(AnalysisSummary::from(settings));
            }
            Event::Verdict { verdict, .. } => {
                match verdict.outcome {
                    Outcome::Pass => s.checks.passed += 1,
                    Outcome::Inconclusive => s.checks.inconclusive += 1,
                    Outcome::Fail => s.checks.failed += 1,
                }
                if verdict.outcome == Outcome::Fail {
                    let t_ms = self.offset(t);
                    self.summary.failed_verdicts.push(FailedVerdict {
                        t_ms,
                        at: utc(t),
                        reason: verdict.reason.clone(),
                        failed_checks: verdict.failed_checks,
                    });
                }
            }
            Event::Judged { report, .. } => {
                let t_ms = self.offset(t);
                super::judge::read(&mut self.summary.judge, t_ms, t.0, report);
            }
            Event::Note { author, text, .. } => {
                let t_ms = self.offset(t);
                self.summary.notes.push(NoteRecord {
                    t_ms,
                    at: utc(t),
                    author: author.clone(),
                    text: text.clone(),
                });
            }
            Event::KeelVoted {
                identifier,
                version,
                vote,
                actor,
                approval,
                error,
                ..
            } => {
                let t_ms = self.offset(t);
                self.summary
                    .keel_votes
                    .push(super::keel::KeelVoteRecord::new(
                        t_ms,
                        t,
                        actor,
                        identifier,
                        version,
                        *vote,
                        approval.as_ref(),
                        error.as_deref(),
                    ));
            }
            Event::RouteResult {
                change,
                actor,
                error,
                ..
            } => {
                let t_ms = self.offset(t);
                self.summary.route_changes.push(RouteRecord {
                    t_ms,
                    at: utc(t),
                    who: actor.to_string(),
                    change: change.clone(),
                    ok: error.is_none(),
                    error: error.clone(),
                });
            }
            Event::AlertRaised { alert } => {
                let t_ms = self.offset(t);
                self.summary.alerts.push(AlertRecord {
                    t_ms,
                    at: utc(t),
                    event: alert.event,
                    severity: alert.severity,
                    text: alert.line(),
                    deliveries: Vec::new(),
                });
            }
            Event::AlertDelivered { delivery } => {
                let record = DeliveryRecord {
                    sink: delivery.sink.clone(),
                    result: delivery.outcome.to_string(),
                    delivered: delivery.outcome.is_delivered(),
                    attempts: delivery.attempts,
                };
                // the newest alert of that event waiting for this sink
                let alert = self.summary.alerts.iter_mut().rev().find(|a| {
                    a.event == delivery.event
                        && a.deliveries.iter().all(|d| d.sink != delivery.sink)
                });
                if let Some(a) = alert {
                    a.deliveries.push(record);
                }
            }
            // the gates' changes reach the summary as the notes told once they were published
            Event::Tick { .. }
            | Event::PodsObserved { .. }
            | Event::ReleasePicked { .. }
            | Event::GatesServed { .. }
            | Event::GateChanged { .. }
            | Event::KeelApprovals { .. }
            | Event::Key(_)
            | Event::Resize { .. } => {}
        }
    }

    /// `source` answers again at `t` (or the recording ends there): its outage, if any, ends.
    fn up(&mut self, source: &str, t: Millis, ended: bool) {
        if let Some(from) = self.down.remove(source) {
            let t_ms = self.offset(from);
            self.summary.outages.push(OutageRecord {
                source: source.to_string(),
                t_ms,
                at: utc(from),
                duration_ms: t.since(from),
                ended,
            });
        }
    }

    fn read_action(&mut self, t: Millis, action: Action, actor: &Actor, error: Option<&str>) {
        let (user, kube_user) = match actor {
            Actor::Operator { user, kube_user } => (Some(user.clone()), kube_user.clone()),
            Actor::Controller => (None, None),
        };
        let record = ActionRecord {
            t_ms: self.offset(t),
            at: utc(t),
            who: actor.to_string(),
            user,
            kube_user,
            action,
            ok: error.is_none(),
            error: error.map(str::to_string),
        };
        match actor {
            Actor::Operator { .. } => self.summary.operator_actions.push(record),
            Actor::Controller => self.summary.controller_actions.push(record),
        }
    }

    fn read_sample(&mut self, t: Millis, sample: &MetricsSample) {
        let t_ms = self.offset(t);
        let peaks = &mut self.summary.peaks;
        for (side, v) in [
            (&mut peaks.primary, &sample.primary),
            (&mut peaks.canary, &sample.canary),
        ] {
            raise(&mut side.error_rate, error_rate(v), t_ms, t, v.requests);
            raise(&mut side.p99_ms, p99(v), t_ms, t, v.requests);
        }
    }

    fn read_resources(&mut self, t: Millis, sample: &ResourceSample) {
        let t_ms = self.offset(t);
        let peaks = &mut self.summary.peaks;
        for (side, peak) in [
            (Side::Primary, &mut peaks.primary.memory_per_pod),
            (Side::Canary, &mut peaks.canary.memory_per_pod),
        ] {
            let Some(bytes) = sample.memory_per_pod(side) else {
                continue;
            };
            if peak.as_ref().is_none_or(|p| bytes > p.bytes) {
                *peak = Some(MemoryPeak {
                    t_ms,
                    at: utc(t),
                    bytes,
                    pods: sample.side(side).len(),
                });
            }
        }
    }

    /// Phase changes, pauses and the outcome, as `update` left the app after one event.
    fn follow_app(&mut self, t: Millis, phase_before: Phase, app: &App) {
        if app.phase != phase_before {
            self.summary.phase_changes.push(PhaseChange {
                t_ms: self.offset(t),
                at: utc(t),
                from: phase_before,
                to: app.phase,
            });
        }
        let outcome = app.outcome.map(SessionOutcome::from);
        if let Some(outcome) = outcome.filter(|o| *o != self.summary.outcome) {
            self.summary.outcome = outcome;
            self.summary.outcome_t_ms = Some(self.offset(t));
        }
        // A release that ended is no longer paused, whatever the last pause request was.
        let paused = !app.phase.is_final() && (app.paused || app.phase == Phase::Paused);
        match (self.pause_start, paused) {
            (None, true) => self.pause_start = Some(t),
            (Some(from), false) => self.close_pause(from, t, false),
            _ => {}
        }
    }

    fn close_pause(&mut self, from: Millis, to: Millis, open: bool) {
        self.pause_start = None;
        let (start_t_ms, end_t_ms) = (self.offset(from), self.offset(to.max(from)));
        self.summary.paused_ms += end_t_ms - start_t_ms;
        self.summary.pauses.push(Pause {
            start_t_ms,
            end_t_ms,
            open,
        });
    }

    fn finish(mut self, rec: &Recording) -> Summary {
        let end = self.end.unwrap_or(rec.header.started_at);
        if let Some(from) = self.pause_start {
            self.close_pause(from, end, true);
        }
        if self.end.is_some() {
            self.summary.duration_ms = self.offset(end);
        }
        let open: Vec<String> = self.down.keys().cloned().collect();
        for source in open {
            self.up(&source, end, false);
        }
        self.summary.outages.sort_by_key(|o| o.t_ms);
        self.summary
    }
}

/// Keeps the highest value; the first sample that reached it names the time.
fn raise(peak: &mut Option<Peak>, value: Option<f64>, t_ms: i64, t: Millis, requests: f64) {
    let Some(value) = value else { return };
    if peak.as_ref().is_none_or(|p| value > p.value) {
        *peak = Some(Peak {
            t_ms,
            at: utc(t),
            value,
            requests,
        });
    }
}

/// The sample's error rate, when it had traffic and the counts make sense.
pub(crate) fn error_rate(v: &VersionSample) -> Option<f64> {
    v.error_rate().filter(|r| r.is_finite())
}

/// The sample's p99, when it had traffic to measure.
pub(crate) fn p99(v: &VersionSample) -> Option<f64> {
    v.p99_ms
        .filter(|p| v.has_traffic() && p.is_finite() && *p >= 0.0)
}

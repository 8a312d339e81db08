//! The post-mortem of a recorded session: what happened, when, and who did it, as data
//! ([`Summary`], serializable to JSON) and as text for a terminal ([`Summary::to_text`]).
//!
//! One linear pass over the recording: every event goes through the same `App::update` the live
//! cockpit ran (read-only, effects dropped), which gives phase changes, pauses and the outcome
//! exactly as the cockpit saw them; actions, notes, verdicts and metrics are read from the events.
//!
//! Times are given twice: `t_ms`, milliseconds since the session started (the header's
//! `started_at`), and `at`, the instant in UTC as `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339).

use crate::app::{Action, Actor, App, AppConfig, Event, ReleaseOutcome};
use crate::model::{AnalysisSettings, Clock, MetricsSample, Millis, Outcome, Phase, VersionSample};
use crate::record::{Recording, SessionSource};
use serde::Serialize;
use std::fmt::Write as _;

/// Everything a post-mortem needs, in field names that stay stable (snake_case).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The release's name, from the header.
    pub release: String,
    /// Where the events came from, as in the header (`{"kind":"demo",...}` or `{"kind":"cluster",...}`).
    pub source: SessionSource,
    /// Start of the session, milliseconds since the Unix epoch.
    pub started_at_ms: i64,
    /// Start of the session in UTC (RFC 3339).
    pub started_at: String,
    /// From the start to the last event, in milliseconds (0 without events).
    pub duration_ms: i64,
    /// Number of events read.
    pub event_count: usize,
    /// How the release ended: `promoted`, `rolled-back`, `failed` or `undecided`.
    pub outcome: SessionOutcome,
    /// When the release reached its outcome, since the start; `None` while undecided.
    pub outcome_t_ms: Option<i64>,
    /// Time the release spent paused, in milliseconds (the sum of `pauses`).
    pub paused_ms: i64,
    /// Every pause: from a successful pause (or a phase `Paused` reported by the cluster) to the next
    /// resume, the end of the release, or the end of the recording.
    pub pauses: Vec<Pause>,
    /// The versions as first observed.
    pub versions: Versions,
    /// The canary's weight.
    pub weight: WeightSummary,
    /// The settings of the cockpit's analysis, when it judged this release.
    pub analysis: Option<AnalysisSummary>,
    /// How many checks the analysis made, by result.
    pub checks: CheckCounts,
    pub phase_changes: Vec<PhaseChange>,
    /// Actions a person asked for, successful or not.
    pub operator_actions: Vec<ActionRecord>,
    /// Actions the cockpit's controller performed (weight steps, automatic promotion or rollback).
    pub controller_actions: Vec<ActionRecord>,
    pub notes: Vec<NoteRecord>,
    /// Checks of the analysis that failed, with the reason given.
    pub failed_verdicts: Vec<FailedVerdict>,
    /// The worst error rate and p99 latency seen, per side of the release.
    pub peaks: Peaks,
    /// Failures of background sources (metrics, cluster) during the session.
    pub source_errors: usize,
    /// What the reader had to skip or could not read.
    pub warnings: Vec<String>,
}

/// How the release ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionOutcome {
    Promoted,
    RolledBack,
    Failed,
    /// The recording ends before the release did.
    Undecided,
}

impl SessionOutcome {
    pub fn label(self) -> &'static str {
        match self {
            SessionOutcome::Promoted => "promoted",
            SessionOutcome::RolledBack => "rolled-back",
            SessionOutcome::Failed => "failed",
            SessionOutcome::Undecided => "undecided",
        }
    }
}

impl From<ReleaseOutcome> for SessionOutcome {
    fn from(outcome: ReleaseOutcome) -> Self {
        match outcome {
            ReleaseOutcome::Promoted => SessionOutcome::Promoted,
            ReleaseOutcome::RolledBack => SessionOutcome::RolledBack,
            ReleaseOutcome::Failed => SessionOutcome::Failed,
        }
    }
}

/// One period during which the release was paused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pause {
    pub start_t_ms: i64,
    pub end_t_ms: i64,
    /// Still paused when the recording ends.
    pub open: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Versions {
    pub primary: Option<VersionInfo>,
    pub canary: Option<VersionInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionInfo {
    /// Short name, such as `v2`.
    pub name: String,
    pub image: String,
}

/// Canary weights in percent; `None` when the release was never observed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WeightSummary {
    pub max_percent: Option<u8>,
    pub final_percent: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnalysisSummary {
    pub interval_secs: u32,
    /// Failed checks that trigger the automatic rollback.
    pub threshold: u32,
    /// Minimum success rate in percent.
    pub min_success_rate: f64,
    /// Highest acceptable error rate as a share (0–1).
    pub max_error_rate: f64,
    pub max_p99_ms: f64,
    pub min_requests: u32,
}

impl From<&AnalysisSettings> for AnalysisSummary {
    fn from(s: &AnalysisSettings) -> Self {
        Self {
            interval_secs: s.interval_secs,
            threshold: s.threshold,
            min_success_rate: s.min_success_rate,
            max_error_rate: s.max_error_rate(),
            max_p99_ms: s.max_p99_ms,
            min_requests: s.min_requests,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CheckCounts {
    pub passed: u32,
    pub failed: u32,
    pub inconclusive: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PhaseChange {
    pub t_ms: i64,
    pub at: String,
    pub from: Phase,
    pub to: Phase,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionRecord {
    pub t_ms: i64,
    pub at: String,
    /// Who acted, as the cockpit shows it: `alice`, `alice (alice@corp)` or `controller`.
    pub who: String,
    /// The operator's OS user; `None` for the controller.
    pub user: Option<String>,
    /// The operator's Kubernetes user, when known.
    pub kube_user: Option<String>,
    /// The action as recorded (`{"kind":"set_weight","weight":25}`, `{"kind":"pause"}`, …).
    pub action: Action,
    pub ok: bool,
    /// What went wrong, when it failed.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoteRecord {
    pub t_ms: i64,
    pub at: String,
    pub author: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedVerdict {
    pub t_ms: i64,
    pub at: String,
    pub reason: String,
    /// Failed checks counted after this one.
    pub failed_checks: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Peaks {
    pub primary: VersionPeaks,
    pub canary: VersionPeaks,
}

/// `None` when the side never had traffic: no traffic is never reported as 0 %.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VersionPeaks {
    /// Highest share of 5xx responses in one sample (0–1).
    pub error_rate: Option<Peak>,
    /// Highest p99 latency of one sample, in milliseconds.
    pub p99_ms: Option<Peak>,
}

/// The worst value of one metric and the first sample that had it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Peak {
    pub t_ms: i64,
    pub at: String,
    pub value: f64,
    /// Requests counted in that sample.
    pub requests: f64,
}

/// Reads the whole recording once and sums it up.
pub fn summarize(rec: &Recording) -> Summary {
    let mut pass = Pass::new(rec);
    let mut app = App::new(AppConfig {
        read_only: true,
        no_writes: false,
        switchable: false,
        queries: Vec::new(),
        ..AppConfig::default()
    });
    for (t, event) in &rec.events {
        pass.read_event(*t, event);
        let phase_before = app.phase;
        // Replay: the effects were performed (or not) when the session ran.
        let _ = app.update(event.clone());
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
}

impl Pass {
    fn new(rec: &Recording) -> Self {
        let start = rec.header.started_at;
        Self {
            start,
            end: None,
            pause_start: None,
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
                checks: CheckCounts::default(),
                phase_changes: Vec::new(),
                operator_actions: Vec::new(),
                controller_actions: Vec::new(),
                notes: Vec::new(),
                failed_verdicts: Vec::new(),
                peaks: Peaks::default(),
                source_errors: 0,
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
            Event::MetricsSampled { sample } => self.read_sample(t, sample),
            Event::ActionResult {
                action,
                actor,
                error,
                ..
            } => self.read_action(t, *action, actor, error.as_deref()),
            Event::SourceError { .. } => s.source_errors += 1,
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
            Event::Note { author, text, .. } => {
                let t_ms = self.offset(t);
                self.summary.notes.push(NoteRecord {
                    t_ms,
                    at: utc(t),
                    author: author.clone(),
                    text: text.clone(),
                });
            }
            Event::Tick { .. }
            | Event::Heartbeat { .. }
            | Event::PodsObserved { .. }
            | Event::Key(_)
            | Event::Resize { .. } => {}
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

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC) for milliseconds since the Unix epoch.
pub fn utc(at: Millis) -> String {
    crate::record::retention::utc_rfc3339(at)
}

/// `T+01:30`, `T+1:02:03`; `T-00:05` for an instant before the start.
pub fn offset_label(t_ms: i64) -> String {
    if t_ms < 0 {
        format!("T-{}", Clock(t_ms.saturating_neg()))
    } else {
        format!("T+{}", Clock(t_ms))
    }
}

/// The source in one line: `demo faulty-v2 (seed 42)` or `cluster prod-eu, namespace shop, …`.
pub fn source_label(source: &SessionSource) -> String {
    match source {
        SessionSource::Demo { scenario, seed } => format!("demo {scenario} (seed {seed})"),
        SessionSource::Cluster {
            context,
            namespace,
            provider,
            target,
        } => format!("cluster {context}, namespace {namespace}, {provider} {target}"),
    }
}

/// Text from a recording made safe for a terminal: control characters (escape sequences, line
/// breaks) become spaces.
pub(crate) fn plain(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// An error rate (0–1) as a percentage with a precision that suits its size.
pub fn percent_label(rate: f64) -> String {
    let p = rate * 100.0;
    if p == 0.0 || p >= 10.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.2} %")
    }
}

impl Summary {
    /// The post-mortem as plain text for a terminal: sections, aligned columns, no colour.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_overview(&mut out);
        self.write_phases(&mut out);
        write_actions(&mut out, "Operator actions", &self.operator_actions);
        write_actions(&mut out, "Controller actions", &self.controller_actions);
        self.write_notes(&mut out);
        self.write_checks(&mut out);
        self.write_peaks(&mut out);
        self.write_warnings(&mut out);
        out
    }

    fn write_overview(&self, out: &mut String) {
        let _ = writeln!(out, "Post-mortem: {}", plain(&self.release));
        let outcome = match self.outcome_t_ms {
            Some(t) => format!("{} at {}", self.outcome.label(), offset_label(t)),
            None => self.outcome.label().to_string(),
        };
        let paused = match self.pauses.len() {
            0 => "never".to_string(),
            1 => format!("{} (1 pause)", Clock(self.paused_ms)),
            n => format!("{} ({n} pauses)", Clock(self.paused_ms)),
        };
        let versions = match (&self.versions.primary, &self.versions.canary) {
            (Some(p), Some(c)) => format!(
                "primary {} ({}), canary {} ({})",
                plain(&p.name),
                plain(&p.image),
                plain(&c.name),
                plain(&c.image)
            ),
            _ => "never observed".to_string(),
        };
        let weight = match (self.weight.max_percent, self.weight.final_percent) {
            (Some(max), Some(last)) => format!("max {max} %, final {last} %"),
            _ => "never observed".to_string(),
        };
        let rows = vec![
            row(["source", &plain(&source_label(&self.source))]),
            row(["started", &self.started_at]),
            row(["duration", &Clock(self.duration_ms).to_string()]),
            row(["events", &self.event_count.to_string()]),
            row(["outcome", &outcome]),
            row(["paused", &paused]),
            row(["versions", &versions]),
            row(["weight", &weight]),
            row(["analysis", &self.analysis_line()]),
            row(["source errors", &self.source_errors.to_string()]),
        ];
        out.push_str(&table(&rows));
    }

    fn analysis_line(&self) -> String {
        match &self.analysis {
            Some(a) => format!(
                "every {} s, rollback after {} failed checks, success rate >= {} %, p99 <= {} ms",
                a.interval_secs, a.threshold, a.min_success_rate, a.max_p99_ms
            ),
            None => "none recorded".to_string(),
        }
    }

    fn write_phases(&self, out: &mut String) {
        section(out, "Phase changes");
        let rows: Vec<_> = self
            .phase_changes
            .iter()
            .map(|c| {
                row([
                    &offset_label(c.t_ms),
                    &format!("{} -> {}", c.from.label(), c.to.label()),
                ])
            })
            .collect();
        out.push_str(&table_or_none(&rows));
    }

    fn write_notes(&self, out: &mut String) {
        section(out, "Notes");
        let rows: Vec<_> = self
            .notes
            .iter()
            .map(|n| row([&offset_label(n.t_ms), &plain(&n.author), &plain(&n.text)]))
            .collect();
        out.push_str(&table_or_none(&rows));
    }

    fn write_checks(&self, out: &mut String) {
        let c = &self.checks;
        section(
            out,
            &format!(
                "Checks: {} passed, {} failed, {} inconclusive",
                c.passed, c.failed, c.inconclusive
            ),
        );
        let threshold = self
            .analysis
            .as_ref()
            .map_or(String::new(), |a| format!("/{}", a.threshold));
        let rows: Vec<_> = self
            .failed_verdicts
            .iter()
            .map(|v| {
                row([
                    &offset_label(v.t_ms),
                    &format!("failed {}{threshold}", v.failed_checks),
                    &plain(&v.reason),
                ])
            })
            .collect();
        if rows.is_empty() {
            out.push_str("  failed checks: none\n");
        } else {
            out.push_str(&table(&rows));
        }
    }

    fn write_peaks(&self, out: &mut String) {
        section(out, "Peaks (worst sample)");
        let name = |v: &Option<VersionInfo>| {
            v.as_ref()
                .map_or(String::new(), |v| format!(" ({})", plain(&v.name)))
        };
        let mut rows = vec![row(["", "error rate", "p99"])];
        for (label, version, peaks) in [
            ("primary", &self.versions.primary, &self.peaks.primary),
            ("canary", &self.versions.canary, &self.peaks.canary),
        ] {
            let error = peaks.error_rate.as_ref().map_or("no traffic".into(), |p| {
                format!("{} at {}", percent_label(p.value), offset_label(p.t_ms))
            });
            let p99 = peaks.p99_ms.as_ref().map_or("no traffic".into(), |p| {
                format!("{:.0} ms at {}", p.value, offset_label(p.t_ms))
            });
            rows.push(row([&format!("{label}{}", name(version)), &error, &p99]));
        }
        out.push_str(&table(&rows));
    }

    fn write_warnings(&self, out: &mut String) {
        section(out, "Warnings");
        let rows: Vec<_> = self.warnings.iter().map(|w| row([&plain(w)])).collect();
        out.push_str(&table_or_none(&rows));
    }
}

fn write_actions(out: &mut String, title: &str, actions: &[ActionRecord]) {
    section(out, title);
    let rows: Vec<_> = actions
        .iter()
        .map(|a| {
            let result = match &a.error {
                None => "ok".to_string(),
                Some(e) => format!("failed: {}", plain(e)),
            };
            row([
                &offset_label(a.t_ms),
                &plain(&a.who),
                &a.action.to_string(),
                &result,
            ])
        })
        .collect();
    out.push_str(&table_or_none(&rows));
}

fn section(out: &mut String, title: &str) {
    let _ = write!(out, "\n{title}\n");
}

fn row<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// Rows as lines indented by two spaces, every column but the last padded to its widest cell.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::from(" ");
        for (i, cell) in r.iter().enumerate() {
            line.push(' ');
            line.push_str(cell);
            if i + 1 < r.len() {
                let pad = widths[i].saturating_sub(cell.chars().count()) + 1;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn table_or_none(rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        "  none\n".to_string()
    } else {
        table(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_offsets_format() {
        assert_eq!(utc(Millis(0)), "1970-01-01T00:00:00Z");
        assert_eq!(utc(Millis(1_709_251_199_999)), "2024-02-29T23:59:59Z");
        assert_eq!(utc(Millis(-1000)), "1969-12-31T23:59:59Z");
        assert_eq!(offset_label(90_000), "T+01:30");
        assert_eq!(offset_label(3_723_000), "T+1:02:03");
        assert_eq!(offset_label(-5_000), "T-00:05");
    }

    #[test]
    fn tables_align_columns() {
        let rows = vec![
            row(["T+00:01", "alice", "pause"]),
            row(["T+1:00:00", "bob", "x"]),
        ];
        assert_eq!(
            table(&rows),
            "  T+00:01    alice  pause\n  T+1:00:00  bob    x\n"
        );
        assert_eq!(table_or_none(&[]), "  none\n");
    }

    #[test]
    fn terminal_text_loses_control_characters() {
        assert_eq!(plain("a\x1b[31mb\nc"), "a [31mb c");
        assert_eq!(percent_label(0.0), "0.0 %");
        assert_eq!(percent_label(0.0123), "1.23 %");
        assert_eq!(percent_label(0.153), "15.3 %");
    }
}

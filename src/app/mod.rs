//! The cockpit's state and `update`, the only place where state changes.
//!
//! `update` takes one event and returns the effects to perform. It does no I/O and reads no clock:
//! tests, the headless runner, the TUI and replay all drive the same function.

mod alerts;
mod config;
pub mod confirm;
pub mod effect;
pub mod event;
pub mod footer;
pub mod gates;
pub mod group;
pub mod group_keys;
pub mod group_routes;
pub mod hold;
mod inflight;
pub use inflight::InFlight;
pub mod judging;
mod keel;
mod keybinding;
pub mod keymap;
pub(crate) mod keys;
pub mod log;
pub mod mode;
pub(crate) mod observe;
mod outcome;
pub mod picker;
mod routes;
pub mod rows;
pub mod usage;

pub use config::{AppConfig, NO_PROMETHEUS};
pub use confirm::{Awaiting, CONFIRM_WITHIN_MS};
pub use effect::{Action, Actor, Effect};
pub use event::{Event, PickedFrom};
pub use gates::{GateBy, ServedGates};
pub use hold::Held;
pub use log::{EventLog, LogEntry, LogKind};
pub use mode::{Confirm, Level, Mode, Panel, Prompt, PromptKind, Status};
pub use outcome::{Exit, ReleaseOutcome};
pub use rows::PodRow;

use crate::controller::Controller;
use crate::model::{
    AnalysisSettings, AnalysisState, MetricsHistory, Millis, Phase, Plan, PodSet, ReleaseSnapshot,
    Weight,
};

#[derive(Clone, Debug)]
pub struct App {
    pub config: AppConfig,
    /// The release as last observed; `None` until the source reports it.
    pub release: Option<ReleaseSnapshot>,
    pub phase: Phase,
    pub paused: bool,
    pub pods: PodSet,
    pub history: MetricsHistory,
    pub analysis: AnalysisState,
    /// Present when the cockpit drives the release itself (the demo, `watch --drive`).
    pub controller: Option<Controller>,
    /// Analysis settings shown in the analysis panel.
    pub settings: AnalysisSettings,
    pub log: EventLog,
    pub started_at: Option<Millis>,
    pub now: Millis,
    pub last_data_at: Option<Millis>,
    pub mode: Mode,
    pub focus: Panel,
    pub pods_scroll: usize,
    /// `None` follows the newest entry; `Some(i)` keeps entry `i` at the top.
    pub events_scroll: Option<usize>,
    pub pod_filter: String,
    /// The percentile the latency sparkline shows (`l`); the analysis judges p99 whatever it is.
    pub latency: crate::model::Quantile,
    pub pod_rows: Vec<PodRow>,
    pub status: Option<Status>,
    /// The live errors shown in the footer until their source recovers, and when the status
    /// was set.
    pub footer: footer::FooterState,
    pub outcome: Option<ReleaseOutcome>,
    pub should_quit: bool,
    /// Why metrics are unavailable, while they are (the panels say so with the last sample's age).
    pub metrics_error: Option<String>,
    /// The session has no metrics source, as the cockpit's note said at its start (live and in
    /// replay); see [`App::no_metrics_source`].
    pub metrics_absent: bool,
    /// The operator leaves this release for another (`canary watch` only).
    pub exit: Option<Exit>,
    /// The plan of the cockpit's own analysis, from `AnalysisStarted` (live and in replay).
    pub analysis_plan: Option<Plan>,
    /// How the release's gates stand, while this cockpit serves them for Flagger
    /// (`--gate-listen`); the gate server answers from what the cockpit publishes.
    pub gates: Option<ServedGates>,
    /// Their history and why they are not shown, when they are not.
    pub usage: usage::Usage,
    /// What alerts were raised and how their delivery goes.
    pub alerts: alerts::AlertState,
    /// The action the cockpit asked for and whose result has not come back yet.
    pub in_flight: Option<InFlight>,
    /// A promotion or rollback the release's controller was asked for and has not confirmed.
    pub awaiting: Option<Awaiting>,
    /// Who paused the release in this cockpit, while it is paused.
    pub paused_by: Option<Actor>,
    /// The primary's and the canary's names when the release ended.
    pub ended_from: Option<(String, String)>,
    /// The cockpit's latest note (what an action wrote), for the result that follows it.
    last_note: Option<(Millis, String)>,
    /// Both judges' view of the canary, for the analysis panel.
    pub judging: judging::Judging,
    /// Keel's pending approvals for the release's workloads, as last told.
    pub keel: Vec<crate::model::approval::Approval>,
    /// The approval `a` or `x` asks to vote on, as it stood when the key was pressed.
    pub keel_asked: Option<crate::model::approval::Approval>,
    /// Events the cockpit produced itself (analysis start, verdicts, notes), waiting to be taken by
    /// the runner, which records them. Replay feeds them back through `update`.
    produced: Vec<Event>,
}

impl App {
    /// A cockpit that watches a release driven elsewhere.
    pub fn new(config: AppConfig) -> Self {
        Self {
            config,
            release: None,
            phase: Phase::Progressing,
            paused: false,
            pods: PodSet::default(),
            history: MetricsHistory::default(),
            analysis: AnalysisState::default(),
            controller: None,
            settings: AnalysisSettings::default(),
            log: EventLog::default(),
            started_at: None,
            now: Millis(0),
            last_data_at: None,
            mode: Mode::Normal,
            focus: Panel::Pods,
            pods_scroll: 0,
            events_scroll: None,
            pod_filter: String::new(),
            latency: crate::model::Quantile::P99,
            pod_rows: Vec::new(),
            status: None,
            footer: footer::FooterState::default(),
            outcome: None,
            should_quit: false,
            metrics_error: None,
            metrics_absent: false,
            exit: None,
            analysis_plan: None,
            gates: None,
            usage: usage::Usage::default(),
            alerts: alerts::AlertState::default(),
            produced: Vec::new(),
            in_flight: None,
            awaiting: None,
            paused_by: None,
            ended_from: None,
            last_note: None,
            judging: judging::Judging::default(),
            keel: Vec::new(),
            keel_asked: None,
        }
    }

    /// A cockpit that runs the analysis and progression itself.
    pub fn driving(config: AppConfig, settings: AnalysisSettings, plan: Plan) -> Self {
        let mut app = Self::new(config);
        app.settings = settings.clone();
        app.controller = Some(Controller::new(settings, plan));
        app
    }

    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let before = self.phase;
        if let Event::ActionResult { action, .. } = &event {
            if self.in_flight.as_ref().is_some_and(|f| f.action == *action) {
                self.in_flight = None;
            }
        }
        let mut effects = self.dispatch(event);
        let at = self.now;
        effects.extend(self.alert_phase_change(at, before));
        if let Some(action) = effects.iter().rev().find_map(|e| match e {
            Effect::Act { action, .. } => Some(*action),
            _ => None,
        }) {
            self.in_flight = Some(InFlight { action, since: at });
        }
        effects
    }

    fn dispatch(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(key) => self.on_key(key),
            Event::Resize { .. } => Vec::new(),
            Event::Tick { at } => {
                self.now = self.now.max(at);
                self.check_controller(at);
                let mut effects = self.alert_outages(at);
                effects.extend(self.advance(at));
                effects
            }
            Event::Heartbeat { at } => {
                self.touch(at);
                self.now = self.now.max(at);
                self.check_controller(at);
                let mut effects = self.source_up(at, "watch");
                effects.extend(self.alert_outages(at));
                effects.extend(self.advance(at));
                effects
            }
            Event::ReleaseObserved { at, release } => {
                // the watch rebuilt the release: what it could not rebuild before is past
                self.source_recovered("cluster");
                self.on_release(at, release);
                let mut effects = self.follow_gates();
                effects.extend(self.advance(at));
                effects
            }
            Event::PodsObserved { at, pods } => {
                self.source_recovered("cluster");
                self.on_pods(at, pods);
                self.advance(at)
            }
            Event::MetricsSampled { sample } => {
                let at = sample.at;
                self.metrics_error = None;
                self.history.push(sample);
                self.touch(at);
                self.refresh_judging(at);
                let mut effects = self.source_up(at, "metrics");
                effects.extend(self.advance(at));
                effects
            }
            Event::ActionResult {
                at,
                action,
                actor,
                error,
            } => {
                let mut effects = self.alert_action(at, action, &actor, error.as_deref());
                self.on_action_result(at, action, actor, error);
                effects.extend(self.advance(at));
                effects
            }
            Event::SourceError {
                at,
                source,
                message,
            } => self.on_source_error(at, source, message),
            Event::AnalysisStarted { at, settings, plan } => {
                self.now = self.now.max(at);
                self.settings = settings;
                self.analysis_plan = Some(plan);
                Vec::new()
            }
            Event::Verdict { verdict, step } => {
                self.now = self.now.max(verdict.at);
                self.apply_verdict(verdict, step)
            }
            Event::GatesServed {
                at,
                namespace,
                name,
                gates,
            } => self.on_gates_served(at, namespace, name, gates),
            Event::GateChanged {
                at,
                namespace,
                name,
                change,
                by,
            } => self.on_gate_changed(at, namespace, name, change, by),
            Event::Note { at, author, text } => {
                self.now = self.now.max(at);
                self.remember_note(at, &author, &text);
                if author == "cockpit" && text.ends_with(NO_PROMETHEUS) {
                    self.metrics_absent = true;
                }
                self.log
                    .push(at, LogKind::Note, format!("note by {author}: {text}"));
                Vec::new()
            }
            Event::RouteResult {
                at,
                change,
                actor,
                error,
            } => {
                self.on_route_result(at, change, actor, error);
                Vec::new()
            }
            Event::ResourcesSampled { sample } => {
                self.on_resources(sample);
                Vec::new()
            }
            Event::AlertRaised { alert } => {
                self.show_alert(&alert);
                Vec::new()
            }
            Event::AlertDelivered { delivery } => {
                self.on_delivery(delivery);
                Vec::new()
            }
            Event::KeelApprovals { at, approvals } => {
                self.on_keel(at, approvals);
                Vec::new()
            }
            voted @ Event::KeelVoted { .. } => self.on_keel_voted(voted),
            Event::Judged { at, report } => {
                self.now = self.now.max(at);
                self.judging.recorded = Some((at, report));
                Vec::new()
            }
            Event::ReleasePicked {
                at,
                namespace,
                target,
                from,
            } => {
                self.now = self.now.max(at);
                let text = format!(
                    "opened {target} (namespace {namespace}) {}",
                    from.describe()
                );
                self.log.push(at, LogKind::Info, text);
                Vec::new()
            }
        }
    }

    /// Takes the events the cockpit produced since the last call, in order: the runner records
    /// them right after the event whose `update` produced them.
    pub fn take_produced(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.produced)
    }

    /// Whether the cockpit's own analysis judges this release (live, or as recorded).
    pub fn runs_analysis(&self) -> bool {
        self.controller.is_some() || self.analysis_plan.is_some()
    }

    /// The plan in force: the controller's, or the one a cluster controller reports.
    pub fn plan(&self) -> Option<&Plan> {
        self.controller
            .as_ref()
            .map(|c| &c.plan)
            .or(self.analysis_plan.as_ref())
            .or_else(|| self.release.as_ref().and_then(|r| r.plan.as_ref()))
    }

    pub fn weight(&self) -> Weight {
        self.release.as_ref().map_or(Weight::ZERO, |r| r.weight)
    }

    /// No Prometheus was named or found: the metrics panels say how to name one instead of
    /// waiting for metrics.
    pub fn no_metrics_source(&self) -> bool {
        self.config.no_metrics_source || self.metrics_absent
    }

    /// Milliseconds since the newest observation, `None` before the first one.
    pub fn data_age_ms(&self) -> Option<i64> {
        self.last_data_at.map(|t| self.now.since(t))
    }

    pub fn is_stale(&self) -> bool {
        self.data_age_ms()
            .is_some_and(|age| age > 3 * self.config.refresh_ms.max(1000))
    }

    pub fn elapsed_ms(&self) -> i64 {
        self.started_at.map_or(0, |s| self.now.since(s))
    }

    pub fn operator(&self) -> Actor {
        Actor::Operator {
            user: self.config.user.clone(),
            kube_user: self.config.kube_user.clone(),
        }
    }

    /// The footer's status line; outside text it quotes passes the text hygiene as one line.
    pub(crate) fn set_status(&mut self, level: Level, text: impl Into<String>) {
        let mut text = text.into();
        if crate::hygiene::has_hazard(&text) {
            text = crate::hygiene::field(&text).into_owned();
        }
        self.status = Some(Status { level, text });
        self.footer.status_set(self.now);
    }

    fn touch(&mut self, at: Millis) {
        self.started_at.get_or_insert(at);
        self.last_data_at = Some(self.last_data_at.map_or(at, |t| t.max(at)));
    }
}

//! A demo run without a terminal: the simulation and the app coupled synchronously, effects applied at
//! once. The headless mode, the tests and the benchmarks drive the demo through this.

use super::{Scenario, Sim, STEP_MS};
use crate::app::{App, AppConfig, Effect, Event, ReleaseOutcome};
use crate::model::Millis;
use crate::record::{Recorder, Tap};

pub struct DemoSession {
    pub app: App,
    pub sim: Sim,
    /// Records what the app sees and produces (see `keep_events` and `record_to`).
    pub tap: Tap,
    /// Serves the simulated traffic to Prometheus, when asked (`--metrics-listen`).
    pub exporter: Option<super::exporter::DemoExporter>,
    /// Where alerts go (`--alert`); without it they stay in the event log.
    pub alerts: Option<crate::alert::notifier::Handle>,
    /// The delivery outcomes that came back while the session ran, for a headless run to tell.
    pub delivered: Vec<crate::model::Delivery>,
}

impl DemoSession {
    pub fn new(scenario: Scenario, seed: u64, start: Millis, config: AppConfig) -> Self {
        let app = App::driving(
            AppConfig {
                refresh_ms: i64::from(scenario.traffic.sample_secs) * 1000,
                ..config
            },
            scenario.analysis_settings(),
            scenario.plan(),
        );
        Self {
            app,
            sim: Sim::new(scenario, seed, start),
            tap: Tap::default(),
            exporter: None,
            alerts: None,
            delivered: Vec::new(),
        }
    }

    /// Exposes the simulated traffic as Prometheus metrics (`--metrics-listen`).
    pub fn export_to(mut self, exporter: super::exporter::DemoExporter) -> Self {
        self.exporter = Some(exporter);
        self
    }

    /// Keeps every recordable event in memory, in recording order: see [`DemoSession::events`].
    pub fn keep_events(mut self) -> Self {
        self.tap = self.tap.keeping();
        self
    }

    /// Records the session into `recorder`.
    pub fn record_to(mut self, recorder: Recorder) -> Self {
        self.tap = self.tap.with_recorder(recorder);
        self
    }

    /// The events kept (see [`DemoSession::keep_events`]): what a recording of this session holds.
    pub fn events(&self) -> &[Event] {
        self.tap.kept()
    }

    pub fn start(&mut self) {
        let events = self.sim.start();
        self.feed(events);
    }

    /// One virtual step of the simulation.
    pub fn step(&mut self) {
        let events = self.sim.step(STEP_MS);
        self.feed(events);
    }

    /// Feeds events to the app, performing the effects it returns on the simulation right away.
    pub fn feed(&mut self, events: Vec<Event>) {
        let mut queue = std::collections::VecDeque::from(events);
        while let Some(ev) = queue.pop_front() {
            if let (Some(x), Event::MetricsSampled { sample }) = (&self.exporter, &ev) {
                x.add(sample);
            }
            for effect in self.tap.feed(&mut self.app, ev) {
                match (&self.alerts, &effect) {
                    (Some(alerts), Effect::Alert { alert }) => alerts.send(alert),
                    _ => queue.extend(self.sim.apply(&effect)),
                }
            }
        }
        // what became of the alerts so far joins the session's events
        let outcomes = self
            .alerts
            .as_ref()
            .map(crate::alert::notifier::Handle::take_outcomes)
            .unwrap_or_default();
        for delivery in outcomes {
            self.delivered.push(delivery.clone());
            let _ = self
                .tap
                .feed(&mut self.app, Event::AlertDelivered { delivery });
        }
    }

    /// Steps until the release has an outcome or `max_ms` of virtual time passed.
    pub fn run_to_outcome(&mut self, max_ms: i64) -> Option<ReleaseOutcome> {
        let until = self.sim.now().plus_ms(max_ms);
        while self.app.outcome.is_none() && self.sim.now() < until {
            self.step();
        }
        self.app.outcome
    }

    /// Steps until virtual time `at` (or an outcome, when `stop_at_outcome`).
    pub fn run_until(&mut self, at: Millis) {
        while self.sim.now() < at {
            self.step();
        }
    }
}

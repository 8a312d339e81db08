//! The embedded demo: a simulated release, its scenarios, the world the one executor acts on in it,
//! and the task that runs it on a virtual clock.

pub mod exporter;
pub mod group_scenario;
pub mod group_session;
pub mod pods;
pub mod rng;
pub mod scenario;
pub mod session;
pub mod sim;
pub mod usage;
pub mod world;

pub use scenario::{Scenario, ScenarioError};
pub use session::DemoSession;
pub use sim::Sim;

use crate::app::{Effect, Event};
use std::time::Duration;
use tokio::sync::mpsc;

/// How fast the virtual clock runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// Virtual seconds per real second.
    Factor(f64),
    /// As fast as the machine goes.
    Max,
}

impl std::str::FromStr for Speed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        let f: f64 = s.trim_end_matches(['x', 'X']).parse().map_err(|_| {
            format!("'{s}' is not a speed: give a factor such as 1, 4, 0.5, or 'max'")
        })?;
        if !(f.is_finite() && (0.01..=10_000.0).contains(&f)) {
            return Err(format!(
                "speed {f} is out of range: 0.01 to 10000, or 'max'"
            ));
        }
        Ok(Speed::Factor(f))
    }
}

impl Speed {
    /// Real time for one virtual second; zero at max speed.
    pub fn real_per_virtual_second(self) -> Duration {
        match self {
            Speed::Factor(f) => Duration::from_secs_f64(1.0 / f),
            Speed::Max => Duration::ZERO,
        }
    }
}

/// Virtual milliseconds per simulation step.
pub const STEP_MS: i64 = 1000;

/// Runs the simulation until the receiver of events is gone: the TUI's demo source.
pub async fn run(
    mut sim: Sim,
    speed: Speed,
    exporter: Option<exporter::DemoExporter>,
    events: mpsc::Sender<Event>,
    mut effects: mpsc::UnboundedReceiver<Effect>,
) {
    let export = |ev: &Event| {
        if let (Some(x), Event::MetricsSampled { sample }) = (&exporter, ev) {
            x.add(sample);
        }
    };
    for ev in sim.start() {
        export(&ev);
        if events.send(ev).await.is_err() {
            return;
        }
    }
    // at max speed a step every millisecond keeps the screen readable while it races
    let period = match speed {
        Speed::Max => Duration::from_millis(1),
        Speed::Factor(_) => speed.real_per_virtual_second(),
    };
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                for ev in sim.step(STEP_MS) {
                    export(&ev);
                    if events.send(ev).await.is_err() {
                        return;
                    }
                }
            }
            effect = effects.recv() => {
                let Some(effect) = effect else { return };
                for ev in sim.apply(&effect) {
                    if events.send(ev).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

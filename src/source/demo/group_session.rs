//! A demo group without a terminal: one simulation per member, the group's cockpit between
//! them, effects applied at once. The headless mode and the tests drive a demo group through
//! this.

use super::group_scenario::GroupScenario;
use super::{Sim, STEP_MS};
use crate::app::group::GroupApp;
use crate::app::{App, AppConfig, Event, ReleaseOutcome};
use crate::group::GroupPlan;
use crate::model::Millis;
use std::collections::VecDeque;

pub struct GroupSession {
    pub group: GroupApp,
    /// One per member, in the group's order.
    pub sims: Vec<Sim>,
}

/// Each member's simulation draws from its own seed, derived from the run's.
pub fn member_seed(seed: u64, member: usize) -> u64 {
    seed.wrapping_add((member as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl GroupSession {
    pub fn new(scenario: &GroupScenario, seed: u64, start: Millis, config: AppConfig) -> Self {
        let names: Vec<(String, bool)> = scenario
            .members
            .iter()
            .map(|m| (m.release.name.clone(), false))
            .collect();
        let plan = GroupPlan::new(&scenario.group, scenario.policy, &names);
        let members = scenario
            .members
            .iter()
            .map(|m| {
                let app = App::driving(
                    AppConfig {
                        refresh_ms: i64::from(m.traffic.sample_secs) * 1000,
                        ..config.clone()
                    },
                    m.analysis_settings(),
                    m.plan(),
                );
                (m.release.name.clone(), app)
            })
            .collect();
        let sims = scenario
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| Sim::new(m.clone(), member_seed(seed, i), start))
            .collect();
        Self {
            group: GroupApp::new(plan, members),
            sims,
        }
    }

    pub fn now(&self) -> Millis {
        self.sims.first().map_or(Millis(0), Sim::now)
    }

    pub fn start(&mut self) {
        for i in 0..self.sims.len() {
            let events = self.sims[i].start();
            self.feed(i, events);
        }
    }

    /// One virtual step of every member's simulation: every clock moves first, so a write
    /// one member's step causes on another lands at the same virtual time.
    pub fn step(&mut self) {
        let stepped: Vec<Vec<Event>> = self.sims.iter_mut().map(|s| s.step(STEP_MS)).collect();
        for (i, events) in stepped.into_iter().enumerate() {
            self.feed(i, events);
        }
    }

    /// Feeds one member's events to the group, performing the writes it asks for on their
    /// members' simulations right away.
    pub fn feed(&mut self, member: usize, events: Vec<Event>) {
        let mut queue: VecDeque<(usize, Event)> = events.into_iter().map(|e| (member, e)).collect();
        while let Some((m, ev)) = queue.pop_front() {
            for (target, effect) in self.group.update(m, ev) {
                if let Some(sim) = self.sims.get_mut(target) {
                    queue.extend(sim.apply(&effect).into_iter().map(|e| (target, e)));
                }
            }
        }
        // nothing records a demo group yet: what the members produced is not kept
        self.group.take_produced();
    }

    /// Performs writes the group asked for outside a feed (an operator's key), feeding their
    /// results back.
    pub fn perform(&mut self, effects: Vec<(usize, crate::app::Effect)>) {
        for (target, effect) in effects {
            if let Some(sim) = self.sims.get_mut(target) {
                let events = sim.apply(&effect);
                self.feed(target, events);
            }
        }
    }

    /// Steps until the group has an outcome or `max_ms` of virtual time passed.
    pub fn run_to_outcome(&mut self, max_ms: i64) -> Option<ReleaseOutcome> {
        let until = self.now().plus_ms(max_ms);
        while self.group.outcome().is_none() && self.now() < until {
            self.step();
        }
        self.group.outcome()
    }
}

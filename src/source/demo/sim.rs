//! The simulated release behind `canary demo`: a traffic split, two versions' pods and their traffic.
//!
//! It plays the cluster and the metrics backend: `step` moves the virtual clock and reports what
//! changed as events; `apply` performs an effect through the one executor (what each action does
//! to the simulation: `world`) and answers with its result. No I/O, no real clock.

use super::pods::{pod_name, PodProfile, SimPod};
use super::rng::Rng;
use super::scenario::{Scenario, VersionSpec};
use super::usage::{self, UsageProfile};
use crate::app::{Effect, Event};
use crate::model::{
    MetricsSample, Millis, PodSet, ReleaseSnapshot, Version, VersionSample, Weight,
};
use crate::perform::Executor;

/// Traffic behaviour of one version.
#[derive(Clone, Copy, Debug, PartialEq)]
struct TrafficProfile {
    error_rate: f64,
    error_4xx_rate: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    latency_noise: f64,
}

#[derive(Clone, Debug)]
struct Side {
    version: Version,
    hash: String,
    pods: Vec<SimPod>,
    traffic: TrafficProfile,
    pod_profile: PodProfile,
    usage: UsageProfile,
}

impl Side {
    fn new(spec: &VersionSpec, rng: &mut Rng) -> Self {
        Self {
            version: Version {
                name: spec.version.clone(),
                image: spec.image.clone(),
            },
            hash: rng.suffix(9),
            pods: Vec::new(),
            traffic: TrafficProfile {
                error_rate: spec.error_rate,
                error_4xx_rate: spec.error_4xx_rate,
                p50_ms: spec.p50_ms.unwrap_or(spec.p99_ms * 0.4),
                p95_ms: spec.p95_ms.unwrap_or(spec.p99_ms * 0.7),
                p99_ms: spec.p99_ms,
                latency_noise: spec.latency_noise.unwrap_or(0.08).clamp(0.0, 2.0),
            },
            pod_profile: PodProfile {
                ready_after_ms: (spec.ready_after_secs * 1000.0) as i64,
                crashloop: spec.crashloop,
            },
            usage: UsageProfile::new(spec),
        }
    }

    fn ready(&self) -> usize {
        self.pods.iter().filter(|p| p.pod.ready).count()
    }

    fn live(&self) -> usize {
        self.pods.iter().filter(|p| !p.is_terminating()).count()
    }
}

pub struct Sim {
    scenario: Scenario,
    rng: Rng,
    now: Millis,
    start: Millis,
    pub(super) weight: Weight,
    /// The canary has been scaled to 0 for good (after a rollback or a promotion).
    pub(super) canary_retired: bool,
    primary: Side,
    canary: Side,
    next_sample_at: Millis,
    last_sample_at: Millis,
    next_usage_at: Millis,
    last_release: Option<ReleaseSnapshot>,
    last_pods: Option<PodSet>,
    /// Testers' routes the operator added (`h`): the demo's release keeps them as the routing
    /// object would.
    pub(super) rules: Vec<crate::model::RouteRule>,
    /// The one executor, acting on this simulation.
    executor: Executor<std::convert::Infallible>,
}

impl Sim {
    pub fn new(scenario: Scenario, seed: u64, start: Millis) -> Self {
        let mut rng = Rng::new(seed);
        let mut primary = Side::new(&scenario.primary, &mut rng);
        let canary = Side::new(&scenario.canary, &mut rng);
        let release = scenario.release.name.clone();
        for i in 0..scenario.primary_replicas() {
            let name = pod_name(&mut rng, &release, &primary.version.name, &primary.hash);
            // the stable pods have been running for a while
            let born = start.plus_ms(-(3 * 86_400_000 + i64::from(i) * 3_600_000));
            primary
                .pods
                .push(SimPod::new(name, born, primary.pod_profile, true));
        }
        let sample_ms = i64::from(scenario.traffic.sample_secs) * 1000;
        Self {
            scenario,
            rng,
            now: start,
            start,
            weight: Weight::ZERO,
            canary_retired: false,
            primary,
            canary,
            next_sample_at: start.plus_ms(sample_ms),
            next_usage_at: start.plus_ms(usage::SAMPLE_MS),
            last_sample_at: start,
            last_release: None,
            last_pods: None,
            rules: Vec::new(),
            executor: Executor::default(),
        }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn now(&self) -> Millis {
        self.now
    }

    /// The first observations, before any time passes.
    pub fn start(&mut self) -> Vec<Event> {
        self.reconcile();
        let mut out = Vec::new();
        self.observe(&mut out);
        out.push(Event::Tick { at: self.now });
        out
    }

    /// Moves the virtual clock on by `dt_ms` and reports what changed.
    pub fn step(&mut self, dt_ms: i64) -> Vec<Event> {
        self.now = self.now.plus_ms(dt_ms.max(0));
        self.reconcile();
        let now = self.now;
        self.primary.pods.retain_mut(|p| p.advance(now));
        self.canary.pods.retain_mut(|p| p.advance(now));
        let mut out = Vec::new();
        self.observe(&mut out);
        if self.now >= self.next_sample_at {
            let sample = self.sample();
            out.push(Event::MetricsSampled { sample });
            self.next_sample_at = self
                .next_sample_at
                .plus_ms(i64::from(self.scenario.traffic.sample_secs) * 1000);
        }
        if self.now >= self.next_usage_at {
            out.push(Event::ResourcesSampled {
                sample: usage::sample(
                    self.now,
                    (&self.primary.usage, &self.primary.pods),
                    (&self.canary.usage, &self.canary.pods),
                ),
            });
            self.next_usage_at = self.next_usage_at.plus_ms(usage::SAMPLE_MS);
        }
        out.push(Event::Tick { at: self.now });
        out
    }

    /// Performs an effect through the one executor; answers with its result and the
    /// observations it changed. Alerts go to the notifier, when there is one.
    pub fn apply(&mut self, effect: &Effect) -> Vec<Event> {
        // the executor acts on the simulation it is kept in
        let mut executor = std::mem::take(&mut self.executor);
        let out = executor.perform(self, effect.clone());
        self.executor = executor;
        out
    }

    pub(super) fn promote(&mut self) {
        // the primary takes the canary's version: new primary pods roll out, the old ones terminate
        let now = self.now;
        self.primary.version = self.canary.version.clone();
        self.primary.traffic = self.canary.traffic;
        self.primary.pod_profile = self.canary.pod_profile;
        self.primary.usage = self.canary.usage;
        self.primary.hash = self.canary.hash.clone();
        for p in &mut self.primary.pods {
            p.terminate(now);
        }
        let release = self.scenario.release.name.clone();
        for _ in 0..self.scenario.primary_replicas() {
            let name = pod_name(
                &mut self.rng,
                &release,
                &self.primary.version.name,
                &self.primary.hash,
            );
            self.primary
                .pods
                .push(SimPod::new(name, now, self.primary.pod_profile, false));
        }
        self.weight = Weight::ZERO;
        self.canary_retired = true;
    }

    fn canary_desired(&self) -> u32 {
        if self.canary_retired {
            return 0;
        }
        let full = f64::from(self.scenario.canary_full_replicas());
        ((full * f64::from(self.weight.percent()) / 100.0).ceil() as u32).max(1)
    }

    /// Scales the canary towards its desired replicas (replicas ∝ weight).
    pub(super) fn reconcile(&mut self) {
        let desired = self.canary_desired() as usize;
        let now = self.now;
        while self.canary.live() < desired {
            let name = pod_name(
                &mut self.rng,
                &self.scenario.release.name,
                &self.canary.version.name,
                &self.canary.hash,
            );
            let profile = self.canary.pod_profile;
            self.canary
                .pods
                .push(SimPod::new(name, now, profile, false));
        }
        let mut excess = self.canary.live().saturating_sub(desired);
        for p in self.canary.pods.iter_mut().rev() {
            if excess == 0 {
                break;
            }
            if !p.is_terminating() {
                p.terminate(now);
                excess -= 1;
            }
        }
    }

    fn snapshot(&self) -> ReleaseSnapshot {
        ReleaseSnapshot {
            name: self.scenario.release.name.clone(),
            namespace: self.scenario.release.namespace.clone(),
            source: format!("demo:{}", self.scenario.name),
            primary: self.primary.version.clone(),
            canary: self.canary.version.clone(),
            weight: self.weight,
            canary_replicas: self.canary_desired(),
            phase: None,
            plan: None,
            paused: None,
            controller: None,
            rules: self.rules.clone(),
            refusals: Vec::new(),
        }
    }

    pub(super) fn observe(&mut self, out: &mut Vec<Event>) {
        let release = self.snapshot();
        if self.last_release.as_ref() != Some(&release) {
            self.last_release = Some(release.clone());
            out.push(Event::ReleaseObserved {
                at: self.now,
                release,
            });
        }
        let pods = PodSet {
            primary: usage::specced(&self.primary.usage, &self.primary.pods),
            canary: usage::specced(&self.canary.usage, &self.canary.pods),
        };
        if self.last_pods.as_ref() != Some(&pods) {
            self.last_pods = Some(pods.clone());
            out.push(Event::PodsObserved { at: self.now, pods });
        }
    }

    fn sample(&mut self) -> MetricsSample {
        let t = &self.scenario.traffic;
        let period_ms = self.now.since(self.last_sample_at).max(1);
        self.last_sample_at = self.now;
        let secs = self.now.since(self.start) as f64 / 1000.0;
        let wave = 1.0 + t.wave * (2.0 * std::f64::consts::PI * secs / t.wave_period_secs).sin();
        let total = (t.base_rps * wave * (1.0 + t.noise * self.rng.normal())).max(0.0);
        let canary_share = if self.canary.ready() > 0 && !self.canary_retired {
            f64::from(self.weight.percent()) / 100.0
        } else {
            0.0
        };
        let period_s = period_ms as f64 / 1000.0;
        let primary_profile = self.primary.traffic;
        let canary_profile = self.canary.traffic;
        let primary = self.version_sample(total * (1.0 - canary_share), period_s, primary_profile);
        let canary = self.version_sample(total * canary_share, period_s, canary_profile);
        MetricsSample {
            at: self.now,
            period_ms,
            primary,
            canary,
        }
    }

    fn version_sample(
        &mut self,
        rps: f64,
        period_s: f64,
        profile: TrafficProfile,
    ) -> VersionSample {
        let requests = (rps * period_s).round();
        if requests <= 0.0 {
            return VersionSample::default();
        }
        let rate = (profile.error_rate * (1.0 + 0.2 * self.rng.normal())).clamp(0.0, 1.0);
        // stochastic rounding keeps small error rates visible over many samples
        let errors = (requests * rate + self.rng.unit()).floor().min(requests);
        let jitter = (profile.latency_noise * self.rng.normal()).exp();
        // 4xx and the lower percentiles follow the draws above, so a scenario's 5xx and p99
        // stay what they were before they were measured
        let errors_4xx = (requests * profile.error_4xx_rate)
            .round()
            .min(requests - errors);
        VersionSample {
            rps: requests / period_s,
            requests,
            errors,
            p99_ms: Some(profile.p99_ms * jitter),
            errors_4xx: Some(errors_4xx),
            p50_ms: Some(profile.p50_ms * jitter),
            p95_ms: Some(profile.p95_ms * jitter),
        }
    }
}

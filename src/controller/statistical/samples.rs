//! What the statistical judge reads, per version over its window: the request and error counts,
//! the latency percentiles of each sample period, and each resource sample's CPU and memory per
//! pod.

use crate::model::{MetricsHistory, Millis, Quantile, ResourceHistory, ResourceSample, Side};

/// One version's samples over the window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VersionSamples {
    pub requests: f64,
    pub errors: f64,
    /// Per sample period, where the version had traffic and the percentile was measured.
    pub p50: Vec<f64>,
    pub p95: Vec<f64>,
    pub p99: Vec<f64>,
    /// Per resource sample with pods of the version: millicores and bytes per pod.
    pub cpu: Vec<f64>,
    pub memory: Vec<f64>,
}

impl VersionSamples {
    pub fn latency(&self, q: Quantile) -> &[f64] {
        match q {
            Quantile::P50 => &self.p50,
            Quantile::P95 => &self.p95,
            Quantile::P99 => &self.p99,
        }
    }
}

/// Both versions' samples taken in `(now − window_ms, now]`.
pub fn collect(
    history: &MetricsHistory,
    resources: &ResourceHistory,
    now: Millis,
    window_ms: i64,
) -> [VersionSamples; 2] {
    let from = now.0 - window_ms;
    let in_window = |at: Millis| at.0 > from && at <= now;
    [Side::Canary, Side::Primary].map(|side| {
        let mut v = VersionSamples::default();
        for s in history.iter().filter(|s| in_window(s.at)) {
            let x = s.side(side);
            if x.requests.is_finite() && x.errors.is_finite() && x.requests > 0.0 {
                v.requests += x.requests;
                v.errors += x.errors.clamp(0.0, x.requests);
            }
            if !x.has_traffic() {
                continue;
            }
            for q in Quantile::ALL {
                if let Some(ms) = x.latency_ms(q).filter(|m| m.is_finite()) {
                    match q {
                        Quantile::P50 => v.p50.push(ms),
                        Quantile::P95 => v.p95.push(ms),
                        Quantile::P99 => v.p99.push(ms),
                    }
                }
            }
        }
        for s in resources.iter().filter(|s| in_window(s.at)) {
            let pods = s.side(side);
            if pods.is_empty() {
                continue;
            }
            let (cpu, mem) = ResourceSample::totals(pods);
            let n = pods.len() as f64;
            v.cpu.push(cpu as f64 / n);
            v.memory.push(mem as f64 / n);
        }
        v
    })
}

//! Request rate, error rate and latency per version, and the bounded history the sparklines draw.

use super::release::Side;
use super::time::Millis;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Traffic of one version over one sample period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VersionSample {
    /// Requests per second.
    pub rps: f64,
    /// Requests counted in the period.
    pub requests: f64,
    /// 5xx responses counted in the period.
    pub errors: f64,
    /// p99 latency in milliseconds; `None` when there was no traffic to measure.
    pub p99_ms: Option<f64>,
}

impl VersionSample {
    pub fn has_traffic(&self) -> bool {
        self.requests > 0.0
    }

    /// Share of 5xx responses (0–1); `None` means "no traffic", never "0 % errors".
    pub fn error_rate(&self) -> Option<f64> {
        (self.requests > 0.0).then(|| (self.errors / self.requests).clamp(0.0, 1.0))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsSample {
    pub at: Millis,
    /// Length of the period the counts cover, in milliseconds.
    pub period_ms: i64,
    pub primary: VersionSample,
    pub canary: VersionSample,
}

impl MetricsSample {
    pub fn side(&self, side: Side) -> &VersionSample {
        match side {
            Side::Primary => &self.primary,
            Side::Canary => &self.canary,
        }
    }
}

/// Aggregate of one version over a window, as the analysis judges it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WindowStats {
    pub requests: f64,
    pub errors: f64,
    /// Request-weighted mean of the samples' p99.
    pub p99_ms: Option<f64>,
}

impl WindowStats {
    pub fn success_rate(&self) -> Option<f64> {
        (self.requests > 0.0).then(|| 1.0 - (self.errors / self.requests).clamp(0.0, 1.0))
    }
}

/// The newest samples, oldest first, bounded so a long session keeps constant memory.
#[derive(Clone, Debug)]
pub struct MetricsHistory {
    samples: VecDeque<MetricsSample>,
    capacity: usize,
}

impl Default for MetricsHistory {
    fn default() -> Self {
        Self::with_capacity(720)
    }
}

impl MetricsHistory {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            samples: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, sample: MetricsSample) {
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    pub fn latest(&self) -> Option<&MetricsSample> {
        self.samples.back()
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &MetricsSample> + ExactSizeIterator {
        self.samples.iter()
    }

    /// The newest `n` samples, oldest first.
    pub fn tail(&self, n: usize) -> impl Iterator<Item = &MetricsSample> {
        self.samples
            .iter()
            .skip(self.samples.len().saturating_sub(n))
    }

    /// Aggregate of `side` over samples taken in `(now - window_ms, now]`.
    pub fn window(&self, side: Side, now: Millis, window_ms: i64) -> WindowStats {
        let from = now.0 - window_ms;
        let mut stats = WindowStats::default();
        let mut weighted_p99 = 0.0;
        for s in self.samples.iter().rev().take_while(|s| s.at.0 > from) {
            if s.at > now {
                continue;
            }
            let v = s.side(side);
            stats.requests += v.requests;
            stats.errors += v.errors;
            if let Some(p) = v.p99_ms.filter(|p| p.is_finite()) {
                weighted_p99 += p * v.requests;
            }
        }
        if stats.requests > 0.0 {
            stats.p99_ms = Some(weighted_p99 / stats.requests);
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: i64, requests: f64, errors: f64, p99: f64) -> MetricsSample {
        MetricsSample {
            at: Millis(at),
            period_ms: 1000,
            primary: VersionSample::default(),
            canary: VersionSample {
                rps: requests,
                requests,
                errors,
                p99_ms: Some(p99),
            },
        }
    }

    #[test]
    fn window_aggregates_only_recent_samples() {
        let mut h = MetricsHistory::with_capacity(3);
        h.push(sample(1000, 100.0, 50.0, 999.0));
        h.push(sample(2000, 10.0, 1.0, 100.0));
        h.push(sample(3000, 30.0, 0.0, 200.0));
        let w = h.window(Side::Canary, Millis(3000), 2000);
        assert_eq!(w.requests, 40.0);
        assert_eq!(w.errors, 1.0);
        assert_eq!(w.p99_ms, Some(175.0));
        h.push(sample(4000, 1.0, 0.0, 1.0));
        assert_eq!(h.len(), 3, "history is bounded");
    }

    #[test]
    fn no_traffic_is_not_zero_errors() {
        let v = VersionSample::default();
        assert_eq!(v.error_rate(), None);
        assert_eq!(WindowStats::default().success_rate(), None);
    }
}

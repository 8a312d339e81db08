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
    /// 4xx responses counted in the period; `None` when the source does not tell them (a
    /// configured template without a 4xx query, recordings older than format 1.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors_4xx: Option<f64>,
    /// p50 latency in milliseconds; `None` when unmeasured or unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    /// p95 latency in milliseconds; `None` when unmeasured or unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
}

impl VersionSample {
    pub fn has_traffic(&self) -> bool {
        self.requests > 0.0
    }

    /// Share of 5xx responses (0–1); `None` means "no traffic", never "0 % errors".
    pub fn error_rate(&self) -> Option<f64> {
        (self.requests > 0.0).then(|| (self.errors / self.requests).clamp(0.0, 1.0))
    }

    /// Share of 4xx responses (0–1); `None` without traffic or when 4xx are not measured.
    pub fn error_4xx_rate(&self) -> Option<f64> {
        let n = self.errors_4xx?;
        (self.requests > 0.0).then(|| (n / self.requests).clamp(0.0, 1.0))
    }

    /// The latency at `q`, in milliseconds, when measured.
    pub fn latency_ms(&self, q: Quantile) -> Option<f64> {
        match q {
            Quantile::P50 => self.p50_ms,
            Quantile::P95 => self.p95_ms,
            Quantile::P99 => self.p99_ms,
        }
    }
}

/// A latency percentile the cockpit measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quantile {
    P50,
    P95,
    #[default]
    P99,
}

impl Quantile {
    pub const ALL: [Quantile; 3] = [Quantile::P50, Quantile::P95, Quantile::P99];

    /// The quantile as PromQL's `histogram_quantile` takes it.
    pub fn value(self) -> &'static str {
        match self {
            Quantile::P50 => "0.5",
            Quantile::P95 => "0.95",
            Quantile::P99 => "0.99",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Quantile::P50 => "p50",
            Quantile::P95 => "p95",
            Quantile::P99 => "p99",
        }
    }

    /// p50 → p95 → p99 → p50.
    pub fn next(self) -> Quantile {
        match self {
            Quantile::P50 => Quantile::P95,
            Quantile::P95 => Quantile::P99,
            Quantile::P99 => Quantile::P50,
        }
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
    /// 4xx responses of the samples that measured them.
    pub errors_4xx: f64,
    /// Requests of the samples that measured 4xx (the denominator of the 4xx share).
    pub requests_4xx: f64,
    /// Request-weighted mean of the samples' p99.
    pub p99_ms: Option<f64>,
}

impl WindowStats {
    pub fn success_rate(&self) -> Option<f64> {
        (self.requests > 0.0).then(|| 1.0 - (self.errors / self.requests).clamp(0.0, 1.0))
    }

    /// Share of 4xx responses; `None` when no sample in the window measured them.
    pub fn error_4xx_rate(&self) -> Option<f64> {
        (self.requests_4xx > 0.0).then(|| (self.errors_4xx / self.requests_4xx).clamp(0.0, 1.0))
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
            if let Some(n) = v.errors_4xx {
                stats.errors_4xx += n;
                stats.requests_4xx += v.requests;
            }
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
                errors_4xx: Some(errors * 2.0),
                ..VersionSample::default()
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
        assert_eq!(w.error_4xx_rate(), Some(0.05));
        h.push(sample(4000, 1.0, 0.0, 1.0));
        assert_eq!(h.len(), 3, "history is bounded");
    }

    #[test]
    fn no_traffic_is_not_zero_errors() {
        let v = VersionSample::default();
        assert_eq!(v.error_rate(), None);
        assert_eq!(WindowStats::default().success_rate(), None);
        assert_eq!(WindowStats::default().error_4xx_rate(), None);
        let unmeasured = VersionSample {
            requests: 10.0,
            ..VersionSample::default()
        };
        assert_eq!(
            unmeasured.error_4xx_rate(),
            None,
            "4xx not measured is not 0 %"
        );
        assert_eq!(Quantile::P99.next(), Quantile::P50);
    }
}

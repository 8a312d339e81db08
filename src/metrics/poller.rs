//! The poller: on start, the last 15 minutes from `query_range` so the sparklines are never
//! empty; then one instant query per series every interval. Each query answers for both
//! versions, so a refresh asks at most six: request rate, 5xx rate, 4xx rate, p50, p95, p99
//! (four when the template has no 4xx query and no `{quantile}`). Failures back off (doubling,
//! at most a minute) and are said once per outage; pods and actions never wait for metrics.

use crate::app::Event;
use crate::model::{MetricsSample, Millis, Side, VersionSample};
use std::time::Duration;
use tokio::sync::mpsc;

use super::prom::{Endpoint, Series};
use super::{MetricsError, Queries};

/// How far back the sparklines are filled on start.
pub const BACKFILL: Duration = Duration::from_secs(15 * 60);
/// The longest wait between attempts while Prometheus fails.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The queries of a refresh, in this order; the optional ones may be absent.
const REQUESTS: usize = 0;
const ERRORS: usize = 1;
const ERRORS_4XX: usize = 2;
const P50: usize = 3;
const P95: usize = 4;
const P99: usize = 5;
const SLOTS: usize = 6;

/// Per query, its values per version (`None`: the template has no such query).
type Answers = [Option<Vec<(Side, f64)>>; SLOTS];

#[derive(Clone)]
pub struct Poller {
    pub endpoint: Endpoint,
    pub queries: Queries,
    /// The group label's value for the primary's series.
    pub primary: String,
    /// The canary's value; `*`: any other non-empty value.
    pub canary: String,
    pub interval: Duration,
}

/// One version's numbers from the answers.
#[derive(Default)]
struct Rates {
    rps: f64,
    errors: f64,
    errors_4xx: Option<f64>,
    latency: [Option<f64>; 3],
}

impl Poller {
    fn side(&self, s: &Series) -> Option<Side> {
        let v = s
            .labels
            .get(&self.queries.by)
            .map(String::as_str)
            .unwrap_or("");
        if v == self.primary {
            Some(Side::Primary)
        } else if (self.canary == "*" && !v.is_empty()) || v == self.canary {
            Some(Side::Canary)
        } else {
            None
        }
    }

    /// The queries of a refresh by slot.
    fn slots(&self) -> [Option<&str>; SLOTS] {
        let q = &self.queries;
        [
            Some(q.requests.as_str()),
            Some(q.errors.as_str()),
            q.errors_4xx.as_deref(),
            q.p50_ms.as_deref(),
            q.p95_ms.as_deref(),
            Some(q.p99_ms.as_str()),
        ]
    }

    fn sample(&self, at: Millis, answers: &Answers) -> MetricsSample {
        let period_s = self.interval.as_secs_f64();
        let mut sides = [Rates::default(), Rates::default()];
        let idx = |s: Side| usize::from(s == Side::Canary);
        let values = |slot: usize| {
            answers[slot]
                .iter()
                .flatten()
                .filter(|(_, v)| v.is_finite())
        };
        for (side, v) in values(REQUESTS) {
            sides[idx(*side)].rps += v;
        }
        for (side, v) in values(ERRORS) {
            sides[idx(*side)].errors += v;
        }
        if answers[ERRORS_4XX].is_some() {
            // a 4xx query without a series for a version: that version had no 4xx
            for r in &mut sides {
                r.errors_4xx = Some(0.0);
            }
            for (side, v) in values(ERRORS_4XX) {
                let r = &mut sides[idx(*side)];
                r.errors_4xx = Some(r.errors_4xx.unwrap_or(0.0) + v);
            }
        }
        for (i, slot) in [P50, P95, P99].into_iter().enumerate() {
            // NaN: no requests in the window to take a quantile of
            for (side, v) in values(slot) {
                sides[idx(*side)].latency[i] = Some(*v);
            }
        }
        let version = |r: &Rates| {
            let requests = r.rps * period_s;
            let errors = (r.errors * period_s).min(requests);
            let measured = |v: Option<f64>| v.filter(|_| requests > 0.0);
            VersionSample {
                rps: r.rps,
                requests,
                errors,
                p99_ms: measured(r.latency[2]),
                errors_4xx: r
                    .errors_4xx
                    .map(|e| (e * period_s).min(requests - errors).max(0.0)),
                p50_ms: measured(r.latency[0]),
                p95_ms: measured(r.latency[1]),
            }
        };
        MetricsSample {
            at,
            period_ms: self.interval.as_millis() as i64,
            primary: version(&sides[0]),
            canary: version(&sides[1]),
        }
    }

    fn by_side(
        &self,
        series: &[Series],
        pick: impl Fn(&Series) -> Option<f64>,
    ) -> Vec<(Side, f64)> {
        series
            .iter()
            .filter_map(|s| Some((self.side(s)?, pick(s)?)))
            .collect()
    }

    /// The numbers of both versions at `at`: one request per query of the template.
    pub async fn now(&self, at: Millis) -> Result<MetricsSample, MetricsError> {
        let t = at.0 as f64 / 1000.0;
        let last = |s: &Series| s.points.last().map(|p| p.1);
        let mut answers: Answers = Default::default();
        for (slot, query) in self.slots().into_iter().enumerate() {
            if let Some(query) = query {
                let series = self.endpoint.instant(query, t).await?;
                answers[slot] = Some(self.by_side(&series, last));
            }
        }
        Ok(self.sample(at, &answers))
    }

    /// Samples for the last `span`, one per interval, oldest first: one request per query.
    pub async fn backfill(
        &self,
        now: Millis,
        span: Duration,
    ) -> Result<Vec<MetricsSample>, MetricsError> {
        let end = now.0 as f64 / 1000.0;
        let step = self.interval.as_secs_f64().max(1.0);
        let range = (end - span.as_secs_f64(), end, step);
        let mut ranges: [Option<Vec<Series>>; SLOTS] = Default::default();
        for (slot, query) in self.slots().into_iter().enumerate() {
            if let Some(query) = query {
                ranges[slot] = Some(self.endpoint.range(query, range).await?);
            }
        }
        let mut times: Vec<i64> = ranges
            .iter()
            .flatten()
            .flatten()
            .flat_map(|s| s.points.iter().map(|p| (p.0 * 1000.0).round() as i64))
            .collect();
        times.sort_unstable();
        times.dedup();
        Ok(times
            .into_iter()
            .map(|t| {
                let at = |s: &Series| {
                    s.points
                        .iter()
                        .find(|p| (p.0 * 1000.0).round() as i64 == t)
                        .map(|p| p.1)
                };
                let answers: Answers = std::array::from_fn(|slot| {
                    ranges[slot].as_ref().map(|series| self.by_side(series, at))
                });
                self.sample(Millis(t), &answers)
            })
            .collect())
    }

    /// Runs until the cockpit closes: backfill, then a sample every interval.
    pub async fn run(self, tx: mpsc::Sender<Event>) {
        let clock = crate::model::wall_clock;
        let mut failing = false;
        let mut wait = self.interval;
        let mut filled = false;
        loop {
            let at = clock();
            let outcome = if filled {
                self.now(at).await.map(|s| vec![s])
            } else {
                self.backfill(at, BACKFILL).await
            };
            match outcome {
                Ok(samples) => {
                    filled = true;
                    if failing {
                        failing = false;
                        let note = Event::Note {
                            at: clock(),
                            author: "cockpit".to_string(),
                            text: format!("metrics back from {}", self.endpoint.describe()),
                        };
                        if tx.send(note).await.is_err() {
                            return;
                        }
                    }
                    wait = self.interval;
                    for sample in samples {
                        if tx.send(Event::MetricsSampled { sample }).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(%e, "metrics");
                    if !failing {
                        failing = true;
                        let ev = Event::SourceError {
                            at: clock(),
                            source: "metrics".to_string(),
                            message: e.to_string(),
                        };
                        if tx.send(ev).await.is_err() {
                            return;
                        }
                    }
                    wait = (wait * 2).min(MAX_BACKOFF);
                }
            }
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::templates::{Context, NGINX};

    fn poller() -> Poller {
        let queries = NGINX
            .render(&Context {
                namespace: "prod".into(),
                primary: String::new(),
                canary: "*".into(),
                window: "1m".into(),
                extra: [("ingresses".to_string(), "a|b".to_string())].into(),
            })
            .unwrap();
        Poller {
            endpoint: Endpoint::direct("http://127.0.0.1:1", Default::default()).unwrap(),
            queries,
            primary: String::new(),
            canary: "*".into(),
            interval: Duration::from_secs(5),
        }
    }

    #[test]
    fn answers_become_a_sample_per_version() {
        let p = poller();
        let s = p.sample(
            Millis(1000),
            &[
                Some(vec![(Side::Primary, 90.0), (Side::Canary, 10.0)]),
                Some(vec![(Side::Canary, 1.5)]),
                Some(vec![(Side::Primary, 4.5)]),
                Some(vec![(Side::Primary, 40.0)]),
                None,
                Some(vec![(Side::Primary, 120.0), (Side::Canary, f64::NAN)]),
            ],
        );
        assert_eq!(s.primary.rps, 90.0);
        assert_eq!(s.primary.requests, 450.0);
        assert_eq!(s.primary.error_rate(), Some(0.0));
        assert_eq!(s.canary.error_rate(), Some(0.15));
        assert_eq!(s.canary.p99_ms, None, "NaN is no measurement");
        assert_eq!(s.primary.p99_ms, Some(120.0));
        assert_eq!(s.primary.error_4xx_rate(), Some(0.05));
        assert_eq!(
            s.canary.error_4xx_rate(),
            Some(0.0),
            "no 4xx series: no 4xx"
        );
        assert_eq!((s.primary.p50_ms, s.primary.p95_ms), (Some(40.0), None));
        // no series at all: no traffic, not 0 % errors
        let quiet = p.sample(Millis(1000), &Default::default());
        assert_eq!(quiet.canary.error_rate(), None);
        assert_eq!(quiet.canary.error_4xx_rate(), None, "no 4xx query: unknown");
    }

    #[test]
    fn series_are_told_apart_by_the_group_label() {
        let p = poller();
        let series = |v: &str| Series {
            labels: [("canary".to_string(), v.to_string())].into(),
            points: vec![(1.0, 1.0)],
        };
        assert_eq!(p.side(&series("")), Some(Side::Primary));
        assert_eq!(p.side(&series("prod-shop-canary-80")), Some(Side::Canary));
        let istio = Poller {
            primary: "v1".into(),
            canary: "v2".into(),
            ..poller()
        };
        assert_eq!(istio.side(&series("v3")), None);
    }
}

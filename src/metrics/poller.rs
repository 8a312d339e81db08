//! The poller: on start, the last 15 minutes from `query_range` so the sparklines are never
//! empty; then one instant query per series (request rate, 5xx rate, p99: each answers for both
//! versions) every interval. Failures back off (doubling, at most a minute) and are said once
//! per outage; pods and actions never wait for metrics.

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

/// One version's numbers from the three answers.
#[derive(Default)]
struct Rates {
    rps: f64,
    errors: f64,
    p99: Option<f64>,
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

    fn sample(&self, at: Millis, answers: [&[(Side, f64)]; 3]) -> MetricsSample {
        let period_s = self.interval.as_secs_f64();
        let mut sides = [Rates::default(), Rates::default()];
        let idx = |s: Side| usize::from(s == Side::Canary);
        for (side, v) in answers[0] {
            if v.is_finite() {
                sides[idx(*side)].rps += v;
            }
        }
        for (side, v) in answers[1] {
            if v.is_finite() {
                sides[idx(*side)].errors += v;
            }
        }
        for (side, v) in answers[2] {
            // NaN: no requests in the window to take a quantile of
            if v.is_finite() {
                sides[idx(*side)].p99 = Some(*v);
            }
        }
        let version = |r: &Rates| {
            let requests = r.rps * period_s;
            VersionSample {
                rps: r.rps,
                requests,
                errors: (r.errors * period_s).min(requests),
                p99_ms: r.p99.filter(|_| requests > 0.0),
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

    /// The numbers of both versions at `at`: three requests.
    pub async fn now(&self, at: Millis) -> Result<MetricsSample, MetricsError> {
        let t = at.0 as f64 / 1000.0;
        let q = &self.queries;
        let last = |s: &Series| s.points.last().map(|p| p.1);
        let requests = self.endpoint.instant(&q.requests, t).await?;
        let errors = self.endpoint.instant(&q.errors, t).await?;
        let p99 = self.endpoint.instant(&q.p99_ms, t).await?;
        Ok(self.sample(
            at,
            [
                &self.by_side(&requests, last),
                &self.by_side(&errors, last),
                &self.by_side(&p99, last),
            ],
        ))
    }

    /// Samples for the last `span`, one per interval, oldest first: three requests.
    pub async fn backfill(
        &self,
        now: Millis,
        span: Duration,
    ) -> Result<Vec<MetricsSample>, MetricsError> {
        let end = now.0 as f64 / 1000.0;
        let step = self.interval.as_secs_f64().max(1.0);
        let range = (end - span.as_secs_f64(), end, step);
        let q = &self.queries;
        let answers = [
            self.endpoint.range(&q.requests, range).await?,
            self.endpoint.range(&q.errors, range).await?,
            self.endpoint.range(&q.p99_ms, range).await?,
        ];
        let mut times: Vec<i64> = answers
            .iter()
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
                self.sample(
                    Millis(t),
                    [
                        &self.by_side(&answers[0], at),
                        &self.by_side(&answers[1], at),
                        &self.by_side(&answers[2], at),
                    ],
                )
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
            [
                &[(Side::Primary, 90.0), (Side::Canary, 10.0)],
                &[(Side::Canary, 1.5)],
                &[(Side::Primary, 120.0), (Side::Canary, f64::NAN)],
            ],
        );
        assert_eq!(s.primary.rps, 90.0);
        assert_eq!(s.primary.requests, 450.0);
        assert_eq!(s.primary.error_rate(), Some(0.0));
        assert_eq!(s.canary.error_rate(), Some(0.15));
        assert_eq!(s.canary.p99_ms, None, "NaN is no measurement");
        assert_eq!(s.primary.p99_ms, Some(120.0));
        // no series at all: no traffic, not 0 % errors
        let quiet = p.sample(Millis(1000), [&[], &[], &[]]);
        assert_eq!(quiet.canary.error_rate(), None);
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

//! The series drawn: the canary's weight, and the error rate and p99 of both versions, thinned
//! out to at most [`MAX_POINTS`] points each.

use super::MAX_POINTS;
use crate::app::Event;
use crate::model::{MetricsSample, Millis};
use crate::record::Recording;
use crate::replay::summary;

/// One point of a series; `v: None` breaks the line (no traffic, or no samples for a while).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Pt {
    pub(super) t: i64,
    pub(super) v: Option<f64>,
}

/// The series drawn, in milliseconds since the start.
#[derive(Default)]
pub(super) struct Series {
    /// Canary weight in percent, one point per change.
    pub(super) weight: Vec<Pt>,
    /// Error rate in percent: primary, canary.
    pub(super) errors: [Vec<Pt>; 2],
    /// p99 in milliseconds: primary, canary.
    pub(super) p99: [Vec<Pt>; 2],
    /// The statistical judge's score, 0–100, one point per recorded report.
    pub(super) score: Vec<Pt>,
    /// Time of the previous metrics sample, to break lines over holes in the data.
    last_sample: Option<i64>,
}

impl Series {
    pub(super) fn collect(rec: &Recording) -> Self {
        let start = rec.header.started_at;
        let mut s = Series::default();
        let mut last_weight = None;
        for (t, event) in &rec.events {
            let t_ms = offset(*t, start);
            match event {
                Event::ReleaseObserved { release, .. } => {
                    let w = f64::from(release.weight.percent());
                    if last_weight != Some(w) {
                        s.weight.push(Pt {
                            t: t_ms,
                            v: Some(w),
                        });
                        last_weight = Some(w);
                    }
                }
                Event::MetricsSampled { sample } => s.push_sample(t_ms, sample),
                _ => {}
            }
        }
        s.weight = downsample(&s.weight, MAX_POINTS / 2 - 1);
        for list in s.errors.iter_mut().chain(s.p99.iter_mut()) {
            *list = downsample(list, MAX_POINTS);
        }
        s
    }

    /// The judge's score over time, from the post-mortem's reports.
    pub(super) fn with_scores(mut self, summary: &summary::Summary) -> Self {
        let points: Vec<Pt> = summary
            .judge
            .iter()
            .flat_map(|j| &j.scores)
            .map(|p| Pt {
                t: p.t_ms,
                v: p.score,
            })
            .collect();
        self.score = downsample(&points, MAX_POINTS);
        self
    }

    fn push_sample(&mut self, t_ms: i64, sample: &MetricsSample) {
        let hole = 3 * sample.period_ms.max(1000);
        if self.last_sample.is_some_and(|last| t_ms - last > hole) {
            for list in self.errors.iter_mut().chain(self.p99.iter_mut()) {
                list.push(Pt { t: t_ms, v: None });
            }
        }
        self.last_sample = Some(t_ms);
        for (i, v) in [&sample.primary, &sample.canary].into_iter().enumerate() {
            let rate = summary::error_rate(v).map(|r| r * 100.0);
            self.errors[i].push(Pt { t: t_ms, v: rate });
            self.p99[i].push(Pt {
                t: t_ms,
                v: summary::p99(v),
            });
        }
    }
}

fn offset(t: Millis, start: Millis) -> i64 {
    t.0.saturating_sub(start.0)
}

/// At most `max` points: the series as it is when it fits, else per time bucket its lowest and
/// highest value (in time order) and a break when the bucket held one.
pub(super) fn downsample(points: &[Pt], max: usize) -> Vec<Pt> {
    if points.len() <= max {
        return points.to_vec();
    }
    if max < 3 {
        return points[..max].to_vec();
    }
    let buckets = (max / 3).max(1) as i64;
    let (first, last) = match (points.first(), points.last()) {
        (Some(f), Some(l)) => (f.t, l.t.max(f.t)),
        _ => return Vec::new(),
    };
    let span = (last - first).max(1) + 1;
    let mut out = Vec::with_capacity(max);
    let mut bucket = Bucket::default();
    for p in points {
        let index = ((i128::from(p.t - first) * i128::from(buckets)) / i128::from(span)) as i64;
        if bucket.index != Some(index) {
            bucket.flush(&mut out);
            bucket = Bucket {
                index: Some(index),
                ..Bucket::default()
            };
        }
        bucket.add(*p);
    }
    bucket.flush(&mut out);
    out
}

#[derive(Default)]
struct Bucket {
    index: Option<i64>,
    low: Option<(i64, f64)>,
    high: Option<(i64, f64)>,
    gap: Option<i64>,
}

impl Bucket {
    fn add(&mut self, p: Pt) {
        let Some(v) = p.v else {
            self.gap.get_or_insert(p.t);
            return;
        };
        if self.low.is_none_or(|(_, low)| v < low) {
            self.low = Some((p.t, v));
        }
        if self.high.is_none_or(|(_, high)| v > high) {
            self.high = Some((p.t, v));
        }
    }

    fn flush(&self, out: &mut Vec<Pt>) {
        let mut kept: Vec<Pt> = Vec::with_capacity(3);
        for (t, v) in [self.low, self.high].into_iter().flatten() {
            if !kept.iter().any(|k| k.t == t) {
                kept.push(Pt { t, v: Some(v) });
            }
        }
        if let Some(t) = self.gap {
            kept.push(Pt { t, v: None });
        }
        kept.sort_by_key(|p| p.t);
        out.extend(kept);
    }
}

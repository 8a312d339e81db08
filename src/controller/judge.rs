//! One analysis check of the canary: readiness, request count, success rate and p99; the 4xx
//! share and the canary's memory growth only when a maximum is set.

use crate::model::{
    Age, AnalysisSettings, MetricsHistory, Millis, Outcome, PodSet, ResourceHistory, Side,
};

/// Result of one check before the failed-check count is applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub outcome: Outcome,
    pub reason: String,
}

impl Check {
    fn new(outcome: Outcome, reason: impl Into<String>) -> Self {
        Self {
            outcome,
            reason: reason.into(),
        }
    }
}

/// Whether the canary's pods can serve: at least one ready pod while the canary should run.
pub fn readiness(pods: &PodSet) -> Result<(), String> {
    let canary = pods.side(Side::Canary);
    let ready = pods.ready_count(Side::Canary);
    if canary.is_empty() {
        return Err("canary has no pods".to_string());
    }
    if ready == 0 {
        let failing = canary.iter().find(|p| p.status.is_failing());
        let why = failing.map_or_else(
            || canary[0].status.label().to_string(),
            |p| {
                format!(
                    "{}, {}",
                    p.status.label(),
                    crate::model::release::restarts(p.restarts)
                )
            },
        );
        return Err(format!(
            "canary not ready: 0/{} pods ready ({why})",
            canary.len()
        ));
    }
    Ok(())
}

/// Judges the canary's traffic over the last interval.
pub fn judge_metrics(settings: &AnalysisSettings, history: &MetricsHistory, now: Millis) -> Check {
    let w = history.window(Side::Canary, now, settings.interval_ms());
    let min = f64::from(settings.min_requests);
    if w.requests < min {
        return Check::new(
            Outcome::Inconclusive,
            format!(
                "only {:.0} canary requests in {}s (need {})",
                w.requests, settings.interval_secs, settings.min_requests
            ),
        );
    }
    let error_rate = 1.0 - w.success_rate().unwrap_or(0.0);
    let max_err = settings.max_error_rate();
    let mut failures = Vec::new();
    if error_rate > max_err + 1e-12 {
        failures.push(format!(
            "error rate {} > {}",
            percent(error_rate),
            percent(max_err)
        ));
    }
    if let Some(max_4xx) = settings.max_4xx_share() {
        match w.error_4xx_rate() {
            Some(r) if r > max_4xx + 1e-12 => {
                failures.push(format!("4xx rate {} > {}", percent(r), percent(max_4xx)))
            }
            Some(_) => {}
            None => failures.push("4xx rate unknown".to_string()),
        }
    }
    match w.p99_ms {
        Some(p) if p > settings.max_p99_ms => {
            failures.push(format!("p99 {p:.0} ms > {:.0} ms", settings.max_p99_ms))
        }
        Some(_) => {}
        None => failures.push("p99 unknown".to_string()),
    }
    if failures.is_empty() {
        Check::new(
            Outcome::Pass,
            format!(
                "error rate {}, p99 {:.0} ms, {:.0} requests",
                percent(error_rate),
                w.p99_ms.unwrap_or(0.0),
                w.requests
            ),
        )
    } else {
        Check::new(Outcome::Fail, failures.join(", "))
    }
}

/// The memory check, when a maximum growth is set: the reason it fails, if it does.
pub fn judge_memory(settings: &AnalysisSettings, resources: &ResourceHistory) -> Option<String> {
    let max = settings.max_memory_growth?;
    let growth = resources.memory_growth(Side::Canary)?;
    (growth.percent > max + 1e-9).then(|| {
        format!(
            "memory +{:.0} % in {} > {max:.0} %",
            growth.percent,
            Age(growth.over_ms)
        )
    })
}

/// A share shown as a percentage: one decimal below 10 %, none above.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p < 10.0 && p != p.round() {
        format!("{p:.1} %")
    } else {
        format!("{p:.0} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MetricsSample, Pod, PodStatus, VersionSample};

    fn history(requests: f64, errors: f64, p99: f64) -> MetricsHistory {
        let mut h = MetricsHistory::default();
        for i in 1..=10 {
            h.push(MetricsSample {
                at: Millis(i * 1000),
                period_ms: 1000,
                primary: VersionSample::default(),
                canary: VersionSample {
                    rps: requests / 10.0,
                    requests: requests / 10.0,
                    errors: errors / 10.0,
                    p99_ms: Some(p99),
                    errors_4xx: Some(requests / 100.0),
                    ..VersionSample::default()
                },
            });
        }
        h
    }

    fn settings() -> AnalysisSettings {
        AnalysisSettings {
            interval_secs: 10,
            ..AnalysisSettings::default()
        }
    }

    #[test]
    fn passes_fails_and_is_inconclusive() {
        let now = Millis(10_000);
        assert_eq!(
            judge_metrics(&settings(), &history(100.0, 0.0, 100.0), now).outcome,
            Outcome::Pass
        );
        let c = judge_metrics(&settings(), &history(100.0, 15.0, 100.0), now);
        assert_eq!(c.outcome, Outcome::Fail);
        assert_eq!(c.reason, "error rate 15 % > 1 %");
        let c = judge_metrics(&settings(), &history(100.0, 0.0, 900.0), now);
        assert_eq!(c.reason, "p99 900 ms > 500 ms");
        let c = judge_metrics(&settings(), &history(19.0, 0.0, 100.0), now);
        assert_eq!(c.outcome, Outcome::Inconclusive, "{}", c.reason);
        // exactly at the threshold passes
        assert_eq!(
            judge_metrics(&settings(), &history(100.0, 1.0, 500.0), now).outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn four_xx_fails_only_with_a_maximum() {
        let now = Millis(10_000);
        // 10 % 4xx, no 5xx
        let h = history(100.0, 0.0, 100.0);
        assert_eq!(judge_metrics(&settings(), &h, now).outcome, Outcome::Pass);
        let strict = AnalysisSettings {
            max_4xx_rate: Some(5.0),
            ..settings()
        };
        let c = judge_metrics(&strict, &h, now);
        assert_eq!(c.outcome, Outcome::Fail);
        assert_eq!(c.reason, "4xx rate 10 % > 5 %");
        let lenient = AnalysisSettings {
            max_4xx_rate: Some(10.0),
            ..settings()
        };
        assert_eq!(judge_metrics(&lenient, &h, now).outcome, Outcome::Pass);
    }

    #[test]
    fn memory_growth_fails_only_with_a_maximum() {
        use crate::model::{PodUsage, ResourceSample};
        let mut h = ResourceHistory::default();
        for (i, mib) in [100u64, 120, 138].into_iter().enumerate() {
            h.push(ResourceSample {
                at: Millis(i as i64 * 60_000),
                primary: vec![],
                canary: vec![PodUsage {
                    name: "c".into(),
                    cpu_millicores: 10,
                    memory_bytes: mib << 20,
                }],
            });
        }
        assert_eq!(judge_memory(&settings(), &h), None);
        let strict = AnalysisSettings {
            max_memory_growth: Some(20.0),
            ..settings()
        };
        assert_eq!(
            judge_memory(&strict, &h).as_deref(),
            Some("memory +38 % in 2m > 20 %")
        );
        let lenient = AnalysisSettings {
            max_memory_growth: Some(40.0),
            ..settings()
        };
        assert_eq!(judge_memory(&lenient, &h), None);
        assert_eq!(judge_memory(&strict, &ResourceHistory::default()), None);
    }

    #[test]
    fn readiness_names_the_failing_status() {
        let pods = PodSet {
            primary: vec![],
            canary: vec![Pod {
                name: "c-1".into(),
                status: PodStatus::CrashLoopBackOff,
                ready: false,
                restarts: 3,
                created_at: Millis(0),
                resources: Default::default(),
            }],
        };
        assert_eq!(
            readiness(&pods),
            Err("canary not ready: 0/1 pods ready (CrashLoopBackOff, 3 restarts)".to_string())
        );
        assert_eq!(
            readiness(&PodSet::default()),
            Err("canary has no pods".to_string())
        );
    }
}

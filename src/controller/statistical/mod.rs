//! The statistical judge: each metric of the canary against the primary over the window —
//! the error rate on its counts, latency, CPU and memory per pod by Mann-Whitney and the
//! Hodges-Lehmann shift — classified High, Low, Pass or inconclusive with the count, then scored
//! by weighted groups. It answers Kayenta's complaints: no 0.25·|HL| tolerance, a primary
//! without errors is judged on counts, too little data is inconclusive and says how little, and
//! every class comes with its numbers and its reason.

pub mod metric;
pub mod samples;

use crate::model::{
    Group, JudgeReport, JudgeSettings, JudgeVerdict, MetricClass, MetricJudgement, MetricsHistory,
    Millis, Quantile, ResourceHistory,
};

/// Judges the canary over the window ending at `now`.
pub fn judge(
    s: &JudgeSettings,
    history: &MetricsHistory,
    resources: &ResourceHistory,
    now: Millis,
) -> JudgeReport {
    let [canary, primary] =
        samples::collect(history, resources, now, i64::from(s.window_secs) * 1000);
    let mut metrics = vec![metric::error_rate(
        s,
        (canary.errors, canary.requests),
        (primary.errors, primary.requests),
    )];
    for q in Quantile::ALL {
        let (c, p) = (canary.latency(q), primary.latency(q));
        // a percentile nobody measures is not judged at all
        if !c.is_empty() || !p.is_empty() {
            metrics.push(metric::shifted(
                s,
                q.label(),
                Group::Latency,
                s.max_latency_ratio,
                c,
                p,
            ));
        }
    }
    if !canary.cpu.is_empty() || !primary.cpu.is_empty() {
        let (c, p) = (&canary.cpu, &primary.cpu);
        metrics.push(metric::shifted(
            s,
            "cpu",
            Group::Saturation,
            s.max_cpu_ratio,
            c,
            p,
        ));
        let (c, p) = (&canary.memory, &primary.memory);
        metrics.push(metric::shifted(
            s,
            "memory",
            Group::Saturation,
            s.max_memory_ratio,
            c,
            p,
        ));
    }
    score(s, metrics)
}

/// Judges the canary on `samples` alone (a command's one look at Prometheus: no CPU or memory
/// history), over the window ending at `now`.
pub fn judge_samples(
    s: &JudgeSettings,
    samples: impl IntoIterator<Item = crate::model::MetricsSample>,
    now: Millis,
) -> JudgeReport {
    let mut history = MetricsHistory::with_capacity(4096);
    for sample in samples {
        history.push(sample);
    }
    judge(s, &history, &ResourceHistory::default(), now)
}

/// The weighted score of the judged metrics and the verdict.
pub fn score(s: &JudgeSettings, metrics: Vec<MetricJudgement>) -> JudgeReport {
    let mut total = 0.0;
    let mut weights = 0.0;
    for (group, weight) in [
        (Group::Errors, s.weight_errors),
        (Group::Latency, s.weight_latency),
        (Group::Saturation, s.weight_saturation),
    ] {
        let judged: Vec<_> = metrics
            .iter()
            .filter(|m| m.group == group && m.class != MetricClass::Inconclusive)
            .collect();
        if judged.is_empty() || weight <= 0.0 {
            continue;
        }
        let pass = judged
            .iter()
            .filter(|m| m.class == MetricClass::Pass)
            .count();
        total += weight * 100.0 * pass as f64 / judged.len() as f64;
        weights += weight;
    }
    let score = (weights > 0.0).then(|| total / weights);
    let inconclusive: Vec<&str> = metrics
        .iter()
        .filter(|m| m.class == MetricClass::Inconclusive)
        .map(|m| m.name.as_str())
        .collect();
    let critical: Vec<String> = metrics
        .iter()
        .filter(|m| m.critical && m.class == MetricClass::High)
        .map(|m| format!("{} High: {}", m.name, m.reason))
        .collect();
    let high: Vec<String> = metrics
        .iter()
        .filter(|m| matches!(m.class, MetricClass::High | MetricClass::Low))
        .map(|m| format!("{} {}", m.name, m.class.label()))
        .collect();
    let left_out = if inconclusive.is_empty() {
        String::new()
    } else {
        format!("; inconclusive: {}", inconclusive.join(", "))
    };
    let (verdict, reason) = if !critical.is_empty() {
        (
            JudgeVerdict::Fail,
            format!("critical {}", critical.join("; ")),
        )
    } else if inconclusive.len() * 2 >= metrics.len() || score.is_none() {
        (
            JudgeVerdict::Inconclusive,
            format!(
                "{} of {} metrics inconclusive: {}",
                inconclusive.len(),
                metrics.len(),
                inconclusive.join(", ")
            ),
        )
    } else {
        let sc = score.unwrap_or(0.0);
        let v = if sc >= s.pass_score {
            JudgeVerdict::Pass
        } else if sc >= s.marginal_score {
            JudgeVerdict::Marginal
        } else {
            JudgeVerdict::Fail
        };
        let why = if high.is_empty() {
            "every judged metric passes".to_string()
        } else {
            high.join(", ")
        };
        (v, format!("{why}{left_out}"))
    };
    JudgeReport {
        score,
        verdict,
        reason,
        metrics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, group: Group, class: MetricClass, critical: bool) -> MetricJudgement {
        let mut j = metric::shifted(&JudgeSettings::default(), name, group, 1.1, &[], &[]);
        j.class = class;
        j.critical = critical;
        j
    }

    #[test]
    fn groups_are_weighted_and_inconclusive_metrics_named() {
        let s = JudgeSettings::default();
        use MetricClass::*;
        let r = score(
            &s,
            vec![
                m("error rate", Group::Errors, Pass, true),
                m("p50", Group::Latency, Pass, false),
                m("p95", Group::Latency, Pass, false),
                m("p99", Group::Latency, High, false),
                m("cpu", Group::Saturation, Inconclusive, false),
                m("memory", Group::Saturation, Pass, false),
            ],
        );
        // (50·100 + 30·66.7 + 20·100) / 100
        assert!((r.score.unwrap() - 90.0).abs() < 1e-9, "{r:?}");
        assert_eq!(r.verdict, JudgeVerdict::Marginal);
        assert_eq!(r.reason, "p99 High; inconclusive: cpu");
        assert_eq!(r.summary(), "90/100 marginal");
        assert_eq!(r.inconclusive(), vec!["cpu"]);
    }

    #[test]
    fn a_critical_high_fails_whatever_the_score() {
        let s = JudgeSettings {
            weight_errors: 1.0,
            ..JudgeSettings::default()
        };
        use MetricClass::*;
        let mut metrics = vec![m("error rate", Group::Errors, High, true)];
        metrics.extend(["p50", "p95", "p99"].map(|n| m(n, Group::Latency, Pass, false)));
        let r = score(&s, metrics);
        assert!(r.score.unwrap() > 95.0);
        assert_eq!(r.verdict, JudgeVerdict::Fail);
        assert!(
            r.reason.starts_with("critical error rate High: "),
            "{}",
            r.reason
        );
    }

    #[test]
    fn half_inconclusive_is_inconclusive() {
        use MetricClass::*;
        let r = score(
            &JudgeSettings::default(),
            vec![
                m("error rate", Group::Errors, Inconclusive, true),
                m("p99", Group::Latency, Pass, false),
            ],
        );
        assert_eq!(r.verdict, JudgeVerdict::Inconclusive);
        assert_eq!(r.reason, "1 of 2 metrics inconclusive: error rate");
        assert_eq!(r.summary(), "inconclusive");
    }
}

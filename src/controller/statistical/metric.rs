//! One metric judged, canary against primary: the error rate on its counts, the others by
//! Mann-Whitney and the Hodges-Lehmann shift.

use crate::controller::stats::{hodges_lehmann, mann_whitney, two_proportions};
use crate::model::{Group, JudgeSettings, MetricClass, MetricJudgement};

fn judgement(name: &str, group: Group, class: MetricClass, reason: String) -> MetricJudgement {
    MetricJudgement {
        name: name.to_string(),
        group,
        critical: false,
        canary: None,
        primary: None,
        n_canary: 0,
        n_primary: 0,
        effect: None,
        ci_low: None,
        ci_high: None,
        shift: None,
        cles: None,
        p_value: None,
        class,
        reason,
    }
}

/// A share as percentage points with two decimals.
fn pp(share: f64) -> String {
    format!("{:+.2} pp", share * 100.0)
}

/// The error rate on the counts of the window: High when the whole interval of the difference
/// lies above the allowed increase. A primary without errors is judged like any other.
pub fn error_rate(s: &JudgeSettings, canary: (f64, f64), primary: (f64, f64)) -> MetricJudgement {
    let ((ce, cr), (pe, pr)) = (canary, primary);
    let mut m = judgement(
        "error rate",
        Group::Errors,
        MetricClass::Inconclusive,
        String::new(),
    );
    m.critical = s.errors_critical;
    m.n_canary = cr.max(0.0).round() as u64;
    m.n_primary = pr.max(0.0).round() as u64;
    m.canary = (cr > 0.0).then(|| ce / cr);
    m.primary = (pr > 0.0).then(|| pe / pr);
    let min = f64::from(s.min_requests);
    let fewest = cr.min(pr);
    if fewest < min {
        m.reason = format!("inconclusive: {fewest:.0} requests < {}", s.min_requests);
        return m;
    }
    let Some(d) = two_proportions(ce, cr, pe, pr, s.confidence) else {
        m.reason = "inconclusive: counts out of range".to_string();
        return m;
    };
    let allowed = s.max_error_increase_pp / 100.0;
    m.effect = Some(d.difference);
    m.ci_low = Some(d.low);
    m.ci_high = Some(d.high);
    m.p_value = Some(d.p_value);
    let interval = format!("{} [{}, {}]", pp(d.difference), pp(d.low), pp(d.high));
    if d.low > allowed {
        m.class = MetricClass::High;
        m.reason = format!(
            "{interval} lies above {} ({ce:.0}/{cr:.0} against {pe:.0}/{pr:.0}, p {})",
            pp(allowed),
            p(d.p_value)
        );
    } else {
        m.class = MetricClass::Pass;
        m.reason = format!(
            "{interval} reaches {} or below ({ce:.0}/{cr:.0} against {pe:.0}/{pr:.0})",
            pp(allowed)
        );
    }
    m
}

/// A p-value in few characters.
pub fn p(v: f64) -> String {
    if v < 0.0001 {
        "< 0.0001".to_string()
    } else {
        format!("{v:.4}")
    }
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// A metric where higher is worse, on the samples of each version: High when the interval of
/// the shift lies wholly above 0 and the ratio of means reaches `max_ratio`.
pub fn shifted(
    s: &JudgeSettings,
    name: &str,
    group: Group,
    max_ratio: f64,
    canary: &[f64],
    primary: &[f64],
) -> MetricJudgement {
    let mut m = judgement(name, group, MetricClass::Inconclusive, String::new());
    m.n_canary = canary.len() as u64;
    m.n_primary = primary.len() as u64;
    m.canary = mean(canary);
    m.primary = mean(primary);
    let fewest = canary.len().min(primary.len());
    if fewest < s.min_samples as usize {
        m.reason = format!("inconclusive: {fewest} samples < {}", s.min_samples);
        return m;
    }
    let (Some(mc), Some(mp)) = (m.canary, m.primary) else {
        return m;
    };
    let ratio = if mp > 0.0 {
        mc / mp
    } else if mc > 0.0 {
        f64::INFINITY
    } else {
        1.0
    };
    m.effect = Some(ratio);
    let test = mann_whitney(canary, primary);
    m.p_value = Some(test.map_or(1.0, |t| t.p_value));
    m.cles = Some(test.map_or(0.5, |t| t.cles));
    // both versions constant: the shift is known exactly
    let constant = |v: &[f64]| v.iter().all(|x| *x == v[0]);
    let (shift, low, high) = match hodges_lehmann(canary, primary, s.confidence) {
        Some(hl) => (hl.estimate, hl.low, hl.high),
        None if constant(canary) && constant(primary) => {
            let d = canary[0] - primary[0];
            (d, d, d)
        }
        None => {
            m.reason = "inconclusive: no interval".to_string();
            return m;
        }
    };
    m.shift = Some(shift);
    m.ci_low = Some(low);
    m.ci_high = Some(high);
    let p_value = p(m.p_value.unwrap_or(1.0));
    if low > 0.0 && ratio >= max_ratio {
        m.class = MetricClass::High;
        m.reason = format!(
            "shift {shift:+.1} [{low:+.1}, {high:+.1}] above 0, ratio {ratio:.2} ≥ {max_ratio:.2} (p {p_value})"
        );
    } else if low > 0.0 {
        m.class = MetricClass::Pass;
        m.reason = format!("higher but ratio {ratio:.2} < {max_ratio:.2} allowed (p {p_value})");
    } else {
        m.class = MetricClass::Pass;
        m.reason = format!("shift [{low:+.1}, {high:+.1}] reaches 0 or below (p {p_value})");
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_hundreds_against_ten_ones_is_high() {
        // Kayenta #780: passed there, tested against 0.25·|HL|
        let s = JudgeSettings {
            min_samples: 5,
            ..JudgeSettings::default()
        };
        let m = shifted(&s, "p99", Group::Latency, 1.1, &[100.0; 7], &[1.0; 10]);
        assert_eq!(m.class, MetricClass::High, "{}", m.reason);
        assert_eq!((m.ci_low, m.ci_high), (Some(99.0), Some(99.0)));
        assert!(m.p_value.unwrap() < 0.01);
        assert_eq!(m.effect, Some(100.0));
        assert_eq!(m.cles, Some(1.0));
        // with the default minimum the seven samples are too few, and it says so
        let m = shifted(
            &JudgeSettings::default(),
            "p99",
            Group::Latency,
            1.1,
            &[100.0; 7],
            &[1.0; 10],
        );
        assert_eq!(m.class, MetricClass::Inconclusive);
        assert_eq!(m.reason, "inconclusive: 7 samples < 20");
    }

    #[test]
    fn twelve_samples_are_inconclusive_with_the_count() {
        let canary: Vec<f64> = (0..12).map(|i| 200.0 + f64::from(i)).collect();
        let primary: Vec<f64> = (0..48).map(|i| 100.0 + f64::from(i)).collect();
        let m = shifted(
            &JudgeSettings::default(),
            "p99",
            Group::Latency,
            1.1,
            &canary,
            &primary,
        );
        assert_eq!(m.class, MetricClass::Inconclusive);
        assert_eq!(m.reason, "inconclusive: 12 samples < 20");
        assert_eq!((m.n_canary, m.n_primary), (12, 48));
    }

    #[test]
    fn zero_error_primary_against_sparse_errors_is_judged_on_counts() {
        // Kayenta #799: became Nodata there
        let s = JudgeSettings::default();
        let m = error_rate(&s, (3.0, 400.0), (0.0, 400.0));
        assert_ne!(m.class, MetricClass::Inconclusive, "{}", m.reason);
        assert_eq!(m.effect, Some(0.0075));
        assert!(m.ci_low.is_some() && m.p_value.is_some());
        assert_eq!((m.n_canary, m.n_primary), (400, 400));
        // the same proportions over ten times the traffic: the interval clears +0.2 pp
        let m = error_rate(&s, (30.0, 4000.0), (0.0, 4000.0));
        assert_eq!(m.class, MetricClass::High, "{}", m.reason);
        assert!(m.critical);
        let m = error_rate(&s, (3.0, 150.0), (0.0, 4000.0));
        assert_eq!(m.reason, "inconclusive: 150 requests < 200");
    }

    #[test]
    fn a_small_significant_increase_passes_below_the_ratio() {
        let primary: Vec<f64> = (0..40).map(|i| 100.0 + f64::from(i % 10)).collect();
        let slight: Vec<f64> = primary.iter().map(|v| v + 5.0).collect();
        let m = shifted(
            &JudgeSettings::default(),
            "p99",
            Group::Latency,
            1.1,
            &slight,
            &primary,
        );
        assert_eq!(m.class, MetricClass::Pass, "{}", m.reason);
        assert!(m.ci_low.unwrap() > 0.0);
        let worse: Vec<f64> = primary.iter().map(|v| v * 1.3).collect();
        let m = shifted(
            &JudgeSettings::default(),
            "p99",
            Group::Latency,
            1.1,
            &worse,
            &primary,
        );
        assert_eq!(m.class, MetricClass::High, "{}", m.reason);
        let same = shifted(
            &JudgeSettings::default(),
            "p99",
            Group::Latency,
            1.1,
            &primary,
            &primary,
        );
        assert_eq!(same.class, MetricClass::Pass);
    }
}

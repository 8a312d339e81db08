//! The Hodges-Lehmann shift of `x` over `y` and its confidence interval, asymptotic, as R's
//! `wilcox.test(x, y, conf.int = TRUE, exact = FALSE, correct = TRUE)` finds them: the interval's
//! ends are where the continuity-corrected rank statistic of `x − d` against `y` crosses the
//! normal quantiles, the estimate where the uncorrected one crosses 0, each found by Brent's
//! method to R's tolerance between min(x) − max(y) and max(x) − min(y).

use super::mann_whitney::statistic;
use super::normal;
use super::zeroin::zeroin;

/// R's `tol.root`.
const TOL: f64 = 1e-4;
const MAX_ITER: u32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HodgesLehmann {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    pub conf_level: f64,
}

/// The shift of `x` over `y` and its two-sided interval at `conf_level` (0–1), non-finite values
/// dropped; `None` when a sample is empty or both are constant (no interval to search).
pub fn hodges_lehmann(x: &[f64], y: &[f64], conf_level: f64) -> Option<HodgesLehmann> {
    let x: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    let y: Vec<f64> = y.iter().copied().filter(|v| v.is_finite()).collect();
    if x.is_empty() || y.is_empty() || !(0.0..1.0).contains(&conf_level) {
        return None;
    }
    let min = |s: &[f64]| s.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |s: &[f64]| s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = (min(&x) - max(&y), max(&x) - min(&y));
    if lo >= hi {
        return None;
    }
    let w = |d: f64, correct: bool| statistic(&x, &y, d, correct).map(|(_, z)| z);
    let (w_lo, w_hi) = (w(lo, true)?, w(hi, true)?);
    let alpha = 1.0 - conf_level;
    let root = |zq: f64| -> Option<f64> {
        let f_lo = w_lo - zq;
        if f_lo <= 0.0 {
            return Some(lo);
        }
        let f_hi = w_hi - zq;
        if f_hi >= 0.0 {
            return Some(hi);
        }
        let mut failed = false;
        let r = zeroin(lo, hi, f_lo, f_hi, TOL, MAX_ITER, |d| {
            w(d, true).map_or_else(
                || {
                    failed = true;
                    0.0
                },
                |z| z - zq,
            )
        });
        (!failed).then_some(r)
    };
    let low = root(-normal::quantile(alpha / 2.0))?;
    let high = root(normal::quantile(alpha / 2.0))?;
    let (e_lo, e_hi) = (w(lo, false)?, w(hi, false)?);
    if e_lo * e_hi > 0.0 {
        return None;
    }
    let mut failed = false;
    let estimate = zeroin(lo, hi, e_lo, e_hi, TOL, MAX_ITER, |d| {
        w(d, false).unwrap_or_else(|| {
            failed = true;
            0.0
        })
    });
    (!failed).then_some(HodgesLehmann {
        estimate,
        low,
        high,
        conf_level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_shift_is_bracketed() {
        let y: Vec<f64> = (0..30).map(|i| f64::from(i % 10)).collect();
        let x: Vec<f64> = y.iter().map(|v| v + 20.0).collect();
        let hl = hodges_lehmann(&x, &y, 0.98).unwrap();
        assert!((hl.estimate - 20.0).abs() < 1.0, "{hl:?}");
        assert!(hl.low > 0.0 && hl.low <= hl.estimate && hl.estimate <= hl.high);
        assert_eq!(hodges_lehmann(&[1.0, 1.0], &[1.0], 0.98), None);
        assert_eq!(hodges_lehmann(&[], &[1.0], 0.98), None);
    }
}

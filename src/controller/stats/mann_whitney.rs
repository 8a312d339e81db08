//! The Mann-Whitney U test (Wilcoxon rank-sum) with the normal approximation, its tie correction
//! and the continuity correction: R's `wilcox.test(x, y, exact = FALSE, correct = TRUE)`.

use super::normal;
use super::rank::ranks;

/// The test of `x` against `y`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannWhitney {
    /// U of `x`: the pairs (xᵢ, yⱼ) with xᵢ > yⱼ, ties counting half (R's `W`).
    pub u: f64,
    /// The corrected normal statistic.
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Common-language effect size: P(X > Y) + ½·P(X = Y), U / (n·m).
    pub cles: f64,
    pub n_x: usize,
    pub n_y: usize,
}

/// The standardised rank statistic of `x − d` against `y`: (U − nm/2 − correction) / σ, the
/// continuity correction being sign(U − nm/2)·½ when `correct`; `None` when σ is 0 (every value
/// tied) or a sample is empty.
pub(crate) fn statistic(x: &[f64], y: &[f64], d: f64, correct: bool) -> Option<(f64, f64)> {
    let (n_x, n_y) = (x.len() as f64, y.len() as f64);
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let pooled: Vec<f64> = x.iter().map(|v| v - d).chain(y.iter().copied()).collect();
    let (r, ties) = ranks(&pooled);
    let u = r[..x.len()].iter().sum::<f64>() - n_x * (n_x + 1.0) / 2.0;
    let dz = u - n_x * n_y / 2.0;
    let n = n_x + n_y;
    let sigma = ((n_x * n_y / 12.0) * ((n + 1.0) - ties / (n * (n - 1.0)))).sqrt();
    if sigma == 0.0 || sigma.is_nan() {
        return None;
    }
    let correction = if correct { 0.5 * sign(dz) } else { 0.0 };
    Some((u, (dz - correction) / sigma))
}

fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// The test, with non-finite values dropped; `None` when a sample is empty or every value is
/// the same (the statistic has no spread).
pub fn mann_whitney(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    let x: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    let y: Vec<f64> = y.iter().copied().filter(|v| v.is_finite()).collect();
    let (u, z) = statistic(&x, &y, 0.0, true)?;
    Some(MannWhitney {
        u,
        z,
        p_value: normal::two_sided_p(z).min(1.0),
        cles: u / (x.len() as f64 * y.len() as f64),
        n_x: x.len(),
        n_y: y.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separated_samples_are_significant() {
        let x = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0];
        let y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let t = mann_whitney(&x, &y).unwrap();
        assert_eq!(t.u, 64.0);
        assert_eq!(t.cles, 1.0);
        assert!(t.p_value < 0.001, "{}", t.p_value);
        let same = mann_whitney(&x, &x).unwrap();
        assert_eq!(same.u, 32.0);
        assert_eq!(same.p_value, 1.0);
    }

    #[test]
    fn no_spread_or_no_data_is_none() {
        assert_eq!(mann_whitney(&[1.0, 1.0], &[1.0]), None);
        assert_eq!(mann_whitney(&[], &[1.0]), None);
        assert_eq!(mann_whitney(&[f64::NAN], &[1.0, 2.0]), None);
    }
}

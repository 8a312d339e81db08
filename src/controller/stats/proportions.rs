//! The difference of two proportions: Wilson's score interval for each, Newcombe's hybrid score
//! interval for the difference (Newcombe 1998, method 10) and the pooled two-proportion z test.

use super::normal;

/// `successes` of `trials` compared with another such count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TwoProportions {
    /// p₁ − p₂.
    pub difference: f64,
    pub low: f64,
    pub high: f64,
    /// Two-sided p-value of the pooled z test; 1 when neither count has a success or a failure
    /// to tell them apart.
    pub p_value: f64,
}

/// Wilson's score interval of `successes / trials` at `conf_level`, without continuity
/// correction; `None` without trials or with a count outside [0, trials].
pub fn wilson(successes: f64, trials: f64, conf_level: f64) -> Option<(f64, f64)> {
    if trials.is_nan()
        || trials <= 0.0
        || !trials.is_finite()
        || !(0.0..=trials).contains(&successes)
    {
        return None;
    }
    let z = normal::quantile((1.0 + conf_level) / 2.0);
    let p = successes / trials;
    let z22n = z * z / (2.0 * trials);
    let spread = z * (p * (1.0 - p) / trials + z22n / (2.0 * trials)).sqrt();
    let low = if p <= 0.0 {
        0.0
    } else {
        (p + z22n - spread) / (1.0 + 2.0 * z22n)
    };
    let high = if p >= 1.0 {
        1.0
    } else {
        (p + z22n + spread) / (1.0 + 2.0 * z22n)
    };
    Some((low, high))
}

/// `x1/n1 − x2/n2` with Newcombe's hybrid score interval at `conf_level`; `None` when either
/// count is impossible (no trials, more successes than trials).
pub fn two_proportions(
    x1: f64,
    n1: f64,
    x2: f64,
    n2: f64,
    conf_level: f64,
) -> Option<TwoProportions> {
    let (l1, u1) = wilson(x1, n1, conf_level)?;
    let (l2, u2) = wilson(x2, n2, conf_level)?;
    let (p1, p2) = (x1 / n1, x2 / n2);
    let difference = p1 - p2;
    let low = difference - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = difference + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    let pooled = (x1 + x2) / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let p_value = if se > 0.0 {
        normal::two_sided_p(difference / se).min(1.0)
    } else {
        1.0
    };
    Some(TwoProportions {
        difference,
        low,
        high,
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_against_a_few_is_an_interval_not_nothing() {
        // a primary with no errors against 3 errors in 400 canary requests
        let d = two_proportions(3.0, 400.0, 0.0, 400.0, 0.98).unwrap();
        assert_eq!(d.difference, 0.0075);
        assert!(d.low < 0.0075 && d.high > 0.0075, "{d:?}");
        assert!(d.p_value > 0.0 && d.p_value < 1.0);
        let (l, u) = wilson(0.0, 400.0, 0.98).unwrap();
        assert_eq!(l, 0.0);
        assert!(u > 0.0 && u < 0.02);
    }

    #[test]
    fn impossible_counts_are_none() {
        assert_eq!(wilson(1.0, 0.0, 0.98), None);
        assert_eq!(wilson(5.0, 4.0, 0.98), None);
        assert_eq!(two_proportions(0.0, 0.0, 0.0, 10.0, 0.98), None);
        let none = two_proportions(0.0, 10.0, 0.0, 10.0, 0.98).unwrap();
        assert_eq!(none.p_value, 1.0);
    }
}

//! Ranks with ties averaged, as R's `rank`, and the tie term Σ(t³ − t) of the rank tests.

/// The ranks (1-based, ties averaged) of `values` and Σ(t³ − t) over the groups of ties.
/// Values must be comparable (no NaN); callers drop non-finite values first.
pub(crate) fn ranks(values: &[f64]) -> (Vec<f64>, f64) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && values[order[j]] == values[order[i]] {
            j += 1;
        }
        // positions i+1 ..= j share the mean rank
        let rank = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            ranks[k] = rank;
        }
        let t = (j - i) as f64;
        ties += t * t * t - t;
        i = j;
    }
    (ranks, ties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_mean_rank() {
        let (r, ties) = ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]);
        assert_eq!(r, vec![4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(ties, 24.0);
        let (r, ties) = ranks(&[0.5, -1.0]);
        assert_eq!(r, vec![2.0, 1.0]);
        assert_eq!(ties, 0.0);
    }
}

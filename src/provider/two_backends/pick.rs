//! What a route holds that the schemas allow but a split of two cannot be read from: a weight
//! below 0 ([`weight_of`]), and more than two backends ([`pick`]: the primary and the canary
//! among them, the rest left for a rollback to set to 0).

use crate::model::CanaryBy;
use crate::provider::common::infer::{self, Decided, Side};

use super::{order, Backend, Hint, SplitError};

/// A weight as the object writes it (`None`: unset, weighing `unset`): the weight, and what was
/// written when it cannot be a weight (below 0).
pub fn weight_of(raw: Option<i64>, unset: i64) -> (u64, Option<String>) {
    let raw = raw.unwrap_or(unset);
    match u64::try_from(raw) {
        Ok(w) => (w, None),
        Err(_) => (0, Some(raw.to_string())),
    }
}

/// How surely a decision tells the primary from the canary among more than two backends, lower
/// first: the annotation or a take-over, names on both sides (`stable` and `canary`, `shop` and
/// `shop-canary`), a name on one side, the versions in the names, a decision kept from before, none.
fn sureness(primary: &Backend, canary: &Backend, decided: Option<&Decided>) -> u8 {
    match decided.map(|d| d.by) {
        Some(CanaryBy::Annotation) => 0,
        Some(CanaryBy::Version) if decided.is_some_and(|d| d.why.contains("took over")) => 0,
        Some(CanaryBy::Name) => {
            let primary_named = matches!(infer::by_names(primary.label(), "x"), Some((Side::B, _)));
            let canary_named = matches!(infer::by_names(canary.label(), "x"), Some((Side::A, _)));
            // `shop` beside `shop-canary` is as sure as `stable` beside `canary`
            let paired = canary.label().strip_suffix("-canary") == Some(primary.label());
            let both = (primary_named && canary_named) || paired;
            if both {
                1
            } else {
                2
            }
        }
        Some(CanaryBy::Version) => 3,
        Some(_) => 4,
        None => 5,
    }
}

/// The primary and the canary among the route's `backends` (two or more), with the rule that
/// decided, and the backends beyond them. Of two, [`order`] decides; of more, the pair it decides
/// most surely, the first such in the route's order.
#[allow(clippy::type_complexity)]
pub fn pick(
    object: &str,
    route: &str,
    hint: &Hint,
    backends: Vec<Backend>,
) -> Result<(Backend, Backend, Option<Decided>, Vec<Backend>), SplitError> {
    let n = backends.len();
    if n < 2 {
        return Err(SplitError::NoSplit {
            object: object.to_string(),
            hint: format!(": {route} has {n} backend(s), a canary release has two"),
        });
    }
    let mut best: Option<(u8, Backend, Backend, Option<Decided>, (usize, usize))> = None;
    let mut first_error = None;
    for i in 0..n {
        for j in i + 1..n {
            match order(
                object,
                route,
                hint,
                backends[i].clone(),
                backends[j].clone(),
            ) {
                Ok((p, c, d)) => {
                    let rank = sureness(&p, &c, d.as_ref());
                    if best.as_ref().is_none_or(|b| rank < b.0) {
                        best = Some((rank, p, c, d, (i, j)));
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    let Some((_, primary, canary, decided, (i, j))) = best else {
        return Err(first_error.unwrap_or(SplitError::NoSplit {
            object: object.to_string(),
            hint: String::new(),
        }));
    };
    let extra = backends
        .into_iter()
        .enumerate()
        .filter(|(k, _)| *k != i && *k != j)
        .map(|(_, b)| b)
        .collect();
    Ok((primary, canary, decided, extra))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(service: &str, at: usize) -> Backend {
        Backend {
            service: service.to_string(),
            subset: None,
            weight_path: format!("/spec/routes/0/services/{at}/weight"),
            weight: 10,
            unreadable: None,
        }
    }

    fn labels(
        p: &(Backend, Backend, Option<Decided>, Vec<Backend>),
    ) -> (String, String, Vec<String>) {
        (
            p.0.service.clone(),
            p.1.service.clone(),
            p.3.iter().map(|b| b.service.clone()).collect(),
        )
    }

    #[test]
    fn of_three_backends_the_pair_the_names_tell_best() {
        let hint = Hint::default();
        let three = vec![
            b("shop-other", 0),
            b("shop-canary", 1),
            b("shop-primary", 2),
        ];
        let picked = pick("httpproxy/shop", "spec.routes[0]", &hint, three).unwrap();
        assert_eq!(
            labels(&picked),
            (
                "shop-primary".to_string(),
                "shop-canary".to_string(),
                vec!["shop-other".to_string()]
            )
        );
        // versions: the two first in the order they decide, the third left over
        let versions = vec![b("reviews-v1", 0), b("reviews-v2", 1), b("reviews-v3", 2)];
        let picked = pick("vs/reviews", "spec.http[0]", &hint, versions).unwrap();
        assert_eq!(picked.0.service, "reviews-v1");
        assert_eq!(picked.3.len(), 1);
        // the annotation names the canary among three
        let named = Hint::annotated("blue");
        let colours = vec![b("green", 0), b("red", 1), b("blue", 2)];
        let picked = pick("vs/shop", "spec.http[0]", &named, colours).unwrap();
        assert_eq!(
            (picked.0.service.as_str(), picked.1.service.as_str()),
            ("green", "blue")
        );
        assert!(pick("vs/shop", "spec.http[0]", &hint, vec![b("a", 0)]).is_err());
    }

    #[test]
    fn a_weight_below_0_is_kept_as_written() {
        assert_eq!(weight_of(Some(-5), 0), (0, Some("-5".to_string())));
        assert_eq!(weight_of(None, 1), (1, None));
        assert_eq!(weight_of(Some(i64::MAX), 1), (i64::MAX as u64, None));
    }
}

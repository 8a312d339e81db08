//! How a release ends by its layout. Two backends named by version (`v1`/`v2`, `reviews-v1`/
//! `reviews-v2`, or told apart by the version order of their image tags) end by a take-over: the
//! new version gets all the traffic and becomes the primary, the old one is scaled to 0 and kept
//! for a rollback. Every other layout (stable/canary, primary/canary: Flagger's pattern) ends by
//! the template copy: the primary's Deployment takes the canary's pod template.
//!
//! A take-over is recorded on the routing object, in the same write that moves the traffic:
//! [`TOOK_OVER`] names the backend that took over, and every read honours it (it is the primary
//! from then on, not a canary at 100 %); [`KEPT`] names the old version's Deployment and the
//! replicas it had, which a rollback scales it back to. A rollback of the take-over removes both.

use crate::model::CanaryBy;

use super::route::{Ended, Route};

/// The backend (as the route names it: the subset, else the Service) that took all the traffic
/// over from the other one: the release's primary from then on.
pub const TOOK_OVER: &str = "canary-cockpit.io/took-over";

/// The old version's Deployment and its replicas before the take-over scaled it to 0:
/// `reviews-v1=3`.
pub const KEPT: &str = "canary-cockpit.io/kept-for-rollback";

/// How a release of this layout is promoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Stable/canary, primary/canary: the primary's Deployment takes the canary's pod template.
    TemplateCopy,
    /// Backends named by version: the new version takes the traffic over.
    TakeOver,
}

impl Layout {
    /// The layout of a release the cockpit drives: a take-over where the canary inference read
    /// the backends as versions (their names, or their image tags).
    pub fn of(route: &Route) -> Layout {
        match route.canary_by {
            Some(CanaryBy::Version) if !route.controller_owned() => Layout::TakeOver,
            _ => Layout::TemplateCopy,
        }
    }
}

/// A take-over as the routing object records it, read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TakenOver {
    /// The version that took over: the route's primary.
    pub new: String,
    /// The version it took over from: the route's other backend, at 0 %.
    pub old: String,
    /// The old version's Deployment and its replicas before it was scaled to 0.
    pub kept: Option<(String, i32)>,
}

/// The take-over the route's object records, when the read honoured it (the version it names is
/// the route's primary).
pub fn recorded(route: &Route) -> Option<TakenOver> {
    let new = route.annotations.get(TOOK_OVER)?.trim();
    if new != route.names[0] {
        return None;
    }
    let kept = route.annotations.get(KEPT).and_then(|v| parse_kept(v));
    Some(TakenOver {
        new: new.to_string(),
        old: route.names[1].clone(),
        kept,
    })
}

/// The take-over is the last thing that happened to the release: it ended promoted by it, and a
/// rollback undoes it.
pub fn last(route: &Route) -> Option<TakenOver> {
    recorded(route).filter(|_| route.ended == Some(Ended::Promoted))
}

/// The value of [`KEPT`]: `DEPLOYMENT=REPLICAS`.
pub fn kept_value(deployment: &str, replicas: i32) -> String {
    format!("{deployment}={replicas}")
}

fn parse_kept(text: &str) -> Option<(String, i32)> {
    let (name, replicas) = text.trim().rsplit_once('=')?;
    let replicas = replicas.trim().parse::<i32>().ok().filter(|n| *n >= 0)?;
    let name = name.trim();
    (!name.is_empty()).then(|| (name.to_string(), replicas))
}

/// What the take-over's write sets on the routing object: the version that takes over, the old
/// one's Deployment and replicas.
pub fn annotations_set(
    new: &str,
    deployment: &str,
    replicas: i32,
) -> Vec<(&'static str, Option<String>)> {
    vec![
        (TOOK_OVER, Some(new.to_string())),
        (KEPT, Some(kept_value(deployment, replicas))),
    ]
}

/// What the rollback of a take-over removes from the routing object.
pub fn annotations_removed() -> Vec<(&'static str, Option<String>)> {
    vec![(TOOK_OVER, None), (KEPT, None)]
}

/// Why the read names the primary it does, for the operator.
pub fn why(new: &str, old: &str) -> String {
    format!("the take-over ({new} took over from {old}: annotation {TOOK_OVER})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::common::infer::Decided;

    fn route(by: CanaryBy, annotations: &[(&str, &str)], weight: u8) -> Route {
        let mut r = super::super::fixture::route(annotations, ["v2", "v1"], weight);
        r.decided(Some(Decided::new(by, "test")));
        r
    }

    #[test]
    fn versions_take_over_and_other_layouts_copy_the_template() {
        assert_eq!(
            Layout::of(&route(CanaryBy::Version, &[], 0)),
            Layout::TakeOver
        );
        for by in [
            CanaryBy::Name,
            CanaryBy::Annotation,
            CanaryBy::Newer,
            CanaryBy::Definition,
        ] {
            assert_eq!(
                Layout::of(&route(by, &[], 0)),
                Layout::TemplateCopy,
                "{by:?}"
            );
        }
    }

    #[test]
    fn a_recorded_take_over_names_the_primary_and_the_kept_deployment() {
        let r = route(
            CanaryBy::Version,
            &[
                (TOOK_OVER, "v2"),
                (KEPT, "reviews-v1=3"),
                (super::super::route::OUTCOME, "promoted"),
            ],
            0,
        );
        let t = last(&r).unwrap();
        assert_eq!((t.new.as_str(), t.old.as_str()), ("v2", "v1"));
        assert_eq!(t.kept, Some(("reviews-v1".to_string(), 3)));
        // a take-over the read did not honour (it names the other backend) is none
        let other = route(CanaryBy::Version, &[(TOOK_OVER, "v1")], 0);
        assert_eq!(recorded(&other), None);
        // once a new release moved the weight, the take-over is no longer the last thing
        let moved = route(CanaryBy::Version, &[(TOOK_OVER, "v2"), (KEPT, "x=1")], 10);
        assert!(recorded(&moved).is_some());
        assert_eq!(last(&moved), None);
        for bad in ["", "=3", "reviews-v1", "reviews-v1=-1", "reviews-v1=many"] {
            assert_eq!(parse_kept(bad), None, "{bad}");
        }
        assert_eq!(
            parse_kept(&kept_value("a=b", 2)),
            Some(("a=b".to_string(), 2))
        );
    }
}

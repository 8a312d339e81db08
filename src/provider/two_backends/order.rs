//! Which of a split's two backends is the canary: the operator's annotation, a take-over the
//! cockpit recorded, the names, the version order of the names, else a decision kept from an
//! earlier read ([`order`]).

use crate::model::CanaryBy;
use crate::provider::common::infer::{self, Decided, Kept, Side};
use crate::provider::common::takeover;

use super::{Backend, SplitError, CANARY_BACKEND};

/// What the cockpit knows about the canary besides the route's backends: the annotation
/// [`CANARY_BACKEND`], and a decision kept from an earlier read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hint {
    pub annotation: Option<String>,
    pub kept: Option<Kept>,
    /// The backend that took the traffic over from the other one (annotation
    /// [`takeover::TOOK_OVER`]): the primary.
    pub took_over: Option<String>,
}

impl Hint {
    /// The canary named by an annotation (or by the release's definition), and nothing else.
    pub fn annotated(canary: &str) -> Hint {
        Hint {
            annotation: Some(canary.to_string()),
            ..Hint::default()
        }
    }
}

/// Orders the two backends as (primary, canary), with the rule that decided: the annotation,
/// a take-over the cockpit recorded, the names, the version order of the names, else a decision kept from an earlier read. `None`
/// when none decides: the backends stay as written, and the live layer goes on with the pods.
pub fn order(
    object: &str,
    route: &str,
    hint: &Hint,
    a: Backend,
    b: Backend,
) -> Result<(Backend, Backend, Option<Decided>), SplitError> {
    let named = |x: &Backend, h: &str| x.label() == h || x.service == h;
    let ordered = |side: Side, a: Backend, b: Backend, d: Decided| match side {
        Side::A => (b, a, Some(d)),
        Side::B => (a, b, Some(d)),
    };
    if let Some(h) = hint.annotation.as_deref() {
        let by = Decided::new(
            CanaryBy::Annotation,
            format!("the annotation {CANARY_BACKEND}"),
        );
        return match (named(&a, h), named(&b, h)) {
            (true, false) => Ok(ordered(Side::A, a, b, by)),
            (false, true) => Ok(ordered(Side::B, a, b, by)),
            _ => Err(SplitError::Malformed {
                object: object.to_string(),
                what: format!(
                    "annotation {CANARY_BACKEND} is {h:?}, which names neither backend of {route} ({} or {})",
                    a.label(),
                    b.label()
                ),
            }),
        };
    }
    // a take-over the cockpit recorded: the version that took over is the primary (a backend
    // it does not name is an older release's: the other rules decide)
    if let Some(t) = hint.took_over.as_deref() {
        match (named(&a, t), named(&b, t)) {
            (true, false) => {
                let why = takeover::why(a.label(), b.label());
                return Ok(ordered(Side::B, a, b, Decided::new(CanaryBy::Version, why)));
            }
            (false, true) => {
                let why = takeover::why(b.label(), a.label());
                return Ok(ordered(Side::A, a, b, Decided::new(CanaryBy::Version, why)));
            }
            _ => {}
        }
    }
    let services = (a.service != b.service).then_some((a.service.as_str(), b.service.as_str()));
    let by_names = infer::by_names(a.label(), b.label())
        .or_else(|| services.and_then(|(x, y)| infer::by_names(x, y)))
        .or_else(|| infer::by_name_versions(a.label(), b.label()))
        .or_else(|| services.and_then(|(x, y)| infer::by_name_versions(x, y)));
    if let Some((side, d)) = by_names {
        return Ok(ordered(side, a, b, d));
    }
    let kept =
        hint.kept
            .as_ref()
            .and_then(|k| match (a.label() == k.canary, b.label() == k.canary) {
                (true, false) => Some((Side::A, k.decided.clone())),
                (false, true) => Some((Side::B, k.decided.clone())),
                _ => None,
            });
    Ok(match kept {
        Some((side, d)) => ordered(side, a, b, d),
        None => (a, b, None),
    })
}

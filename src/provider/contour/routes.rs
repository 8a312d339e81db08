//! Testers' routes on a Contour HTTPProxy: not read or written yet; the writes are refused.

use crate::cluster::ClusterError;
use crate::model::RouteChange;

use crate::provider::two_backends::{Routing, Split, Testers};
use crate::provider::{ObjectWrite, Route};

/// The testers' routes of the proxy's routes (`spec`), around the weighted route at `index`.
pub fn testers(_spec: &serde_json::Value, index: usize, _split: &Split) -> Testers {
    Testers {
        index,
        ..Testers::default()
    }
}

/// The writes of a testers' route change.
pub fn route_writes(
    route: &Route,
    _r: &Routing,
    change: &RouteChange,
) -> Result<Vec<ObjectWrite>, ClusterError> {
    Err(ClusterError::Refused(format!(
        "{}: the cockpit does not {change} for Contour yet",
        route.object
    )))
}

//! The alert sinks of a system that has none of its own: only Flagger's canaries name
//! AlertProviders, every other system answers `--alert flagger` with the same reason.

use crate::alert::Sink;
use crate::provider::system::Pending;
use crate::provider::Route;

use super::lever::no_alert_providers;

/// No sinks, and why: the body of `alert_sinks` for every system but Flagger.
pub fn none<'a>(route: &'a Route) -> Pending<'a, (Vec<Sink>, Vec<String>)> {
    Box::pin(std::future::ready((
        Vec::new(),
        vec![no_alert_providers(route)],
    )))
}

//! A route for the shared modules' unit tests: an nginx pair read as `virtualservice/reviews`,
//! with the annotations, backends and weight a test names.

use crate::model::Weight;

use super::route::Route;

/// The route `virtualservice/reviews`, its backends `names` (primary first) at `weight` %.
pub fn route(annotations: &[(&str, &str)], names: [&str; 2], weight: u8) -> Route {
    let meta = kube::api::ObjectMeta {
        annotations: Some(
            annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..Default::default()
    };
    let routing = crate::provider::Routing::Nginx(crate::provider::nginx::Routing {
        pair: crate::provider::nginx::Pair {
            primary: Default::default(),
            canary: Default::default(),
        },
        weight: Some(crate::provider::nginx::CanaryWeight {
            weight: 0,
            total: 100,
        }),
    });
    Route::plain(
        routing,
        "virtualservice/reviews".to_string(),
        "reviews".to_string(),
        names.map(str::to_string),
        Weight::clamped(weight),
        &meta,
    )
}

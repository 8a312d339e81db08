//! The testers' routes of a split as read: the rules, and the routes they sit among.

/// The rules that send requests to the canary whatever the weight, as read, and the routes they
/// sit among: what a provider needs to add or remove its own. Empty where the parser reads none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Testers {
    /// The rules, as [`super::Route::rules`] shows them.
    pub rules: Vec<crate::model::RouteRule>,
    /// The object's list of routes, as read (Istio: `spec.http`).
    pub routes: Vec<serde_json::Value>,
    /// The index of the weighted route in [`Testers::routes`].
    pub index: usize,
    /// The canary's position among the weighted route's destinations.
    pub canary: usize,
}

//! KubeSphere grayscale releases: a Strategy (servicemesh.kubesphere.io/v1alpha2) of type
//! Canary. Its `spec.template.spec` is the VirtualService KubeSphere applies: the route weights
//! per subset are the split. `spec.principal` is the reference (primary) version,
//! `spec.governor` the version that takes all traffic once set: promote ("take over") sets it to
//! the canary, roll back to the principal. Versions are subsets, and a subset is the pods whose
//! `version` label has its name, among those `spec.selector` selects.
//!
//! Fields checked against KubeSphere's published CRD (release-3.4,
//! `config/ks-core/crds/servicemesh.kubesphere.io_strategies.yaml`): `spec.type`,
//! `spec.principal`, `spec.governor`, `spec.strategyPolicy`, `spec.selector.matchLabels`,
//! `spec.template.spec.http[].route[].destination.{host,subset}` and `.weight`,
//! `status.conditions[].{type,status,reason,message}`. The CRD has no status subresource.
//!
//! Testers' routes: the template's routes before the weighted one are read as the release's rules
//! (as for Istio); the cockpit writes none, for the reason [`route_writes`] gives.

use crate::model::{Phase, RouteChange, Weight};
use kube::api::DynamicObject;
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::app::Action;
use crate::cluster::dynamic::{self, Resource};
use crate::cluster::{Cluster, ClusterError};

use crate::cluster::selector::Selector as Pods;
use crate::provider::common::route::{
    cockpit_lever, paused_value, Controlled, Lever, ObjectWrite, Route, PAUSED,
};
use crate::provider::istio;
use crate::provider::two_backends::{self as split, Split, SplitError};
use crate::provider::Watched;

mod system;
mod view;

pub use system::KubeSphere;

pub const STRATEGY: Resource = Resource {
    group: "servicemesh.kubesphere.io",
    kind: "Strategy",
    plural: "strategies",
    versions: &["v1alpha2"],
};

/// The label whose value names a pod's version (a subset).
pub const VERSION_LABEL: &str = "version";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    principal: String,
    #[serde(default)]
    governor: String,
    #[serde(default)]
    strategy_policy: String,
    #[serde(default)]
    selector: Option<Selector>,
    #[serde(default)]
    template: Template,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Selector {
    #[serde(default)]
    match_labels: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct Template {
    #[serde(default)]
    spec: serde_json::Value,
}

#[derive(Debug, Default, Deserialize)]
struct Condition {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    message: String,
}

/// A Strategy as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strategy {
    pub name: String,
    pub principal: String,
    /// The canary: the template's other subset.
    pub canary: String,
    pub governor: String,
    pub policy: String,
    pub selector: BTreeMap<String, String>,
    /// The template's split, its weight paths under `/spec/template/spec`.
    pub split: Split,
    /// The newest condition, as `type=status reason: message`.
    pub condition: String,
    /// The template's routes that send matching requests to the canary whatever the weight.
    pub bypass: Vec<String>,
}

fn subsets(template: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = template
        .get("http")
        .and_then(|h| h.as_array())
        .into_iter()
        .flatten()
        .flat_map(|r| {
            r.get("route")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
        })
        .filter_map(|d| {
            d.get("destination")?
                .get("subset")?
                .as_str()
                .map(str::to_string)
        })
        .collect();
    out.dedup();
    out
}

pub fn parse(obj: &DynamicObject, namespace: &str) -> Result<Strategy, SplitError> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let object = format!("strategy/{name}");
    let malformed = |what: String| SplitError::Malformed {
        object: object.clone(),
        what,
    };
    let spec: Spec = serde_json::from_value(obj.data.get("spec").cloned().unwrap_or_default())
        .map_err(|e| malformed(format!("spec is not a Strategy spec: {e}")))?;
    if spec.kind != "Canary" {
        return Err(malformed(format!(
            "spec.type is {:?}: the cockpit drives Canary strategies",
            spec.kind
        )));
    }
    if spec.principal.is_empty() {
        return Err(malformed("spec.principal is not set".to_string()));
    }
    let selector = spec
        .selector
        .map(|s| s.match_labels)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| malformed("spec.selector has no matchLabels".to_string()))?;
    let canary = subsets(&spec.template.spec)
        .into_iter()
        .find(|s| *s != spec.principal)
        .ok_or_else(|| {
            malformed(format!(
                "spec.template routes to no subset other than the principal {}",
                spec.principal
            ))
        })?;
    let rv = obj.metadata.resource_version.clone().unwrap_or_default();
    // the Strategy names its canary: its definition decides
    let hint = split::Hint::annotated(&canary);
    let (mut split, bypass) = istio::split(&name, namespace, &rv, &hint, &spec.template.spec)
        .map_err(|e| malformed(format!("spec.template: {e}")))?;
    split.decided = Some(crate::provider::common::infer::Decided::new(
        crate::model::CanaryBy::Definition,
        "the Strategy's spec",
    ));
    for b in [&mut split.primary, &mut split.canary]
        .into_iter()
        .chain(split.extra.iter_mut())
    {
        b.weight_path = format!("/spec/template{}", b.weight_path);
    }
    split.route = format!("spec.template.{}", split.route);
    let conditions: Vec<Condition> = obj
        .data
        .get("status")
        .and_then(|s| s.get("conditions"))
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default();
    let condition = conditions
        .last()
        .map(|c| {
            let mut s = format!("{}={}", c.kind, c.status);
            if !c.reason.is_empty() {
                s.push_str(&format!(" {}", c.reason));
            }
            if !c.message.is_empty() {
                s.push_str(&format!(": {}", c.message));
            }
            s
        })
        .unwrap_or_default();
    Ok(Strategy {
        name,
        principal: spec.principal,
        canary,
        governor: spec.governor,
        policy: spec.strategy_policy,
        selector,
        split,
        condition,
        bypass,
    })
}

impl Strategy {
    /// The governor takes all traffic; without one, the template's weights apply.
    pub fn weight(&self) -> Result<Weight, String> {
        if self.governor == self.canary {
            Ok(Weight::FULL)
        } else if self.governor == self.principal {
            Ok(Weight::ZERO)
        } else {
            self.split.percent()
        }
    }

    pub fn phase(&self) -> Option<Phase> {
        if self.governor == self.canary {
            Some(Phase::Promoted)
        } else if self.governor == self.principal {
            Some(Phase::RolledBack)
        } else {
            None
        }
    }

    pub fn pod_selectors(&self) -> [BTreeMap<String, String>; 2] {
        let with = |v: &str| {
            let mut s = self.selector.clone();
            s.insert(VERSION_LABEL.to_string(), v.to_string());
            s
        };
        [with(&self.principal), with(&self.canary)]
    }
}

/// Take over (`governor` = the canary) or back to the principal, conditional on the version read.
pub fn governor_patch(s: &Strategy, resource_version: &str, promote: bool) -> serde_json::Value {
    let governor = if promote { &s.canary } else { &s.principal };
    serde_json::json!({
        "metadata": {"resourceVersion": resource_version},
        "spec": {"governor": governor}
    })
}

/// The release's route from its Strategy.
pub fn route(obj: &DynamicObject, namespace: &str) -> Result<Route, ClusterError> {
    let s = parse(obj, namespace)?;
    // weights that cannot be read leave the release readable: the rollback moves spec.governor
    // and never reads them
    let malformed = view::unreadable(&s);
    let weight = s.weight().unwrap_or(Weight::ZERO);
    let [p, c] = s.pod_selectors();
    let names = [s.principal.clone(), s.canary.clone()];
    let (object, name) = (format!("strategy/{}", s.name), s.name.clone());
    let phase = s.phase();
    let view = s.view();
    let (bypass, rules) = (s.bypass.clone(), s.split.testers.rules.clone());
    let routing = crate::provider::Routing::Strategy(Box::new(s));
    let mut route = Route::plain(routing, object, name, names, weight, &obj.metadata);
    route.bypass = bypass;
    route.rules = rules;
    route.malformed = malformed;
    // the cockpit's own pause annotation, as on the releases it drives
    let paused = route.paused;
    let mut view = view;
    view.hold = paused.then(|| crate::model::Hold::Paused {
        field: PAUSED.to_string(),
    });
    Ok(route.controlled(Controlled {
        paused,
        phase,
        plan: None,
        view,
        selectors: [Pods::from_map(&p), Pods::from_map(&c)],
    }))
}

pub async fn read(cluster: &Cluster, name: &str) -> Result<Route, ClusterError> {
    let (obj, _) = dynamic::get(cluster, STRATEGY, name).await?;
    route(&obj, &cluster.namespace)
}

pub fn watches(name: &str) -> Vec<Watched> {
    vec![Watched {
        resource: STRATEGY,
        version: STRATEGY.versions[0],
        name: Some(name.to_string()),
    }]
}

/// The template's weights; refused while a governor takes all traffic.
pub fn weight_writes(
    seen: &Route,
    s: &Strategy,
    weight: Weight,
) -> Result<Vec<ObjectWrite>, ClusterError> {
    if !s.governor.is_empty() {
        return Err(ClusterError::Refused(format!(
            "{} is governed by {}, which takes all traffic: the template's weights apply again once spec.governor is cleared",
            seen.object, s.governor
        )));
    }
    let ops = s.split.weight_patch(weight);
    Ok(vec![ObjectWrite::json(
        STRATEGY,
        STRATEGY.versions[0],
        &seen.name,
        ops,
    )])
}

/// The cockpit's pause annotation on the Strategy, conditional on the version read.
pub fn pause_writes(seen: &Route, s: &Strategy, paused: bool) -> Vec<ObjectWrite> {
    let patch = serde_json::json!({"metadata": {
        "resourceVersion": s.split.resource_version,
        "annotations": {PAUSED: paused_value(paused)}}});
    vec![ObjectWrite::merge(
        STRATEGY,
        STRATEGY.versions[0],
        &seen.name,
        patch,
    )]
}

/// Testers' routes are not written into a Strategy: see the module's doc.
pub fn route_writes(route: &Route, change: &RouteChange) -> Result<Vec<ObjectWrite>, ClusterError> {
    Err(ClusterError::Refused(format!(
        "{}: the cockpit does not {change} in a KubeSphere Strategy: its CRD declares a header \
         match (spec.template.spec.http[].match[].headers) as an object without fields, so the API \
         server prunes exact/regex and the rule would send every request carrying the header to \
         the canary; route testers with an Istio VirtualService instead",
        route.object
    )))
}

/// Promote takes over (the governor is the canary), rollback goes back to the principal; the
/// weight and pause as the cockpit drives them.
pub fn lever(route: &Route, s: &Strategy, action: Action) -> Result<Lever, ClusterError> {
    match action {
        Action::Promote | Action::Rollback => {
            let promote = action == Action::Promote;
            let patch = governor_patch(s, &s.split.resource_version, promote);
            let governor = if promote { &s.canary } else { &s.principal };
            Ok(Lever::Writes {
                writes: vec![ObjectWrite::merge(
                    STRATEGY,
                    STRATEGY.versions[0],
                    &route.name,
                    patch,
                )],
                what: Some(format!("spec.governor: {governor}")),
            })
        }
        _ => cockpit_lever(route, action),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strategy(governor: &str) -> DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": "servicemesh.kubesphere.io/v1alpha2", "kind": "Strategy",
            "metadata": {"name": "reviews", "resourceVersion": "8"},
            "spec": {"type": "Canary", "principal": "v1", "governor": governor,
                "strategyPolicy": "Immediately",
                "selector": {"matchLabels": {"app": "reviews"}},
                "template": {"spec": {"hosts": ["reviews"], "http": [{"route": [
                    {"destination": {"host": "reviews", "subset": "v1"}, "weight": 70},
                    {"destination": {"host": "reviews", "subset": "v2"}, "weight": 30}]}]}}},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Applied", "message": "strategy applied"}]}
        }))
        .unwrap()
    }

    #[test]
    fn the_template_split_and_the_governor() {
        let s = parse(&strategy(""), "shop").unwrap();
        assert_eq!((s.principal.as_str(), s.canary.as_str()), ("v1", "v2"));
        assert_eq!(s.weight().unwrap(), Weight::clamped(30));
        assert_eq!(
            s.split.canary.weight_path,
            "/spec/template/spec/http/0/route/1/weight"
        );
        assert_eq!(s.phase(), None);
        assert_eq!(
            s.pod_selectors()[1].get("version").map(String::as_str),
            Some("v2")
        );
        assert!(s.view().message.contains("Applied"));
        let taken = parse(&strategy("v2"), "shop").unwrap();
        assert_eq!(
            (taken.weight().unwrap(), taken.phase()),
            (Weight::FULL, Some(Phase::Promoted))
        );
        let back = parse(&strategy("v1"), "shop").unwrap();
        assert_eq!(back.phase(), Some(Phase::RolledBack));
        let p = governor_patch(&s, "8", true);
        assert_eq!(p["spec"]["governor"], "v2");
        assert_eq!(p["metadata"]["resourceVersion"], "8");
    }

    #[test]
    fn other_strategy_types_are_refused() {
        let mut obj = strategy("");
        obj.data["spec"]["type"] = json!("Mirror");
        assert!(parse(&obj, "shop")
            .unwrap_err()
            .to_string()
            .contains("Canary strategies"));
    }
}

//! A Rollout as a release: its route, what to watch, and the lever of each action.

use crate::app::Action;
use crate::cluster::dynamic;
use crate::cluster::selector::Selector;
use crate::cluster::{Cluster, ClusterError};
use crate::metrics::templates;
use kube::api::DynamicObject;
use std::collections::BTreeMap;

use super::{abort_writes, analysis_lines, next_step_writes, parse, promote_full_writes};
use super::{ArgoError, Revision, Rollout, ANALYSIS_RUN, ROLLOUT};
use crate::provider::common::route::{Controlled, Lever, Route};
use crate::provider::{MetricsHints, Watched};

impl From<ArgoError> for ClusterError {
    fn from(e: ArgoError) -> Self {
        ClusterError::Object(Box::new(e))
    }
}

/// The release's route from its Rollout and the namespace's AnalysisRuns; `known` are the
/// revisions of its pod templates known so far (see [`super::versions`]).
pub fn route(
    obj: &DynamicObject,
    runs: &[DynamicObject],
    known: &BTreeMap<String, Revision>,
) -> Result<Route, ClusterError> {
    let mut r = parse(obj)?;
    r.learn(known);
    let [p, c] = r.pod_selectors();
    // the versions by revision and image, as `kubectl argo rollouts get` shows them
    let canary_hash = if r.settled() {
        None
    } else {
        r.canary_hash.as_ref()
    };
    let names = [
        r.version_name(r.stable_hash.as_ref(), "stable"),
        r.version_name(canary_hash, "canary"),
    ];
    let (object, name) = (format!("rollout/{}", r.name), r.name.clone());
    let malformed = r
        .unreadable
        .iter()
        .map(|u| crate::provider::common::route::Malformed {
            object: object.clone(),
            field: u.field.clone(),
            value: u.value.clone(),
            expected: u.expected.clone(),
            rollback: None,
        })
        .collect();
    let (weight, paused, phase, plan) = (r.weight(), r.is_paused(), r.phase(), r.plan());
    let view = r.view(analysis_lines(&r.uid, runs));
    let (rules, bypass) = (r.rules.clone(), r.header_routes.clone());
    let routing = crate::provider::Routing::Rollout(Box::new(r));
    let mut route = Route::plain(routing, object, name, names, weight, &obj.metadata);
    route.rules = rules;
    route.bypass = bypass;
    route.malformed = malformed;
    Ok(route.controlled(Controlled {
        paused,
        phase: Some(phase),
        plan,
        view,
        selectors: [Selector::from_map(&p), Selector::from_map(&c)],
    }))
}

/// The revisions known of the release as last read.
pub fn known(seen: &Route) -> BTreeMap<String, Revision> {
    match &seen.routing {
        crate::provider::Routing::Rollout(r) => r.revisions.clone(),
        _ => BTreeMap::new(),
    }
}

pub async fn read(cluster: &Cluster, name: &str) -> Result<Route, ClusterError> {
    let (obj, _) = dynamic::get(cluster, ROLLOUT, name).await?;
    let runs = dynamic::list(cluster, ANALYSIS_RUN, ANALYSIS_RUN.versions[0]).await?;
    let known = super::versions::read(cluster, &parse(&obj)?).await;
    route(&obj, &runs, &known)
}

/// The Rollout by name, and the namespace's AnalysisRuns.
pub fn watches(name: &str) -> Vec<Watched> {
    vec![
        Watched {
            resource: ROLLOUT,
            version: ROLLOUT.versions[0],
            name: Some(name.to_string()),
        },
        Watched {
            resource: ANALYSIS_RUN,
            version: ANALYSIS_RUN.versions[0],
            name: None,
        },
    ]
}

pub fn weight_refused() -> ClusterError {
    ClusterError::Refused(
        "Argo Rollouts sets the weight by its steps (setWeight): step to the next one, promote fully, or abort".to_string(),
    )
}

/// Each action on the field `kubectl argo rollouts` writes.
pub fn lever(route: &Route, r: &Rollout, action: Action) -> Result<Lever, ClusterError> {
    let name = route.name.as_str();
    Ok(match action {
        Action::SetWeight { .. } => return Err(weight_refused()),
        Action::NextStep => {
            Lever::writes(next_step_writes(r).map_err(ClusterError::Refused)?.on(name))
        }
        Action::Pause | Action::Resume => {
            Lever::writes(super::pause_writes(name, action == Action::Pause))
        }
        Action::Promote => Lever::Writes {
            writes: promote_full_writes(r).on(name),
            what: Some("status.promoteFull: true".to_string()),
        },
        Action::Rollback => Lever::Writes {
            writes: abort_writes(true).on(name),
            what: Some("status.abort: true".to_string()),
        },
        Action::Retry if r.abort => Lever::Writes {
            writes: abort_writes(false).on(name),
            what: Some("status.abort: false".to_string()),
        },
        Action::Retry => {
            return Err(ClusterError::Refused(format!(
                "{} is not aborted: nothing to retry",
                route.object
            )))
        }
    })
}

/// The series of its traffic provider: ingress-nginx's when the Rollout routes through it
/// (Argo's canary Ingress is `<rollout>-<stable ingress>-canary`), else the application's.
pub fn metrics_hints(r: &Rollout) -> MetricsHints {
    match &r.stable_ingress {
        Some(s) => MetricsHints {
            template: templates::NGINX,
            ingresses: Ok(format!("{s}|{}-{s}-canary", r.name)),
            workloads: None,
        },
        None => MetricsHints {
            ingresses: Err("the rollout routes no ingress-nginx traffic".to_string()),
            ..MetricsHints::template(templates::APP)
        },
    }
}

//! A Flagger Canary as a release: its route, what to watch, and the lever of each action (the
//! Canary's fields, or the gates the cockpit serves).

use crate::app::Action;
use crate::cluster::dynamic;
use crate::cluster::selector::Selector;
use crate::cluster::{Cluster, ClusterError};
use crate::metrics::templates;
use crate::model::Capability;
use crate::model::{GateState, Weight};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{DynamicObject, ListParams};
use kube::Api;

use super::{parse, skip_analysis_patch, suspend_patch, Canary, FlaggerError, CANARY};
use crate::provider::common::route::{Controlled, GateChange, Lever, ObjectWrite, Route};
use crate::provider::{Context, MetricsHints, Watched};

impl From<FlaggerError> for ClusterError {
    fn from(e: FlaggerError) -> Self {
        ClusterError::Object(Box::new(e))
    }
}

/// The release's route from its Canary; the pod selectors are its Deployments' (the target and
/// `<target>-primary`) as `ctx` knows them.
pub fn route(obj: &DynamicObject, ctx: &Context) -> Result<Route, ClusterError> {
    let c = parse(obj)?;
    let names = [c.primary(), c.target.clone()];
    let (object, name) = (format!("canary/{}", c.name), c.name.clone());
    let (paused, phase, plan) = (c.suspend, c.phase(), c.plan.clone());
    let view = c.view(ctx.gates.clone());
    let weight = Weight::clamped(c.weight);
    let malformed: Vec<_> = c
        .unreadable_status
        .iter()
        .map(
            |(value, expected)| crate::provider::common::route::Malformed {
                object: object.clone(),
                field: "status".to_string(),
                value: value.clone(),
                expected: expected.clone(),
                rollback: None,
            },
        )
        .collect();
    let rules = c.rules.clone();
    let routing = crate::provider::Routing::Flagger(Box::new(c));
    let mut route = Route::plain(routing, object, name, names, weight, &obj.metadata);
    route.bypass = rules.iter().map(|r| format!("A/B {r}")).collect();
    route.rules = rules;
    route.malformed = malformed;
    Ok(route.controlled(Controlled {
        paused,
        phase: Some(phase),
        plan,
        view,
        selectors: ctx.selectors.clone().unwrap_or_default(),
    }))
}

/// Flagger's A/B testing is the Canary's own: the cockpit does not write it.
pub fn route_writes(
    _route: &Route,
    _change: &crate::model::RouteChange,
) -> Result<Vec<ObjectWrite>, ClusterError> {
    Err(ClusterError::Refused(
        "Flagger owns spec.analysis.match: edit the Canary (A/B testing), the cockpit does not write it"
            .to_string(),
    ))
}

/// The pod selectors of a Canary's Deployments: the primary (`<target>-primary`) and the target.
async fn selectors(cluster: &Cluster, c: &Canary) -> Result<[Selector; 2], ClusterError> {
    let api: Api<Deployment> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| dynamic::call(cluster, "list", "deployments", "").error(e))?;
    let selector_of = |name: &str| -> Result<Selector, ClusterError> {
        let d = list
            .items
            .iter()
            .find(|d| d.metadata.name.as_deref() == Some(name))
            .ok_or_else(|| ClusterError::NotFound {
                resource: "deployment",
                name: name.to_string(),
                namespace: cluster.namespace.clone(),
            })?;
        d.spec
            .selector
            .match_labels
            .as_ref()
            .filter(|l| !l.is_empty())
            .map(Selector::from_map)
            .ok_or_else(|| ClusterError::NoSelector {
                service: format!("deployment/{name}"),
            })
    };
    Ok([selector_of(&c.primary())?, selector_of(&c.target)?])
}

pub async fn read(cluster: &Cluster, name: &str) -> Result<Route, ClusterError> {
    let (obj, _) = dynamic::get(cluster, CANARY, name).await?;
    let c = parse(&obj)?;
    let ctx = Context {
        selectors: Some(selectors(cluster, &c).await?),
        ..Context::of(&cluster.namespace)
    };
    route(&obj, &ctx)
}

pub fn watches(name: &str) -> Vec<Watched> {
    vec![Watched {
        resource: CANARY,
        version: CANARY.versions[0],
        name: Some(name.to_string()),
    }]
}

pub fn weight_refused() -> ClusterError {
    ClusterError::Refused(
        "Flagger sets the weight by its analysis (stepWeight): open its traffic-increase gate, promote, or roll back".to_string(),
    )
}

pub fn pause_writes(name: &str, paused: bool) -> Vec<ObjectWrite> {
    vec![ObjectWrite::merge(
        CANARY,
        CANARY.versions[0],
        name,
        suspend_patch(paused),
    )]
}

/// Suspend/resume on the Canary; step, promote and roll back through the cockpit's gates when
/// Flagger's webhooks point at them (`gates`: this cockpit serves them); promote without a
/// promotion gate by `spec.skipAnalysis`.
pub fn lever(
    route: &Route,
    c: &Canary,
    action: Action,
    gates: bool,
) -> Result<Lever, ClusterError> {
    let refused = |key: Capability, otherwise: &str| {
        let why = route
            .controller
            .as_ref()
            .and_then(|v| v.refusal(key))
            .unwrap_or(otherwise);
        ClusterError::Refused(why.to_string())
    };
    let gate = |change: GateChange, what: String| Ok(Lever::Gate { change, what });
    match action {
        Action::SetWeight { .. } => Err(refused(
            Capability::SetWeight,
            "Flagger sets the weight by its analysis",
        )),
        Action::Pause | Action::Resume => Ok(Lever::writes(pause_writes(
            &route.name,
            action == Action::Pause,
        ))),
        Action::NextStep
            if gates && (c.gated("confirm-traffic-increase") || c.gated("confirm-rollout")) =>
        {
            gate(
                GateChange::Gate(GateState::OpenForStep {
                    from_weight: Some(c.weight),
                }),
                format!("gate open for one step (from {} %)", c.weight),
            )
        }
        Action::NextStep => Err(refused(Capability::StepUp, "no gate to open")),
        Action::Promote if gates && c.gated("confirm-promotion") => gate(
            GateChange::Gate(GateState::Open),
            "promotion gate open".to_string(),
        ),
        Action::Promote => Ok(Lever::Writes {
            writes: vec![ObjectWrite::merge(
                CANARY,
                CANARY.versions[0],
                &route.name,
                skip_analysis_patch(),
            )],
            what: Some(
                "spec.skipAnalysis set: Flagger promotes without further analysis".to_string(),
            ),
        }),
        Action::Rollback if gates && c.rollback_gated() => {
            gate(GateChange::Rollback(true), "rollback gate open".to_string())
        }
        Action::Rollback => Err(refused(Capability::Rollback, "no rollback gate")),
        Action::Retry => Err(crate::provider::common::route::retry_refused()),
    }
}

/// The series of Flagger's traffic provider, where the cockpit can tell the versions apart.
pub fn metrics_hints(c: &Canary) -> MetricsHints {
    let template = match c.provider.as_str() {
        "nginx" if c.ingress.is_some() => templates::NGINX,
        "linkerd" => templates::LINKERD,
        "" | "istio" => templates::ISTIO,
        _ => templates::APP,
    };
    MetricsHints {
        template,
        ingresses: match &c.ingress {
            Some(i) => Ok(format!("{i}|{i}-canary")),
            None => Err("the canary has no spec.ingressRef".to_string()),
        },
        // Flagger's workloads are the target and <target>-primary
        workloads: Some((c.primary(), c.target.clone())),
    }
}

//! The board's rows from what its watches hold: each system's releases among its objects (the
//! provider reads them, [`crate::provider::TrafficSystem::releases`]), the readiness of each
//! version from its Deployment's status, the time in phase, and what p, r, P and R would write.

use crate::app::Action;
use crate::board::{ActionPlan, Facts, Key, Ready};
use crate::model::{Kind, Millis};
use crate::provider::{self, Lever, Route};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::DynamicObject;
use std::collections::{BTreeMap, HashMap};

use super::{board_status, status};

/// Ready and desired pods of each Deployment, by namespace and name.
pub type Workloads = BTreeMap<(String, String), Ready>;

/// What the board remembers of a release between two reads: since when it is in its phase and
/// since when nothing moved.
#[derive(Clone, Debug)]
pub struct Seen {
    phase: String,
    since: Millis,
    since_seen: bool,
    progress: (Option<u8>, Option<(usize, usize)>),
    moved: Millis,
}

pub type Memory = HashMap<Key, Seen>;

/// The actions the board offers.
pub const ACTIONS: [Action; 4] = [
    Action::Pause,
    Action::Resume,
    Action::Promote,
    Action::Rollback,
];

/// The latest `lastTransitionTime` of the object's status conditions: when its controller last
/// changed its mind.
fn transition(obj: &DynamicObject) -> Option<Millis> {
    let conditions = obj.data.get("status")?.get("conditions")?.as_array()?;
    conditions
        .iter()
        .filter_map(|c| c.get("lastTransitionTime").cloned())
        .filter_map(|t| serde_json::from_value::<Time>(t).ok())
        .map(|t| Millis(t.0.as_millisecond()))
        .max()
}

/// What `action` writes to the release, or why it cannot.
fn plan(route: &Route, action: Action) -> Result<String, String> {
    match (action, route.paused) {
        (Action::Pause, true) => return Err("already paused: nothing to write".to_string()),
        (Action::Resume, false) => return Err("not paused: nothing to write".to_string()),
        _ => {}
    }
    route.refuse_malformed(action).map_err(|e| e.to_string())?;
    let system = provider::of(route);
    let lever = system
        .lever(route, action, false)
        .map_err(|e| e.to_string())?;
    Ok(match (lever, action) {
        (Lever::Writes { .. }, Action::Pause | Action::Resume) => format!(
            "{} {}",
            route.object,
            system.pause_field(action == Action::Pause)
        ),
        (Lever::Writes { what: Some(w), .. }, _) => format!("{} {w}", route.object),
        (Lever::Writes { writes, .. }, _) => writes
            .iter()
            .map(|w| format!("{}/{}", w.resource.kind.to_ascii_lowercase(), w.name))
            .collect::<Vec<_>>()
            .join(", "),
        (Lever::StagedPromote, _) => format!(
            "{}: weight 100, the canary's pod template to the primary, weight 0, the canary scaled to 0",
            route.object
        ),
        (Lever::StagedRollback, _) => {
            format!("{}: weight 0, then the canary scaled to 0", route.object)
        }
        (Lever::Gate { .. }, _) => {
            return Err(
                "a gate the cockpit serves: open the release with --gate-listen".to_string(),
            )
        }
    })
}

/// The controller's step, n of m.
fn step(route: &Route) -> Option<(usize, usize)> {
    let c = route.controller.as_ref()?;
    let m = c.steps.len();
    let n = c.current_step?;
    (m > 0).then_some(((n + 1).min(m), m))
}

/// One release's facts from its route; `seen` is updated with what moved.
fn of_route(
    key: Key,
    kind: Kind,
    route: &Route,
    obj: Option<&DynamicObject>,
    workloads: &Workloads,
    memory: &mut Memory,
    now: Millis,
) -> Facts {
    let phase = status::phase(route);
    let weight = route.malformed.is_empty().then(|| route.weight.percent());
    let step = step(route);
    let ready = match (kind, obj) {
        (Kind::Rollout, Some(o)) => board_status::argo_ready(o),
        _ => [0, 1].map(|i| {
            workloads
                .get(&(key.namespace.clone(), route.names[i].clone()))
                .copied()
        }),
    };
    let told = obj.and_then(transition);
    let seen = memory.entry(key.clone()).or_insert_with(|| Seen {
        phase: phase.clone(),
        since: told.unwrap_or(now),
        since_seen: told.is_none(),
        progress: (weight, step),
        moved: told.unwrap_or(now),
    });
    if seen.phase != phase {
        seen.phase.clone_from(&phase);
        seen.since = told.filter(|t| *t > seen.since).unwrap_or(now);
        seen.since_seen = false;
        seen.moved = now;
    }
    if seen.progress != (weight, step) {
        seen.progress = (weight, step);
        seen.moved = now;
    }
    let controller = route.controller.as_ref();
    Facts {
        system: kind.provider().to_string(),
        phase,
        state: route.phase,
        step,
        weight,
        ready,
        metrics: None,
        hold: controller.and_then(|c| c.hold.clone()),
        cockpit_paused: route.paused && controller.is_none(),
        message: controller.map(|c| c.message.clone()).unwrap_or_default(),
        since: seen.since,
        since_seen: seen.since_seen,
        moved: seen.moved,
        interval_ms: obj.and_then(|o| board_status::interval_ms(kind, o)),
        unreadable: route.malformed.first().map(ToString::to_string),
        plans: ACTIONS
            .iter()
            .map(|&action| ActionPlan {
                action,
                plan: plan(route, action),
            })
            .collect(),
        key,
    }
}

/// The board's facts of every release of `kind` among `objects` (read at `version`).
pub fn facts(
    context: &str,
    kind: Kind,
    version: &'static str,
    objects: &[DynamicObject],
    workloads: &Workloads,
    memory: &mut Memory,
    now: Millis,
) -> Vec<Facts> {
    let by_name: HashMap<(&str, &str), &DynamicObject> = objects
        .iter()
        .map(|o| {
            let ns = o.metadata.namespace.as_deref().unwrap_or_default();
            let name = o.metadata.name.as_deref().unwrap_or_default();
            ((ns, name), o)
        })
        .collect();
    let mut out = Vec::new();
    for f in provider::system(kind).releases(version, objects) {
        // an object a controller owns is its owner's business
        let owned = f
            .meta
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.controller == Some(true));
        // a route without a two-backend split is not a canary release
        if owned || f.route.as_ref().is_err_and(provider::is_no_split) {
            continue;
        }
        let name = f
            .route
            .as_ref()
            .map_or(f.name.as_str(), |r| r.name.as_str());
        let key = Key {
            context: context.to_string(),
            namespace: f.namespace.clone(),
            target: format!("{}/{name}", kind.prefix()),
        };
        let obj = by_name
            .get(&(f.namespace.as_str(), f.name.as_str()))
            .copied();
        out.push(match &f.route {
            Ok(route) => of_route(key, kind, route, obj, workloads, memory, now),
            Err(e) => unreadable(key, kind, e.to_string(), now),
        });
    }
    out
}

fn unreadable(key: Key, kind: Kind, why: String, now: Millis) -> Facts {
    Facts {
        key,
        system: kind.provider().to_string(),
        phase: "unreadable".to_string(),
        state: None,
        step: None,
        weight: None,
        ready: [None, None],
        metrics: None,
        hold: None,
        cockpit_paused: false,
        message: String::new(),
        since: now,
        since_seen: true,
        moved: now,
        interval_ms: None,
        unreadable: Some(why.clone()),
        plans: ACTIONS
            .iter()
            .map(|&action| ActionPlan {
                action,
                plan: Err(format!("the release cannot be read: {why}")),
            })
            .collect(),
    }
}

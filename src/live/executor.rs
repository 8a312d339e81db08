//! The levers of a live release: the cockpit's keys (through the one executor,
//! [`crate::perform`], whose world on the cluster is [`super::inflight`]) and the command-line
//! verbs both perform an [`Action`] here. The release's provider names the lever ([`Lever`]);
//! this module pulls it: conditional writes, the cockpit's own promotion and rollback stage by
//! stage.
//! A gate the cockpit serves for Flagger belongs to the cockpit's state: the lever becomes an
//! event for it ([`gate_changed`]), and the gates it then publishes are written here
//! ([`publish`]), the one write to the gate book outside the gate server.

use crate::app::{Action, Actor, Event, GateBy};
pub use crate::cluster::report::Reporter;
use crate::cluster::{Cluster, ClusterError};
use crate::model::GateChange;
use crate::provider::common::write;
use crate::provider::flagger::gate::{GateBook, Gates, Handover};
use crate::provider::{self, Lever};

use super::release::Observed;
use super::stages::{self, SharedUndo};

/// How actions on the release are performed.
#[derive(Clone, Debug)]
pub struct Options {
    /// A rollback moves the traffic back but leaves the canary's pods running.
    pub keep_canary: bool,
    /// Never write: every action is refused (the cockpit's keys say so before they get here).
    pub read_only: bool,
    /// The gates this cockpit answers for Flagger (`--gate-listen`), and where.
    pub gates: Option<(GateBook, String)>,
    /// How long a write may take before the cockpit gives up on it (`--action-timeout`).
    pub timeout: std::time::Duration,
}

pub use crate::perform::TIMEOUT;

impl Default for Options {
    fn default() -> Self {
        Options {
            keep_canary: false,
            read_only: false,
            gates: None,
            timeout: TIMEOUT,
        }
    }
}

fn serves_no_gates() -> ClusterError {
    ClusterError::Refused("the cockpit serves no gates (--gate-listen)".to_string())
}

/// The lever `action` pulls on the release, or why it is refused.
pub fn lever(seen: &Observed, action: Action, options: &Options) -> Result<Lever, ClusterError> {
    if options.read_only {
        return Err(ClusterError::Refused(
            "the cockpit is read-only (--readonly): nothing was written".to_string(),
        ));
    }
    // a field that could not be read leaves only the way back
    seen.route.refuse_malformed(action)?;
    provider::of(&seen.route).lever(&seen.route, action, options.gates.is_some())
}

/// Whether the lever runs stage by stage (a task of its own in the cockpit).
pub fn is_staged(lever: &Lever) -> bool {
    matches!(lever, Lever::StagedPromote | Lever::StagedRollback)
}

/// Pulls `lever` on the release; what it did, when there is more to say than "ok".
pub async fn pull(
    cluster: &Cluster,
    seen: &Observed,
    lever: Lever,
    options: &Options,
    report: &mut Reporter,
    undo: &SharedUndo,
) -> Result<Option<String>, ClusterError> {
    match lever {
        Lever::Writes { writes, what } => {
            write::apply(cluster, &seen.route, writes).await?;
            Ok(what)
        }
        Lever::StagedPromote => stages::promote(cluster, seen, report, undo)
            .await
            .map(|()| None),
        Lever::StagedRollback => stages::rollback(cluster, seen, options.keep_canary, report, undo)
            .await
            .map(|()| None),
        // the gates are the cockpit's to change: see `gate_changed`
        Lever::Gate { .. } => Err(serves_no_gates()),
    }
}

/// A gate lever as the event that tells the cockpit, which owns the gates: it applies the change
/// and asks for the gates to be published.
pub fn gate_changed(
    seen: &Observed,
    options: &Options,
    (change, what): (GateChange, String),
    action: Action,
    actor: Actor,
) -> Result<Event, ClusterError> {
    if options.gates.is_none() {
        return Err(serves_no_gates());
    }
    Ok(Event::GateChanged {
        at: crate::model::wall_clock(),
        namespace: seen.snapshot.namespace.clone(),
        name: seen.route.name.clone(),
        change,
        by: GateBy::Action {
            action,
            actor,
            what,
        },
    })
}

/// Publishes the gates of `namespace/name` as the cockpit has them, through the hand-over of
/// the release's gates: the gate server answers Flagger from them.
pub fn publish(
    handover: Option<&Handover>,
    namespace: &str,
    name: &str,
    gates: Gates,
) -> Result<(), ClusterError> {
    let handover = handover.ok_or_else(serves_no_gates)?;
    if (handover.namespace(), handover.name()) != (namespace, name) {
        return Err(ClusterError::Refused(format!(
            "the cockpit serves the gates of {}/{}, not of {namespace}/{name}",
            handover.namespace(),
            handover.name()
        )));
    }
    handover.publish(gates);
    Ok(())
}

/// Performs `action`: its lever, then pulling it.
pub async fn perform(
    cluster: &Cluster,
    seen: &Observed,
    action: Action,
    options: &Options,
    report: &mut Reporter,
) -> Result<Option<String>, ClusterError> {
    let lever = lever(seen, action, options)?;
    pull(
        cluster,
        seen,
        lever,
        options,
        report,
        &SharedUndo::default(),
    )
    .await
}

/// Adds or clears a testers' route: the provider's writes, each conditional on what was read.
pub async fn route(
    cluster: &Cluster,
    seen: &Observed,
    change: &crate::model::RouteChange,
    options: &Options,
) -> Result<(), ClusterError> {
    if options.read_only {
        return Err(ClusterError::Refused(
            "the cockpit is read-only (--readonly): nothing was written".to_string(),
        ));
    }
    let writes = provider::of(&seen.route).route_writes(&seen.route, change)?;
    write::apply(cluster, &seen.route, writes).await.map(drop)
}

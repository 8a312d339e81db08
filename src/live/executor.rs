//! The one executor of actions on a live release: the cockpit's keys and the command-line verbs
//! both perform an [`Action`] here. The release's provider names the lever ([`Lever`]); this
//! module pulls it: conditional writes, the cockpit's own promotion and rollback stage by stage,
//! or a gate the cockpit serves for Flagger.

use crate::app::Action;
pub use crate::cluster::report::Reporter;
use crate::cluster::{Cluster, ClusterError};
use crate::gate::GateBook;
use crate::provider::{self, write, GateChange, Lever};

use super::release::Observed;
use super::stages::{self, SharedUndo};

/// How actions on the release are performed.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A rollback moves the traffic back but leaves the canary's pods running.
    pub keep_canary: bool,
    /// Never write: every action is refused (the cockpit's keys say so before they get here).
    pub read_only: bool,
    /// The gates this cockpit answers for Flagger (`--gate-listen`), and where.
    pub gates: Option<(GateBook, String)>,
}

impl Options {
    fn book(&self) -> Option<&GateBook> {
        self.gates.as_ref().map(|(b, _)| b)
    }
}

/// The lever `action` pulls on the release, or why it is refused.
pub fn lever(seen: &Observed, action: Action, options: &Options) -> Result<Lever, ClusterError> {
    if options.read_only {
        return Err(ClusterError::Refused(
            "the cockpit is read-only (--readonly): nothing was written".to_string(),
        ));
    }
    provider::lever(&seen.route, action, options.gates.is_some())
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
        Lever::Gate { change, what } => {
            let book = options.book().ok_or_else(|| {
                ClusterError::Refused("the cockpit serves no gates (--gate-listen)".to_string())
            })?;
            let (ns, name) = (seen.snapshot.namespace.as_str(), seen.route.name.as_str());
            match change {
                GateChange::Gate(state) => book.set_gate(ns, name, state),
                GateChange::Rollback => book.set_rollback(ns, name, true),
            }
            Ok(Some(what))
        }
    }
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

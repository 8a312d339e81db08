//! The multi-stage actions on plain providers, where the cockpit itself is the controller: roll
//! back and promote. Each stage is told to a [`Reporter`] as it happens (the event log, or the
//! terminal of a scriptable verb); a failed stage stops the rest and says what was done.

use crate::app::{Action, Event};
use crate::model::Weight;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

use super::release::{self, Ended, Observed, Routing};
use super::{argo, deploy, flagger, write, Cluster, ClusterError};
use crate::gate::{GateBook, GateState};

/// Where the stages of an action go.
pub enum Reporter {
    /// Notes in the cockpit's event log (and its recording).
    Events(mpsc::Sender<Event>),
    /// Lines on stdout, prefixed with the target.
    Print(String),
    /// Collected, for callers that print once at the end.
    Collect(Vec<String>),
}

impl Reporter {
    pub async fn say(&mut self, action: &str, text: String) {
        match self {
            Reporter::Events(tx) => {
                let note = Event::Note {
                    at: crate::run::wall_clock(),
                    author: "cockpit".to_string(),
                    text: format!("{action}: {text}"),
                };
                if tx.send(note).await.is_err() {
                    tracing::debug!("the cockpit closed before a stage note");
                }
            }
            Reporter::Print(target) => {
                let line = format!("{target}: {text}\n");
                if crate::replay::commands::write_stdout(&line).is_err() {
                    tracing::debug!("stdout closed");
                }
            }
            Reporter::Collect(lines) => lines.push(text),
        }
    }
}

/// What a promotion changed that a rollback must put back: the primary Deployment's pod
/// template from before the canary's was copied to it.
#[derive(Clone, Debug, Default)]
pub struct Undo {
    pub primary: Option<(String, PodTemplateSpec)>,
}

/// Shared between a promotion under way and the rollback that may stop it.
pub type SharedUndo = Arc<Mutex<Undo>>;

fn take_undo(undo: &SharedUndo) -> Option<(String, PodTemplateSpec)> {
    match undo.lock() {
        Ok(mut u) => u.primary.take(),
        Err(poisoned) => poisoned.into_inner().primary.take(),
    }
}

/// Rolls back: the canary's weight to 0 at once; the primary's own pod template back if a
/// stopped promotion had replaced it; then (unless `keep_canary`) the canary's Deployment scaled
/// to 0.
pub async fn rollback(
    cluster: &Cluster,
    seen: &Observed,
    keep_canary: bool,
    report: &mut Reporter,
    undo: &SharedUndo,
) -> Result<(), ClusterError> {
    // the way back does not depend on what was seen before: whatever the weight is now (a
    // promotion under way may just have moved it), it goes to 0, conditional on the route as
    // read right now
    let route = match write::set_weight(cluster, &seen.route, Weight::ZERO, Some(Ended::RolledBack))
        .await
    {
        Err(ClusterError::Conflict { .. }) => {
            let now = release::current_route(cluster, &seen.target).await?;
            write::set_weight(cluster, &now, Weight::ZERO, Some(Ended::RolledBack)).await?
        }
        done => done?,
    };
    report
        .say("rollback", format!("{}: canary weight 0 %", route.object))
        .await;
    if let Some((primary, template)) = take_undo(undo) {
        deploy::restore_template(cluster, &primary, &template).await?;
        report
            .say(
                "rollback",
                format!("deployment/{primary} back to its own pod template"),
            )
            .await;
    }
    if keep_canary {
        report
            .say("rollback", "canary pods kept (--keep-canary)".to_string())
            .await;
        return Ok(());
    }
    let canary = deploy::running(cluster, &seen.selectors[1]).await?;
    deploy::scale(cluster, deploy::name(&canary), 0).await?;
    report
        .say(
            "rollback",
            format!("deployment/{} scaled to 0", deploy::name(&canary)),
        )
        .await;
    Ok(())
}

/// Promotes: all traffic to the canary; the canary's pod template copied to the primary's
/// Deployment; its rollout waited for; the traffic back to the primary; the canary scaled to 0.
/// When a stage fails, the traffic stays where the last stage put it and the error says where.
pub async fn promote(
    cluster: &Cluster,
    seen: &Observed,
    report: &mut Reporter,
    undo: &SharedUndo,
) -> Result<(), ClusterError> {
    const WHAT: &str = "promote";
    // both Deployments first: nothing moves unless the whole promotion can be done
    let primary = deploy::running(cluster, &seen.selectors[0]).await?;
    let canary = deploy::running(cluster, &seen.selectors[1]).await?;
    // what the primary will run: the canary Deployment's template, whatever its pods show yet
    let image = canary
        .spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let route = write::set_weight(cluster, &seen.route, Weight::FULL, None).await?;
    report
        .say(
            WHAT,
            format!("{}: all traffic to the canary (100 %)", route.object),
        )
        .await;
    let stopped = |stage: &str, e: ClusterError| {
        ClusterError::Refused(format!(
            "promotion stopped at \"{stage}\", the canary keeps 100 % of the traffic: {e}"
        ))
    };
    let stored = deploy::copy_template(cluster, &canary, &primary)
        .await
        .map_err(|e| stopped("copy the pod template", e))?;
    if let Ok(mut u) = undo.lock() {
        u.primary = Some((
            deploy::name(&primary).to_string(),
            primary.spec.template.clone(),
        ));
    }
    report
        .say(
            WHAT,
            format!(
                "deployment/{} takes the canary's pod template ({image})",
                deploy::name(&primary)
            ),
        )
        .await;
    deploy::wait_rollout(cluster, &stored, report)
        .await
        .map_err(|e| stopped("wait for the primary's rollout", e))?;
    report
        .say(
            WHAT,
            format!("deployment/{} rolled out", deploy::name(&primary)),
        )
        .await;
    let route = write::set_weight(cluster, &route, Weight::ZERO, Some(Ended::Promoted))
        .await
        .map_err(|e| stopped("move the traffic back to the primary", e))?;
    report
        .say(
            WHAT,
            format!(
                "{}: all traffic back to the primary, now on {image}",
                route.object
            ),
        )
        .await;
    // promoted: nothing is left to undo
    take_undo(undo);
    deploy::scale(cluster, deploy::name(&canary), 0).await?;
    report
        .say(
            WHAT,
            format!("deployment/{} scaled to 0", deploy::name(&canary)),
        )
        .await;
    Ok(())
}

/// Next step of a release whose controller walks steps.
pub async fn next_step(cluster: &Cluster, seen: &Observed) -> Result<(), ClusterError> {
    match &seen.route.routing {
        Routing::Flagger { .. } => flagger(cluster, seen, Action::NextStep, None)
            .await
            .map(drop),
        Routing::Rollout { rollout } => {
            let writes = argo::next_step_writes(rollout).map_err(ClusterError::Refused)?;
            write::rollout_writes(cluster, &seen.route.name, writes)
                .await
                .map(drop)
        }
        _ => Err(ClusterError::Refused(
            "the cockpit drives this release by weight: + moves it by the step weight".to_string(),
        )),
    }
}

/// Whether the release's own controller promotes and rolls back (one write each), rather than
/// the cockpit stage by stage.
pub fn controller_owned(seen: &Observed) -> bool {
    matches!(
        seen.route.routing,
        Routing::Rollout { .. } | Routing::Strategy { .. } | Routing::Flagger { .. }
    )
}

/// Promote or roll back through the release's own controller.
pub async fn through_controller(
    cluster: &Cluster,
    seen: &Observed,
    action: Action,
) -> Result<(), ClusterError> {
    match (&seen.route.routing, action) {
        (Routing::Rollout { rollout }, Action::Promote) => write::rollout_writes(
            cluster,
            &seen.route.name,
            argo::promote_full_writes(rollout),
        )
        .await
        .map(drop),
        (Routing::Rollout { .. }, Action::Rollback) => {
            write::rollout_writes(cluster, &seen.route.name, argo::abort_writes(true))
                .await
                .map(drop)
        }
        (Routing::Flagger { .. }, _) => flagger(cluster, seen, action, None).await.map(drop),
        (Routing::Strategy { .. }, Action::Promote | Action::Rollback) => {
            write::set_governor(cluster, &seen.route, action == Action::Promote)
                .await
                .map(drop)
        }
        _ => Err(ClusterError::Refused(format!(
            "{action} is not a lever of {}",
            seen.route.object
        ))),
    }
}

/// Retry an aborted Argo rollout (`status.abort: false`).
pub async fn retry(cluster: &Cluster, seen: &Observed) -> Result<(), ClusterError> {
    match &seen.route.routing {
        Routing::Rollout { rollout } if rollout.abort => {
            write::rollout_writes(cluster, &seen.route.name, argo::abort_writes(false))
                .await
                .map(drop)
        }
        Routing::Rollout { .. } => Err(ClusterError::Refused(format!(
            "{} is not aborted: nothing to retry",
            seen.route.object
        ))),
        _ => Err(ClusterError::Refused(
            "retry applies to Argo Rollouts (an aborted rollout)".to_string(),
        )),
    }
}

/// A Flagger lever: suspend/resume on the Canary; step, promote and roll back through the
/// cockpit's gates when Flagger's webhooks point at them; promote without a promotion gate by
/// `spec.skipAnalysis`. What changed, for the event log.
pub async fn flagger(
    cluster: &Cluster,
    seen: &Observed,
    action: Action,
    gates: Option<&GateBook>,
) -> Result<Option<String>, ClusterError> {
    let Routing::Flagger { canary } = &seen.route.routing else {
        return Err(ClusterError::Refused(format!(
            "{} is not a Flagger canary",
            seen.route.object
        )));
    };
    let (ns, name) = (seen.snapshot.namespace.as_str(), seen.route.name.as_str());
    let refused = |key: &str| {
        seen.route
            .controller
            .as_ref()
            .and_then(|c| c.refusal(key))
            .map(|why| ClusterError::Refused(why.to_string()))
    };
    match action {
        Action::SetWeight { .. } => Err(refused("set-weight").unwrap_or_else(|| {
            ClusterError::Refused("Flagger sets the weight by its analysis".to_string())
        })),
        Action::Pause | Action::Resume => {
            write::canary_patch(
                cluster,
                &seen.route,
                flagger::suspend_patch(action == Action::Pause),
            )
            .await?;
            Ok(None)
        }
        Action::NextStep => match gates {
            Some(book)
                if canary.gated("confirm-traffic-increase") || canary.gated("confirm-rollout") =>
            {
                book.set_gate(
                    ns,
                    name,
                    GateState::OpenForStep {
                        from_weight: Some(canary.weight),
                    },
                );
                Ok(Some(format!(
                    "gate open for one step (from {} %)",
                    canary.weight
                )))
            }
            _ => Err(refused("step-up")
                .unwrap_or_else(|| ClusterError::Refused("no gate to open".to_string()))),
        },
        Action::Promote => match gates {
            Some(book) if canary.gated("confirm-promotion") => {
                book.set_gate(ns, name, GateState::Open);
                Ok(Some("promotion gate open".to_string()))
            }
            _ => {
                write::canary_patch(cluster, &seen.route, flagger::skip_analysis_patch()).await?;
                Ok(Some(
                    "spec.skipAnalysis set: Flagger promotes without further analysis".to_string(),
                ))
            }
        },
        Action::Rollback => match gates {
            Some(book) if canary.rollback_gated() => {
                book.set_rollback(ns, name, true);
                Ok(Some("rollback gate open".to_string()))
            }
            _ => Err(refused("rollback")
                .unwrap_or_else(|| ClusterError::Refused("no rollback gate".to_string()))),
        },
    }
}

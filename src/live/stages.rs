//! The multi-stage actions on plain providers, where the cockpit itself is the controller: roll
//! back and promote. How a release is promoted depends on its layout ([`Layout`]): stable/canary
//! and primary/canary layouts copy the canary's pod template to the primary (here); backends
//! named by version take over ([`super::takeover`]). Each stage is told to a [`Reporter`] as it
//! happens (the event log, or the terminal of a scriptable verb); a failed stage stops the rest
//! and says what was done. The final write of each also ends the cockpit's testers' routes.

use crate::cluster::{deploy, Cluster, ClusterError};
use crate::model::Weight;
use crate::provider::common::ending::{self, Ending};
use crate::provider::common::takeover::{self, Layout};
use crate::provider::common::write;
use crate::provider::Ended;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use std::sync::{Arc, Mutex};

use super::release::{self, Observed};
use crate::cluster::report::Reporter;

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

/// Tells the line about the cockpit's testers' routes the final write ended, if there were any.
pub async fn say_routes(report: &mut Reporter, action: &str, ending: &Ending) {
    if let Some(note) = ending.routes_note() {
        report.say(action, note).await;
    }
}

/// Rolls back: the canary's weight to 0 at once (and the cockpit's testers' routes removed); the
/// primary's own pod template back if a stopped promotion had replaced it; then (unless
/// `keep_canary`) the canary's Deployment scaled to 0. A release whose last promotion was a
/// take-over gets its old version back instead ([`super::takeover::rollback`]).
pub async fn rollback(
    cluster: &Cluster,
    seen: &Observed,
    keep_canary: bool,
    report: &mut Reporter,
    undo: &SharedUndo,
) -> Result<(), ClusterError> {
    if takeover::last(&seen.route).is_some() {
        return super::takeover::rollback(cluster, &seen.target, &seen.route, keep_canary, report)
            .await;
    }
    // the way back does not depend on what was seen before: whatever the weight is now (a
    // promotion under way may just have moved it, or it cannot even be read), it goes to 0,
    // conditional on the route as read right now
    let end = |route| ending::finish(cluster, route, Weight::ZERO, Ended::RolledBack, &[]);
    let (ended, basis) = match end(&seen.route).await {
        Err(ClusterError::Conflict { .. }) => {
            let now = release::current_route(cluster, &seen.target, &seen.route).await?;
            // a take-over landed meanwhile: undo it
            if takeover::last(&now).is_some() {
                return super::takeover::rollback(cluster, &seen.target, &now, keep_canary, report)
                    .await;
            }
            let basis = now.malformed.clone();
            (end(&now).await?, basis)
        }
        done => (done?, seen.route.malformed.clone()),
    };
    for m in &basis {
        report
            .say(
                "rollback",
                format!("{}: warning: {}", m.object, m.after_rollback()),
            )
            .await;
    }
    report
        .say(
            "rollback",
            format!("{}: canary weight 0 %", ended.route.object),
        )
        .await;
    say_routes(report, "rollback", &ended).await;
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

/// Promotes as the release's layout asks: backends named by version take over
/// ([`super::takeover::promote`]), every other layout copies the pod template ([`copy`]).
pub async fn promote(
    cluster: &Cluster,
    seen: &Observed,
    report: &mut Reporter,
    undo: &SharedUndo,
) -> Result<(), ClusterError> {
    match Layout::of(&seen.route) {
        Layout::TakeOver => super::takeover::promote(cluster, seen, report).await,
        Layout::TemplateCopy => copy(cluster, seen, report, undo).await,
    }
}

/// Promotes by the template copy: all traffic to the canary; the canary's pod template copied to
/// the primary's Deployment; its rollout waited for; the traffic back to the primary (and the
/// cockpit's testers' routes removed); the canary scaled to 0. When a stage fails, the traffic
/// stays where the last stage put it and the error says where.
pub async fn copy(
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
    let image = deploy::image(&canary).unwrap_or_default();
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
    deploy::wait_rollout(cluster, &stored, WHAT, report)
        .await
        .map_err(|e| stopped("wait for the primary's rollout", e))?;
    report
        .say(
            WHAT,
            format!("deployment/{} rolled out", deploy::name(&primary)),
        )
        .await;
    let ended = ending::finish(cluster, &route, Weight::ZERO, Ended::Promoted, &[])
        .await
        .map_err(|e| stopped("move the traffic back to the primary", e))?;
    report
        .say(
            WHAT,
            format!(
                "{}: all traffic back to the primary, now on {image}",
                ended.route.object
            ),
        )
        .await;
    say_routes(report, WHAT, &ended).await;
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

//! The promotion of backends named by version, and its rollback. The new version takes the
//! traffic over: all of it goes to the new version in one conditional write, which records the
//! take-over on the routing object (the new version reads as the primary from then on) and ends
//! the cockpit's testers' routes; then the old version's Deployment is scaled to 0, kept (its pod
//! template untouched) for a rollback. A rollback scales the old version back to the replicas it
//! had, waits for them, returns all traffic to it and scales the new version to 0.

use crate::cluster::report::Reporter;
use crate::cluster::{deploy, Cluster, ClusterError};
use crate::model::{Target, Weight};
use crate::provider::common::ending;
use crate::provider::common::takeover::{self, TakenOver};
use crate::provider::{self, Ended, Route};

use super::release::{self, Observed};
use super::stages::say_routes;

const PROMOTE: &str = "promote";
const ROLLBACK: &str = "rollback";

/// Promotes by a take-over: all traffic to the new version, recorded as its take-over; the old
/// version's Deployment scaled to 0 and kept.
pub async fn promote(
    cluster: &Cluster,
    seen: &Observed,
    report: &mut Reporter,
) -> Result<(), ClusterError> {
    let route = &seen.route;
    let (old_v, new_v) = (route.names[0].as_str(), route.names[1].as_str());
    if let Some(t) = takeover::last(route) {
        return Err(ClusterError::Refused(format!(
            "{} took over from {} already: the release is promoted, and a rollback returns the \
             traffic to {}",
            t.new, t.old, t.old
        )));
    }
    // both Deployments first: nothing moves unless the whole take-over can be done
    let old = deploy::running(cluster, &seen.selectors[0]).await?;
    let new = deploy::running(cluster, &seen.selectors[1]).await?;
    if deploy::available(&new) < 1 {
        return Err(ClusterError::Refused(format!(
            "deployment/{} ({new_v}) has no available replicas, so it cannot take all the \
             traffic over: nothing was changed",
            deploy::name(&new)
        )));
    }
    let replicas = old.spec.replicas.unwrap_or(1);
    let old_name = deploy::name(&old).to_string();
    let notes = takeover::annotations_set(new_v, &old_name, replicas);
    let ended = ending::finish(cluster, route, Weight::FULL, Ended::Promoted, &notes).await?;
    report
        .say(
            PROMOTE,
            format!(
                "{}: all traffic on {new_v} (100 %), the primary from now on",
                ended.route.object
            ),
        )
        .await;
    say_routes(report, PROMOTE, &ended).await;
    deploy::scale(cluster, &old_name, 0).await.map_err(|e| {
        ClusterError::Refused(format!(
            "the take-over stopped at \"scale {old_v} to 0\": all traffic is on {new_v}, and \
             deployment/{old_name} still runs: {e}"
        ))
    })?;
    report
        .say(
            PROMOTE,
            format!(
                "{new_v} took over: all traffic on {new_v}; {old_v} scaled to 0, kept for \
                 rollback (deployment/{old_name} had {replicas} replicas)"
            ),
        )
        .await;
    Ok(())
}

/// The replicas the old version gets back: those it had before the take-over, as recorded; at
/// least 1, since it is to take all the traffic.
fn replicas_back(t: &TakenOver, old: &k8s_openapi::api::apps::v1::Deployment) -> i32 {
    let recorded = t
        .kept
        .as_ref()
        .filter(|(name, _)| name == deploy::name(old))
        .map(|(_, n)| *n);
    recorded.or(old.spec.replicas).unwrap_or(1).max(1)
}

/// Rolls a take-over back (`route`: the release as the take-over left it, its primary the new
/// version): the old version scaled back up and waited for; all traffic back on it, the
/// take-over's record and the cockpit's testers' routes removed; then (unless `keep_canary`) the
/// new version scaled to 0.
pub async fn rollback(
    cluster: &Cluster,
    target: &Target,
    route: &Route,
    keep_canary: bool,
    report: &mut Reporter,
) -> Result<(), ClusterError> {
    let t = takeover::last(route).ok_or_else(|| {
        ClusterError::Refused(format!("{}: no take-over to roll back", route.object))
    })?;
    // the route's sides as it reads now: the new version first
    let sides = provider::of(route).selectors(cluster, route).await?;
    let old = deploy::running(cluster, &sides[1]).await?;
    let new = deploy::running(cluster, &sides[0]).await?;
    let (old_name, new_name) = (
        deploy::name(&old).to_string(),
        deploy::name(&new).to_string(),
    );
    let replicas = replicas_back(&t, &old);
    if old.spec.replicas != Some(replicas) {
        deploy::scale(cluster, &old_name, replicas).await?;
        report
            .say(
                ROLLBACK,
                format!(
                    "deployment/{old_name} ({}) scaled back to {replicas}",
                    t.old
                ),
            )
            .await;
    }
    // the old version takes all the traffic only once its pods are there
    let scaled = deploy::running(cluster, &sides[1]).await?;
    deploy::wait_rollout(cluster, &scaled, ROLLBACK, report).await?;
    report
        .say(ROLLBACK, format!("deployment/{old_name} rolled out"))
        .await;
    let removed = takeover::annotations_removed();
    let end = |r| ending::finish(cluster, r, Weight::FULL, Ended::RolledBack, &removed);
    let ended = match end(route).await {
        Err(ClusterError::Conflict { .. }) => {
            let now = release::current_route(cluster, target, route).await?;
            if takeover::last(&now).as_ref() != Some(&t) {
                return Err(ClusterError::Refused(format!(
                    "{}: the route changed during the rollback and no longer records {} taking \
                     over from {}: the traffic was not moved; deployment/{old_name} runs {replicas} \
                     replicas",
                    now.object, t.new, t.old
                )));
            }
            end(&now).await?
        }
        done => done?,
    };
    report
        .say(
            ROLLBACK,
            format!(
                "{}: all traffic back on {} (100 %)",
                ended.route.object, t.old
            ),
        )
        .await;
    say_routes(report, ROLLBACK, &ended).await;
    if keep_canary {
        report
            .say(ROLLBACK, format!("{}'s pods kept (--keep-canary)", t.new))
            .await;
        return Ok(());
    }
    deploy::scale(cluster, &new_name, 0).await?;
    report
        .say(
            ROLLBACK,
            format!(
                "{} is back: all traffic on {}; {} scaled to 0 (deployment/{new_name})",
                t.old, t.old, t.new
            ),
        )
        .await;
    Ok(())
}

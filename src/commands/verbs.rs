//! The scriptable verbs: `canary status`, `set-weight`, `pause`, `resume`, `promote`, `rollback`.
//! They read and write through the same functions as the cockpit's keys.

use super::alerts::verb_alert;
use crate::app::{Action, Actor};
use crate::cli::{
    AlertArgs, ConfigArg, ConnectArgs, PromoteArgs, RollbackArgs, SetWeightArgs, StatusArgs,
    StatusFormat, TargetArgs,
};
use crate::cluster::{connect, Cluster, ClusterError};
use crate::live::executor::{self, Options, Reporter};
use crate::live::release;
use crate::live::status::StatusReport;
use crate::live::Observed;
use crate::model::{AlertEvent, Phase, Severity, Target};
use std::process::ExitCode;

use super::{runtime, RunError, EXIT_RELEASE_FAILED, EXIT_USAGE};

async fn observe(args: &ConnectArgs, target: &Target) -> Result<(Cluster, Observed), RunError> {
    let cluster = connect(args).await?;
    let observed = release::read(&cluster, target).await?;
    Ok((cluster, observed))
}

/// The alerts of a verb: `--alert` resolved before anything is read or written.
struct VerbAlerts {
    names: Vec<String>,
    config: Option<std::path::PathBuf>,
}

impl VerbAlerts {
    /// Checks every name before anything is read or written: a bad one is exit 2.
    fn resolve(alerts: &AlertArgs, config: &ConfigArg) -> Result<VerbAlerts, RunError> {
        super::alerts::resolve(&alerts.alert, config.config.as_deref(), None)?;
        Ok(VerbAlerts {
            names: alerts.alert.clone(),
            config: config.config.clone(),
        })
    }

    /// Sends the alert for what the verb did, then tells each outcome on stderr.
    fn send(
        self,
        runtime: &tokio::runtime::Runtime,
        cluster: &Cluster,
        observed: &Observed,
        alert: impl FnOnce(&Actor) -> Option<crate::model::Alert>,
    ) {
        if self.names.is_empty() {
            return;
        }
        // again, now that the kubeconfig context is known: entries for other contexts stay out
        let resolved =
            super::alerts::resolve(&self.names, self.config.as_deref(), Some(&cluster.context));
        let mut resolved = match resolved {
            Ok(r) => r,
            Err(e) => {
                crate::stdout::error_line(&format!("warning: alerts: {e}"));
                return;
            }
        };
        super::alerts::flagger_sinks(runtime, cluster, observed, &mut resolved);
        for note in &resolved.notes {
            crate::stdout::error_line(&format!("note: {note}"));
        }
        // who acts, as the API server sees it
        let identity = runtime.block_on(crate::cluster::identity::who(cluster));
        let actor = Actor::Operator {
            user: crate::paths::os_user(),
            kube_user: identity.actor(),
        };
        let Some(alert) = alert(&actor) else { return };
        match super::alerts::start(runtime, resolved.sinks, None) {
            Ok(notifier) => super::alerts::send_and_tell(runtime, notifier, &alert),
            Err(e) => crate::stdout::error_line(&format!("warning: alerts: {e}")),
        }
    }
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub(super) fn print(text: &str) -> Result<(), RunError> {
    crate::stdout::write(text)
        .map(drop)
        .map_err(RunError::Output)
}

pub fn status(args: StatusArgs) -> Result<ExitCode, RunError> {
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    // a weight that could not be read is said, never shown as a number
    if let Some(m) = observed.route.malformed.first() {
        return Err(ClusterError::Refused(format!(
            "{m}: `canary rollback` sets it right, `canary pause` still works"
        ))
        .into());
    }
    let mut report = StatusReport::new(&observed);
    {
        // metrics when Prometheus is given on the command line, in the environment or in the
        // config file for this context, or found in the cluster
        let setup = super::metrics_setup(&runtime, &cluster, &observed, &args.metrics)?;
        report.metrics_source = setup.source;
        if let Some(why) = &setup.none_found {
            crate::stdout::error_line(&format!("note: {why}: {}", crate::ui::NO_PROMETHEUS));
        }
        // CPU and memory: one fetch; unknown (null) when the source is missing or refuses
        let fetcher =
            super::resources_fetcher(&cluster, &observed, &args.metrics, setup.poller.as_ref());
        if let Some(f) = fetcher {
            match runtime.block_on(f.fetch()) {
                Ok(sample) => report.set_resources(&sample),
                Err(e) => tracing::info!(%e, "status without CPU and memory"),
            }
        }
        if let Some(p) = setup.poller {
            let at = crate::model::wall_clock();
            match runtime.block_on(p.now(at)) {
                Ok(sample) => report.set_metrics(&sample),
                Err(e) => {
                    crate::stdout::error_line(&format!("warning: metrics unavailable: {e}"));
                    report.metrics = Some(Default::default());
                }
            }
            // the statistical judge over its window: the same queries, one sample per interval
            let settings = crate::model::JudgeSettings::default();
            let window = std::time::Duration::from_secs(u64::from(settings.window_secs));
            match runtime.block_on(p.backfill(at, window)) {
                Ok(samples) => {
                    report.judge = Some(crate::controller::statistical::judge_samples(
                        &settings, samples, at,
                    ))
                }
                Err(e) => tracing::info!(%e, "status without the judge"),
            }
        }
    }
    let text = match args.output {
        StatusFormat::Table => report.to_table(),
        // C1 and bidi controls escaped as \uXXXX: the text parses back whole, the terminal
        // never sees them
        StatusFormat::Json => {
            let json =
                crate::hygiene::json_pretty(&report).map_err(crate::record::RecordError::Encode)?;
            format!("{json}\n")
        }
        StatusFormat::Yaml => {
            crate::hygiene::yaml(&report).map_err(|e| RunError::Output(std::io::Error::other(e)))?
        }
    };
    print(&text)?;
    Ok(if crate::live::status::failed(&observed.route) {
        ExitCode::from(EXIT_RELEASE_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Performs `action` on the release through the one executor, its stages printed as they
/// happen; what the lever did, when it says more than "ok".
fn perform(
    runtime: &tokio::runtime::Runtime,
    cluster: &Cluster,
    observed: &Observed,
    action: Action,
    keep_canary: bool,
) -> Result<Option<String>, ClusterError> {
    let mut report = Reporter::Print(observed.target.to_string());
    let options = Options {
        keep_canary,
        ..Options::default()
    };
    runtime.block_on(executor::perform(
        cluster,
        observed,
        action,
        &options,
        &mut report,
    ))
}

pub fn set_weight(args: SetWeightArgs) -> Result<ExitCode, RunError> {
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    let before = observed.snapshot.weight;
    let action = Action::SetWeight {
        weight: args.weight,
    };
    perform(&runtime, &cluster, &observed, action, false)?;
    tracing::info!(target = %args.target, %before, after = %args.weight, user = %cluster.user, "set weight");
    print(&format!(
        "{}: canary weight {before} % → {} %\n",
        args.target, args.weight
    ))?;
    Ok(ExitCode::SUCCESS)
}

pub fn pause(args: TargetArgs, paused: bool) -> Result<ExitCode, RunError> {
    let alerts = VerbAlerts::resolve(&args.alerts, &args.config)?;
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    let word = if paused { "paused" } else { "resumed" };
    if observed.route.paused == paused {
        print(&format!("{}: already {word}\n", args.target))?;
        return Ok(ExitCode::SUCCESS);
    }
    let action = if paused {
        Action::Pause
    } else {
        Action::Resume
    };
    perform(&runtime, &cluster, &observed, action, false)?;
    for m in &observed.route.malformed {
        crate::stdout::error_line(&format!("warning: {}: {}", m.object, m.after_pause()));
    }
    tracing::info!(target = %args.target, user = %cluster.user, paused, "pause");
    print(&format!(
        "{}: progression {word} ({} {})\n",
        args.target,
        observed.route.object,
        crate::provider::of(&observed.route).pause_field(paused)
    ))?;
    alerts.send(&runtime, &cluster, &observed, |actor| {
        let (event, phase, verb) = if paused {
            (AlertEvent::Paused, Phase::Paused, "paused")
        } else {
            (AlertEvent::Resumed, Phase::Progressing, "resumed")
        };
        let canary = &observed.snapshot.canary.name;
        Some(verb_alert(
            &observed,
            event,
            Severity::Info,
            phase,
            actor,
            format!("{actor} {verb} the progression of {canary}"),
        ))
    });
    Ok(ExitCode::SUCCESS)
}

pub fn retry(args: TargetArgs) -> Result<ExitCode, RunError> {
    // a retry is no alert event; the names are still checked
    VerbAlerts::resolve(&args.alerts, &args.config)?;
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    perform(&runtime, &cluster, &observed, Action::Retry, false)?;
    tracing::info!(target = %args.target, user = %cluster.user, "retry");
    print(&format!("{}: retried (status.abort: false)\n", args.target))?;
    Ok(ExitCode::SUCCESS)
}

pub fn promote(args: PromoteArgs) -> Result<ExitCode, RunError> {
    if !args.yes {
        crate::stdout::error_line(
            "error: promote sends all traffic to the canary and replaces the primary's pod template with the canary's: pass --yes to confirm",
        );
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let alerts = VerbAlerts::resolve(&args.alerts, &args.config)?;
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    let action = crate::provider::of(&observed.route).promote_action(args.full);
    // refused before anything moves: no stage failed (exit 1, not 3)
    observed.route.refuse_malformed(action)?;
    let done = perform(&runtime, &cluster, &observed, action, false);
    let canary = observed.snapshot.canary.name.clone();
    let primary = observed.snapshot.primary.name.clone();
    let stopped = done.as_ref().err().map(ToString::to_string);
    alerts.send(&runtime, &cluster, &observed, |actor| {
        match (&stopped, action) {
            (Some(err), _) => Some(verb_alert(
                &observed,
                AlertEvent::PromotionStopped,
                Severity::Error,
                Phase::Failed,
                actor,
                format!("promotion of {canary} stopped by {actor}: {err}"),
            )),
            (None, Action::Promote) => Some(verb_alert(
                &observed,
                AlertEvent::PromotionFinished,
                Severity::Info,
                Phase::Promoted,
                actor,
                format!("{actor} promoted {canary}: it takes all traffic; {primary} is replaced"),
            )),
            // one step on is no alert event
            (None, _) => None,
        }
    });
    tracing::info!(target = %args.target, user = %cluster.user, full = args.full, ok = done.is_ok(), "promote");
    if observed.route.controller_owned() {
        done?;
        let what = if action == Action::NextStep {
            "on to the next step"
        } else {
            "promoted fully"
        };
        print(&format!("{}: {what}\n", args.target))?;
        return Ok(ExitCode::SUCCESS);
    }
    match done {
        Ok(_) => Ok(ExitCode::SUCCESS),
        // a stage failed after traffic moved: the release needs the operator
        Err(e @ ClusterError::Refused(_)) => {
            crate::stdout::error_line(&format!("error: {e}"));
            Ok(ExitCode::from(EXIT_RELEASE_FAILED))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn rollback(args: RollbackArgs) -> Result<ExitCode, RunError> {
    if !args.yes {
        crate::stdout::error_line(
            "error: rollback moves all traffic to the primary and scales the canary to 0: pass --yes to confirm",
        );
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let alerts = VerbAlerts::resolve(&args.alerts, &args.config)?;
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    let done = perform(
        &runtime,
        &cluster,
        &observed,
        Action::Rollback,
        args.keep_canary,
    );
    tracing::info!(target = %args.target, user = %cluster.user, ok = done.is_ok(), "rollback");
    let what = done?;
    alerts.send(&runtime, &cluster, &observed, |actor| {
        let (canary, primary) = (
            &observed.snapshot.canary.name,
            &observed.snapshot.primary.name,
        );
        Some(verb_alert(
            &observed,
            AlertEvent::OperatorRollback,
            Severity::Warn,
            Phase::RolledBack,
            actor,
            format!("{actor} rolled {canary} back to {primary}"),
        ))
    });
    if observed.route.controller_owned() {
        print(&format!(
            "{}: rolled back by its controller ({})\n",
            args.target,
            what.as_deref().unwrap_or("rollback")
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

//! The scriptable verbs: `canary status`, `set-weight`, `pause`, `resume`, `promote`, `rollback`.
//! They read and write through the same functions as the cockpit's keys.

use crate::app::picker::{Choice, Picker};
use crate::app::{App, AppConfig, Event, Exit, Level};
use crate::cli::{
    PromoteArgs, RollbackArgs, SetWeightArgs, StatusArgs, StatusFormat, TargetArgs, WatchArgs,
};
use crate::record::{Header, SessionSource, Tap};
use crate::run::RunError;
use std::process::ExitCode;

use super::actions::{self, Reporter};
use super::release::{self, Observed};
use super::status::StatusReport;
use super::write;
use super::{connect, ConnectArgs, Target};

fn runtime() -> Result<tokio::runtime::Runtime, RunError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)
}

async fn observe(
    args: &ConnectArgs,
    target: &Target,
) -> Result<(super::Cluster, Observed), RunError> {
    let cluster = connect(args).await?;
    let observed = release::read(&cluster, target).await?;
    Ok((cluster, observed))
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub(super) fn print(text: &str) -> Result<(), RunError> {
    crate::replay::commands::write_stdout(text).map(drop)
}

pub fn status(args: StatusArgs) -> Result<ExitCode, RunError> {
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    let mut report = StatusReport::new(&observed);
    {
        // metrics when Prometheus is given on the command line, in the environment or in the
        // config file for this context
        let poller = runtime
            .block_on(super::metrics_setup::poller(
                &cluster,
                &observed,
                &args.metrics,
            ))
            .map_err(|e| RunError::Metrics(e.to_string()))?;
        if let Some(p) = poller {
            match runtime.block_on(p.now(crate::run::wall_clock())) {
                Ok(sample) => report.set_metrics(&sample),
                Err(e) => {
                    eprintln!("warning: metrics unavailable: {e}");
                    report.metrics = Some(Default::default());
                }
            }
        }
    }
    let text = match args.output {
        StatusFormat::Table => report.to_table(),
        StatusFormat::Json => {
            let json = serde_json::to_string_pretty(&report)
                .map_err(crate::record::RecordError::Encode)?;
            format!("{json}\n")
        }
        StatusFormat::Yaml => serde_saphyr::to_string(&report)
            .map_err(|e| RunError::Output(std::io::Error::other(e.to_string())))?,
    };
    print(&text)?;
    Ok(if super::status::failed(&observed.route) {
        ExitCode::from(EXIT_RELEASE_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn set_weight(args: SetWeightArgs) -> Result<ExitCode, RunError> {
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    let before = observed.snapshot.weight;
    runtime.block_on(write::set_weight(
        &cluster,
        &observed.route,
        args.weight,
        None,
    ))?;
    tracing::info!(target = %args.target, %before, after = %args.weight, user = %cluster.user, "set weight");
    print(&format!(
        "{}: canary weight {before} % → {} %\n",
        args.target, args.weight
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `canary watch [TARGET]`: the cockpit on a live release; without a target, the list of the
/// namespace's (`-A`: every namespace's) releases first. `esc` in the cockpit returns to the
/// list, `:` opens another release.
pub fn watch(args: WatchArgs) -> Result<ExitCode, RunError> {
    let runtime = runtime()?;
    let plan = crate::model::Plan::linear(args.step_weight, args.max_weight)
        .map_err(|e| RunError::Plan(e.to_string()))?;
    let cluster = runtime.block_on(connect(&args.connect))?;
    let gates = match &args.gate_listen {
        Some(addr) => Some(super::gate_serving::serve_gates(&runtime, addr)?),
        None => None,
    };
    let scope = if args.all_namespaces {
        "all namespaces".to_string()
    } else {
        format!("namespace {}", cluster.namespace)
    };
    let mut picker = Picker::new(
        scope,
        cluster.namespace.clone(),
        crate::paths::colour_enabled(),
    );
    let mut next = args.target.clone().map(|t| (cluster.namespace.clone(), t));
    // a release named on the command line that cannot be read ends the command; one chosen in
    // the list sends the operator back to the list with the reason
    let mut from_list = next.is_none();
    loop {
        let (namespace, target) = match next.take() {
            Some(found) => found,
            None => {
                from_list = true;
                let c = cluster.clone();
                let all = args.all_namespaces;
                let list = move || {
                    let c = c.clone();
                    async move {
                        super::discover::releases(&c, all)
                            .await
                            .map_err(|e| e.to_string())
                    }
                };
                match runtime
                    .block_on(crate::tui::run_picker(&mut picker, list))
                    .map_err(RunError::Terminal)?
                {
                    Choice::Open { namespace, target } => match target.parse::<Target>() {
                        Ok(t) => (namespace, t),
                        Err(e) => {
                            picker.say(Level::Error, e.to_string());
                            continue;
                        }
                    },
                    Choice::Reload | Choice::Quit => return Ok(ExitCode::SUCCESS),
                }
            }
        };
        let mut here = cluster.clone();
        here.namespace = namespace;
        let observed = match runtime.block_on(release::read(&here, &target)) {
            Ok(o) => o,
            Err(e) if from_list => {
                picker.say(Level::Error, format!("{target}: {e}"));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        match cockpit(
            &runtime,
            here,
            observed,
            &args,
            plan.clone(),
            gates.as_ref(),
        )? {
            None => return Ok(ExitCode::SUCCESS),
            Some(Exit::Back) => {}
            Some(Exit::Open(text)) => match text.parse::<Target>() {
                Ok(t) => next = Some((picker.namespace.clone(), t)),
                Err(e) => picker.say(Level::Error, e.to_string()),
            },
        }
        from_list = true;
    }
}

/// The cockpit on one release until the operator quits (`None`) or leaves it for another.
fn cockpit(
    runtime: &tokio::runtime::Runtime,
    cluster: super::Cluster,
    mut observed: Observed,
    args: &WatchArgs,
    plan: crate::model::Plan,
    gates: Option<&super::gate_serving::Gates>,
) -> Result<Option<Exit>, RunError> {
    let target = observed.target.clone();
    observed.snapshot.plan = Some(plan.clone());
    let start = crate::run::wall_clock();
    let refresh_ms = super::watch::HEARTBEAT.as_millis() as i64;
    let config = AppConfig {
        user: crate::paths::os_user(),
        kube_user: Some(cluster.user.clone()).filter(|u| !u.is_empty()),
        color: crate::paths::colour_enabled(),
        read_only: false,
        no_writes: args.readonly,
        switchable: true,
        queries: Vec::new(),
        refresh_ms,
    };
    let header = Header::new(
        SessionSource::cluster(
            &cluster.context,
            &cluster.namespace,
            target.kind.provider(),
            &target.to_string(),
        ),
        start,
        observed.snapshot.name.clone(),
    )
    .with_refresh_ms(refresh_ms);
    let poller = runtime
        .block_on(super::metrics_setup::poller(
            &cluster,
            &observed,
            &args.metrics,
        ))
        .map_err(|e| RunError::Metrics(e.to_string()))?;
    let config = AppConfig {
        queries: poller.as_ref().map_or_else(Vec::new, |p| {
            let q = &p.queries;
            let head = format!("{} template, from {}", q.template, p.endpoint.describe());
            vec![
                (
                    format!("request rate by {} ({head})", q.by),
                    q.requests.clone(),
                ),
                (format!("5xx rate by {}", q.by), q.errors.clone()),
                (format!("p99 in ms by {}", q.by), q.p99_ms.clone()),
            ]
        }),
        ..config
    };
    let mut app = if args.drive.drive {
        if actions::controller_owned(&observed) {
            return Err(RunError::Plan(format!(
                "--drive: {} has a controller of its own, which runs the analysis",
                observed.target
            )));
        }
        if poller.is_none() {
            return Err(RunError::Plan(
                "--drive needs metrics: pass --prometheus URL or --prometheus-service NS/SERVICE:PORT"
                    .to_string(),
            ));
        }
        let settings = args.drive.settings().map_err(RunError::Plan)?;
        // the cockpit's analysis plan applies, not a hand-driving one
        observed.snapshot.plan = None;
        App::driving(config, settings, plan)
    } else {
        App::new(config)
    };
    let recorder = crate::run::open_recorder(&args.record, false, &header)?;
    if let Some(r) = &recorder {
        app.set_status(
            crate::app::Level::Info,
            format!("recording to {}", r.path().display()),
        );
    }
    let mut tap = Tap::new(recorder);
    let mut first = vec![
        Event::ReleaseObserved {
            at: start,
            release: observed.snapshot.clone(),
        },
        Event::PodsObserved {
            at: start,
            pods: observed.pods.clone(),
        },
    ];
    first.extend(observed.bypass().iter().map(|rule| Event::Note {
        at: start,
        author: "cockpit".to_string(),
        text: format!("{rule}: matching requests go to the canary whatever the weight"),
    }));
    for event in first {
        tap.feed(&mut app, event);
    }
    tracing::info!(target = %target, namespace = %cluster.namespace, context = %cluster.context, "watch starts");
    let options = super::watch::Options {
        keep_canary: args.keep_canary,
        read_only: args.readonly,
        gates: gates.map(|g| (g.book.clone(), g.addr.clone())),
    };
    let calls = gates.map(|g| g.calls.subscribe());
    let poller = runtime
        .block_on(super::metrics_setup::poller(
            &cluster,
            &observed,
            &args.metrics,
        ))
        .map_err(|e| RunError::Metrics(e.to_string()))?;
    if let Some(p) = &poller {
        let q = &p.queries;
        let text = format!(
            "metrics ({}) from {} every {} s: requests {} · errors {} · p99 {}",
            q.template,
            p.endpoint.describe(),
            p.interval.as_secs(),
            q.requests,
            q.errors,
            q.p99_ms
        );
        tap.feed(
            &mut app,
            Event::Note {
                at: start,
                author: "cockpit".to_string(),
                text,
            },
        );
    }
    let (ns, name) = (cluster.namespace.clone(), observed.route.name.clone());
    let (app, tap) = runtime
        .block_on(crate::tui::run(app, tap, move |events, effects| {
            if let Some(calls) = calls {
                tokio::spawn(super::gate_serving::gate_notes(
                    calls,
                    events.clone(),
                    ns,
                    name,
                ));
            }
            if let Some(p) = poller {
                tokio::spawn(p.run(events.clone()));
            }
            super::watch::run(cluster, observed, options, events, effects)
        }))
        .map_err(RunError::Terminal)?;
    if let Some(path) = tap.finish()? {
        eprintln!("session recorded: canary replay {}", path.display());
    }
    Ok(app.exit)
}

/// Exit code of a usage error that clap cannot see (a missing confirmation).
const EXIT_USAGE: u8 = 2;
/// Exit code when the release failed or was rolled back.
const EXIT_RELEASE_FAILED: u8 = 3;

pub fn pause(args: TargetArgs, paused: bool) -> Result<ExitCode, RunError> {
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    let word = if paused { "paused" } else { "resumed" };
    if observed.route.paused == paused {
        print(&format!("{}: already {word}\n", args.target))?;
        return Ok(ExitCode::SUCCESS);
    }
    runtime.block_on(write::set_paused(&cluster, &observed.route, paused))?;
    tracing::info!(target = %args.target, user = %cluster.user, paused, "pause");
    print(&format!(
        "{}: progression {word} ({} {})\n",
        args.target,
        observed.route.object,
        if paused {
            format!("annotated {}=true", release::PAUSED)
        } else {
            format!("annotation {} removed", release::PAUSED)
        }
    ))?;
    Ok(ExitCode::SUCCESS)
}

pub fn retry(args: TargetArgs) -> Result<ExitCode, RunError> {
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    runtime.block_on(actions::retry(&cluster, &observed))?;
    tracing::info!(target = %args.target, user = %cluster.user, "retry");
    print(&format!("{}: retried (status.abort: false)\n", args.target))?;
    Ok(ExitCode::SUCCESS)
}

pub fn promote(args: PromoteArgs) -> Result<ExitCode, RunError> {
    if !args.yes {
        eprintln!(
            "error: promote sends all traffic to the canary and replaces the primary's pod template with the canary's: pass --yes to confirm"
        );
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    if actions::controller_owned(&observed) {
        let (what, done) =
            if args.full || !matches!(observed.route.routing, release::Routing::Rollout { .. }) {
                (
                    "promoted fully",
                    runtime.block_on(actions::through_controller(
                        &cluster,
                        &observed,
                        crate::app::Action::Promote,
                    )),
                )
            } else {
                (
                    "on to the next step",
                    runtime.block_on(actions::next_step(&cluster, &observed)),
                )
            };
        done?;
        tracing::info!(target = %args.target, user = %cluster.user, full = args.full, "promote");
        print(&format!("{}: {what}\n", args.target))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut report = Reporter::Print(args.target.to_string());
    let undo = actions::SharedUndo::default();
    let done = runtime.block_on(actions::promote(&cluster, &observed, &mut report, &undo));
    tracing::info!(target = %args.target, user = %cluster.user, ok = done.is_ok(), "promote");
    match done {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // a stage failed after traffic moved: the release needs the operator
        Err(e @ super::ClusterError::Refused(_)) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(EXIT_RELEASE_FAILED))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn rollback(args: RollbackArgs) -> Result<ExitCode, RunError> {
    if !args.yes {
        eprintln!(
            "error: rollback moves all traffic to the primary and scales the canary to 0: pass --yes to confirm"
        );
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    if actions::controller_owned(&observed) {
        runtime.block_on(actions::through_controller(
            &cluster,
            &observed,
            crate::app::Action::Rollback,
        ))?;
        tracing::info!(target = %args.target, user = %cluster.user, "rollback");
        print(&format!(
            "{}: rolled back by its controller ({})\n",
            args.target,
            match &observed.route.routing {
                release::Routing::Rollout { .. } => "status.abort: true".to_string(),
                release::Routing::Strategy { strategy } =>
                    format!("spec.governor: {}", strategy.principal),
                _ => "rollback".to_string(),
            }
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut report = Reporter::Print(args.target.to_string());
    let done = runtime.block_on(actions::rollback(
        &cluster,
        &observed,
        args.keep_canary,
        &mut report,
        &actions::SharedUndo::default(),
    ));
    tracing::info!(target = %args.target, user = %cluster.user, ok = done.is_ok(), "rollback");
    done?;
    Ok(ExitCode::SUCCESS)
}

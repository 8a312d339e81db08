//! What each subcommand does, behind the thin `main`.

use crate::app::{AppConfig, Event};
use crate::cli::{Cli, Command, DemoArgs, RecordArgs};
use crate::model::Millis;
use crate::record::{default_session_path, prune, Header, Recorder, SessionSource};
use crate::source::demo::{self, scenario::BUILT_IN, DemoSession, Scenario, ScenarioError, Sim};
use std::process::ExitCode;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Log(#[from] crate::logging::LogError),
    #[error("terminal: {0}")]
    Terminal(std::io::Error),
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Record(#[from] crate::record::RecordError),
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    #[error("--step-weight and --max-weight: {0}")]
    Plan(String),
    #[error("gates: {0}")]
    Gate(String),
    #[error("metrics: {0}")]
    Metrics(String),
    #[error("no recorded sessions in {}: record one with `canary demo`", .0.display())]
    NoSessions(std::path::PathBuf),
}

pub fn run(cli: Cli) -> Result<ExitCode, RunError> {
    let log_file = cli
        .log_file
        .clone()
        .unwrap_or_else(crate::paths::default_log_file);
    let _log_guard = crate::logging::init(&log_file)?;
    match cli.command {
        Command::Demo(args) => run_demo(args),
        Command::Replay(args) => crate::replay::commands::replay(args),
        Command::Sessions => crate::replay::commands::sessions(),
        Command::Status(args) => crate::cluster::commands::status(args),
        Command::Watch(args) => crate::cluster::commands::watch(args),
        Command::Rollback(args) => crate::cluster::commands::rollback(args),
        Command::SetWeight(args) => crate::cluster::commands::set_weight(args),
        Command::Pause(args) => crate::cluster::commands::pause(args, true),
        Command::Resume(args) => crate::cluster::commands::pause(args, false),
        Command::Promote(args) => crate::cluster::commands::promote(args),
        Command::Retry(args) => crate::cluster::commands::retry(args),
        Command::Gate(crate::cli::GateCommand::Serve { listen }) => {
            crate::cluster::gate_serving::gate_serve(&listen)
        }
        Command::Scenarios => {
            for (name, text) in BUILT_IN {
                let s = Scenario::parse(text, name)?;
                println!("{name:<14} {}", s.description);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) fn wall_clock() -> Millis {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Millis(since_epoch.as_millis() as i64)
}

fn run_demo(args: DemoArgs) -> Result<ExitCode, RunError> {
    let scenario = Scenario::load(&args.scenario)?;
    let start = wall_clock();
    let seed = args.seed.unwrap_or(start.0 as u64);
    tracing::info!(scenario = %scenario.name, seed, "demo starts");
    let config = AppConfig {
        user: crate::paths::os_user(),
        color: crate::paths::colour_enabled(),
        ..AppConfig::default()
    };
    let header = Header::new(
        SessionSource::demo(scenario.name.clone(), seed),
        start,
        scenario.release.name.clone(),
    )
    .with_refresh_ms(i64::from(scenario.traffic.sample_secs) * 1000);
    let mut session = DemoSession::new(scenario.clone(), seed, start, config);
    let exporter = match &args.metrics_listen {
        Some(addr) => {
            let x = demo::exporter::DemoExporter::new(
                &scenario.release.namespace,
                &scenario.release.name,
            );
            let bound = x
                .serve(addr)
                .map_err(|e| RunError::Metrics(format!("--metrics-listen {addr}: {e}")))?;
            eprintln!("demo metrics at http://{bound}/metrics");
            session = session.export_to(x.clone());
            Some(x)
        }
        None => None,
    };
    let recorder = open_recorder(&args.record, args.headless, &header)?;
    if let Some(recorder) = recorder {
        tracing::info!(path = %recorder.path().display(), "recording");
        let status = format!("recording to {}", recorder.path().display());
        session.app.set_status(crate::app::Level::Info, status);
        session = session.record_to(recorder);
    }
    if args.headless {
        let stdout = std::io::stdout();
        let result = crate::headless::run(&mut session, args.speed, &mut stdout.lock());
        session.tap.finish()?;
        return match result {
            Ok(outcome) => Ok(ExitCode::from(crate::headless::exit_code(outcome))),
            // the reader went away (`| head`): stop quietly, as a shell pipeline expects
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::from(141)),
            Err(e) => Err(RunError::Output(e)),
        };
    }
    let DemoSession {
        mut app, mut tap, ..
    } = session;
    tap.feed(
        &mut app,
        Event::Note {
            at: start,
            author: "cockpit".to_string(),
            text: format!(
                "demo scenario {}, seed {seed} (rerun with --seed {seed})",
                scenario.name
            ),
        },
    );
    let sim = Sim::new(scenario, seed, start);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    let speed = args.speed;
    let (app, tap) = runtime
        .block_on(crate::tui::run(app, tap, move |events, effects| {
            demo::run(sim, speed, exporter, events, effects)
        }))
        .map_err(RunError::Terminal)?;
    let recorded = tap.finish()?;
    tracing::info!(outcome = ?app.outcome, recording = ?recorded, "demo ends");
    if let Some(path) = recorded {
        eprintln!("session recorded: canary replay {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The recorder the flags ask for: `--record FILE`, none with `--no-record` (or headless without
/// `--record`), else a new file in the sessions directory, pruned to the newest `--keep-sessions`.
pub(crate) fn open_recorder(
    args: &RecordArgs,
    headless: bool,
    header: &Header,
) -> Result<Option<Recorder>, RunError> {
    if args.no_record {
        return Ok(None);
    }
    if let Some(path) = &args.record {
        return Ok(Some(Recorder::create(path, header)?));
    }
    if headless {
        return Ok(None);
    }
    let path = default_session_path(
        &crate::paths::state_dir(),
        &header.release,
        header.started_at,
    );
    let recorder = Recorder::create(&path, header)?;
    if let Some(dir) = path.parent() {
        match prune(dir, usize::from(args.keep_sessions)) {
            Ok(deleted) if !deleted.is_empty() => {
                tracing::info!(count = deleted.len(), "old sessions deleted")
            }
            Ok(_) => {}
            // keeping too many files is no reason to stop the session
            Err(e) => tracing::warn!(error = %e, "cannot prune old sessions"),
        }
    }
    Ok(Some(recorder))
}

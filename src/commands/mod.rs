//! What each subcommand does, behind the thin `main`: one file per command, the exit codes and
//! the error every command returns.

pub mod alerts;
pub mod board;
pub mod board_json;
pub mod demo;
pub mod gate;
pub mod group_demo;
pub mod group_tui;
pub mod headless;
pub mod keel;
pub mod replay;
pub mod route;
pub mod shell;
pub mod verbs;
pub mod wait;
pub mod watch;

use crate::cli::{Cli, Command, RecordArgs};
use crate::record::{default_session_path, free_session_path, prune, Header, Recorder};
use crate::source::demo::{scenario::BUILT_IN, Scenario, ScenarioError};
use std::process::ExitCode;
use thiserror::Error;

/// Exit code of a run that stopped on an error the user can act on (bad input, missing file).
pub const EXIT_ERROR: u8 = 1;
/// Exit code of a usage error that clap cannot see (a missing confirmation).
pub const EXIT_USAGE: u8 = 2;
/// Exit code when a recording was read with damage (skipped or missing lines): the output is
/// complete for what could be read, and the warnings on stderr say what was not.
pub const EXIT_DAMAGED: u8 = 2;
/// Exit code when the release failed or was rolled back.
pub const EXIT_RELEASE_FAILED: u8 = 3;
/// Exit code of `canary board -o json` when a release waits for a human.
pub const EXIT_WAITING: u8 = 4;
/// Exit code when the reader of stdout went away (`| head`), as a shell pipeline expects.
pub const EXIT_BROKEN_PIPE: u8 = 141;

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
    #[error(transparent)]
    Keel(#[from] crate::keel::KeelError),
    /// A usage error clap cannot see (a bad config entry or environment variable): exit 2.
    #[error("{0}")]
    Usage(String),
}

impl From<crate::config::ConfigError> for RunError {
    /// A config file that cannot be used is a usage error, whichever command reads it.
    fn from(e: crate::config::ConfigError) -> Self {
        RunError::Usage(e.to_string())
    }
}

impl RunError {
    /// The process exit code: 2 for usage errors (a bad config file included), else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Usage(_) => EXIT_USAGE,
            RunError::Keel(e) if e.is_usage() => EXIT_USAGE,
            _ => EXIT_ERROR,
        }
    }
}

pub fn run(cli: Cli) -> Result<ExitCode, RunError> {
    let log_file = cli
        .log_file
        .clone()
        .unwrap_or_else(crate::paths::default_log_file);
    let _log_guard = crate::logging::init(&log_file)?;
    let Some(command) = cli.command else {
        return board::bare();
    };
    match command {
        Command::Demo(args) => demo::run(args),
        Command::Board(args) => board::board(args),
        Command::Replay(args) => replay::replay(args),
        Command::Sessions => replay::sessions(),
        Command::Status(args) => verbs::status(args),
        Command::Watch(args) => watch::watch(args),
        Command::Rollback(args) => verbs::rollback(args),
        Command::SetWeight(args) => verbs::set_weight(args),
        Command::Pause(args) => verbs::pause(args, true),
        Command::Resume(args) => verbs::pause(args, false),
        Command::Promote(args) => verbs::promote(args),
        Command::Retry(args) => verbs::retry(args),
        Command::Wait(args) => wait::wait(args),
        Command::Keel(command) => keel::keel(command),
        Command::Route(args) => route::route(args),
        Command::Gate(crate::cli::GateCommand::Serve { listen }) => gate::gate_serve(&listen),
        Command::Completions { shell } => shell::completions(shell),
        Command::Man => shell::man(),
        Command::Alert(crate::cli::AlertCommand::Test { names, config }) => {
            alerts::test(names, config.config.as_deref())
        }
        Command::Scenarios => {
            let mut out = String::new();
            for (name, text) in BUILT_IN {
                let s = Scenario::parse(text, name)?;
                out.push_str(&format!("{name:<14} {}\n", s.description));
            }
            for (name, _) in crate::source::demo::group_scenario::BUILT_IN {
                let g = crate::source::demo::group_scenario::GroupScenario::load(name)?;
                out.push_str(&format!("{name:<14} {}\n", g.description));
            }
            verbs::print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The runtime of a command: one thread, the terminal loop and the watches share it.
pub fn runtime() -> Result<tokio::runtime::Runtime, RunError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)
}

/// The metrics poller of a live release and where its Prometheus came from; no poller when no
/// Prometheus is configured or found.
pub fn metrics_setup(
    runtime: &tokio::runtime::Runtime,
    cluster: &crate::cluster::Cluster,
    observed: &crate::live::Observed,
    args: &crate::cli::MetricsArgs,
) -> Result<crate::live::metrics_setup::Setup, RunError> {
    runtime
        .block_on(crate::live::metrics_setup::setup(cluster, observed, args))
        .map_err(|e| match e {
            // a bad config file, template name or --prometheus-service: exit 2
            crate::metrics::MetricsError::Config(message) => RunError::Usage(message),
            other => RunError::Metrics(other.to_string()),
        })
}

/// The fetcher of CPU and memory `--resources-from` asks for: the resource metrics API, or
/// cAdvisor's series through the metrics poller's Prometheus (none without one).
pub fn resources_fetcher(
    cluster: &crate::cluster::Cluster,
    observed: &crate::live::Observed,
    args: &crate::cli::MetricsArgs,
    poller: Option<&crate::metrics::Poller>,
) -> Option<crate::live::resources::Fetcher> {
    use crate::cli::ResourcesFrom;
    use crate::live::resources::{Fetcher, Source};
    let from = match (args.resources_from, poller) {
        (ResourcesFrom::MetricsApi, _) => Source::MetricsApi,
        (ResourcesFrom::Prometheus, Some(p)) => {
            Source::Prometheus(p.endpoint.clone(), args.metrics_window.clone())
        }
        (ResourcesFrom::Prometheus, None) | (ResourcesFrom::Off, _) => return None,
    };
    Some(Fetcher::new(cluster.clone(), observed, from))
}

/// The recorder the flags ask for: `--record FILE`, none with `--no-record` (or headless without
/// `--record`), else a new file in the sessions directory (never one a session of the same second
/// already wrote), pruned to the newest `--keep-sessions`.
pub fn open_recorder(
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
    let path = free_session_path(&default_session_path(
        &crate::paths::state_dir(),
        &header.release,
        header.started_at,
    ));
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

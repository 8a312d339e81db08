//! What each subcommand does, behind the thin `main`.

use crate::app::{AppConfig, Event};
use crate::cli::{Cli, Command, DemoArgs};
use crate::model::Millis;
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
}

pub fn run(cli: Cli) -> Result<ExitCode, RunError> {
    let log_file = cli
        .log_file
        .clone()
        .unwrap_or_else(crate::paths::default_log_file);
    let _log_guard = crate::logging::init(&log_file)?;
    match cli.command {
        Command::Demo(args) => run_demo(args),
        Command::Scenarios => {
            for (name, text) in BUILT_IN {
                let s = Scenario::parse(text, name)?;
                println!("{name:<14} {}", s.description);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn wall_clock() -> Millis {
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
    if args.headless {
        let mut session = DemoSession::new(scenario, seed, start, config);
        let stdout = std::io::stdout();
        return match crate::headless::run(&mut session, args.speed, &mut stdout.lock()) {
            Ok(outcome) => Ok(ExitCode::from(crate::headless::exit_code(outcome))),
            // the reader went away (`| head`): stop quietly, as a shell pipeline expects
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::from(141)),
            Err(e) => Err(RunError::Output(e)),
        };
    }
    let session = DemoSession::new(scenario.clone(), seed, start, config);
    let mut app = session.app;
    app.update(Event::Note {
        at: start,
        author: "cockpit".to_string(),
        text: format!(
            "demo scenario {}, seed {seed} (rerun with --seed {seed})",
            scenario.name
        ),
    });
    let sim = Sim::new(scenario, seed, start);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    let speed = args.speed;
    let app = runtime
        .block_on(crate::tui::run(app, move |events, effects| {
            demo::run(sim, speed, events, effects)
        }))
        .map_err(RunError::Terminal)?;
    tracing::info!(outcome = ?app.outcome, "demo ends");
    Ok(ExitCode::SUCCESS)
}

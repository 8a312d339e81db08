//! `canary demo`: V1 healthy, V2 faulty, the analysis catches it; no cluster needed.

use crate::app::{AppConfig, Event};
use crate::cli::DemoArgs;
use crate::record::{Header, SessionSource};
use crate::source::demo::{self, DemoSession, Scenario, Sim};
use std::process::ExitCode;

use super::{open_recorder, RunError};

/// `canary demo`: the embedded release, in the cockpit or headless.
pub fn run(args: DemoArgs) -> Result<ExitCode, RunError> {
    if super::group_demo::is_group(&args) {
        return super::group_demo::run(args);
    }
    let mut scenario = Scenario::load(&args.scenario)?;
    if let Some(g) = args.max_memory_growth {
        if !(g.is_finite() && g >= 0.0) {
            return Err(RunError::Usage(format!(
                "--max-memory-growth {g} is not a positive percentage"
            )));
        }
        scenario.analysis.max_memory_growth = Some(g);
    }
    // the judge: --judge, else the config's, else the scenario's
    let configured = crate::config::load(args.config.config.as_deref())?.judge()?;
    if let Some(judge) = args.judge.or(configured) {
        scenario.analysis.judge = Some(judge);
    }
    // every --alert name is checked before the demo starts: a bad one sends nothing
    let resolved = super::alerts::resolve(&args.alerts.alert, args.config.config.as_deref(), None)?;
    if resolved.flagger {
        return Err(RunError::Usage(
            "--alert flagger: the demo's release has no Flagger canary and no AlertProviders"
                .to_string(),
        ));
    }
    let start = crate::model::wall_clock();
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
            crate::stdout::error_line(&format!("demo metrics at http://{bound}/metrics"));
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
    let session_path = recorder_path(&session);
    if args.headless {
        let background = super::alerts::Background::start()?;
        let notifier = background.notifier(resolved.sinks, session_path.as_deref())?;
        if !notifier.is_empty() {
            session.alerts = Some(notifier.handle());
        }
        let stdout = std::io::stdout();
        let mut out = crate::stdout::Clean(stdout.lock());
        let result = super::headless::run(&mut session, args.speed, args.run_for, &mut out);
        session.alerts = None;
        let late = background.finish(notifier, super::alerts::HEADLESS_GRACE);
        // what came back during the run was recorded then; it is told here with the rest
        super::alerts::tell(&session.delivered);
        super::alerts::record_late(&mut session.tap, &mut session.app, &late);
        session.tap.finish()?;
        return match result {
            Ok(outcome) => Ok(ExitCode::from(super::headless::exit_code(outcome))),
            // the reader went away (`| head`): stop quietly, as a shell pipeline expects
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                Ok(ExitCode::from(super::EXIT_BROKEN_PIPE))
            }
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
    if let Some(text) = super::alerts::describe(&resolved.sinks) {
        tap.feed(
            &mut app,
            Event::Note {
                at: start,
                author: "cockpit".to_string(),
                text,
            },
        );
    }
    let sim = Sim::new(scenario, seed, start);
    let runtime = super::runtime()?;
    let notifier = super::alerts::start(&runtime, resolved.sinks, session_path.as_deref())?;
    let speed = args.speed;
    let source = notifier
        .handle()
        .beside(move |events, effects| demo::run(sim, speed, exporter, events, effects));
    let (mut app, mut tap) = runtime
        .block_on(crate::tui::run(app, tap, source))
        .map_err(RunError::Terminal)?;
    let late = runtime.block_on(notifier.finish(crate::alert::GRACE));
    super::alerts::record_late(&mut tap, &mut app, &late);
    let recorded = tap.finish()?;
    tracing::info!(outcome = ?app.outcome, recording = ?recorded, "demo ends");
    if let Some(path) = recorded {
        // the terminal may be gone (SIGHUP): the line is a courtesy, not a duty
        crate::stdout::error_line(&format!(
            "session recorded: canary replay {}",
            path.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The file the session records into, if any.
fn recorder_path(session: &DemoSession) -> Option<std::path::PathBuf> {
    session.tap.path()
}

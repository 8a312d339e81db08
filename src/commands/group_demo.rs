//! `canary demo --scenario frontend-backend`: a demo group, in the group cockpit or headless.

use crate::app::{AppConfig, LogKind};
use crate::cli::DemoArgs;
use crate::model::Clock;
use crate::source::demo::group_scenario::GroupScenario;
use crate::source::demo::group_session::GroupSession;
use crate::source::demo::Speed;
use std::io::{self, Write};
use std::process::ExitCode;

use super::headless::{exit_code, MAX_VIRTUAL_MS};
use super::RunError;

/// Whether `--scenario` names a group scenario.
pub fn is_group(args: &DemoArgs) -> bool {
    GroupScenario::is_group(&args.scenario)
}

/// A demo group: the per-release options that have no meaning for a group are refused.
pub fn run(args: DemoArgs) -> Result<ExitCode, RunError> {
    let scenario = GroupScenario::load(&args.scenario)?;
    let refused = [
        (args.metrics_listen.is_some(), "--metrics-listen"),
        (!args.alerts.alert.is_empty(), "--alert"),
        (args.record.record.is_some(), "--record"),
        (args.max_memory_growth.is_some(), "--max-memory-growth"),
        (args.judge.is_some(), "--judge"),
    ];
    if let Some((_, flag)) = refused.iter().find(|(given, _)| *given) {
        return Err(RunError::Usage(format!(
            "{flag} is not available for a group scenario ({}) yet; it applies to one release",
            scenario.name
        )));
    }
    let start = crate::model::wall_clock();
    let seed = args.seed.unwrap_or(start.0 as u64);
    tracing::info!(scenario = %scenario.name, seed, "demo group starts");
    let config = AppConfig {
        user: crate::paths::os_user(),
        color: crate::paths::colour_enabled(),
        ..AppConfig::default()
    };
    let mut session = GroupSession::new(&scenario, seed, start, config);
    let note = format!(
        "demo group scenario {}, seed {seed} (rerun with --seed {seed}); policy {}; promotion order {}",
        scenario.name,
        scenario.policy,
        session
            .group
            .members
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", then ")
    );
    session.group.log.push(start, LogKind::Note, note);
    if !args.headless {
        return super::group_tui::run(session, args.speed);
    }
    let stdout = std::io::stdout();
    let mut out = crate::stdout::Clean(stdout.lock());
    match run_headless(&mut session, args.speed, &mut out) {
        Ok(outcome) => Ok(ExitCode::from(exit_code(outcome))),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            Ok(ExitCode::from(super::EXIT_BROKEN_PIPE))
        }
        Err(e) => Err(RunError::Output(e)),
    }
}

/// Runs the group to its outcome, printing each line of the group's log as it happens.
pub fn run_headless(
    session: &mut GroupSession,
    speed: Speed,
    out: &mut impl Write,
) -> io::Result<Option<crate::app::ReleaseOutcome>> {
    let pace = speed.real_per_virtual_second();
    let start = session.now();
    let mut printed = 0u64;
    session.start();
    let until = start.plus_ms(MAX_VIRTUAL_MS);
    loop {
        let started = session.group.started_at.unwrap_or(start);
        for entry in session.group.log.since(printed) {
            writeln!(out, "T+{} {}", Clock(entry.at.since(started)), entry.text)?;
        }
        printed = session.group.log.appended();
        out.flush()?;
        if session.group.outcome().is_some() || session.now() >= until {
            break;
        }
        if !pace.is_zero() {
            std::thread::sleep(pace);
        }
        session.step();
    }
    let outcome = session.group.outcome();
    writeln!(
        out,
        "outcome: {}",
        outcome.map_or("undecided", crate::app::ReleaseOutcome::label)
    )?;
    out.flush()?;
    Ok(outcome)
}

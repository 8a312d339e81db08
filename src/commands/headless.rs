//! `canary demo --headless`: no terminal UI, one line per event and the outcome at the end.

use crate::app::{LogEntry, ReleaseOutcome};
use crate::model::Clock;
use crate::source::demo::{DemoSession, Speed};
use std::io::{self, Write};

/// Virtual time after which an undecided release stops the run.
pub const MAX_VIRTUAL_MS: i64 = 6 * 3_600_000;

/// Exit code for a run that ended without an outcome.
pub const EXIT_UNDECIDED: u8 = 4;

pub fn format_line(entry: &LogEntry, started: crate::model::Millis) -> String {
    format!("T+{} {}", Clock(entry.at.since(started)), entry.text)
}

/// Runs the session to its outcome, printing each event-log line as it happens; with `run_for`,
/// for that much virtual time whatever the outcome (a soak run).
pub fn run(
    session: &mut DemoSession,
    speed: Speed,
    run_for: Option<std::time::Duration>,
    out: &mut impl Write,
) -> io::Result<Option<ReleaseOutcome>> {
    let pace = speed.real_per_virtual_second();
    let mut printed = 0u64;
    let start = session.sim.now();
    session.start();
    let soak = run_for.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let until = start.plus_ms(soak.unwrap_or(MAX_VIRTUAL_MS));
    loop {
        let started = session.app.started_at.unwrap_or(start);
        for entry in session.app.log.since(printed) {
            writeln!(out, "{}", format_line(entry, started))?;
        }
        printed = session.app.log.appended();
        out.flush()?;
        let decided = session.app.outcome.is_some() && soak.is_none();
        if decided || session.sim.now() >= until {
            break;
        }
        if !pace.is_zero() {
            std::thread::sleep(pace);
        }
        session.step();
    }
    let outcome = session.app.outcome;
    writeln!(
        out,
        "outcome: {}",
        outcome.map_or("undecided", ReleaseOutcome::label)
    )?;
    out.flush()?;
    Ok(outcome)
}

/// The process exit code for an outcome: 0 promoted, 3 rolled back, 4 undecided, 5 failed.
pub fn exit_code(outcome: Option<ReleaseOutcome>) -> u8 {
    match outcome {
        Some(ReleaseOutcome::Promoted) => 0,
        Some(ReleaseOutcome::RolledBack) => 3,
        Some(ReleaseOutcome::Failed) => 5,
        None => EXIT_UNDECIDED,
    }
}

//! `canary replay` and `canary sessions`.

use super::{RunError, EXIT_BROKEN_PIPE, EXIT_DAMAGED};
use crate::app::{App, AppConfig};
use crate::cli::{OutputFormat, ReplayArgs};
use crate::hygiene::field;
use crate::model::Clock;
use crate::record::retention::{list, sessions_dir, utc_rfc3339};
use crate::record::{self, Recording};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::replay::Player;

pub fn replay(args: ReplayArgs) -> Result<ExitCode, RunError> {
    let path = match &args.file {
        Some(path) => path.clone(),
        None => newest_session()?,
    };
    let recording = record::read(&path)?;
    let damaged = !recording.warnings.is_empty();
    for warning in &recording.warnings {
        crate::stdout::error_line(&format!(
            "warning: {}: {}",
            field(&path.display().to_string()),
            field(warning)
        ));
    }
    let exit = if damaged {
        ExitCode::from(EXIT_DAMAGED)
    } else {
        ExitCode::SUCCESS
    };
    if args.summary || args.plot.is_some() {
        if let Some(out) = &args.plot {
            let svg = crate::replay::plot::svg(&recording);
            std::fs::write(out, svg).map_err(|e| record::RecordError::io("write", out, e))?;
            crate::stdout::error_line(&format!("plot written to {}", out.display()));
        }
        if args.summary {
            let summary = crate::replay::summary::summarize(&recording);
            let text = match args.output {
                OutputFormat::Text => summary.to_text(),
                OutputFormat::Json => {
                    crate::hygiene::json_pretty(&summary).map_err(record::RecordError::Encode)?
                }
            };
            if !write_stdout(&format!("{text}\n"))? {
                return Ok(ExitCode::from(EXIT_BROKEN_PIPE));
            }
        }
        return Ok(exit);
    }
    let config = AppConfig {
        user: crate::paths::os_user(),
        color: crate::paths::colour_enabled(),
        ..AppConfig::default()
    };
    tracing::info!(path = %path.display(), events = recording.events.len(), "replay opens");
    let player = Player::new(recording, config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    runtime
        .block_on(crate::replay::screen::run(player))
        .map_err(RunError::Terminal)?;
    Ok(exit)
}

/// Writes to stdout; `Ok(false)` when the reader went away.
pub(crate) fn write_stdout(text: &str) -> Result<bool, RunError> {
    crate::stdout::write(text).map_err(RunError::Output)
}

/// The newest file in the sessions directory.
fn newest_session() -> Result<PathBuf, RunError> {
    let dir = sessions_dir(&crate::paths::state_dir());
    list(&dir)?
        .into_iter()
        .next()
        .ok_or(RunError::NoSessions(dir))
}

/// One row of `canary sessions`.
pub struct SessionRow {
    pub path: PathBuf,
    pub start: String,
    pub release: String,
    pub source: String,
    pub outcome: String,
    pub duration: String,
    pub size: String,
}

pub fn sessions() -> Result<ExitCode, RunError> {
    let dir = sessions_dir(&crate::paths::state_dir());
    let paths = list(&dir)?;
    let text = if paths.is_empty() {
        format!("no recorded sessions in {}\n", dir.display())
    } else {
        let rows: Vec<SessionRow> = paths.iter().map(|p| session_row(p)).collect();
        format_table(&rows)
    };
    if write_stdout(&text)? {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(EXIT_BROKEN_PIPE))
    }
}

/// Reads one recording for the listing; an unreadable file is listed with its error.
pub fn session_row(path: &Path) -> SessionRow {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut row = SessionRow {
        path: path.to_path_buf(),
        start: "?".to_string(),
        release: "?".to_string(),
        source: "?".to_string(),
        outcome: "?".to_string(),
        duration: "?".to_string(),
        size: human_size(size),
    };
    match record::read(path) {
        Ok(rec) => {
            row.start = utc_rfc3339(rec.header.started_at);
            row.release.clone_from(&rec.header.release);
            row.source = crate::replay::summary::source_label(&rec.header.source);
            let end = rec.events.iter().map(|(t, _)| *t).max();
            let duration = end.map_or(0, |e| e.since(rec.header.started_at));
            row.duration = Clock(duration).to_string();
            row.outcome = outcome(&rec);
        }
        Err(e) => row.outcome = format!("unreadable: {e}"),
    }
    row
}

fn outcome(rec: &Recording) -> String {
    let mut app = App::new(rec.header.replay_config(AppConfig::default()));
    for (_, event) in &rec.events {
        let _ = app.update(event.clone());
    }
    let outcome = app.outcome.map_or("undecided", |o| o.label());
    if rec.warnings.is_empty() {
        outcome.to_string()
    } else {
        format!("{outcome} (damaged)")
    }
}

/// `812 B`, `4.8 KB`, `2.1 MB`.
pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1000 => format!("{b} B"),
        b if b < 1_000_000 => format!("{:.1} KB", b as f64 / 1e3),
        b => format!("{:.1} MB", b as f64 / 1e6),
    }
}

/// Aligned columns, a header row first.
pub fn format_table(rows: &[SessionRow]) -> String {
    let header = [
        "START (UTC)",
        "RELEASE",
        "SOURCE",
        "OUTCOME",
        "DURATION",
        "SIZE",
        "FILE",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            // what a recording says is outside text: one field per cell
            [
                &r.start,
                &r.release,
                &r.source,
                &r.outcome,
                &r.duration,
                &r.size,
                &r.path.display().to_string(),
            ]
            .map(|cell| field(cell).into_owned())
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cols: Vec<&str>| {
        let last = cols.len() - 1;
        for (i, (cell, w)) in cols.iter().zip(widths).enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push('\n');
    };
    line(header.to_vec());
    for row in &cells {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

//! Logs go to a file, never to the screen while the TUI runs.

use std::path::Path;
use thiserror::Error;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Error)]
#[error("cannot open the log file {path}: {source} (choose another with --log-file)")]
pub struct LogError {
    path: String,
    source: std::io::Error,
}

/// Starts logging to `path`; keep the guard alive until the end so the last lines are written.
/// The level comes from `CANARY_LOG` (default `info`).
pub fn init(path: &Path) -> Result<WorkerGuard, LogError> {
    let err = |source| LogError {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    // the writer's queue is allocated whole up front: 4,096 lines (160 KB), not the default
    // 128,000 (5 MB of resident memory for a cockpit that logs a line a minute)
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(4096)
        .finish(file);
    let filter = EnvFilter::try_from_env("CANARY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // a second init (tests) keeps the first subscriber
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    Ok(guard)
}

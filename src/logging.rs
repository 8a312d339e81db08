//! Logs go to a file, never to the screen while the TUI runs. The file is its owner's alone
//! (0600, in a 0700 directory when the cockpit creates it), and every record passes the text
//! hygiene: a log line that quotes outside text (a webhook's answer, a cluster message) shows its
//! control and bidi characters instead of replaying them in the terminal that reads the log, and
//! never breaks into a second, forged, line.

use std::io::Write;
use std::path::Path;
use thiserror::Error;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::MakeWriter;
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
    crate::files::private_parent(path).map_err(err)?;
    let file = crate::files::append_private(path).map_err(err)?;
    // the writer's queue is allocated whole up front: 4,096 lines (160 KB), not the default
    // 128,000 (5 MB of resident memory for a cockpit that logs a line a minute)
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(4096)
        .finish(file);
    let filter = EnvFilter::try_from_env("CANARY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // a second init (tests) keeps the first subscriber
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(CleanLog(writer))
        .with_ansi(false)
        .try_init();
    Ok(guard)
}

/// Makes writers that pass each record through the text hygiene.
struct CleanLog<M>(M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for CleanLog<M> {
    type Writer = CleanRecord<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        CleanRecord(self.0.make_writer())
    }
}

/// Takes whole records (the formatter writes each in one piece): one line, its final line break
/// kept, every hazard inside shown.
struct CleanRecord<W>(W);

impl<W: Write> Write for CleanRecord<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(record_line(buf).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// One record as one clean line.
fn record_line(buf: &[u8]) -> String {
    let text = String::from_utf8_lossy(buf);
    let (body, end) = match text.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (text.as_ref(), ""),
    };
    format!("{}{end}", crate::hygiene::field(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_stay_one_clean_line() {
        let line = record_line(
            b"WARN alert not delivered outcome=HTTP 500: \x1b]52;c;aGk=\x07\nFAKE forged line\xc2\x9b\n",
        );
        assert_eq!(
            line,
            "WARN alert not delivered outcome=HTTP 500: ␛]52;c;aGk=␇␊FAKE forged line\\u{9b}\n"
        );
        let mut out = CleanRecord(Vec::new());
        out.write_all(b"INFO ok\n").unwrap();
        assert_eq!(out.0, b"INFO ok\n");
    }
}

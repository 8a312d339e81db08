//! Writing a recording: one header line, then one line per observation or result event.
//!
//! Crash safety: whatever was recorded is handed to the operating system at least once a second
//! (by the wall clock), and each hand-over ends a zstd block, so a file cut short by a crash or a
//! kill decodes up to its last whole line. Call [`Recorder::flush_if_due`] from a periodic tick so
//! that a quiet second also reaches the disk.

use crate::app::Event;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::format::{Header, LineOut};
use super::redact::redact_text;
use super::RecordError;

/// The longest time recorded events wait in memory before they are flushed to the file.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// zstd level: the default trades little CPU for files several times smaller than level 1.
const ZSTD_LEVEL: i32 = 3;

enum Sink {
    Plain(BufWriter<File>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
}

impl Sink {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Plain(w) => w,
            Sink::Zstd(w) => w,
        }
    }
}

/// Writes a session to a file. Dropped without [`Recorder::finish`], it still finishes the file
/// on a best-effort basis; a process that dies keeps everything up to the last flush.
pub struct Recorder {
    path: PathBuf,
    sink: Option<Sink>,
    line: Vec<u8>,
    last_flush: Instant,
    flush_interval: Duration,
    dirty: bool,
}

impl Recorder {
    /// Creates (or truncates) `path` and writes the header. Names ending in `.zst` are
    /// zstd-compressed; anything else is plain JSON Lines. Missing parent directories are created.
    pub fn create(path: impl AsRef<Path>, header: &Header) -> Result<Recorder, RecordError> {
        let path = path.as_ref();
        // the owner's alone: 0700 directories, a 0600 file
        crate::files::private_parent(path).map_err(|e| RecordError::io("create", path, e))?;
        let file =
            crate::files::create_private(path).map_err(|e| RecordError::io("create", path, e))?;
        let file = BufWriter::new(file);
        let compressed = path.extension().is_some_and(|ext| ext == "zst");
        let sink = if compressed {
            let encoder = zstd::stream::write::Encoder::new(file, ZSTD_LEVEL)
                .map_err(|e| RecordError::io("compress", path, e))?;
            Sink::Zstd(encoder)
        } else {
            Sink::Plain(file)
        };
        let mut recorder = Recorder {
            path: path.to_path_buf(),
            sink: Some(sink),
            line: Vec::with_capacity(4096),
            last_flush: Instant::now(),
            flush_interval: FLUSH_INTERVAL,
            dirty: false,
        };
        serde_json::to_writer(&mut recorder.line, header)?;
        recorder.write_line()?;
        recorder.flush()?;
        Ok(recorder)
    }

    /// Flushes at most this long after an event was recorded (default one second; zero flushes
    /// after every event).
    pub fn with_flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records one event. Key presses and resizes are skipped (returns `Ok(false)`); URLs inside
    /// error messages and notes lose their credentials (see [`redact_text`]).
    pub fn record(&mut self, event: &Event) -> Result<bool, RecordError> {
        // Key presses and resizes are the only events without a time of their own.
        let Some(t) = event.at() else {
            return Ok(false);
        };
        let redacted = redacted(event);
        let event = redacted.as_ref().unwrap_or(event);
        serde_json::to_writer(&mut self.line, &LineOut { t, event })?;
        self.write_line()?;
        self.dirty = true;
        self.flush_if_due()?;
        Ok(true)
    }

    /// Flushes when something was recorded and the flush interval has passed since the last flush.
    pub fn flush_if_due(&mut self) -> Result<(), RecordError> {
        if self.dirty && self.last_flush.elapsed() >= self.flush_interval {
            self.flush()?;
        }
        Ok(())
    }

    /// Hands everything recorded so far to the operating system; for zstd this ends a block, so
    /// the file decodes up to here even if the process dies next.
    pub fn flush(&mut self) -> Result<(), RecordError> {
        let sink = self.sink.as_mut().ok_or(RecordError::Finished)?;
        sink.writer()
            .flush()
            .map_err(|e| RecordError::io("write", &self.path, e))?;
        self.last_flush = Instant::now();
        self.dirty = false;
        Ok(())
    }

    /// Ends the zstd frame (if any), flushes and closes the file; returns its path.
    pub fn finish(mut self) -> Result<PathBuf, RecordError> {
        self.close()?;
        Ok(std::mem::take(&mut self.path))
    }

    fn close(&mut self) -> Result<(), RecordError> {
        let result = match self.sink.take() {
            None => return Ok(()),
            Some(Sink::Plain(mut w)) => w.flush(),
            Some(Sink::Zstd(encoder)) => encoder.finish().and_then(|mut w| w.flush()),
        };
        result.map_err(|e| RecordError::io("write", &self.path, e))
    }

    /// Writes the line buffer plus a newline, then clears it.
    fn write_line(&mut self) -> Result<(), RecordError> {
        self.line.push(b'\n');
        let sink = self.sink.as_mut().ok_or(RecordError::Finished);
        let result = match sink {
            Ok(sink) => sink
                .writer()
                .write_all(&self.line)
                .map_err(|e| RecordError::io("write", &self.path, e)),
            Err(e) => Err(e),
        };
        self.line.clear();
        result
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // Best effort: an error here has nobody to report to; the file keeps its last flush.
        let _ = self.close();
    }
}

/// A copy of `event` with URLs in its free text redacted, or `None` when nothing needed it.
fn redacted(event: &Event) -> Option<Event> {
    let clean = |s: &String| Some(redact_text(s)).filter(|r| r != s);
    match event {
        Event::SourceError {
            at,
            source,
            message,
        } => {
            let (s, m) = (clean(source), clean(message));
            (s.is_some() || m.is_some()).then(|| Event::SourceError {
                at: *at,
                source: s.unwrap_or_else(|| source.clone()),
                message: m.unwrap_or_else(|| message.clone()),
            })
        }
        Event::ActionResult {
            error: Some(error), ..
        } => clean(error).map(|e| {
            let mut copy = event.clone();
            if let Event::ActionResult { error, .. } = &mut copy {
                *error = Some(e);
            }
            copy
        }),
        Event::Note { at, author, text } => clean(text).map(|text| Event::Note {
            at: *at,
            author: author.clone(),
            text,
        }),
        _ => None,
    }
}

//! Session recordings: the timestamped stream of observation and result events that drives
//! `App::update`, written to JSON Lines (zstd-compressed for `.zst` names) and read back for replay.
//!
//! The format is described in `docs/recording-format.md`; its version lives in [`mod@format`].
//! Key presses, resizes and secrets are never recorded.

pub mod format;
pub mod reader;
pub mod redact;
pub mod retention;
pub mod tap;
pub mod writer;

pub use format::{Header, SessionSource, FORMAT_MAJOR, FORMAT_MINOR, FORMAT_NAME};
pub use reader::{read, read_from, Recording, MAX_LINE_BYTES};
pub use redact::{redact_text, redact_url};
pub use retention::{default_session_path, free_session_path, prune};
pub use tap::Tap;
pub use writer::Recorder;

use std::path::PathBuf;

/// What went wrong while writing or reading a recording. Every message is one line that names the
/// file and says what the user can do.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is empty: not a canary cockpit recording", path.display())]
    Empty { path: PathBuf },
    #[error("{} is not a canary cockpit recording ({reason})", path.display())]
    NotARecording { path: PathBuf, reason: String },
    #[error(
        "{}: line {line} is longer than {} MiB: not a recording",
        path.display(),
        reader::MAX_LINE_BYTES >> 20
    )]
    LineTooLong { path: PathBuf, line: usize },
    #[error("{}: the recording header is damaged ({reason})", path.display())]
    BadHeader { path: PathBuf, reason: String },
    #[error(
        "recording format {found_major}.x is newer than this cockpit reads ({FORMAT_MAJOR}.x): \
         upgrade canary cockpit"
    )]
    NewerFormat { found_major: u64 },
    #[error(
        "recording format {found}: this cockpit reads only format {FORMAT_MAJOR}.x; \
         replay it with an older canary cockpit"
    )]
    UnsupportedFormat { found: String },
    #[error("{}: none of its {bad} event lines could be read ({first})", path.display())]
    NoReadableEvents {
        path: PathBuf,
        bad: usize,
        first: String,
    },
    #[error("cannot encode an event for the recording: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("the recorder is already finished")]
    Finished,
}

impl RecordError {
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        RecordError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

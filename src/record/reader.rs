//! Reading a recording back: the header, then every event line that can be read.
//!
//! Damage is reported, never a panic: an unreadable file gives one [`RecordError`]; unreadable
//! lines inside an otherwise good file are skipped and named in [`Recording::warnings`]. A file
//! cut short (by a crash, a kill or a partial copy) reads up to its last whole line.

use crate::app::Event;
use crate::model::Millis;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::format::{parse_header, Header, LineIn, FORMAT_NAME};
use super::RecordError;

/// No line of a recording is longer than this: reading stops at the first byte past it, so a file
/// without line breaks (`/dev/zero`, a 2 GB line) is refused after 1 MiB, not read to its end.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Reading stops, with a warning, after this many events or this many bytes of lines (decompressed,
/// line breaks included): a 17 KB zstd file can expand to gigabytes, and every event is held in
/// memory (336 bytes each, before its text). An 8-hour session with a sample a second holds about
/// 60,000 events in about 30 MB of lines; these bounds keep a replay's memory near 64 MB whatever
/// the file, and let about 17 hours of such a session be read.
pub const MAX_EVENTS: usize = 150_000;
pub const MAX_DECODED_BYTES: usize = 64 << 20;
/// The first bytes of every zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// The largest zstd window accepted: 16 MiB (the writer's level 3 uses at most 2 MiB).
const ZSTD_WINDOW_LOG_MAX: u32 = 24;
/// How many line ranges a warning lists before it says "…".
const MAX_RANGES: usize = 10;

/// A recording as read: its header, its events in file order, and what had to be skipped.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    pub header: Header,
    /// `(t, event)` for every readable event line.
    pub events: Vec<(Millis, Event)>,
    /// One-line notes about skipped or missing lines; empty for an intact file.
    pub warnings: Vec<String>,
}

/// Reads the recording at `path`, zstd-compressed or plain (told apart by content, not by name).
pub fn read(path: impl AsRef<Path>) -> Result<Recording, RecordError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| RecordError::io("open", path, e))?;
    read_from(file, path)
}

/// Reads a recording from any byte stream; `path` only names it in messages.
pub fn read_from(input: impl Read, path: &Path) -> Result<Recording, RecordError> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let head = input
        .fill_buf()
        .map_err(|e| RecordError::io("read", path, e))?;
    if head.is_empty() {
        return Err(RecordError::Empty {
            path: path.to_path_buf(),
        });
    }
    if head.starts_with(&ZSTD_MAGIC) {
        let mut decoder = zstd::stream::read::Decoder::with_buffer(input)
            .map_err(|e| RecordError::io("decompress", path, e))?;
        // Our writer's windows are at most 2 MiB; refusing larger ones bounds the memory a hostile
        // file can make the decoder take.
        decoder
            .window_log_max(ZSTD_WINDOW_LOG_MAX)
            .map_err(|e| RecordError::io("decompress", path, e))?;
        parse(Lines::new(BufReader::new(decoder)), path, true)
    } else {
        parse(Lines::new(input), path, false)
    }
}

fn parse<R: BufRead>(
    mut lines: Lines<R>,
    path: &Path,
    zstd: bool,
) -> Result<Recording, RecordError> {
    let header = read_header(&mut lines, path, zstd)?;
    let mut events = Vec::new();
    let mut warnings = Vec::new();
    let (mut bad, mut first_bad, mut oversized) = (Vec::new(), None, None);
    loop {
        if events.len() >= MAX_EVENTS || lines.consumed >= MAX_DECODED_BYTES {
            warnings.push(format!(
                "stopped reading after line {} ({} events, {} MiB): the rest of the recording is \
                 beyond what one replay holds",
                lines.number,
                events.len(),
                lines.consumed >> 20
            ));
            break;
        }
        let kind = match lines.next_line() {
            Ok(Some(kind)) => kind,
            Ok(None) => break,
            Err(e) => {
                let what = if zstd { "compressed stream" } else { "file" };
                warnings.push(format!(
                    "the {what} ends early after line {} ({e}): replaying up to there",
                    lines.number
                ));
                break;
            }
        };
        let n = lines.number;
        let text = lines.buf.trim_ascii();
        match kind {
            // no recording has such a line: what follows it is not read
            LineKind::Oversized => {
                oversized = Some(n);
                break;
            }
            _ if text.is_empty() => {}
            LineKind::Whole | LineKind::Partial => match serde_json::from_slice::<LineIn>(text) {
                Ok(line) => events.push((line.t, line.event)),
                Err(_) if kind == LineKind::Partial => warnings.push(format!(
                    "line {n} is incomplete (the file was cut short): replaying up to line {}",
                    n - 1
                )),
                Err(e) => {
                    first_bad.get_or_insert_with(|| format!("line {n}, {}", describe(&e)));
                    bad.push(n);
                }
            },
        }
    }
    if let (Some(line), true) = (oversized, events.is_empty()) {
        return Err(RecordError::LineTooLong {
            path: path.to_path_buf(),
            line,
        });
    }
    if events.is_empty() && !bad.is_empty() {
        return Err(RecordError::NoReadableEvents {
            path: path.to_path_buf(),
            bad: bad.len(),
            first: first_bad.unwrap_or_default(),
        });
    }
    let mut skipped = Vec::new();
    if let Some(first) = first_bad {
        skipped.push(format!(
            "skipped {} unreadable {} ({}); first: {first}",
            bad.len(),
            plural(bad.len(), "line"),
            ranges(&bad)
        ));
    }
    if let Some(n) = oversized {
        skipped.push(format!(
            "line {n} is longer than {} MiB: not a recording's line; replaying up to line {}",
            MAX_LINE_BYTES >> 20,
            n - 1
        ));
    }
    warnings.splice(0..0, skipped);
    if events.is_empty() {
        warnings.push("the recording holds no events".to_string());
    }
    Ok(Recording {
        header,
        events,
        warnings,
    })
}

fn read_header<R: BufRead>(
    lines: &mut Lines<R>,
    path: &Path,
    zstd: bool,
) -> Result<Header, RecordError> {
    let not_ours = |reason: String| RecordError::NotARecording {
        path: path.to_path_buf(),
        reason,
    };
    match lines.next_line() {
        Ok(None) => Err(RecordError::Empty {
            path: path.to_path_buf(),
        }),
        Err(e) if zstd => Err(not_ours(format!("its zstd stream cannot be decoded: {e}"))),
        Err(e) => Err(RecordError::io("read", path, e)),
        Ok(Some(LineKind::Oversized)) => Err(RecordError::LineTooLong {
            path: path.to_path_buf(),
            line: 1,
        }),
        Ok(Some(kind)) => {
            let line = lines.buf.trim_ascii();
            let cut_short = kind == LineKind::Partial
                && line
                    .windows(FORMAT_NAME.len())
                    .any(|w| w == FORMAT_NAME.as_bytes());
            match parse_header(line, path) {
                Err(RecordError::NotARecording { .. }) if cut_short => {
                    Err(RecordError::BadHeader {
                        path: path.to_path_buf(),
                        reason: "the file ends inside its header line".to_string(),
                    })
                }
                other => other,
            }
        }
    }
}

/// A serde error without its "at line 1 column N" suffix, which would confuse file line numbers.
fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = text
        .rfind(" at line ")
        .map_or(text.as_str(), |i| &text[..i]);
    let message: String = message.chars().take(200).collect();
    format!("column {}: {message}", e.column())
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// `[3, 4, 5, 9]` → `"3-5, 9"`, at most [`MAX_RANGES`] ranges.
fn ranges(numbers: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        if parts.len() == MAX_RANGES {
            parts.push("…".to_string());
            break;
        }
        let start = numbers[i];
        let mut end = start;
        while i + 1 < numbers.len() && numbers[i + 1] == end + 1 {
            i += 1;
            end = numbers[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineKind {
    /// Ended by a newline; the text is in `Lines::buf`.
    Whole,
    /// The input ended before a newline; the text read so far is in `Lines::buf`.
    Partial,
    /// Longer than [`MAX_LINE_BYTES`]: read up to the byte past the limit and no further,
    /// `Lines::buf` is empty.
    Oversized,
}

/// Splits input into lines, never reading more than [`MAX_LINE_BYTES`] of one line.
struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    /// 1-based number of the line last returned.
    number: usize,
    /// Bytes taken from the input, line breaks included.
    consumed: usize,
}

impl<R: BufRead> Lines<R> {
    fn new(inner: R) -> Self {
        Lines {
            inner,
            buf: Vec::new(),
            number: 0,
            consumed: 0,
        }
    }

    fn next_line(&mut self) -> io::Result<Option<LineKind>> {
        self.buf.clear();
        let mut started = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if !started {
                    return Ok(None);
                }
                self.number += 1;
                return Ok(Some(LineKind::Partial));
            }
            started = true;
            // at most one byte past the limit is looked at
            let room = MAX_LINE_BYTES + 1 - self.buf.len();
            let window = &available[..available.len().min(room)];
            let newline = window.iter().position(|&b| b == b'\n');
            let take = newline.unwrap_or(window.len());
            if newline.is_none() && self.buf.len() + take > MAX_LINE_BYTES {
                self.inner.consume(take);
                self.consumed += take;
                self.number += 1;
                self.buf = Vec::new();
                return Ok(Some(LineKind::Oversized));
            }
            self.buf.extend_from_slice(&window[..take]);
            let used = newline.map_or(take, |i| i + 1);
            self.inner.consume(used);
            self.consumed += used;
            if newline.is_some() {
                self.number += 1;
                return Ok(Some(LineKind::Whole));
            }
        }
    }
}

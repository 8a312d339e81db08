//! Fuzz target for `record::read_from`: any bytes, plain or zstd-compressed, must give a recording
//! or one `RecordError`, never a panic, a hang or unbounded memory.
//!
//! Input layout: four control bytes, then the payload.
//!
//! - byte 0, the mode. Bits 0-1 pick how the payload reaches the reader: 0 as it is, 1 as one zstd
//!   frame, 2 as two zstd frames, 3 as one zstd frame with a block per line (as the writer's
//!   flushes make), cut short. Bit 2 feeds the bytes in small reads with `Interrupted` errors in
//!   between. Bit 3 inserts nearly `MAX_LINE_BYTES` spaces, so that the line there ends up just
//!   under or just over the limit; bits 4-7 fine-tune how many.
//! - byte 1: where the payload is split into two frames, or where the compressed stream is cut
//!   (n/256 of the length).
//! - byte 2: the size of the small reads (an index into `CHUNKS`).
//! - byte 3: where the spaces go (n/256 of the payload's length).
//!
//! Inputs shorter than four bytes are read as they are.
//!
//! Besides "no panic", every result is checked against a small in-memory model of the documented
//! contract (`docs/recording-format.md`): the header is the first line; each later line is an
//! event, a blank, or skipped with a warning; a line longer than 1 MiB ends the reading (a file
//! whose first such line comes before any event is refused); `t` of each event is the line's `t`;
//! a last line without its newline that does not parse is reported as incomplete; a file with no
//! readable event but some unreadable lines is refused. The model splits lines on `\n` over the whole input, so it
//! also checks the reader's streaming line splitter across read and buffer boundaries.

#![no_main]

use canary_cockpit::app::Event;
use canary_cockpit::model::Millis;
use canary_cockpit::record::{
    read_from, Header, RecordError, Recording, FORMAT_MAJOR, FORMAT_NAME, MAX_LINE_BYTES,
};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use std::io::{self, Read, Write};
use std::path::Path;

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const CHUNKS: [usize; 8] = [1, 2, 3, 5, 8, 13, 4096, 65_537];

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.jsonl");
    if data.len() < 4 {
        let result = read_from(data, path);
        check_generic(&result);
        if !data.starts_with(&ZSTD_MAGIC) {
            check_against_model(&result, &model(data), false);
        }
        return;
    }
    let (mode, cut, chunk, pad) = (data[0], data[1], data[2], data[3]);
    let mut payload = data[4..].to_vec();
    if mode & 8 != 0 {
        let at = fraction(payload.len(), pad);
        let count = MAX_LINE_BYTES - 16 + usize::from(mode >> 4);
        payload.splice(at..at, std::iter::repeat_n(b' ', count));
    }
    let bytes = match mode & 3 {
        0 => payload.clone(),
        1 => compress(&payload),
        2 => {
            let at = fraction(payload.len(), cut);
            let mut two = compress(&payload[..at]);
            two.extend(compress(&payload[at..]));
            two
        }
        _ => {
            let mut whole = compress_line_by_line(&payload);
            whole.truncate(fraction(whole.len(), cut));
            whole
        }
    };
    let result = if mode & 4 != 0 {
        let mut size = CHUNKS[usize::from(chunk) % CHUNKS.len()];
        if mode & 8 != 0 {
            // A megabyte of padding one byte at a time is slow without finding more.
            size = size.max(4096);
        }
        read_from(Trickle::new(&bytes, size), path)
    } else {
        read_from(&bytes[..], path)
    };
    check_generic(&result);
    let plain_zstd = mode & 3 == 0 && payload.starts_with(&ZSTD_MAGIC);
    if !plain_zstd {
        check_against_model(&result, &model(&payload), mode & 3 == 3);
    }
});

/// `n * k / 256`: a position inside a buffer of length `n`.
fn fraction(n: usize, k: u8) -> usize {
    n * usize::from(k) / 256
}

fn compress(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 1).expect("compressing into memory cannot fail")
}

/// One zstd frame with a block boundary after every line, as the writer's periodic flushes make:
/// a cut stream then decodes up to some line.
fn compress_line_by_line(bytes: &[u8]) -> Vec<u8> {
    let failed = "compressing into memory cannot fail";
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 1).expect(failed);
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        encoder.write_all(line).expect(failed);
        encoder.flush().expect(failed);
    }
    encoder.finish().expect(failed)
}

/// Hands out `chunk` bytes per read (the first read at least four, enough for the magic bytes) and
/// an `Interrupted` error before every other read.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
    reads: usize,
}

impl<'a> Trickle<'a> {
    fn new(data: &'a [u8], chunk: usize) -> Self {
        Trickle {
            data,
            chunk,
            reads: 0,
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        if self.reads > 1 && self.reads.is_multiple_of(2) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let want = if self.reads == 1 {
            self.chunk.max(4)
        } else {
            self.chunk
        };
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Holds for every input: messages are one line each, and reading from memory is never an I/O
/// failure.
fn check_generic(result: &Result<Recording, RecordError>) {
    match result {
        Ok(rec) => {
            for w in &rec.warnings {
                assert!(!w.contains('\n'), "warning spans lines: {w:?}");
            }
        }
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains('\n'), "error spans lines: {text:?}");
            assert!(
                !matches!(e, RecordError::Io { .. }),
                "reading from memory failed: {text}"
            );
        }
    }
}

/// One event line as the format describes it.
#[derive(Deserialize)]
struct LineIn {
    t: Millis,
    event: Event,
}

/// The two header fields every version keeps.
#[derive(Deserialize)]
struct Probe {
    format: Option<String>,
    version: Option<serde_json::Value>,
}

/// What the contract says a reader must make of the (decompressed) bytes.
#[derive(Debug)]
enum Model {
    Empty,
    BadHeader,
    Read {
        header: Box<Header>,
        events: Vec<(Millis, Event)>,
        /// Whole lines that are not JSON events.
        bad: usize,
        /// The number of the first line longer than 1 MiB, where the reading stops.
        oversized: Option<usize>,
        /// The last line has no newline and does not parse.
        incomplete: bool,
    },
}

fn model(text: &[u8]) -> Model {
    if text.is_empty() {
        return Model::Empty;
    }
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    // `split` yields an empty piece after a final newline: no line there.
    let ends_with_newline = text.ends_with(b"\n");
    if ends_with_newline {
        lines.pop();
    }
    let count = lines.len();
    let Some(header) = lines
        .first()
        .filter(|l| l.len() <= MAX_LINE_BYTES)
        .and_then(|l| accepted_header(l.trim_ascii()))
        .map(Box::new)
    else {
        return Model::BadHeader;
    };
    let (mut events, mut bad, mut oversized, mut incomplete) = (Vec::new(), 0, None, false);
    for (i, line) in lines.iter().enumerate().skip(1) {
        let whole = i + 1 < count || ends_with_newline;
        let trimmed = line.trim_ascii();
        if line.len() > MAX_LINE_BYTES {
            oversized = Some(i + 1);
            break;
        }
        if trimmed.is_empty() {
            continue;
        }
        match serde_json::from_slice::<LineIn>(trimmed) {
            Ok(l) => events.push((l.t, l.event)),
            Err(_) if whole => bad += 1,
            Err(_) => incomplete = true,
        }
    }
    Model::Read {
        header,
        events,
        bad,
        oversized,
        incomplete,
    }
}

/// The header, if the line is one this reader accepts: our format name, a `"1.<minor>"` version
/// string, and every field the header needs.
fn accepted_header(line: &[u8]) -> Option<Header> {
    let probe: Probe = serde_json::from_slice(line).ok()?;
    if probe.format.as_deref() != Some(FORMAT_NAME) {
        return None;
    }
    let Some(serde_json::Value::String(version)) = probe.version else {
        return None;
    };
    let (major, minor) = version.split_once('.')?;
    if major.parse::<u64>().ok()? != FORMAT_MAJOR || minor.parse::<u64>().is_err() {
        return None;
    }
    serde_json::from_slice(line).ok()
}

/// `cut_short`: the reader saw a zstd stream cut at an arbitrary byte, so it may stop at any whole
/// line before the model's end (and say so), but it never reads anything the model does not.
fn check_against_model(result: &Result<Recording, RecordError>, model: &Model, cut_short: bool) {
    match (model, result) {
        (_, Err(RecordError::Empty { .. })) if cut_short => {}
        (Model::Empty, Err(RecordError::Empty { .. })) => {}
        (Model::Empty, Err(_)) if cut_short => {}
        (Model::Empty, other) => panic!("empty input read as {other:?}"),
        (Model::BadHeader, Err(e)) => assert!(
            is_header_error(e),
            "bad header refused for another reason: {e}"
        ),
        (Model::BadHeader, Ok(rec)) => panic!("bad header accepted: {:?}", rec.header),
        (Model::Read { .. }, Err(e)) if cut_short && is_header_error(e) => {}
        (
            Model::Read {
                header,
                events,
                bad,
                oversized,
                incomplete,
            },
            result,
        ) => {
            let skipped = bad + usize::from(oversized.is_some());
            if cut_short {
                let rec = match result {
                    Ok(rec) => rec,
                    Err(RecordError::NoReadableEvents { bad: got, .. }) => {
                        assert!(
                            *got <= skipped,
                            "{got} bad lines, at most {skipped} expected"
                        );
                        return;
                    }
                    Err(RecordError::LineTooLong { line, .. }) => {
                        assert_eq!(Some(*line), *oversized, "the first long line");
                        return;
                    }
                    Err(e) => panic!("cut stream refused for a wrong reason: {e}"),
                };
                assert_eq!(rec.header, **header);
                assert!(
                    rec.events.len() <= events.len()
                        && rec.events[..] == events[..rec.events.len()],
                    "events of a cut stream are not a prefix of the whole stream's"
                );
                return;
            }
            if let (true, Some(n)) = (events.is_empty(), oversized) {
                match result {
                    Err(RecordError::LineTooLong { line, .. }) => {
                        assert_eq!(line, n, "the first long line")
                    }
                    other => panic!("no event before long line {n}, but read as {other:?}"),
                }
                return;
            }
            if events.is_empty() && skipped > 0 {
                match result {
                    Err(RecordError::NoReadableEvents { bad: got, .. }) => {
                        assert_eq!(*got, skipped, "count of unreadable lines")
                    }
                    other => panic!("no readable event, {skipped} skipped, but read as {other:?}"),
                }
                return;
            }
            let rec = match result {
                Ok(rec) => rec,
                Err(e) => panic!("readable recording refused: {e}"),
            };
            assert_eq!(rec.header, **header);
            assert!(rec.events == *events, "events differ from the lines");
            let mut expected = Vec::new();
            if *bad > 0 {
                let word = if *bad == 1 { "line" } else { "lines" };
                expected.push(format!("skipped {bad} unreadable {word} ("));
            }
            if let Some(n) = oversized {
                expected.push(format!(
                    "line {n} is longer than 1 MiB: not a recording's line; replaying up to line {}",
                    n - 1
                ));
            }
            if *incomplete {
                expected.push("is incomplete".to_string());
            }
            if events.is_empty() {
                expected.push("the recording holds no events".to_string());
            }
            assert_eq!(
                rec.warnings.len(),
                expected.len(),
                "warnings {:?}, expected {expected:?}",
                rec.warnings
            );
            for (w, e) in rec.warnings.iter().zip(&expected) {
                assert!(w.contains(e.as_str()), "warning {w:?} lacks {e:?}");
            }
        }
    }
}

fn is_header_error(e: &RecordError) -> bool {
    matches!(
        e,
        RecordError::NotARecording { .. }
            | RecordError::BadHeader { .. }
            | RecordError::NewerFormat { .. }
            | RecordError::UnsupportedFormat { .. }
            | RecordError::LineTooLong { line: 1, .. }
    )
}

//! Damaged, foreign and future files: one clear error or a warning naming the skipped lines, never a
//! panic.

use super::{err, event_lines, header, plain_with};
use crate::support::scratch;
use canary_cockpit::app::Event;
use canary_cockpit::model::Millis;
use canary_cockpit::record::{self, read_from};
use std::io::Cursor;
use std::path::{Path, PathBuf};

#[test]
fn an_empty_file_is_refused() {
    let dir = scratch("empty");
    let path = dir.join("empty.jsonl");
    std::fs::write(&path, "").unwrap();
    assert!(err(&path).ends_with("is empty: not a canary cockpit recording"));
    let zst = dir.join("empty.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(&b""[..], 3).unwrap()).unwrap();
    assert!(err(&zst).contains("is empty"), "{}", err(&zst));
    assert!(err(&dir.join("missing.jsonl")).starts_with("cannot open"));
}

#[test]
fn files_that_are_not_recordings_are_refused() {
    let dir = scratch("not-ours");
    let cases: [(&str, &[u8]); 5] = [
        ("text.jsonl", b"hello world\n"),
        (
            "other.jsonl",
            b"{\"format\":\"something-else\",\"version\":\"1.0\"}\n",
        ),
        ("binary.jsonl", &[0u8, 159, 146, 150, 255, 10, 1, 2]),
        ("blank.jsonl", b"\n\n\n"),
        ("array.jsonl", b"[1,2,3]\n"),
    ];
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let e = err(&path);
        assert!(
            e.contains("is not a canary cockpit recording"),
            "{name}: {e}"
        );
        assert!(!e.contains('\n'), "{name}: {e}");
    }
    let zst = dir.join("other.zst");
    std::fs::write(&zst, zstd::encode_all(&b"just some text\n"[..], 3).unwrap()).unwrap();
    assert!(err(&zst).contains("is not a canary cockpit recording"));
    let corrupt = dir.join("corrupt.zst");
    std::fs::write(&corrupt, [0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff, 0xff, 0xff]).unwrap();
    assert!(err(&corrupt).contains("is not a canary cockpit recording"));
}

#[test]
fn a_file_cut_inside_its_header_says_so() {
    let dir = scratch("cut-header");
    let header = serde_json::to_string(&header()).unwrap();
    let path = dir.join("s.jsonl");
    std::fs::write(&path, &header[..header.len() - 10]).unwrap();
    assert!(
        err(&path).contains("the file ends inside its header line"),
        "{}",
        err(&path)
    );
}

#[test]
fn garbage_lines_are_skipped_and_named() {
    let dir = scratch("garbage");
    let mut lines = event_lines(6);
    lines[1] = "not json".into();
    lines[3] = r#"{"t":3}"#.into();
    lines[4] = r#"{"t":4,"event":{"type":"tick","at":"soon"}}"#.into();
    let path = plain_with(&dir, "s.jsonl", &lines);
    let rec = record::read(&path).unwrap();
    assert_eq!(rec.events.len(), 3);
    assert_eq!(rec.warnings.len(), 1, "{:?}", rec.warnings);
    // Line 1 is the header, so event line i is file line i + 2.
    assert!(
        rec.warnings[0].starts_with("skipped 3 unreadable lines (3, 5-6); first: line 3, column"),
        "{}",
        rec.warnings[0]
    );
}

#[test]
fn a_recording_with_only_garbage_is_refused() {
    let dir = scratch("all-garbage");
    let path = plain_with(&dir, "s.jsonl", &["{".into(), "nope".into(), "[]".into()]);
    let e = err(&path);
    assert!(
        e.contains("none of its 3 event lines could be read (line 2, column"),
        "{e}"
    );
}

#[test]
fn a_header_without_events_reads_with_a_warning() {
    let dir = scratch("no-events");
    let path = plain_with(&dir, "s.jsonl", &[]);
    let rec = record::read(&path).unwrap();
    assert!(rec.events.is_empty());
    assert_eq!(rec.warnings, ["the recording holds no events"]);
}

#[test]
fn a_huge_line_ends_the_reading_without_being_held() {
    let dir = scratch("huge");
    let mut lines = event_lines(4);
    lines[2] = format!(
        r#"{{"t":2,"event":{{"type":"note","at":2,"author":"x","text":"{}"}}}}"#,
        "x".repeat(3 << 20)
    );
    let path = plain_with(&dir, "s.jsonl", &lines);
    let rec = record::read(&path).unwrap();
    // the lines before it are replayed, none after
    assert_eq!(rec.events.len(), 2);
    assert_eq!(
        rec.warnings,
        ["line 4 is longer than 1 MiB: not a recording's line; replaying up to line 3"]
    );

    let huge_header = dir.join("huge-header.jsonl");
    std::fs::write(&huge_header, "x".repeat(2 << 20)).unwrap();
    assert_eq!(
        err(&huge_header),
        format!(
            "{}: line 1 is longer than 1 MiB: not a recording",
            huge_header.display()
        )
    );
    // a good header, then a line without end
    let endless = dir.join("endless.jsonl");
    let head = std::fs::read_to_string(plain_with(&dir, "h.jsonl", &[])).unwrap();
    std::fs::write(&endless, format!("{head}{}", "0".repeat(2 << 20))).unwrap();
    assert_eq!(
        err(&endless),
        format!(
            "{}: line 2 is longer than 1 MiB: not a recording",
            endless.display()
        )
    );
}

fn with_version(dir: &Path, version: &str, extra: &str) -> PathBuf {
    let path = dir.join(format!("v{version}.jsonl"));
    let head = serde_json::to_string(&header()).unwrap();
    let current = format!(
        "\"version\":\"{}.{}\"",
        record::FORMAT_MAJOR,
        record::FORMAT_MINOR
    );
    assert!(head.contains(&current), "{head}");
    let head = head.replace(&current, &format!("\"version\":\"{version}\"{extra}"));
    std::fs::write(&path, format!("{head}\n{}\n", event_lines(1)[0])).unwrap();
    path
}

#[test]
fn a_future_major_version_is_refused_with_an_upgrade_hint() {
    let dir = scratch("major");
    assert_eq!(
        err(&with_version(&dir, "2.0", "")),
        "recording format 2.x is newer than this cockpit reads (1.x): upgrade canary cockpit"
    );
    assert!(err(&with_version(&dir, "0.9", "")).contains("reads only format 1.x"));
    assert!(err(&with_version(&dir, "one", "")).contains("recording format one"));
}

#[test]
fn any_minor_version_of_the_major_reads_and_unknown_fields_are_ignored() {
    let dir = scratch("minor");
    for version in ["1.0", "1.1", "1.42"] {
        let path = with_version(&dir, version, r#","host_os":"linux""#);
        let rec = record::read(&path).unwrap();
        assert_eq!(rec.header.version, version);
        assert_eq!(rec.events.len(), 1);
    }
    // A newer minor version may add fields to events and new event types.
    let path = plain_with(
        &dir,
        "newer.jsonl",
        &[
            r#"{"t":1,"event":{"type":"tick","at":1,"zone":"eu"},"seq":1}"#.into(),
            r#"{"t":2,"event":{"type":"alert_sent","at":2}}"#.into(),
        ],
    );
    let rec = record::read(&path).unwrap();
    assert_eq!(rec.events, [(Millis(1), Event::Tick { at: Millis(1) })]);
    assert!(
        rec.warnings[0].contains("unknown variant `alert_sent`"),
        "{:?}",
        rec.warnings
    );
}

/// A tiny deterministic generator for the mutation test (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Thousands of cut, flipped, spliced and padded copies of real recordings (plain and zstd): each
/// reads or fails with a one-line error, and none panics.
#[test]
fn mutated_recordings_never_panic() {
    let dir = scratch("mutate");
    let events = super::demo_events();
    let mut originals = Vec::new();
    for name in ["m.jsonl", "m.jsonl.zst"] {
        let path = dir.join(name);
        super::write(&path, &events[..60], std::time::Duration::ZERO);
        originals.push(std::fs::read(&path).unwrap());
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let name = Path::new("mutant");
    let (mut read, mut refused) = (0, 0);
    for round in 0..3000 {
        let mut bytes = originals[round % 2].clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bytes.len());
            match rng.below(5) {
                0 => bytes.truncate(at),
                1 => bytes[at] ^= 1 << rng.below(8),
                2 => bytes
                    .splice(at..at, [b'\n', b'{', 0xff, b'"'])
                    .for_each(drop),
                3 => bytes
                    .drain(at..(at + rng.below(64)).min(bytes.len()))
                    .for_each(drop),
                _ => bytes.insert(at, b'\n'),
            }
            if bytes.is_empty() {
                break;
            }
        }
        match read_from(Cursor::new(&bytes), name) {
            Ok(rec) => {
                assert!(rec.warnings.iter().all(|w| !w.contains('\n')));
                read += 1;
            }
            Err(e) => {
                assert!(!e.to_string().contains('\n'), "{e}");
                refused += 1;
            }
        }
    }
    assert!(
        read > 300 && refused > 300,
        "read {read}, refused {refused}"
    );
}

/// A small zstd file can expand to gigabytes: reading stops at a bound and says so.
#[test]
fn a_decompression_bomb_is_read_up_to_a_bound() {
    use std::io::Write;
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 19).unwrap();
    writeln!(encoder, "{}", serde_json::to_string(&header()).unwrap()).unwrap();
    let line = b"{\"t\":1,\"event\":{\"type\":\"tick\",\"at\":1}}\n";
    for _ in 0..record::reader::MAX_EVENTS + 10 {
        encoder.write_all(line).unwrap();
    }
    let bytes = encoder.finish().unwrap();
    assert!(bytes.len() < 64 * 1024, "{} bytes compressed", bytes.len());
    let rec = read_from(Cursor::new(&bytes), Path::new("bomb.jsonl.zst")).unwrap();
    assert_eq!(rec.events.len(), record::reader::MAX_EVENTS);
    assert_eq!(rec.warnings.len(), 1, "{:?}", rec.warnings);
    assert!(
        rec.warnings[0].starts_with("stopped reading after line"),
        "{:?}",
        rec.warnings
    );
}

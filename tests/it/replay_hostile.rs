//! Hostile files given to `canary replay`: each ends at once with a clear error or a warning,
//! however large it is or would become. The time and the memory they take are measured by
//! `scripts/hostile-replay.sh`.

use crate::support::{canary_in, scratch};
use std::io::Write;
use std::path::Path;
use std::process::Output;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn summary(dir: &Path, file: &Path) -> Output {
    canary_in(dir, &["replay", file.to_str().unwrap(), "--summary"])
}

fn header() -> String {
    r#"{"format":"canary-cockpit-session","version":"1.0","cockpit":"0.1.0","source":{"kind":"demo","scenario":"faulty-v2","seed":1},"started_at":0,"release":"frontend"}"#.to_string()
}

/// `head`, then `chunk` `times` times, zstd-compressed as a stream (nothing is held whole).
fn zstd_bomb(path: &Path, head: &str, chunk: &[u8], times: usize) -> u64 {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = zstd::stream::write::Encoder::new(file, 19).unwrap();
    encoder.write_all(head.as_bytes()).unwrap();
    for _ in 0..times {
        encoder.write_all(chunk).unwrap();
    }
    encoder.finish().unwrap();
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn dev_zero_is_no_recording() {
    let dir = scratch("zero");
    let out = summary(&dir, Path::new("/dev/zero"));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err,
        "error: /dev/zero: line 1 is longer than 1 MiB: not a recording\n"
    );
}

#[test]
fn a_zstd_bomb_of_zeros_is_refused_after_one_mebibyte() {
    let dir = scratch("bomb-zeros");
    let bomb = dir.join("bomb.jsonl.zst");
    // 1 GiB of zeros in a few tens of kilobytes
    let size = zstd_bomb(&bomb, "", &[0u8; 1 << 16], 1 << 14);
    assert!(size < 64 * 1024, "{size} bytes");
    let out = summary(&dir, &bomb);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.ends_with("bomb.jsonl.zst: line 1 is longer than 1 MiB: not a recording\n"),
        "{err}"
    );
}

#[test]
fn a_zstd_bomb_of_lines_is_read_up_to_its_bound_and_said() {
    let dir = scratch("bomb-lines");
    // a good header, then 1 GiB of empty lines
    let bomb = dir.join("blank.jsonl.zst");
    let size = zstd_bomb(
        &bomb,
        &format!("{}\n", header()),
        &[b'\n'; 1 << 16],
        1 << 14,
    );
    assert!(size < 64 * 1024, "{size} bytes");
    let out = summary(&dir, &bomb);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "(0 events, 64 MiB): the rest of the recording is beyond what one replay holds"
        ),
        "{err}"
    );
    assert!(err.contains("the recording holds no events"), "{err}");

    // ticks past the bound on events: the first ones are replayed
    let ticks = dir.join("ticks.jsonl.zst");
    let tick = b"{\"t\":1,\"event\":{\"type\":\"tick\",\"at\":1}}\n".repeat(1000);
    zstd_bomb(&ticks, &format!("{}\n", header()), &tick, 1000);
    let out = summary(&dir, &ticks);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let bound = canary_cockpit::record::reader::MAX_EVENTS;
    assert!(
        err.contains(&format!(
            "stopped reading after line {} ({bound} events",
            bound + 1
        )),
        "{err}"
    );
}

#[test]
fn deep_nesting_neither_overflows_nor_hangs() {
    let dir = scratch("nesting");
    let (open, close) = ("[".repeat(500_000), "]".repeat(500_000));
    // nested where the reader walks past an unknown field: read, the event kept
    let path = dir.join("ignored.jsonl");
    let line = format!(r#"{{"t":1,"x":{open}{close},"event":{{"type":"tick","at":1}}}}"#);
    std::fs::write(&path, format!("{}\n{line}\n", header())).unwrap();
    let out = summary(&dir, &path);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // nested where the event should be: an unreadable line, said
    let path = dir.join("event.jsonl");
    let line = format!(r#"{{"t":1,"event":{open}{close}}}"#);
    std::fs::write(&path, format!("{}\n{line}\n", header())).unwrap();
    let out = summary(&dir, &path);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("none of its 1 event lines could be read (line 2, column"),
        "{err}"
    );
}

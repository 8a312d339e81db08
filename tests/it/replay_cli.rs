//! `canary replay`, `canary sessions` and `canary demo --record` through the real binary: the
//! shipped recording, summaries, the sessions list, and every kind of bad input.

use crate::support::{canary_in, scratch, wait_until_sync};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

/// The recording of the faulty-V2 rollback that ships with the cockpit.
const SHIPPED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/faulty-v2-rollback.jsonl.zst"
);

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn the_shipped_recording_reads_cleanly_with_the_current_reader() {
    let rec = canary_cockpit::record::read(SHIPPED).expect("the shipped recording reads");
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
    assert_eq!(rec.header.format, canary_cockpit::record::FORMAT_NAME);
    assert!(rec
        .header
        .version
        .starts_with(&format!("{}.", canary_cockpit::record::FORMAT_MAJOR)));
    assert_eq!(
        rec.header.source,
        canary_cockpit::record::SessionSource::demo("faulty-v2", 42)
    );
    assert!(rec.events.len() > 150, "{} events", rec.events.len());
}

#[test]
fn summary_of_the_shipped_recording() {
    let dir = scratch("summary");
    let out = canary_in(&dir, &["replay", SHIPPED, "--summary"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "frontend",
        "faulty-v2",
        "rolled-back",
        "T+01:30",
        "Progressing -> Paused",
        "RollingBack -> RolledBack",
        "oncall",
        "paged by on-call: checkout errors rising",
        "failed 5/5",
        "error rate 15 % > 1 %",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
    }
}

#[test]
fn json_summary_of_the_shipped_recording() {
    let dir = scratch("json");
    let out = canary_in(&dir, &["replay", SHIPPED, "--summary", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    assert_eq!(v["release"], "frontend");
    assert_eq!(v["outcome"], "rolled-back");
    assert_eq!(v["outcome_t_ms"], 90_000);
    assert_eq!(v["paused_ms"], 8_000);
    assert_eq!(v["checks"]["failed"], 5);
    let actions = v["operator_actions"].as_array().unwrap();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0]["who"], "oncall");
    assert_eq!(actions[0]["t_ms"], 30_000);
    let notes = v["notes"].as_array().unwrap();
    assert!(notes
        .iter()
        .any(|n| n["text"] == "paged by on-call: checkout errors rising" && n["t_ms"] == 24_000));
}

#[test]
fn plot_of_the_shipped_recording() {
    let dir = scratch("plot");
    let svg = dir.join("session.svg");
    let out = canary_in(&dir, &["replay", SHIPPED, "--plot", svg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.trim_start().starts_with("<svg") || text.starts_with("<?xml"));
    assert!(text.trim_end().ends_with("</svg>"));
    assert!(text.contains("paged by on-call"), "the note is marked");
}

#[test]
fn a_headless_demo_records_when_asked_and_sessions_lists_it() {
    let dir = scratch("sessions");
    let out = canary_in(&dir, &["sessions"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("no recorded sessions in"),
        "{}",
        stdout(&out)
    );
    let out = canary_in(&dir, &["replay", "--last"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: no recorded sessions"),
        "{}",
        stderr(&out)
    );

    // headless runs record only with --record
    let out = canary_in(
        &dir,
        &["demo", "--headless", "--speed", "max", "--seed", "5"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(!dir.join("state/canary-cockpit/sessions").exists());

    let sessions = dir.join("state/canary-cockpit/sessions");
    for (scenario, name) in [("faulty-v2", "a.jsonl.zst"), ("healthy-v2", "b.jsonl")] {
        let file = sessions.join(name);
        let out = canary_in(
            &dir,
            &[
                "demo",
                "--headless",
                "--speed",
                "max",
                "--seed",
                "5",
                "--scenario",
                scenario,
                "--record",
                file.to_str().unwrap(),
            ],
        );
        assert!(out.status.code() == Some(0) || out.status.code() == Some(3));
        assert!(file.exists());
        // the next session is newer by its time, not only by its name
        until_newer_than(&file, &dir.join("clock-probe"));
    }
    let out = canary_in(&dir, &["sessions"]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("START (UTC)"), "{text}");
    // newest first: the healthy run promoted, the faulty one rolled back
    assert!(lines[1].contains("demo healthy-v2 (seed 5)") && lines[1].contains("promoted"));
    assert!(lines[2].contains("demo faulty-v2 (seed 5)") && lines[2].contains("rolled-back"));
    assert!(lines[2].contains("01:30"), "{}", lines[2]);

    // --last opens the newest
    let out = canary_in(&dir, &["replay", "--last", "--summary", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["outcome"], "promoted");
}

#[test]
fn record_and_no_record_do_not_go_together() {
    let dir = scratch("conflict");
    let out = canary_in(
        &dir,
        &["demo", "--headless", "--record", "x.jsonl", "--no-record"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

/// Writes `bytes` to a file in `dir` and replays it with `--summary`.
fn replay_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Output {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    canary_in(dir, &["replay", path.to_str().unwrap(), "--summary"])
}

/// A clear error: non-zero exit, one line on stderr that names the file, no panic.
fn assert_one_line_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "{needle:?} missing: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn header_line(version: &str) -> String {
    format!(
        r#"{{"format":"canary-cockpit-session","version":"{version}","cockpit":"0.1.0","source":{{"kind":"demo","scenario":"faulty-v2","seed":1}},"started_at":0,"release":"frontend"}}"#
    )
}

#[test]
fn bad_input_gives_one_clear_line_and_a_non_zero_exit() {
    let dir = scratch("bad");
    assert_one_line_error(&replay_bytes(&dir, "empty.jsonl", b""), "is empty");
    assert_one_line_error(
        &replay_bytes(&dir, "first.jsonl", b"{\"hello\":1}\n"),
        "not a canary cockpit recording",
    );
    assert_one_line_error(
        &replay_bytes(&dir, "png.jsonl.zst", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        "not a canary cockpit recording",
    );
    assert_one_line_error(
        &replay_bytes(
            &dir,
            "future.jsonl",
            format!("{}\n", header_line("2.0")).as_bytes(),
        ),
        "newer than this cockpit reads",
    );
    let missing = dir.join("missing.jsonl");
    let out = canary_in(&dir, &["replay", missing.to_str().unwrap()]);
    assert_one_line_error(&out, "missing.jsonl");
}

#[test]
fn damaged_recordings_replay_what_can_be_read_and_exit_2() {
    let dir = scratch("damaged");
    let tick = |t: i64| format!(r#"{{"t":{t},"event":{{"type":"tick","at":{t}}}}}"#);
    // garbage and a huge line between good lines
    let huge = format!(
        r#"{{"t":3,"event":{{"type":"note","at":3,"author":"x","text":"{}"}}}}"#,
        "a".repeat(2 << 20)
    );
    let text = [
        header_line("1.0"),
        tick(1000),
        "garbage {".to_string(),
        huge,
        tick(2000),
        String::new(),
    ]
    .join("\n");
    let out = replay_bytes(&dir, "garbage.jsonl", text.as_bytes());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.lines().all(|l| l.starts_with("warning: ")), "{err}");
    assert!(err.contains("unreadable line (3)"), "{err}");
    assert!(
        err.contains("line 4 is longer than 1 MiB: not a recording's line; replaying up to line 3"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("00:01"),
        "the summary covers the good lines"
    );

    // an older minor version reads; an unknown newer minor version reads too
    for version in ["1.0", "1.7"] {
        let text = format!("{}\n{}\n", header_line(version), tick(1000));
        let out = replay_bytes(&dir, &format!("v{version}.jsonl"), text.as_bytes());
        assert_eq!(out.status.code(), Some(0), "{version}: {}", stderr(&out));
    }

    // a zstd frame cut short, as a crash leaves it
    let shipped = std::fs::read(SHIPPED).unwrap();
    let cut = &shipped[..shipped.len() * 2 / 3];
    let out = replay_bytes(&dir, "cut.jsonl.zst", cut);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("warning: "), "{err}");
    assert!(stdout(&out).contains("Post-mortem"), "{}", stdout(&out));
}

#[test]
fn a_recording_written_in_pieces_is_readable_while_it_grows() {
    // the writer flushes at least once a second: a reader sees the file as the session goes on
    let dir = scratch("growing");
    let path = dir.join("live.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "{}", header_line("1.0")).unwrap();
    writeln!(f, r#"{{"t":5,"event":{{"type":"tick","at":5}}}}"#).unwrap();
    write!(f, r#"{{"t":6,"event":{{"ty"#).unwrap();
    drop(f);
    let rec = canary_cockpit::record::read(&path).unwrap();
    assert_eq!(rec.events.len(), 1);
    assert_eq!(rec.warnings.len(), 1, "{:?}", rec.warnings);
}

#[test]
fn a_killed_session_replays_up_to_its_last_flush() {
    let dir = scratch("killed");
    let file = dir.join("killed.jsonl.zst");
    let mut child = Command::new(env!("CARGO_BIN_EXE_canary"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .args([
            "demo",
            "--headless",
            "--speed",
            "1",
            "--seed",
            "8",
            "--record",
        ])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start the demo");
    // at 1× the demo sends an event a second; the writer flushes at least once a second
    wait_until_sync(
        "a second of the session is flushed to the recording",
        std::time::Duration::from_secs(20),
        || {
            let rec = canary_cockpit::record::read(&file).map_err(|e| e.to_string())?;
            let start = rec.header.started_at;
            let last = rec.events.last().map(|(t, _)| t.since(start)).unwrap_or(0);
            if last >= 1_000 {
                Ok(())
            } else {
                Err(format!("{last} ms"))
            }
        },
    );
    // SIGKILL: no chance to finish the zstd frame
    child.kill().unwrap();
    child.wait().unwrap();
    let rec = canary_cockpit::record::read(&file).expect("a killed session still reads");
    let start = rec.header.started_at;
    let last = rec.events.last().map(|(t, _)| t.since(start)).unwrap_or(0);
    // what was flushed before the kill is still there
    assert!(last >= 1_000, "only {last} ms of the session survived");
    assert!(!rec.warnings.is_empty(), "the cut is reported");
    let out = canary_in(&dir, &["replay", file.to_str().unwrap(), "--summary"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Waits until a file written now would have a later modification time than `file`: the file
/// system's clock has moved on. `probe` is written (and left) to tell.
fn until_newer_than(file: &Path, probe: &Path) {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).unwrap();
    let then = modified(file);
    wait_until_sync(
        &format!("the file system's clock moves past {}", file.display()),
        std::time::Duration::from_secs(5),
        || {
            std::fs::write(probe, b"").unwrap();
            modified(probe) > then
        },
    );
}

//! The recording format: round trips, crash safety, bad input, versioning, retention, redaction.

use crate::support::{key, scratch};
use canary_cockpit::app::{AppConfig, Event};
use canary_cockpit::model::Millis;
use canary_cockpit::record::{
    self, default_session_path, free_session_path, prune, redact_text, redact_url, Header,
    Recorder, SessionSource,
};
use canary_cockpit::source::demo::{DemoSession, Scenario};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

mod bad_input;

/// The faulty-v2 demo run to its rollback, with a key press and a resize mixed in.
fn demo_events() -> Vec<Event> {
    let scenario = Scenario::load("faulty-v2").unwrap();
    let mut session = DemoSession::new(scenario, 42, Millis(0), AppConfig::default()).keep_events();
    session.start();
    session.run_to_outcome(3_600_000);
    let mut events = session.events().to_vec();
    assert!(
        events.len() > 100,
        "the demo produced {} events",
        events.len()
    );
    events.insert(3, key('p'));
    events.insert(
        7,
        Event::Resize {
            width: 80,
            height: 24,
        },
    );
    events
}

fn header() -> Header {
    Header::new(SessionSource::demo("faulty-v2", 42), Millis(0), "checkout")
}

/// What a reader must give back: every event but key presses and resizes, with its own time.
fn recordable(events: &[Event]) -> Vec<(Millis, Event)> {
    events
        .iter()
        .filter(|e| !matches!(e, Event::Key(_) | Event::Resize { .. }))
        .map(|e| (e.at().unwrap(), e.clone()))
        .collect()
}

/// Equal event lists, or a short message naming the first difference (the lists are long).
fn assert_same(got: &[(Millis, Event)], want: &[(Millis, Event)]) {
    if let Some(i) = (0..got.len().min(want.len())).find(|&i| got[i] != want[i]) {
        panic!("event {i} differs:\n got {:?}\nwant {:?}", got[i], want[i]);
    }
    assert_eq!(got.len(), want.len(), "event counts differ");
}

fn write(path: &Path, events: &[Event], flush_every: Duration) -> usize {
    let mut rec = Recorder::create(path, &header())
        .unwrap()
        .with_flush_interval(flush_every);
    let mut written = 0;
    for e in events {
        written += usize::from(rec.record(e).unwrap());
    }
    rec.finish().unwrap();
    written
}

/// A plain recording with the given event lines after a valid header.
fn plain_with(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    let mut text = serde_json::to_string(&header()).unwrap() + "\n";
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn event_lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!(r#"{{"t":{i},"event":{{"type":"tick","at":{i}}}}}"#))
        .collect()
}

fn err(path: &Path) -> String {
    record::read(path).unwrap_err().to_string()
}

#[test]
fn plain_round_trip_skips_keys_and_resizes() {
    let dir = scratch("plain");
    let path = dir.join("s.jsonl");
    let events = demo_events();
    let written = write(&path, &events, Duration::from_secs(1));
    let text = std::fs::read_to_string(&path).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["format"], "canary-cockpit-session");
    assert_eq!(first["version"], "1.5");
    assert_eq!(first["cockpit"], env!("CARGO_PKG_VERSION"));
    assert_eq!(first["source"]["kind"], "demo");
    assert_eq!(first["source"]["seed"], 42);
    assert!(!text.contains("\"key\"") && !text.contains("resize"));

    let rec = record::read(&path).unwrap();
    assert_eq!(rec.header, header());
    assert_same(&rec.events, &recordable(&events));
    assert_eq!(rec.events.len(), written);
    assert_eq!(written, events.len() - 2);
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
}

#[test]
fn zstd_round_trip_detected_by_content_not_name() {
    let dir = scratch("zstd");
    let path = dir.join("s.jsonl.zst");
    let events = demo_events();
    write(&path, &events, Duration::from_secs(1));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    let plain_size = serde_json::to_string(&recordable(&events)).unwrap().len();
    assert!(
        bytes.len() * 4 < plain_size,
        "{} vs {plain_size}",
        bytes.len()
    );

    let rec = record::read(&path).unwrap();
    assert_same(&rec.events, &recordable(&events));
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);

    let renamed = dir.join("renamed.jsonl");
    std::fs::copy(&path, &renamed).unwrap();
    assert_same(&record::read(&renamed).unwrap().events, &rec.events);
}

#[test]
fn an_unfinished_zstd_recording_reads_up_to_its_last_flush() {
    let dir = scratch("crash");
    let path = dir.join("s.jsonl.zst");
    let events = demo_events();
    let mut rec = Recorder::create(&path, &header())
        .unwrap()
        .with_flush_interval(Duration::ZERO);
    let n = events.len() / 2;
    for e in &events[..n] {
        rec.record(e).unwrap();
    }
    // The process "dies": the frame is never finished.
    std::mem::forget(rec);
    let read = record::read(&path).unwrap();
    assert_same(&read.events, &recordable(&events[..n]));
    assert_eq!(read.warnings.len(), 1, "{:?}", read.warnings);
    assert!(
        read.warnings[0].contains("ends early"),
        "{:?}",
        read.warnings
    );
}

#[test]
fn a_zstd_file_cut_in_the_middle_reads_up_to_the_last_whole_line() {
    let dir = scratch("cut-zstd");
    let path = dir.join("s.jsonl.zst");
    let events = demo_events();
    write(&path, &events, Duration::ZERO);
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.join("cut.jsonl.zst");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let rec = record::read(&cut).unwrap();
    let all = recordable(&events);
    assert!(!rec.events.is_empty() && rec.events.len() < all.len());
    assert_same(&rec.events, &all[..rec.events.len()]);
    assert!(
        rec.warnings.iter().any(|w| w.contains("ends early")),
        "{:?}",
        rec.warnings
    );
}

#[test]
fn a_plain_file_cut_in_the_middle_of_a_line_reads_up_to_the_last_whole_line() {
    let dir = scratch("cut-plain");
    let path = dir.join("s.jsonl");
    let events = demo_events();
    write(&path, &events, Duration::from_secs(1));
    let text = std::fs::read_to_string(&path).unwrap();
    let middle = text.len() / 2;
    let line_start = text[..middle].rfind('\n').unwrap() + 1;
    assert!(middle > line_start + 2, "the cut must fall inside a line");
    let whole_lines = text[..line_start].lines().count() - 1; // minus the header
    std::fs::write(&path, &text[..middle]).unwrap();
    let rec = record::read(&path).unwrap();
    assert_same(&rec.events, &recordable(&events)[..whole_lines]);
    assert_eq!(rec.warnings.len(), 1);
    assert!(rec.warnings[0].contains("incomplete"), "{:?}", rec.warnings);
}

#[test]
fn prune_keeps_the_newest_sessions() {
    let dir = scratch("prune");
    let now = SystemTime::now();
    for i in 0..6u64 {
        let name = if i % 2 == 0 {
            format!("r-{i}.jsonl.zst")
        } else {
            format!("r-{i}.jsonl")
        };
        let file = std::fs::File::create(dir.join(name)).unwrap();
        file.set_modified(now - Duration::from_secs(600 - i * 60))
            .unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "keep me").unwrap();
    let mut removed = prune(&dir, 2).unwrap();
    removed.sort();
    let names = |paths: Vec<PathBuf>| -> Vec<String> {
        paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(
        names(removed),
        ["r-0.jsonl.zst", "r-1.jsonl", "r-2.jsonl.zst", "r-3.jsonl"]
    );
    let mut left: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    left.sort();
    assert_eq!(names(left), ["notes.txt", "r-4.jsonl.zst", "r-5.jsonl"]);
    assert!(prune(&dir.join("missing"), 1).unwrap().is_empty());
}

#[test]
fn default_session_paths_carry_the_release_and_utc_time() {
    let state = Path::new("/state/canary-cockpit");
    assert_eq!(
        default_session_path(state, "checkout", Millis(1_709_251_199_999)),
        state.join("sessions/checkout-20240229T235959Z.jsonl.zst")
    );
    assert_eq!(
        default_session_path(state, "../shop/api v2", Millis(0)),
        state.join("sessions/_.._shop_api_v2-19700101T000000Z.jsonl.zst")
    );
}

#[test]
fn a_second_session_in_the_same_second_gets_a_file_of_its_own() {
    let dir = scratch("same-second");
    let first = default_session_path(&dir, "shop", Millis(1_709_251_199_999));
    assert_eq!(free_session_path(&first), first, "nothing there yet");
    Recorder::create(&first, &header())
        .unwrap()
        .finish()
        .unwrap();
    let second = free_session_path(&first);
    assert_eq!(
        second,
        dir.join("sessions/shop-20240229T235959Z-2.jsonl.zst")
    );
    Recorder::create(&second, &header())
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(
        free_session_path(&first),
        dir.join("sessions/shop-20240229T235959Z-3.jsonl.zst")
    );
    assert!(record::read(&first).is_ok() && record::read(&second).is_ok());
}

#[test]
fn urls_lose_credentials_and_queries() {
    assert_eq!(
        redact_url("https://admin:s3cret@prom.example:9090/api/v1/query?token=abc#x"),
        "https://prom.example:9090/api/v1/query"
    );
    assert_eq!(redact_url("http://prom:9090"), "http://prom:9090");
    assert_eq!(redact_url("user:pw@host/path?q=1"), "host/path");
    assert_eq!(redact_url("https://host/p?next=a@b"), "https://host/p");
    assert_eq!(redact_url("prod-eu"), "prod-eu");
    assert_eq!(
        redact_text("GET https://u:p@prom/q?k=v failed:  timeout"),
        "GET https://prom/q failed:  timeout"
    );
}

#[test]
fn secrets_do_not_reach_the_file() {
    let dir = scratch("secrets");
    let path = dir.join("s.jsonl");
    let source = SessionSource::cluster(
        "https://me:pw@api.eks/",
        "shop",
        "argo-rollouts",
        "rollout/api",
    );
    let head = Header::new(source, Millis(5), "api");
    let mut rec = Recorder::create(&path, &head).unwrap();
    rec.record(&Event::SourceError {
        at: Millis(6),
        source: "prometheus".into(),
        message: "cannot reach https://bob:hunter2@prom:9090/api?token=t0k".into(),
    })
    .unwrap();
    rec.finish().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for secret in ["pw@", "hunter2", "t0k", "bob"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let read = record::read(&path).unwrap();
    assert!(
        matches!(read.header.source, SessionSource::Cluster { ref context, .. } if context == "https://api.eks/")
    );
    assert!(
        matches!(&read.events[0].1, Event::SourceError { message, .. } if message == "cannot reach https://prom:9090/api")
    );
}

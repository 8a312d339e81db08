//! `canary demo --headless --for DURATION`: the soak run of scripts/soak.sh. The release's
//! outcome does not end the run: the simulation goes on for the virtual time asked, recorded as
//! the cockpit records it, and the exit code is still the outcome's.

use crate::support::{canary_in, scratch};

#[test]
fn a_soak_run_goes_on_past_the_outcome_for_the_virtual_time_asked() {
    let dir = scratch("soak");
    let rec = dir.join("soak.jsonl");
    let out = canary_in(
        &dir,
        &[
            "--log-file",
            dir.join("canary.log").to_str().expect("UTF-8"),
            "demo",
            "--headless",
            "--speed",
            "max",
            "--seed",
            "42",
            "--for",
            "2h",
            "--record",
            rec.to_str().expect("UTF-8"),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // faulty-v2 rolls back after 90 s; the run goes on to two hours
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("T+01:30 phase RollingBack→RolledBack"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("outcome: rolled-back"),
        "{stdout}"
    );
    let text = std::fs::read_to_string(&rec).expect("the recording");
    let mut lines = text.lines();
    let header: serde_json::Value =
        serde_json::from_str(lines.next().expect("a header")).expect("JSON");
    let started = header["started_at"].as_i64().expect("started_at");
    let last: serde_json::Value =
        serde_json::from_str(lines.last().expect("events")).expect("JSON");
    let reached = last["t"].as_i64().expect("t") - started;
    assert!(
        (2 * 3_600_000 - 60_000..=2 * 3_600_000).contains(&reached),
        "the last event at {reached} ms"
    );

    // without --headless it is refused: a usage error
    let out = canary_in(&dir, &["demo", "--for", "2h"]);
    assert_eq!(out.status.code(), Some(2));
    let out = canary_in(&dir, &["demo", "--headless", "--for", "2 days"]);
    assert_eq!(out.status.code(), Some(2));
}

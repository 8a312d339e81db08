//! A bad scenario gets a clear error naming the file and the field, and a non-zero exit.

use crate::support::scratch;
use canary_cockpit::source::demo::{Scenario, ScenarioError};
use std::process::Command;

const GOOD: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/scenarios/faulty-v2.toml"
));

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse(text, "bad.toml")
}

#[test]
fn built_in_scenarios_all_load() {
    for name in ["faulty-v2", "healthy-v2", "slow-v2", "crashloop-v2"] {
        let s = Scenario::load(name).unwrap();
        assert_eq!(s.name, name);
        assert_eq!(s.release.name, "frontend");
        assert_eq!(s.release.namespace, "demo");
        assert_eq!(s.primary_replicas(), 4);
        // 4xx are simulated but judged only when a scenario sets a maximum
        assert!(s.primary.error_4xx_rate > 0.0, "{name}");
        assert_eq!(s.analysis_settings().max_4xx_rate, None, "{name}");
    }
    let strict = GOOD.replacen("# max_4xx_rate = 5.0", "max_4xx_rate = 5.0", 1);
    let s = parse(&strict).unwrap();
    assert_eq!(s.analysis_settings().max_4xx_rate, Some(5.0));
}

#[test]
fn out_of_range_values_name_their_field() {
    let cases = [
        ("error_rate = 0.15", "error_rate = 15", "canary.error_rate"),
        ("threshold = 5", "threshold = 0", "analysis.threshold"),
        (
            "steps = [5, 10, 25, 50]",
            "steps = [5, 50, 25]",
            "progression.steps",
        ),
        (
            "steps = [5, 10, 25, 50]",
            "steps = [5, 150]",
            "progression.steps",
        ),
        ("base_rps = 120.0", "base_rps = -3.0", "traffic.base_rps"),
        (
            "error_4xx_rate = 0.04",
            "error_4xx_rate = 0.9",
            "canary.error_4xx_rate",
        ),
        (
            "# max_4xx_rate = 5.0",
            "max_4xx_rate = 150.0",
            "analysis.max_4xx_rate",
        ),
    ];
    for (from, to, field) in cases {
        let text = GOOD.replacen(from, to, 1);
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("bad.toml"), "{err}");
        assert!(err.contains(field), "expected {field} in: {err}");
    }
}

#[test]
fn syntax_errors_unknown_and_missing_fields_are_reported() {
    let err = parse("name = ").unwrap_err().to_string();
    assert!(err.contains("bad.toml"), "{err}");
    let err = parse(&GOOD.replacen("noise = 0.06", "noize = 0.06", 1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("noize"), "{err}");
    let err = parse(&GOOD.replacen("interval_secs = 15", "", 1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("interval_secs"), "{err}");
    let err = parse(&GOOD.replacen("steps = [5, 10, 25, 50]", "", 1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("progression"), "{err}");
    let err = parse(&GOOD.replacen("p99_ms = 900.0", "p99_ms = \"slow\"", 1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("p99_ms"), "{err}");
}

#[test]
fn unknown_names_and_missing_files_are_clear() {
    let err = Scenario::load("no-such-scenario").unwrap_err().to_string();
    assert!(err.contains("faulty-v2"), "lists the built-ins: {err}");
    let err = Scenario::load("/nonexistent/s.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/s.toml"), "{err}");
}

#[test]
fn the_binary_exits_non_zero_naming_file_and_field() {
    let dir = scratch("bad-scenario");
    let path = dir.join("broken.toml");
    std::fs::write(&path, GOOD.replacen("threshold = 5", "threshold = -1", 1)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_canary"))
        .arg("--log-file")
        .arg(dir.join("log"))
        .args(["demo", "--headless", "--speed", "max", "--scenario"])
        .arg(&path)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.toml"), "{stderr}");
    assert!(stderr.contains("threshold"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

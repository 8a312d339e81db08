//! Every scenario run headless through the real binary with a fixed seed: outcome and exit code.

use crate::support::{canary_in, scratch};
use std::path::Path;

/// Runs `scenario` headless with `seed`; its log and state go to the test's own `dir`.
fn headless(dir: &Path, scenario: &str, seed: &str) -> (i32, String) {
    let log = dir.join("canary.log");
    let out = canary_in(
        dir,
        &[
            "--log-file",
            &log.to_string_lossy(),
            "demo",
            "--headless",
            "--speed",
            "max",
            "--seed",
            seed,
            "--scenario",
            scenario,
        ],
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    (out.status.code().unwrap_or(-1), stdout)
}

#[test]
fn faulty_v2_rolls_back_by_itself() {
    let dir = scratch("faulty");
    let (code, out) = headless(&dir, "faulty-v2", "42");
    assert_eq!(code, 3, "{out}");
    assert_eq!(out.lines().last(), Some("outcome: rolled-back"));
    assert!(out.contains("check failed (error rate"), "{out}");
    assert!(out.contains("5/5"), "{out}");
    assert!(out.contains("ALERT"), "{out}");
    let weights: Vec<&str> = out.lines().filter(|l| l.contains(" weight ")).collect();
    assert!(
        weights.iter().any(|l| l.ends_with("weight 0→5")),
        "{weights:?}"
    );
    assert!(
        weights.last().is_some_and(|l| l.ends_with("→0")),
        "{weights:?}"
    );
    // a presenter can talk over it: between one and two minutes of virtual time
    let last_event = out.lines().rev().nth(1).unwrap();
    assert!(last_event.starts_with("T+01:"), "{last_event}");
}

#[test]
fn healthy_v2_is_promoted() {
    let dir = scratch("healthy");
    let (code, out) = headless(&dir, "healthy-v2", "42");
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().last(), Some("outcome: promoted"));
    for step in ["weight 0→5", "weight 5→10", "weight 10→25", "weight 25→50"] {
        assert!(out.contains(step), "missing {step}: {out}");
    }
    assert!(out.contains("primary now runs v2"), "{out}");
    assert!(!out.contains("check failed"), "{out}");
}

#[test]
fn slow_v2_is_rolled_back_for_latency_alone() {
    let dir = scratch("slow");
    let (code, out) = headless(&dir, "slow-v2", "7");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("check failed (p99"), "{out}");
    assert!(!out.contains("error rate 1"), "errors stay low: {out}");
}

#[test]
fn crashloop_v2_never_gets_traffic_and_rolls_back() {
    let dir = scratch("crashloop");
    let (code, out) = headless(&dir, "crashloop-v2", "3");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("CrashLoopBackOff"), "{out}");
    assert!(
        !out.contains("weight 0→"),
        "no traffic may move to a canary that is not ready: {out}"
    );
}

#[test]
fn leaky_v2_is_rolled_back_by_the_memory_check_alone() {
    let dir = scratch("leaky");
    let (code, out) = headless(&dir, "leaky-v2", "5");
    assert_eq!(code, 3, "{out}");
    assert_eq!(out.lines().last(), Some("outcome: rolled-back"));
    let failed: Vec<&str> = out.lines().filter(|l| l.contains("check failed")).collect();
    assert!(!failed.is_empty(), "{out}");
    for line in &failed {
        assert!(line.contains("check failed (memory +"), "{line}");
        assert!(line.contains("> 20 %)"), "{line}");
        assert!(
            !line.contains("error rate") && !line.contains("p99"),
            "{line}"
        );
    }
    assert!(
        out.contains("check passed"),
        "errors and latency pass before the leak shows: {out}"
    );
}

#[test]
fn the_demo_flag_overrides_the_scenarios_memory_limit() {
    let dir = scratch("memory-flag");
    let log = dir.join("canary.log");
    let run = |growth: &str| {
        canary_in(
            &dir,
            &[
                "--log-file",
                &log.to_string_lossy(),
                "demo",
                "--headless",
                "--speed",
                "max",
                "--seed",
                "5",
                "--scenario",
                "leaky-v2",
                &format!("--max-memory-growth={growth}"),
            ],
        )
    };
    let lenient = run("1000");
    let out = String::from_utf8_lossy(&lenient.stdout);
    assert_eq!(lenient.status.code(), Some(0), "{out}");
    assert!(!out.contains("memory +"), "{out}");
    let refused = run("-3");
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("--max-memory-growth -3"), "{err}");
}

#[test]
fn the_scenarios_verb_lists_leaky_v2() {
    let dir = scratch("verb");
    let out = canary_in(
        &dir,
        &[
            "--log-file",
            &dir.join("canary.log").to_string_lossy(),
            "scenarios",
        ],
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    assert!(out.status.success(), "{stdout}");
    let line = stdout.lines().find(|l| l.contains("leaky-v2"));
    assert!(line.is_some_and(|l| l.contains("memory")), "{stdout}");
}

#[test]
fn same_seed_same_story_other_seed_other_numbers() {
    let dir = scratch("same-seed");
    let (_, a) = headless(&dir, "faulty-v2", "11");
    let (_, b) = headless(&dir, "faulty-v2", "11");
    let (_, c) = headless(&dir, "faulty-v2", "12");
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn every_seed_in_a_range_tells_the_same_outcome() {
    let dir = scratch("every-seed");
    for seed in 0..20 {
        let (code, out) = headless(&dir, "faulty-v2", &seed.to_string());
        assert_eq!(code, 3, "seed {seed}: {out}");
        let (code, out) = headless(&dir, "healthy-v2", &seed.to_string());
        assert_eq!(code, 0, "seed {seed}: {out}");
        let (code, out) = headless(&dir, "leaky-v2", &seed.to_string());
        assert_eq!(code, 3, "seed {seed}: {out}");
    }
}

/// The three stories of the judges on a range of seeds, by exit code (0 promoted, 3 rolled back).
#[test]
fn the_judges_on_faulty_subtle_and_noisy_v2() {
    let run = |scenario: &str, judge: &str, seed: u64| {
        let dir = scratch(&format!("judges-{scenario}-{judge}-{seed}"));
        let log = dir.join("canary.log");
        let seed = seed.to_string();
        let out = canary_in(
            &dir,
            &[
                "--log-file",
                &log.to_string_lossy(),
                "demo",
                "--headless",
                "--speed",
                "max",
                "--scenario",
                scenario,
                "--judge",
                judge,
                "--seed",
                &seed,
            ],
        );
        let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
        (out.status.code().unwrap_or(-1), stdout)
    };
    let mut threshold_failed_a_noisy_check = false;
    for seed in 1..=8u64 {
        for judge in ["threshold", "statistical"] {
            let (code, out) = run("faulty-v2", judge, seed);
            assert_eq!(code, 3, "faulty-v2 {judge} seed {seed}: {out}");
        }
        // thresholds pass a p99 30 % worse; the statistical judge rolls it back on latency
        let (code, out) = run("subtle-v2", "threshold", seed);
        assert_eq!(code, 0, "subtle-v2 threshold seed {seed}: {out}");
        let (code, out) = run("subtle-v2", "statistical", seed);
        assert_eq!(code, 3, "subtle-v2 statistical seed {seed}: {out}");
        assert!(out.contains("p99 High"), "{out}");
        // the thresholds flap on a few errors among few requests; the judge passes V2
        let (code, out) = run("noisy-v2", "threshold", seed);
        assert_eq!(code, 0, "noisy-v2 threshold seed {seed}: {out}");
        threshold_failed_a_noisy_check |= out.contains("check failed (error rate");
        let (code, out) = run("noisy-v2", "statistical", seed);
        if seed == 6 {
            // this seed draws a burst of canary errors (7 in 286 requests against V1's 0.68 %)
            // that the judge rightly calls High: counts, not noise
            assert_eq!(code, 3, "noisy-v2 statistical seed {seed}: {out}");
            assert!(out.contains("critical error rate High: "), "{out}");
        } else {
            assert_eq!(code, 0, "noisy-v2 statistical seed {seed}: {out}");
            assert!(!out.contains("check failed"), "{out}");
        }
    }
    assert!(threshold_failed_a_noisy_check);
}

//! The demo groups run headless through the real binary on a range of seeds: the order of the
//! promotion and of the rollback, the policies, and the exit codes.

use crate::support::{canary_in, scratch};
use std::path::Path;

fn headless(dir: &Path, scenario: &str, seed: u64) -> (i32, String) {
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
            &seed.to_string(),
            "--scenario",
            scenario,
        ],
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    (out.status.code().unwrap_or(-1), stdout)
}

/// The index of the first line that ends with `tail` (after its `T+mm:ss `).
fn line_of(out: &str, text: &str) -> usize {
    out.lines()
        .position(|l| l.split_once(' ').is_some_and(|(_, rest)| rest == text))
        .unwrap_or_else(|| panic!("no line '{text}' in:\n{out}"))
}

#[test]
fn a_faulty_backend_rolls_the_frontend_back_first_then_itself() {
    let dir = scratch("faulty");
    for seed in 1..=12 {
        let (code, out) = headless(&dir, "frontend-backend", seed);
        assert_eq!(code, 3, "seed {seed}: {out}");
        assert_eq!(
            out.lines().last(),
            Some("outcome: rolled-back"),
            "seed {seed}"
        );
        let stop = line_of(
            &out,
            "group stops (backend failed): rolling back frontend, then backend",
        );
        let front = line_of(&out, "frontend: controller: roll back ok");
        let back = line_of(&out, "backend: controller: roll back ok");
        assert!(stop < front && front < back, "seed {seed}: {out}");
        assert!(
            out.contains("backend failed: 5 failed checks (threshold 5)"),
            "seed {seed}"
        );
        // the members stepped together: never one without the other
        assert!(
            out.contains("group step 1: backend 5 % · frontend 5 %"),
            "seed {seed}"
        );
        assert!(!out.contains("frontend: weight 5→10"), "seed {seed}: {out}");
        assert!(!out.contains("promote ok"), "seed {seed}");
        // the log's times never go back
        let times: Vec<&str> = out
            .lines()
            .filter_map(|l| l.split(' ').next())
            .filter(|t| t.starts_with("T+"))
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "seed {seed}: {times:?}"
        );
    }
}

#[test]
fn healthy_members_promote_backend_first_each_rolled_out_before_the_next() {
    let dir = scratch("healthy");
    for seed in 1..=12 {
        let (code, out) = headless(&dir, "frontend-backend-healthy", seed);
        assert_eq!(code, 0, "seed {seed}: {out}");
        assert_eq!(out.lines().last(), Some("outcome: promoted"), "seed {seed}");
        let order = line_of(&out, "group promotes in order: backend, then frontend");
        let back = line_of(&out, "backend: controller: promote ok");
        let rolled = line_of(&out, "backend promoted and rolled out");
        let front = line_of(&out, "frontend: controller: promote ok");
        let done = line_of(&out, "frontend promoted and rolled out");
        assert!(
            order < back && back < rolled && rolled < front && front < done,
            "seed {seed}: {out}"
        );
        assert!(
            out.contains("group step 4: backend 50 % · frontend 50 %"),
            "seed {seed}"
        );
        assert!(!out.contains("roll back ok"), "seed {seed}");
    }
}

/// A group file beside its members, with the policy `independent`: the faulty backend rolls
/// back alone and the frontend goes on to its promotion.
#[test]
fn independent_leaves_the_frontend_alone() {
    let dir = scratch("independent");
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/groups");
    for file in ["shop-backend-faulty.toml", "shop-frontend.toml"] {
        std::fs::copy(assets.join(file), dir.join(file)).unwrap();
    }
    let group = dir.join("independent.toml");
    std::fs::write(
        &group,
        "name = \"independent\"\ndescription = \"d\"\ngroup = \"shop\"\npolicy = \"independent\"\n\
         members = [\"shop-backend-faulty.toml\", \"shop-frontend.toml\"]\n",
    )
    .unwrap();
    for seed in [3, 4, 5] {
        let (code, out) = headless(&dir, &group.to_string_lossy(), seed);
        assert_eq!(code, 3, "seed {seed}: {out}");
        let alone = line_of(
            &out,
            "independent: backend rolls back alone; frontend goes on",
        );
        let back = line_of(&out, "backend: controller: roll back ok");
        let front = line_of(&out, "frontend: controller: promote ok");
        assert!(alone < back && back < front, "seed {seed}: {out}");
        assert!(
            !out.contains("frontend: controller: roll back ok"),
            "seed {seed}"
        );
        assert!(out.contains("group Mixed"), "seed {seed}: {out}");
    }
}

#[test]
fn scenarios_lists_the_groups() {
    let dir = scratch("list");
    let out = canary_in(&dir, &["scenarios"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for name in ["frontend-backend ", "frontend-backend-healthy "] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} missing: {text}"
        );
    }
}

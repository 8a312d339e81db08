//! A whole faulty-v2 demo, headless, at max speed.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use canary_cockpit::app::AppConfig;
use canary_cockpit::model::Millis;
use canary_cockpit::source::demo::{DemoSession, Scenario};
use criterion::{criterion_group, criterion_main, Criterion};

fn headless(c: &mut Criterion) {
    let scenario = match Scenario::load("faulty-v2") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    c.bench_function("headless faulty-v2 to rollback", |b| {
        b.iter(|| {
            let mut s = DemoSession::new(scenario.clone(), 42, Millis(0), AppConfig::default());
            s.start();
            let outcome = s.run_to_outcome(3_600_000);
            assert!(outcome.is_some());
        })
    });
}

criterion_group!(benches, headless);
criterion_main!(benches);

//! A synthetic 8-hour session: one metrics sample per second for both versions, 50 pods with
//! churn, a verdict a minute and a few hundred actions and notes. Written through the recorder with
//! a flush every (virtual) second, as a live session does; then opened and seeked in replay.
//!
//! Prints the file size, then criterion measures "open + seek to the end" and "seek anywhere".
//! `CANARY_BENCH_HOURS` changes the length (default 8).

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use canary_cockpit::app::{Action, Actor, AppConfig, Event};
use canary_cockpit::controller::Step;
use canary_cockpit::model::{
    MetricsSample, Millis, Outcome, Phase, Plan, Pod, PodSet, PodStatus, ReleaseSnapshot, Verdict,
    Version, VersionSample, Weight,
};
use canary_cockpit::record::{self, Header, Recorder, SessionSource};
use canary_cockpit::replay::Player;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const START: Millis = Millis(1_767_225_600_000);
const PODS: usize = 50;

/// A small deterministic generator (xorshift64*), enough for noise.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn pod(name: String, status: PodStatus, created_at: Millis) -> Pod {
    Pod {
        ready: status == PodStatus::Running,
        name,
        status,
        restarts: 0,
        created_at,
        resources: Default::default(),
    }
}

fn put(recorder: &mut Recorder, ev: Event, n: &mut usize) {
    if let Err(e) = recorder.record(&ev) {
        panic!("{e}");
    }
    *n += 1;
}

fn release(weight: u8) -> ReleaseSnapshot {
    ReleaseSnapshot {
        name: "checkout".to_string(),
        namespace: "shop".to_string(),
        source: "ingress/checkout".to_string(),
        primary: Version {
            name: "v7".to_string(),
            image: "registry.example.com/shop/checkout:7.0.3".to_string(),
        },
        canary: Version {
            name: "v8".to_string(),
            image: "registry.example.com/shop/checkout:8.0.0".to_string(),
        },
        weight: Weight::clamped(weight),
        canary_replicas: 25,
        phase: Some(Phase::Progressing),
        plan: Plan::linear(Weight::clamped(5), Weight::clamped(50)).ok(),
        paused: None,
        controller: None,
        rules: Vec::new(),
        refusals: Vec::new(),
    }
}

fn sample(at: Millis, noise: &mut Noise, canary_share: f64) -> MetricsSample {
    let mut version = |rps: f64, err: f64, p99: f64| {
        let rps = rps * (0.9 + 0.2 * noise.next());
        VersionSample {
            rps,
            requests: rps,
            errors: (rps * err * (0.5 + noise.next())).round(),
            p99_ms: Some(p99 * (0.9 + 0.2 * noise.next())),
            ..VersionSample::default()
        }
    };
    MetricsSample {
        at,
        period_ms: 1000,
        primary: version(400.0 * (1.0 - canary_share), 0.001, 180.0),
        canary: version(400.0 * canary_share, 0.004, 210.0),
    }
}

/// Writes the synthetic session to `path`; returns the number of events.
fn write_session(path: &Path, hours: i64) -> usize {
    let header = Header::new(
        SessionSource::cluster("prod-eu", "shop", "ingress-nginx", "ingress/checkout"),
        START,
        "checkout",
    )
    .with_refresh_ms(1000);
    let mut recorder = match Recorder::create(path, &header) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let mut n = 0;
    let mut pods = PodSet::default();
    for i in 0..PODS {
        let name = format!("checkout-v{}-5d8f9c7b6-{i:05}", if i < 25 { 7 } else { 8 });
        let p = pod(name, PodStatus::Running, START);
        if i < 25 {
            pods.primary.push(p);
        } else {
            pods.canary.push(p);
        }
    }
    put(
        &mut recorder,
        Event::ReleaseObserved {
            at: START,
            release: release(5),
        },
        &mut n,
    );
    put(
        &mut recorder,
        Event::PodsObserved {
            at: START,
            pods: pods.clone(),
        },
        &mut n,
    );
    let mut weight = 5u8;
    let mut replaced = 0usize;
    for s in 1..=hours * 3600 {
        let at = START.plus_ms(s * 1000);
        put(&mut recorder, Event::Tick { at }, &mut n);
        put(
            &mut recorder,
            Event::MetricsSampled {
                sample: sample(at, &mut noise, f64::from(weight) / 100.0),
            },
            &mut n,
        );
        // churn: a pod is replaced every 45 s; it becomes ready 10 s later
        let churned = match s % 45 {
            0 => {
                replaced += 1;
                let i = replaced % PODS;
                let (side, v) = if i < 25 {
                    (&mut pods.primary, 7)
                } else {
                    (&mut pods.canary, 8)
                };
                side[i % 25] = pod(
                    format!("checkout-v{v}-5d8f9c7b6-r{replaced:05}"),
                    PodStatus::Pending,
                    at,
                );
                true
            }
            10 => {
                for p in pods.primary.iter_mut().chain(pods.canary.iter_mut()) {
                    p.status = PodStatus::Running;
                    p.ready = true;
                }
                true
            }
            _ => false,
        };
        if churned {
            put(
                &mut recorder,
                Event::PodsObserved {
                    at,
                    pods: pods.clone(),
                },
                &mut n,
            );
        }
        if s % 60 == 0 {
            let step = if s % 3600 == 0 && weight < 50 {
                weight += 5;
                Step::SetWeight(Weight::clamped(weight))
            } else {
                Step::Hold
            };
            put(
                &mut recorder,
                Event::Verdict {
                    verdict: Verdict {
                        at,
                        outcome: Outcome::Pass,
                        reason: "success rate 99.6 % ≥ 99 %, p99 212 ms ≤ 500 ms".to_string(),
                        failed_checks: 0,
                    },
                    step,
                },
                &mut n,
            );
            if let Step::SetWeight(w) = step {
                put(
                    &mut recorder,
                    Event::ActionResult {
                        at,
                        action: Action::SetWeight { weight: w },
                        actor: Actor::Controller,
                        error: None,
                    },
                    &mut n,
                );
                put(
                    &mut recorder,
                    Event::ReleaseObserved {
                        at,
                        release: release(weight),
                    },
                    &mut n,
                );
            }
        }
        if s % 1800 == 900 {
            put(
                &mut recorder,
                Event::Note {
                    at,
                    author: "oncall".to_string(),
                    text: format!("checked dashboards at hour {}", s / 3600),
                },
                &mut n,
            );
        }
        // a flush every second, as the live cockpit does
        if let Err(e) = recorder.flush() {
            panic!("{e}");
        }
    }
    if let Err(e) = recorder.finish() {
        panic!("{e}");
    }
    n
}

fn open(path: &Path) -> Player {
    let recording = match record::read(path) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    Player::new(recording, AppConfig::default())
}

fn session_file(hours: i64) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("canary-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("{e}");
    }
    dir.join(format!("synthetic-{hours}h.jsonl.zst"))
}

fn recording(c: &mut Criterion) {
    let hours: i64 = std::env::var("CANARY_BENCH_HOURS")
        .ok()
        .and_then(|h| h.parse().ok())
        .unwrap_or(8);
    let path = session_file(hours);
    let started = Instant::now();
    let events = write_session(&path, hours);
    let write_time = started.elapsed();
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    eprintln!(
        "synthetic session: {hours} h, {events} events, {:.2} MB ({:.2} MB per hour), written in {:.2} s",
        size as f64 / 1e6,
        size as f64 / 1e6 / hours as f64,
        write_time.as_secs_f64()
    );
    let started = Instant::now();
    let mut player = open(&path);
    player.seek(player.end());
    eprintln!(
        "first open + seek to the end: {:.0} ms ({} events)",
        started.elapsed().as_secs_f64() * 1000.0,
        player.len()
    );

    let mut group = c.benchmark_group(format!("replay {hours} h"));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("open + seek to the end", |b| {
        b.iter(|| {
            let mut p = open(&path);
            p.seek(p.end());
            black_box(p.app().weight())
        })
    });
    // seeks that jump back and forth across the whole session: each one restores a checkpoint
    let duration = player.duration_ms();
    let mut noise = Noise(42);
    group.bench_function("seek anywhere", |b| {
        b.iter(|| {
            let offset = (noise.next() * duration as f64) as i64;
            player.seek(player.start().plus_ms(offset));
            black_box(player.app().weight())
        })
    });
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, recording);
criterion_main!(benches);

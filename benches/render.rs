//! Full-frame render at 120×40 and 200×60 with 1,000 pods, and at 120×40 with 5,000 (goal: ≤ 1 ms
//! median).

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use canary_cockpit::app::{App, AppConfig, Event};
use canary_cockpit::model::{
    AnalysisSettings, MetricsSample, Millis, Plan, Pod, PodSet, PodStatus, ReleaseSnapshot,
    Version, VersionSample, Weight,
};
use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn big_app(pods: usize) -> App {
    let plan =
        Plan::linear(Weight::clamped(10), Weight::clamped(50)).unwrap_or(Plan::Steps(vec![]));
    let mut app = App::driving(AppConfig::default(), AnalysisSettings::default(), plan);
    let pod = |side: &str, i: usize| Pod {
        name: format!("frontend-{side}-7c9f8b6d4-{i:05}"),
        status: if i.is_multiple_of(97) {
            PodStatus::CrashLoopBackOff
        } else {
            PodStatus::Running
        },
        ready: !i.is_multiple_of(97),
        restarts: (i % 5) as u32,
        created_at: Millis(0),
        resources: Default::default(),
    };
    app.update(Event::ReleaseObserved {
        at: Millis(0),
        release: ReleaseSnapshot {
            name: "frontend".into(),
            namespace: "demo".into(),
            source: "bench".into(),
            primary: Version {
                name: "v1".into(),
                image: "frontend:1".into(),
            },
            canary: Version {
                name: "v2".into(),
                image: "frontend:2".into(),
            },
            weight: Weight::clamped(20),
            canary_replicas: (pods / 5) as u32,
            phase: None,
            plan: None,
            paused: None,
            controller: None,
            rules: Vec::new(),
            refusals: Vec::new(),
        },
    });
    app.update(Event::PodsObserved {
        at: Millis(0),
        pods: PodSet {
            primary: (0..pods * 4 / 5).map(|i| pod("v1", i)).collect(),
            canary: (0..pods / 5).map(|i| pod("v2", i)).collect(),
        },
    });
    for s in 1..=600 {
        let v = |rps: f64, err: f64| VersionSample {
            rps,
            requests: rps * 2.0,
            errors: rps * 2.0 * err,
            p99_ms: Some(150.0 + (s % 17) as f64 * 10.0),
            ..VersionSample::default()
        };
        app.update(Event::MetricsSampled {
            sample: MetricsSample {
                at: Millis(s * 2000),
                period_ms: 2000,
                primary: v(100.0 + (s % 13) as f64, 0.002),
                canary: v(25.0 + (s % 7) as f64, 0.01),
            },
        });
    }
    app
}

fn render(c: &mut Criterion) {
    for (w, h, pods) in [(120u16, 40u16, 1000), (200, 60, 1000), (120, 40, 5000)] {
        let app = big_app(pods);
        let mut terminal = match Terminal::new(TestBackend::new(w, h)) {
            Ok(t) => t,
            Err(e) => panic!("test backend: {e}"),
        };
        c.bench_function(&format!("render {w}x{h} {pods} pods"), |b| {
            b.iter(|| {
                let _ = terminal.draw(|f| canary_cockpit::ui::render(&app, f));
            })
        });
    }
}

criterion_group!(benches, render);
criterion_main!(benches);

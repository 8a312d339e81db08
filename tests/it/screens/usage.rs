//! CPU and memory in the pods panel: per-pod columns that drop in a fixed order as the panel
//! narrows, per-version totals with a memory sparkline, and nothing of it when the resource
//! metrics API is not served.

use super::both_sizes;
use crate::support::{self, draw, find, rows, Harness};
use canary_cockpit::app::Event;
use canary_cockpit::model::{PodResources, PodUsage, ResourceSample};
use ratatui::style::Color;

const MIB: u64 = 1 << 20;

/// Every pod asks for 250m and is capped at 256Mi; six samples 15 s apart, the primary steady at
/// 120m and 180Mi a pod, the ready canary pod growing from 140Mi by 12Mi a sample.
fn with_resources(h: &mut Harness) {
    for p in h.pods.primary.iter_mut().chain(h.pods.canary.iter_mut()) {
        p.resources = PodResources {
            cpu_request_millicores: Some(250),
            memory_limit_bytes: Some(256 * MIB),
            ..PodResources::default()
        };
    }
    h.observe();
    let now = h.now();
    for i in 0..6u64 {
        let pods = |side: &[canary_cockpit::model::Pod], cpu: u64, mem: u64| {
            side.iter()
                .filter(|p| p.ready)
                .map(|p| PodUsage {
                    name: p.name.clone(),
                    cpu_millicores: cpu,
                    memory_bytes: mem,
                })
                .collect()
        };
        let sample = ResourceSample {
            at: now.plus_ms(-75_000 + i as i64 * 15_000),
            primary: pods(&h.pods.primary, 120, 180 * MIB),
            canary: pods(&h.pods.canary, 90 + 5 * i, (140 + 12 * i) * MIB),
        };
        h.send(Event::ResourcesSampled { sample });
    }
}

#[test]
fn usage_columns_totals_and_the_memory_sparkline() {
    let mut h = support::mid_release(true);
    with_resources(&mut h);
    both_sizes("resources", &h);
    // 80×24: the panel is too narrow for MEM and the percentages: CPU stays
    let narrow = draw(&h.app, 80, 24);
    let buf = narrow.backend().buffer();
    let text = rows(buf).join("\n");
    assert!(text.contains(" CPU┃"), "{text}");
    assert!(!text.contains(" MEM") && !text.contains("%CPU/R"), "{text}");
    assert_eq!(find(buf, " 120m").len(), 4, "one per primary pod:\n{text}");
    // the group lines carry the totals: 4 × 120m, 4 × 180Mi
    assert_eq!(find(buf, "480m 720Mi").len(), 1, "{text}");
    // 120×40: CPU and MEM, the percentages dropped first
    let mid = draw(&h.app, 120, 40);
    let text = rows(mid.backend().buffer()).join("\n");
    assert!(text.contains("CPU    MEM"), "{text}");
    assert!(!text.contains("%MEM/L"), "{text}");
    assert!(
        text.contains("200Mi/pod +43%"),
        "canary memory per pod and its growth:\n{text}"
    );
    assert!(text.contains("180Mi/pod"), "{text}");
    // wide: every column, the shares of request and limit; the crash-looping pod unsampled
    let wide = draw(&h.app, 200, 50);
    let buf = wide.backend().buffer();
    let text = rows(buf).join("\n");
    assert!(text.contains("%CPU/R %MEM/L"), "{text}");
    // 120m of 250m, 180Mi of 256Mi
    assert_eq!(find(buf, "   48%    70%").len(), 4, "{text}");
    // the canary at 200Mi of 256Mi: 78 %, below the warning
    let at = find(buf, "78%");
    assert_eq!(at.len(), 1, "{text}");
    assert_ne!(buf[at[0]].fg, Color::Red);
    let crashing = text
        .lines()
        .find(|l| l.contains("CrashLoop"))
        .expect("crash-looping pod");
    let pods_panel = crashing.split('┃').nth(1).unwrap_or_default();
    let last4: Vec<&str> = pods_panel.split_whitespace().rev().take(4).collect();
    assert_eq!(last4, ["-"; 4], "not sampled, no share: {crashing}");
}

#[test]
fn without_the_resource_api_the_columns_hide_and_it_is_said_once() {
    let mut h = support::mid_release(true);
    with_resources(&mut h);
    for i in 0..3 {
        h.send(Event::SourceError {
            at: h.now().plus_ms(i),
            source: "resources".into(),
            message: "metrics.k8s.io is not served (is metrics-server installed?)".into(),
        });
    }
    let said = h
        .app
        .log
        .iter()
        .filter(|e| e.text.contains("metrics.k8s.io"))
        .count();
    assert_eq!(said, 1);
    both_sizes("resources_unavailable", &h);
    for (w, ht) in [(80, 24), (120, 40), (200, 50)] {
        let text = rows(draw(&h.app, w, ht).backend().buffer()).join("\n");
        assert!(
            !text.contains(" CPU") && !text.contains("/pod"),
            "{w}x{ht}:\n{text}"
        );
        assert!(
            text.contains("metrics.k8s.io"),
            "the event log says why:\n{text}"
        );
    }
}

/// leaky-v2 in the cockpit at 120×40 once the memory check failed: the leak on the canary's line,
/// red over the maximum, the setting in the analysis panel and the reason in the events.
#[test]
fn the_leaky_demo_shows_its_leak_and_the_memory_check() {
    use canary_cockpit::source::demo::{DemoSession, Scenario};
    let scenario = Scenario::load("leaky-v2").unwrap();
    let mut session = DemoSession::new(
        scenario,
        5,
        canary_cockpit::model::Millis(0),
        support::config(true),
    );
    session.start();
    session.run_until(canary_cockpit::model::Millis(80_000));
    let terminal = draw(&session.app, 120, 40);
    let buf = terminal.backend().buffer();
    let text = rows(buf).join("\n");
    assert!(text.contains("memory +≤ 20 %"), "{text}");
    assert!(text.contains("check failed (memory +"), "{text}");
    let canary_line = text
        .lines()
        .find(|l| l.contains("canary v2 ·"))
        .expect("canary group line");
    assert!(canary_line.contains("/pod +"), "{canary_line}");
    let growth = find(buf, "/pod +");
    let at = (growth[0].0 + 6, growth[0].1);
    assert_eq!(buf[at].fg, Color::Red, "over the maximum: {canary_line}");
}

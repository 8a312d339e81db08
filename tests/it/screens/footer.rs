//! The footer: the way out (`R rollback`, `p pause`, `? help`) stays in sight whatever message it
//! shows; a source's error shows until the source recovers; one-time notes go to the event log.

use super::both_sizes;
use crate::support::{self, draw, rows, Harness};
use canary_cockpit::app::Event;
use canary_cockpit::model::{MetricsSample, VersionSample};

/// The footer row at `w` × `ht`.
fn footer(h: &Harness, w: u16, ht: u16) -> String {
    rows(draw(&h.app, w, ht).backend().buffer())
        .pop()
        .unwrap_or_default()
}

fn assert_way_out(row: &str, size: &str) {
    for key in ["R rollback", "p pause", "? help"] {
        assert!(row.contains(key), "{key} at {size}: {row}");
    }
}

const LOST: &str = "lost the API server at https://10.96.0.1:6443: connection refused (is the control plane up?); retrying; the data is stale";

#[test]
fn a_long_error_leaves_the_way_out_in_sight_and_clears_when_the_watch_is_back() {
    let mut h = support::mid_release(true);
    let at = h.now();
    h.send(Event::SourceError {
        at,
        source: "watch".into(),
        message: LOST.into(),
    });
    both_sizes("footer_long_error", &h);
    for (w, ht) in [(60, 16), (80, 24), (120, 40), (200, 50)] {
        let row = footer(&h, w, ht);
        let size = format!("{w}×{ht}");
        assert_way_out(&row, &size);
        assert!(
            row.contains("✖ watch: lost the API server"),
            "{size}: {row}"
        );
        // cut, never wrapped over the keys
        assert!(row.trim_end().ends_with('…') || w >= 200, "{size}: {row}");
    }
    // the outage ends: the watch's heartbeat after its relist
    h.t += 30_000;
    let at = h.now();
    h.send(Event::Heartbeat { at });
    for (w, ht) in [(80, 24), (120, 40)] {
        let row = footer(&h, w, ht);
        assert!(!row.contains("lost the API server"), "{w}×{ht}: {row}");
        assert_way_out(&row, &format!("{w}×{ht}"));
    }
    // the event log keeps both ends of the outage
    let log: Vec<&str> = h.app.log.iter().map(|e| e.text.as_str()).collect();
    assert!(
        log.iter().any(|t| t.contains("lost the API server")),
        "{log:?}"
    );
    assert!(
        log.contains(&"API server back after 30s; relisted"),
        "{log:?}"
    );
}

#[test]
fn the_metrics_error_clears_with_the_next_sample() {
    let mut h = support::mid_release(true);
    let at = h.now();
    h.send(Event::SourceError {
        at,
        source: "metrics".into(),
        message: "Prometheus at http://prometheus.monitoring:9090 did not answer in 5 s".into(),
    });
    let row = footer(&h, 120, 40);
    assert!(row.contains("✖ metrics: Prometheus at"), "{row}");
    assert_way_out(&row, "120×40");
    h.t += 2000;
    let side = VersionSample {
        rps: 10.0,
        requests: 20.0,
        p99_ms: Some(100.0),
        ..VersionSample::default()
    };
    let sample = MetricsSample {
        at: h.now(),
        period_ms: 2000,
        primary: side,
        canary: side,
    };
    h.send(Event::MetricsSampled { sample });
    let row = footer(&h, 120, 40);
    assert!(!row.contains("metrics:"), "{row}");
}

/// The resource metrics API is not served: a one-time note. The event log says it; the footer
/// keeps only the keys.
#[test]
fn a_one_time_note_goes_to_the_event_log_not_the_footer() {
    let mut h = support::mid_release(true);
    let at = h.now();
    h.send(Event::SourceError {
        at,
        source: "resources".into(),
        message:
            "the resource metrics API (metrics.k8s.io) is not served: CPU and memory are not shown"
                .into(),
    });
    for (w, ht) in [(80, 24), (120, 40)] {
        let screen = rows(draw(&h.app, w, ht).backend().buffer());
        let row = screen.last().cloned().unwrap_or_default();
        assert!(!row.contains("metrics.k8s.io"), "{w}×{ht}: {row}");
        assert!(!row.contains('✖'), "{w}×{ht}: {row}");
        assert!(
            screen.join("\n").contains("resources: the resource"),
            "the event log says it at {w}×{ht}"
        );
    }
    let said = h
        .app
        .log
        .iter()
        .filter(|e| e.text.contains("metrics.k8s.io"));
    assert_eq!(said.count(), 1);
}

//! The errors panel: 5xx and 4xx per version, the latency percentile `l` picks (p50 → p95 →
//! p99), and red only where the analysis judges: p99 always, 4xx only with a maximum.

use super::both_sizes;
use crate::support::{self, draw, find, rows};
use canary_cockpit::controller::judge::percent;
use canary_cockpit::model::Quantile;
use crossterm::event::KeyCode;
use ratatui::style::Color;

#[test]
fn l_cycles_the_latency_percentile_and_only_p99_is_judged() {
    let mut h = support::mid_release(true);
    let latest = *h.app.history.latest().expect("metrics");
    assert_eq!(h.app.latency, Quantile::P99);
    h.key(KeyCode::Char('l'));
    assert_eq!(h.app.latency, Quantile::P50);
    both_sizes("latency_p50", &h);
    for (w, ht) in [(80, 24), (120, 40)] {
        let terminal = draw(&h.app, w, ht);
        let buf = terminal.backend().buffer();
        assert_eq!(find(buf, "errors · p50").len(), 1, "title at {w}×{ht}");
        // the threshold stays the p99's
        assert_eq!(find(buf, "p99 500 ms").len(), 1, "limits at {w}×{ht}");
        let p50 = latest.canary.p50_ms.expect("canary p50");
        let at = find(buf, &format!("{p50:.0} ms"));
        assert!(!at.is_empty(), "canary p50 {p50} at {w}×{ht}");
        assert!(at.iter().all(|p| buf[*p].fg != Color::Red));
        let text = rows(buf).join("\n");
        assert!(!text.contains(" ms ✖"), "no latency judged red: {text}");
    }
    h.key(KeyCode::Char('l'));
    assert_eq!(h.app.latency, Quantile::P95);
    let terminal = draw(&h.app, 80, 24);
    let buf = terminal.backend().buffer();
    assert_eq!(find(buf, "◆ v2 p95").len(), 1);
    let p95 = latest.canary.p95_ms.expect("canary p95");
    assert_eq!(find(buf, &format!("{p95:.0} ms")).len(), 1);
    h.key(KeyCode::Char('l'));
    assert_eq!(h.app.latency, Quantile::P99);
    let terminal = draw(&h.app, 80, 24);
    let p99 = latest.canary.p99_ms.expect("canary p99");
    let at = find(terminal.backend().buffer(), &format!("{p99:.0} ms ✖"));
    assert_eq!(at.len(), 1, "p99 over the limit is marked again");
    // the analysis still judges p99: the verdicts did not move with the view
    let reason = &h.app.analysis.last().expect("a verdict").reason;
    assert!(reason.contains("p99"), "{reason}");
}

#[test]
fn four_xx_is_red_only_over_a_maximum() {
    let mut h = support::mid_release(true);
    let latest = *h.app.history.latest().expect("metrics");
    let share = latest.canary.error_4xx_rate().expect("canary 4xx");
    let text = format!("4xx {}", percent(share));
    let terminal = draw(&h.app, 80, 24);
    let buf = terminal.backend().buffer();
    let at = find(buf, &text);
    assert_eq!(at.len(), 1, "{text}: {}", rows(buf).join("\n"));
    assert!(
        at.iter().all(|p| buf[*p].fg != Color::Red),
        "no maximum: not judged"
    );

    h.app.settings.max_4xx_rate = Some(1.0);
    both_sizes("max_4xx", &h);
    for (w, ht) in [(80, 24), (120, 40)] {
        let terminal = draw(&h.app, w, ht);
        let buf = terminal.backend().buffer();
        let over = format!("{} ✖", percent(share));
        let at = find(buf, &over);
        assert!(!at.is_empty(), "{over} at {w}×{ht}");
        assert!(
            at.iter().all(|p| buf[*p].fg == Color::Red),
            "{over} red at {w}×{ht}"
        );
    }
}

#[test]
fn a_source_without_4xx_or_percentiles_says_n_a() {
    let mut h = support::mid_release(true);
    let mut sample = *h.app.history.latest().expect("metrics");
    sample.at = sample.at.plus_ms(2000);
    for v in [&mut sample.primary, &mut sample.canary] {
        v.errors_4xx = None;
        v.p50_ms = None;
    }
    h.app
        .update(canary_cockpit::app::Event::MetricsSampled { sample });
    h.key(KeyCode::Char('l'));
    let terminal = draw(&h.app, 80, 24);
    let buf = terminal.backend().buffer();
    let text = rows(buf).join("\n");
    assert_eq!(find(buf, "4xx n/a").len(), 2, "{text}");
    assert_eq!(find(buf, "n/a").len(), 4, "4xx and p50 of both: {text}");
}

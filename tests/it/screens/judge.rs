//! The statistical judge on screen: its line per metric in the analysis panel, and the overlay
//! (`J`) with each metric's two distributions, its test, interval and reason.

use super::snapshot;
use crate::support::{self, draw, key, rows};
use canary_cockpit::app::Mode;
use canary_cockpit::model::{JudgeKind, Millis};
use canary_cockpit::source::demo::{DemoSession, Scenario};
use crossterm::event::KeyCode;

/// subtle-v2 judged by the statistics, 150 s in: v2's latency 30 % worse, under the thresholds.
fn subtle() -> DemoSession {
    let mut scenario = Scenario::load("subtle-v2").unwrap();
    scenario.analysis.judge = Some(JudgeKind::Statistical);
    let mut session = DemoSession::new(scenario, 3, Millis(0), support::config(true));
    session.start();
    session.run_until(Millis(150_000));
    session
}

#[test]
fn the_panel_has_a_line_per_metric() {
    let session = subtle();
    let report = session.app.judging.report.clone().expect("a report");
    let text = rows(draw(&session.app, 120, 40).backend().buffer()).join("\n");
    assert!(
        text.contains(&format!("judge: {}", report.summary())),
        "{text}"
    );
    let p99 = report.metrics.iter().find(|m| m.name == "p99").unwrap();
    assert!(text.contains(&p99.effect_text().unwrap()), "{text}");
    snapshot("judge_panel", &session.app, 80, 24);
    snapshot("judge_panel", &session.app, 120, 40);
}

#[test]
fn j_opens_the_judges_overlay_with_both_distributions() {
    let mut session = subtle();
    session.feed(vec![key('J')]);
    assert!(matches!(session.app.mode, Mode::Judge));
    for (w, h) in [(80, 24), (120, 40)] {
        let text = rows(draw(&session.app, w, h).backend().buffer()).join("\n");
        assert!(text.contains("judge · canary against primary"), "{text}");
        assert!(text.contains("difference of proportions"), "{text}");
        assert!(text.contains("Mann-Whitney U"), "{text}");
        assert!(
            text.contains("  canary  ") && text.contains("  primary "),
            "{text}"
        );
        // the medians as heavy bars, the quartiles as boxes
        assert!(text.matches('┃').count() >= 4, "{text}");
        snapshot("judge_overlay", &session.app, w, h);
    }
    // j scrolls to the next metric; esc closes
    session.feed(vec![key('j')]);
    assert_eq!(session.app.judging.scroll, 1);
    let text = rows(draw(&session.app, 120, 40).backend().buffer()).join("\n");
    assert!(!text.contains("difference of proportions"), "{text}");
    session.feed(vec![support::code(KeyCode::Esc)]);
    assert!(matches!(session.app.mode, Mode::Normal));
    // the help names the key
    session.feed(vec![key('?')]);
    let text = rows(draw(&session.app, 120, 40).backend().buffer()).join("\n");
    assert!(text.contains("the judge in detail"), "{text}");
}

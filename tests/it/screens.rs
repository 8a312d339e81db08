//! Screens (layer 2) and meaning carried by style (layer 3): the cockpit drawn into a `TestBackend`
//! at 80×24 and 120×40, from states built only through `App::update`.

mod errors;
mod footer;
mod holds;
mod judge;
mod keel;
mod modals;
mod run;
mod testers;
mod usage;

use crate::support::{self, draw, find, rows, Harness};
use canary_cockpit::model::AlertEvent;
use canary_cockpit::ui::Theme;
use crossterm::event::KeyCode;
use ratatui::style::Color;

/// Snapshots `h` at 80×24 and 120×40.
fn both_sizes(name: &str, h: &Harness) {
    for (w, ht) in [(80, 24), (120, 40)] {
        let terminal = draw(&h.app, w, ht);
        insta::assert_snapshot!(format!("{name}_{w}x{ht}"), terminal.backend());
    }
}

/// Snapshots `app` at `w` × `ht`, beside the other screens.
fn snapshot(name: &str, app: &canary_cockpit::app::App, w: u16, ht: u16) {
    insta::assert_snapshot!(format!("{name}_{w}x{ht}"), draw(app, w, ht).backend());
}

#[test]
fn waiting_for_the_release() {
    both_sizes("waiting", &support::waiting(true));
}

#[test]
fn release_just_observed() {
    both_sizes("just_observed", &support::just_observed(true));
}

/// Live with no Prometheus named or found: the traffic and errors panels say how to name one
/// instead of waiting for metrics.
#[test]
fn no_prometheus_named_or_found() {
    let mut h = support::just_observed(true);
    h.app.config.no_metrics_source = true;
    for (w, ht) in [(80, 24), (120, 40)] {
        let terminal = draw(&h.app, w, ht);
        let buf = terminal.backend().buffer();
        // both panels, wrapped to their width
        assert_eq!(find(buf, "no Prometheus:").len(), 2, "{w}x{ht}");
        assert!(find(buf, "no metrics yet").is_empty(), "{w}x{ht}");
    }
    both_sizes("no_prometheus", &h);
}

#[test]
fn mid_release() {
    both_sizes("mid_release", &support::mid_release(true));
}

#[test]
fn after_automatic_rollback() {
    let h = support::rolled_back(true);
    let events: Vec<_> = h.alerts.iter().map(|a| a.event).collect();
    assert_eq!(
        events,
        vec![AlertEvent::CheckFailed, AlertEvent::AutomaticRollback],
        "the first failed check, then the rollback: one alert each"
    );
    both_sizes("rolled_back", &h);
}

#[test]
fn help_overlay() {
    let mut h = support::mid_release(true);
    h.key(KeyCode::Char('?'));
    both_sizes("help", &h);
    // the bottom border runs unbroken into its corner at every size
    for (w, ht) in [(80, 24), (120, 40), (200, 60)] {
        let screen = support::text(draw(&h.app, w, ht).backend().buffer());
        let bottom = screen
            .lines()
            .find(|l| l.contains("esc close"))
            .unwrap_or_else(|| panic!("no closing keys at {w}x{ht}:\n{screen}"));
        assert!(bottom.contains("═ esc close ═╝"), "{w}x{ht}: {bottom}");
    }
}

#[test]
fn confirm_rollback_modal() {
    let mut h = support::mid_release(true);
    h.key(KeyCode::Char('R'));
    both_sizes("confirm_rollback", &h);
}

#[test]
fn confirm_promote_modal() {
    let mut h = support::mid_release(true);
    h.key(KeyCode::Char('P'));
    insta::assert_snapshot!("confirm_promote_80x24", draw(&h.app, 80, 24).backend());
}

#[test]
fn weight_prompt_rejects_text() {
    let mut h = support::mid_release(true);
    h.key(KeyCode::Char('w'));
    h.chars("abc");
    h.key(KeyCode::Enter);
    both_sizes("weight_prompt_error", &h);
    let mut terminal = draw(&h.app, 80, 24);
    assert!(!find(terminal.backend().buffer(), "not a whole number").is_empty());
    let at = find(terminal.backend().buffer(), "> abc");
    assert_eq!(at.len(), 1);
    let cursor = terminal.get_cursor_position().expect("cursor");
    assert_eq!(
        (cursor.x, cursor.y),
        (at[0].0 + 5, at[0].1),
        "cursor after the text"
    );
}

#[test]
fn pod_filter_prompt() {
    let mut h = support::mid_release(true);
    h.key(KeyCode::Char('/'));
    h.chars("crash");
    insta::assert_snapshot!("filter_prompt_80x24", draw(&h.app, 80, 24).backend());
}

#[test]
fn paused_release() {
    let mut h = support::just_observed(true);
    h.run_until(24);
    h.key(KeyCode::Char('p'));
    h.run_until(40);
    assert!(h.app.paused);
    insta::assert_snapshot!("paused_120x40", draw(&h.app, 120, 40).backend());
}

#[test]
fn promoted_release() {
    let mut h = support::just_observed(true);
    h.run_until(30);
    h.key(KeyCode::Char('P'));
    h.key(KeyCode::Char('y'));
    h.run_until(40);
    insta::assert_snapshot!("promoted_80x24", draw(&h.app, 80, 24).backend());
}

#[test]
fn stale_data_is_flagged() {
    let mut h = support::mid_release(true);
    h.silence(20);
    let terminal = draw(&h.app, 80, 24);
    insta::assert_snapshot!("stale_80x24", terminal.backend());
    let buf = terminal.backend().buffer();
    let at: Vec<_> = find(buf, "STALE")
        .into_iter()
        .filter(|(_, y)| *y == 0)
        .collect();
    assert_eq!(at.len(), 1, "the header says the data is stale");
    assert_eq!(buf[at[0]].fg, Color::Red);
}

#[test]
fn events_panel_scrolled_back() {
    let mut h = support::mid_release(true);
    h.key(KeyCode::Tab);
    for _ in 0..6 {
        h.key(KeyCode::Char('k'));
    }
    insta::assert_snapshot!("events_scrolled_80x24", draw(&h.app, 80, 24).backend());
}

#[test]
fn too_small_terminal() {
    let h = support::mid_release(true);
    let terminal = draw(&h.app, 40, 10);
    insta::assert_snapshot!("too_small_40x10", terminal.backend());
    let text = rows(terminal.backend().buffer()).join("\n");
    assert!(text.contains("too small"));
    let terminal = draw(&h.app, 59, 24);
    let text = rows(terminal.backend().buffer()).join("\n");
    assert!(
        text.contains("terminal too small (59×24): need 60×16"),
        "{text}"
    );
}

#[test]
fn smallest_supported_terminal_lays_out() {
    let h = support::mid_release(true);
    insta::assert_snapshot!("mid_release_60x16", draw(&h.app, 60, 16).backend());
}

// Layer 3: meaning carried by style.

#[test]
fn canary_rows_use_the_canary_colour_and_primary_rows_do_not() {
    let h = support::mid_release(true);
    let theme = Theme::new(true);
    let canary = theme.canary().fg.expect("canary colour");
    let terminal = draw(&h.app, 120, 40);
    let buf = terminal.backend().buffer();
    // The pods panel is the left half of the middle row.
    let in_pods = |(x, y): &(u16, u16)| *x < 60 && (4..22).contains(y);
    for pod in &h.app.pods.canary {
        let suffix = &pod.name[pod.name.len() - 5..];
        let at: Vec<_> = find(buf, suffix).into_iter().filter(in_pods).collect();
        assert_eq!(at.len(), 1, "{} shown once", pod.name);
        assert_eq!(
            buf[at[0]].fg, canary,
            "canary pod {} in the canary colour",
            pod.name
        );
        let (x, y) = at[0];
        let row: String = (0..x).map(|x| buf[(x, y)].symbol().to_string()).collect();
        assert!(
            row.contains('◆'),
            "canary pod {} carries the marker",
            pod.name
        );
    }
    for pod in &h.app.pods.primary {
        let suffix = &pod.name[pod.name.len() - 5..];
        let at: Vec<_> = find(buf, suffix).into_iter().filter(in_pods).collect();
        assert_eq!(at.len(), 1, "{} shown once", pod.name);
        assert_ne!(
            buf[at[0]].fg, canary,
            "primary pod {} not in the canary colour",
            pod.name
        );
    }
}

#[test]
fn crash_looping_pod_is_red() {
    let h = support::mid_release(true);
    let terminal = draw(&h.app, 80, 24);
    let buf = terminal.backend().buffer();
    let at: Vec<_> = find(buf, "CrashLoop")
        .into_iter()
        .filter(|(x, _)| *x < 40)
        .collect();
    assert_eq!(at.len(), 1, "the crash-looping pod is listed");
    assert!(at.iter().all(|p| buf[*p].fg == Color::Red));
}

#[test]
fn error_rate_over_the_threshold_is_red_and_under_it_is_not() {
    let h = support::mid_release(true);
    let latest = h.app.history.latest().expect("metrics");
    let canary = latest.canary.error_rate().expect("canary traffic");
    assert!(canary > h.app.settings.max_error_rate());
    for (w, ht) in [(80, 24), (120, 40)] {
        let terminal = draw(&h.app, w, ht);
        let buf = terminal.backend().buffer();
        let text = canary_cockpit::controller::judge::percent(canary);
        let at = find(buf, &format!("{text} ✖"));
        assert!(
            !at.is_empty(),
            "canary error rate {text} shown with ✖ at {w}×{ht}"
        );
        assert!(
            at.iter().all(|p| buf[*p].fg == Color::Red),
            "{text} is red at {w}×{ht}"
        );
        let primary = latest.primary.error_rate().expect("primary traffic");
        assert!(primary <= h.app.settings.max_error_rate());
        let p = canary_cockpit::controller::judge::percent(primary);
        let at = find(buf, &p);
        assert!(!at.is_empty(), "primary error rate {p} shown at {w}×{ht}");
        assert!(
            at.iter().all(|pos| buf[*pos].fg != Color::Red),
            "{p} is not red"
        );
    }
}

#[test]
fn no_colour_at_all_without_color() {
    let mut screens = Vec::new();
    let mut h = support::mid_release(false);
    screens.push(draw(&h.app, 120, 40));
    h.key(KeyCode::Char('?'));
    screens.push(draw(&h.app, 80, 24));
    h.key(KeyCode::Esc);
    h.key(KeyCode::Char('R'));
    screens.push(draw(&h.app, 80, 24));
    h.key(KeyCode::Esc);
    h.key(KeyCode::Char('w'));
    h.chars("abc");
    h.key(KeyCode::Enter);
    screens.push(draw(&h.app, 80, 24));
    let mut r = support::rolled_back(false);
    screens.push(draw(&r.app, 120, 40));
    r.silence(30);
    screens.push(draw(&r.app, 80, 24));
    screens.push(draw(&r.app, 40, 10));
    for (i, terminal) in screens.iter().enumerate() {
        let buf = terminal.backend().buffer();
        for cell in &buf.content {
            assert_eq!(
                cell.fg,
                Color::Reset,
                "screen {i}: {:?} has a colour",
                cell.symbol()
            );
            assert_eq!(
                cell.bg,
                Color::Reset,
                "screen {i}: {:?} has a background",
                cell.symbol()
            );
        }
    }
    // The same screen with and without colour reads the same.
    let coloured = support::mid_release(true);
    let a = rows(draw(&coloured.app, 120, 40).backend().buffer());
    let b = rows(screens[0].backend().buffer());
    assert_eq!(a, b);
}

#[test]
fn a_thousand_pods_render_only_the_visible_slice() {
    let mut h = support::mid_release(true);
    h.pods.primary = (0..1000)
        .map(|i| canary_cockpit::model::Pod {
            name: format!("frontend-v1-6d4f8b7c9-{i:05}"),
            status: canary_cockpit::model::PodStatus::Running,
            ready: true,
            restarts: 0,
            created_at: support::T0,
            resources: Default::default(),
        })
        .collect();
    h.observe();
    for _ in 0..500 {
        h.key(KeyCode::Char('j'));
    }
    let mut terminal = draw(&h.app, 200, 60);
    let started = std::time::Instant::now();
    for _ in 0..50 {
        terminal
            .draw(|frame| canary_cockpit::ui::render(&h.app, frame))
            .expect("draw");
    }
    let took = started.elapsed() / 50;
    let buf = terminal.backend().buffer();
    assert_eq!(
        find(buf, "-00499").len(),
        1,
        "row 500 is the first pod shown"
    );
    assert!(find(buf, "-00498").is_empty());
    assert_eq!(find(buf, "501-").len(), 1, "the position is shown");
    eprintln!("200×60 with 1000 pods drawn in {took:?}");
}

/// An Argo rollout paused at its second step: the analysis panel shows the controller's steps
/// with the current one marked, the router's weight against the step's, its message and its
/// AnalysisRun.
#[test]
fn argo_rollout_steps_and_analysis() {
    use canary_cockpit::app::{App, Event};
    use canary_cockpit::model::{ControllerView, Hold, Phase, Plan, Weight};
    let h = support::just_observed(false);
    let mut app = App::new(support::config(false));
    let mut release = h.release.clone();
    release.source = "argo-rollouts".to_string();
    release.primary.name = "6d4f8b7c9".to_string();
    release.canary.name = "7c9f8b6d4".to_string();
    release.weight = Weight::clamped(10);
    release.phase = Some(Phase::Paused);
    release.plan = Plan::steps(vec![Weight::clamped(20), Weight::clamped(50)]).ok();
    release.controller = Some(Box::new(ControllerView {
        kind: "argo-rollouts".to_string(),
        phase: "Paused".to_string(),
        steps: vec![
            "setWeight 20".to_string(),
            "pause (until resumed)".to_string(),
            "setWeight 50".to_string(),
            "pause 30s".to_string(),
        ],
        current_step: Some(1),
        set_weight: Some(Weight::clamped(20)),
        message: "CanaryPauseStep".to_string(),
        analysis: vec![
            "analysisrun frontend-7c9f8b6d4-2: Running".to_string(),
            "  success-rate: Running (3 ok, 0 failed, 0 inconclusive) · last 0.995".to_string(),
        ],
        refusals: Vec::new(),
        consequences: Vec::new(),
        pause: None,
        hold: Some(Hold::PauseStep {
            index: 1,
            steps: 4,
            duration: None,
        }),
    }));
    app.update(Event::ReleaseObserved {
        at: support::T0,
        release,
    });
    app.update(Event::PodsObserved {
        at: support::T0,
        pods: h.pods.clone(),
    });
    for (w, ht) in [(80, 24), (120, 40)] {
        let terminal = draw(&app, w, ht);
        let text = rows(terminal.backend().buffer()).join("\n");
        assert!(text.contains("▶pause (until resumed)"), "{text}");
        assert!(text.contains("set 20 % · actual 10 %"), "{text}");
        assert!(text.contains("step 2/4"), "{text}");
        insta::assert_snapshot!(format!("argo_paused_{w}x{ht}"), terminal.backend());
    }
}

/// `i` shows the Prometheus queries behind the numbers, whole; without metrics it says why.
#[test]
fn inspect_shows_the_promql() {
    use canary_cockpit::app::{App, Event};
    let h = support::just_observed(false);
    let key = support::key('i');
    let mut bare = App::new(support::config(false));
    bare.update(Event::ReleaseObserved {
        at: support::T0,
        release: h.release.clone(),
    });
    // the analysis panel wraps its words rather than cutting them at the border
    let screen = support::text(draw(&bare, 120, 40).backend().buffer());
    assert!(
        screen.contains("│this release ") && !screen.contains("drives thi│"),
        "{screen}"
    );
    bare.update(key.clone());
    assert!(
        bare.status
            .as_ref()
            .is_some_and(|s| s.text.contains("--prometheus")),
        "{:?}",
        bare.status
    );
    let mut config = support::config(false);
    let promql = r#"sum by (canary) (rate(nginx_ingress_controller_requests{namespace="demo",ingress=~"frontend|frontend-canary"}[1m]))"#;
    config.queries = vec![(
        "request rate by canary (ingress-nginx template)".to_string(),
        promql.to_string(),
    )];
    let mut app = App::new(config);
    app.update(Event::ReleaseObserved {
        at: support::T0,
        release: h.release.clone(),
    });
    app.update(key);
    let terminal = draw(&app, 120, 40);
    let text = rows(terminal.backend().buffer()).join("");
    assert!(
        text.contains("rate(nginx_ingress_controller_requests"),
        "{text}"
    );
    insta::assert_snapshot!("inspect_120x40", terminal.backend());
}

#[test]
fn a_timed_pause_counts_down_and_the_gauge_follows_the_controllers_steps() {
    use canary_cockpit::app::{App, Event};
    use canary_cockpit::model::{ControllerView, Phase, Plan, TimedPause, Weight};
    let h = support::just_observed(false);
    let mut app = App::new(support::config(false));
    let mut release = h.release.clone();
    release.source = "argo-rollouts".to_string();
    release.weight = Weight::clamped(20);
    release.phase = Some(Phase::Paused);
    release.plan = Plan::steps(vec![Weight::clamped(20), Weight::clamped(50)]).ok();
    release.controller = Some(Box::new(ControllerView {
        kind: "argo-rollouts".to_string(),
        phase: "Paused".to_string(),
        steps: vec![
            "setWeight 20".to_string(),
            "pause 10m".to_string(),
            "setWeight 50".to_string(),
        ],
        current_step: Some(1),
        // the controller started the pause 3:18 before now
        pause: Some(TimedPause {
            duration_ms: 600_000,
            started_at: support::T0.plus_ms(-198_000),
        }),
        ..ControllerView::default()
    }));
    app.update(Event::ReleaseObserved {
        at: support::T0,
        release,
    });
    for (w, ht) in [(80, 24), (120, 40)] {
        let text = rows(draw(&app, w, ht).backend().buffer()).join("\n");
        assert!(text.contains("pause 10m · 6:42 left"), "{w}x{ht}:\n{text}");
        // the gauge's ticks, next and max are the controller's: 20 and 50
        assert!(text.contains("┴20") && text.contains("max 50"), "{text}");
        if w == 120 {
            assert!(
                text.contains("pause 10m · 6:42 left · next 50 % · max 50 %"),
                "{text}"
            );
        }
        assert!(
            !text.contains("next 30 %") && !text.contains("┴10"),
            "{text}"
        );
    }
    // time passes: the countdown follows the cockpit's clock
    app.update(Event::Tick {
        at: support::T0.plus_ms(402_000),
    });
    let text = rows(draw(&app, 120, 40).backend().buffer()).join("\n");
    assert!(text.contains("pause 10m · due"), "{text}");
}

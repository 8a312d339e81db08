//! The release board drawn into a `TestBackend` at 80×24, 120×40 and 200×60, with one context
//! (no CONTEXT column) and with two (the CONTEXT column, one context unreachable), from states
//! built only through the board's own updates and keys.

use canary_cockpit::app::Action;
use canary_cockpit::board::{ActionPlan, Board, Facts, Key, Ready, Update};
use canary_cockpit::model::{Hold, Millis, Phase};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const T0: Millis = Millis(1_800_000_000_000);
const MIN: i64 = 60_000;

fn facts(context: &str, ns: &str, target: &str, system: &str) -> Facts {
    Facts {
        key: Key {
            context: context.to_string(),
            namespace: ns.to_string(),
            target: target.to_string(),
        },
        system: system.to_string(),
        phase: "Progressing".to_string(),
        state: Some(Phase::Progressing),
        step: None,
        weight: Some(20),
        ready: [
            Some(Ready {
                ready: 3,
                desired: 3,
            }),
            Some(Ready {
                ready: 1,
                desired: 1,
            }),
        ],
        metrics: None,
        hold: None,
        cockpit_paused: false,
        message: String::new(),
        since: T0.plus_ms(-4 * MIN),
        since_seen: false,
        moved: T0.plus_ms(-MIN),
        interval_ms: None,
        unreadable: None,
        plans: vec![ActionPlan {
            action: Action::Pause,
            plan: Ok(format!("{target} spec.paused: true")),
        }],
    }
}

/// Six releases of `context`: one failing, two waiting, one stalled, two fine.
fn releases(context: &str) -> Vec<(&'static str, Vec<Facts>)> {
    let mut argo = facts(context, "shop", "rollout/checkout", "argo-rollouts");
    argo.phase = "Paused".to_string();
    argo.state = Some(Phase::Paused);
    argo.step = Some((2, 5));
    argo.hold = Some(Hold::PauseStep {
        index: 1,
        steps: 5,
        duration: None,
    });
    let mut argo2 = facts(context, "payments", "rollout/ledger", "argo-rollouts");
    argo2.step = Some((3, 5));
    argo2.weight = Some(50);
    argo2.since = T0.plus_ms(-40 * MIN);
    argo2.moved = T0.plus_ms(-25 * MIN);
    let mut failing = facts(context, "search", "canary/indexer", "flagger");
    failing.phase = "Failed".to_string();
    failing.state = Some(Phase::Failed);
    failing.weight = Some(0);
    failing.message = "Canary analysis failed: request-success-rate 91% < 99%".to_string();
    let mut gate = facts(context, "search", "canary/query", "flagger");
    gate.phase = "WaitingPromotion".to_string();
    gate.hold = Some(Hold::Gate {
        gate: "confirm-promotion".to_string(),
    });
    let mut nginx = facts(context, "web", "ingress/frontend", "ingress-nginx");
    nginx.state = None;
    nginx.phase = "progressing".to_string();
    nginx.weight = Some(10);
    nginx.ready = [None, None];
    let mut istio = facts(context, "web", "virtualservice/cart", "istio");
    istio.state = None;
    istio.phase = "idle".to_string();
    istio.weight = Some(0);
    istio.since = T0.plus_ms(-3 * 60 * MIN);
    vec![
        ("rollout", vec![argo, argo2]),
        ("canary", vec![failing, gate]),
        ("ingress", vec![nginx]),
        ("virtualservice", vec![istio]),
    ]
}

fn board(contexts: &[&str]) -> Board {
    let names: Vec<String> = contexts.iter().map(|c| c.to_string()).collect();
    let mut b = Board::new(&names, false, T0);
    for c in contexts {
        for (kind, facts) in releases(c) {
            b.apply(Update::Releases {
                context: c.to_string(),
                kind,
                facts,
                at: T0,
            });
        }
    }
    b.apply(Update::Listed);
    b
}

fn draw(b: &Board, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| canary_cockpit::ui::board::render_board(b, f))
        .unwrap();
    t
}

fn press(b: &mut Board, code: KeyCode) {
    b.key(KeyEvent::new(code, KeyModifiers::NONE));
}

#[test]
fn one_context_without_the_context_column() {
    let mut b = board(&["prod"]);
    // one row marked, one with a result
    press(&mut b, KeyCode::Down);
    press(&mut b, KeyCode::Char(' '));
    let key = b.entries[0].key().clone();
    b.apply(Update::Result {
        key,
        result: Err("pause: 409 Conflict: the object has been modified".to_string()),
    });
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let t = draw(&b, w, h);
        insta::assert_snapshot!(format!("board_one_context_{w}x{h}"), t.backend());
    }
    let t = draw(&b, 120, 40);
    let text = format!("{:?}", t.backend());
    assert!(text.contains("2 waiting · 1 failing"), "{text}");
    assert!(!text.contains("CONTEXT"), "{text}");
}

#[test]
fn two_contexts_with_the_context_column_and_one_unreachable() {
    let mut b = board(&["alpha", "beta"]);
    b.apply(Update::Unreachable {
        context: "beta".to_string(),
        // 14:05 UTC
        since: Millis(1_800_000_000_000 - 1_800_000_000_000 % 86_400_000 + (14 * 60 + 5) * MIN),
        why: "connection refused".to_string(),
    });
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let t = draw(&b, w, h);
        insta::assert_snapshot!(format!("board_two_contexts_{w}x{h}"), t.backend());
    }
    let text = format!("{:?}", draw(&b, 200, 60).backend());
    assert!(text.contains("CONTEXT"), "{text}");
    assert!(
        text.contains("context beta unreachable since 14:05"),
        "{text}"
    );
}

#[test]
fn the_confirmation_lists_every_marked_release_and_its_write() {
    let mut b = board(&["prod"]);
    for _ in 0..3 {
        press(&mut b, KeyCode::Char(' '));
    }
    press(&mut b, KeyCode::Char('p'));
    let t = draw(&b, 120, 40);
    insta::assert_snapshot!("board_confirm_120x40", t.backend());
    let text = format!("{:?}", t.backend());
    assert!(text.contains("pause 3 releases"), "{text}");
    assert!(text.contains("spec.paused: true"), "{text}");
}

#[test]
fn canary_alone_off_a_terminal_says_what_to_do() {
    let out = crate::support::canary_in(&crate::support::scratch("board-bare"), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("opens the release board"), "{err}");
}

//! `h`: a testers' route typed in a prompt goes out as an effect and shows on the gauge; `h`
//! again asks, then removes the cockpit's rules; a rule that does not parse stays in the prompt.

use super::both_sizes;
use crate::support::{self, draw, text};
use canary_cockpit::app::{Effect, Event, Mode, PromptKind};
use canary_cockpit::model::{RouteChange, RuleKind, RuleMatch, RuleOwner};
use crossterm::event::KeyCode;

fn type_text(h: &mut support::Harness, s: &str) {
    for c in s.chars() {
        h.key(KeyCode::Char(c));
    }
}

#[test]
fn h_adds_a_rule_the_gauge_shows_and_h_again_removes_it() {
    let mut h = support::mid_release(true);
    h.key(KeyCode::Char('h'));
    assert!(matches!(&h.app.mode, Mode::Prompt(p) if p.kind == Some(PromptKind::Route)));
    type_text(&mut h, "header X-Canary");
    h.key(KeyCode::Enter);
    let Mode::Prompt(p) = &h.app.mode else {
        panic!(
            "a rule without a value stays in the prompt: {:?}",
            h.app.mode
        );
    };
    assert!(p
        .error
        .as_deref()
        .is_some_and(|e| e.contains("header N=V, header N~RE or cookie N")));
    both_sizes("testers_prompt_error", &h);
    type_text(&mut h, "=always");
    h.key(KeyCode::Enter);
    assert!(matches!(h.app.mode, Mode::Normal));
    let rules = &h.app.release.as_ref().unwrap().rules;
    assert_eq!(rules.len(), 1);
    assert_eq!(
        (rules[0].kind, rules[0].matching),
        (RuleKind::Header, RuleMatch::Exact)
    );
    assert_eq!(rules[0].owner, RuleOwner::Cockpit);
    let screen = text(draw(&h.app, 120, 40).backend().buffer());
    assert!(
        screen.contains("testers: header X-Canary=always → canary"),
        "{screen}"
    );
    assert!(
        screen.contains("alice: route header X-Canary=always to the canary ok"),
        "{screen}"
    );
    both_sizes("testers_on_the_gauge", &h);

    h.key(KeyCode::Char('h'));
    both_sizes("testers_confirm_clear", &h);
    let effects = h.app.update(support::key('y'));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Route {
                change: RouteChange::Clear,
                ..
            }]
        ),
        "{effects:?}"
    );
}

#[test]
fn a_regex_and_a_cookie_rule_go_out_as_typed_and_replay_refuses_h() {
    let mut h = support::mid_release(false);
    h.key(KeyCode::Char('h'));
    type_text(&mut h, "header x-user~^tester-[0-9]+$");
    let effects = h.app.update(support::code(KeyCode::Enter));
    let [Effect::Route {
        change: RouteChange::Add { rule },
        ..
    }] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(
        (rule.matching, rule.value.as_str()),
        (RuleMatch::Regex, "^tester-[0-9]+$")
    );
    h.key(KeyCode::Char('h'));
    type_text(&mut h, "cookie canary");
    let effects = h.app.update(support::code(KeyCode::Enter));
    let [Effect::Route {
        change: RouteChange::Add { rule },
        ..
    }] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(
        (rule.kind, rule.value.as_str()),
        (RuleKind::Cookie, "always")
    );

    let mut replay = canary_cockpit::app::App::new(canary_cockpit::app::AppConfig::replay(
        support::config(false),
    ));
    replay.update(Event::ReleaseObserved {
        at: support::T0,
        release: h.release.clone(),
    });
    assert!(replay.update(support::key('h')).is_empty());
    assert!(matches!(replay.mode, Mode::Normal));
    assert!(replay
        .status
        .as_ref()
        .is_some_and(|s| s.text.contains("read-only")));
}

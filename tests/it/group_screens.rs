//! The group screen at 80×24 and 120×40: two members, three members (the third scrolls at
//! 80×24), a member failing; `Tab` opens a member's full cockpit and comes back.

use canary_cockpit::app::group::GroupApp;
use canary_cockpit::app::{AppConfig, Event};
use canary_cockpit::model::Millis;
use canary_cockpit::source::demo::group_scenario::GroupScenario;
use canary_cockpit::source::demo::group_session::GroupSession;
use canary_cockpit::ui::group::render_group;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const START: Millis = Millis(1_700_000_000_000);

fn session(scenario: &GroupScenario, seconds: i64) -> GroupSession {
    let config = AppConfig {
        user: "ops".to_string(),
        ..AppConfig::default()
    };
    let mut s = GroupSession::new(scenario, 42, START, config);
    s.start();
    while s.now() < START.plus_ms(seconds * 1000) {
        s.step();
    }
    s
}

fn draw(group: &GroupApp, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| {
            let area = f.area();
            render_group(group, area, f.buffer_mut());
        })
        .unwrap();
    terminal
}

fn text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let w = usize::from(buf.area.width);
    buf.content
        .chunks(w)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn both(name: &str, group: &GroupApp) {
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), draw(group, w, h).backend());
    }
}

fn three() -> GroupScenario {
    let mut g = GroupScenario::load("frontend-backend-healthy").unwrap();
    let mut payments = g.members[0].clone();
    payments.release.name = "payments".to_string();
    g.members.insert(1, payments);
    g
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn two_members_stepping_together() {
    let s = session(
        &GroupScenario::load("frontend-backend-healthy").unwrap(),
        40,
    );
    let screen = text(&draw(&s.group, 80, 24));
    assert!(screen.contains("group shop"), "{screen}");
    assert!(screen.contains("backend ◆ v2 10 %"), "{screen}");
    assert!(screen.contains("frontend ◆ v2 10 %"), "{screen}");
    assert!(
        screen.contains("group step 2: backend 10 % · frontend 10 %"),
        "{screen}"
    );
    both("group_two_members", &s.group);
}

#[test]
fn three_members_scroll_at_80x24() {
    let mut s = session(&three(), 40);
    let small = text(&draw(&s.group, 80, 24));
    assert!(small.contains("members 1–2 of 3 · j/k"), "{small}");
    assert!(!small.contains(" frontend ◆"), "{small}");
    let big = text(&draw(&s.group, 120, 40));
    assert!(
        big.contains(" frontend ◆") && !big.contains("of 3 · j/k"),
        "{big}"
    );
    both("group_three_members", &s.group);
    // j twice: the band of the third member comes into view
    s.group.on_key(key(KeyCode::Char('j')));
    s.group.on_key(key(KeyCode::Char('j')));
    let scrolled = text(&draw(&s.group, 80, 24));
    assert!(scrolled.contains("members 2–3 of 3"), "{scrolled}");
    assert!(scrolled.contains(" frontend ◆"), "{scrolled}");
}

#[test]
fn a_member_failing_and_the_group_rolling_back() {
    let faulty = GroupScenario::load("frontend-backend").unwrap();
    // mid-failure: the backend's checks fail, the frontend waits
    let s = session(&faulty, 62);
    let mid = text(&draw(&s.group, 120, 40));
    assert!(mid.contains("backend ✖ failed 3/5"), "{mid}");
    both("group_member_failing", &s.group);
    let s = session(&faulty, 95);
    let end = text(&draw(&s.group, 120, 40));
    assert!(end.contains("▶ RolledBack"), "{end}");
    assert!(end.contains("group ✖ failed: backend failed"), "{end}");
    both("group_rolled_back", &s.group);
}

#[test]
fn tab_opens_the_selected_member_and_comes_back() {
    let mut s = session(
        &GroupScenario::load("frontend-backend-healthy").unwrap(),
        20,
    );
    s.group.on_key(key(KeyCode::Char('j')));
    s.group.on_key(key(KeyCode::Tab));
    let member = text(&draw(&s.group, 120, 40));
    assert!(member.contains("shop/frontend"), "{member}");
    assert!(member.contains("Tab: back to the group"), "{member}");
    // a key in the member's cockpit is its own: `?` opens its help
    s.group.on_key(key(KeyCode::Char('?')));
    assert!(matches!(
        s.group.members[1].app.mode,
        canary_cockpit::app::Mode::Help
    ));
    s.group.on_key(key(KeyCode::Tab));
    let back = text(&draw(&s.group, 120, 40));
    assert!(back.contains("group shop"), "{back}");
}

#[test]
fn the_operator_rolls_the_group_back_in_reverse_after_y() {
    let mut s = session(
        &GroupScenario::load("frontend-backend-healthy").unwrap(),
        40,
    );
    assert!(s.group.on_key(key(KeyCode::Char('R'))).is_empty());
    let asked = text(&draw(&s.group, 80, 24));
    assert!(
        asked.contains("roll the group back: frontend, then backend? y/n"),
        "{asked}"
    );
    let effects = s.group.on_key(key(KeyCode::Char('y')));
    assert_eq!(effects.len(), 1, "{effects:?}");
    assert_eq!(effects[0].0, 1, "the frontend first: {effects:?}");
    // performing it on the simulation and feeding the result moves on to the backend
    let (member, effect) = effects[0].clone();
    let events: Vec<Event> = s.sims[member].apply(&effect);
    s.feed(member, events);
    s.step();
    assert_eq!(
        s.group.outcome(),
        Some(canary_cockpit::app::ReleaseOutcome::RolledBack)
    );
    let order: Vec<&str> = s
        .group
        .log
        .iter()
        .map(|e| e.text.as_str())
        .filter(|t| t.ends_with("roll back ok"))
        .collect();
    assert_eq!(order.len(), 2, "{order:?}");
    assert!(
        order[0].starts_with("frontend:") && order[1].starts_with("backend:"),
        "{order:?}"
    );
}

/// `h` writes the testers' header rule on both members, `h` again removes it on both, and the
/// group's end removes a rule left behind.
#[test]
fn h_writes_the_testers_rule_on_every_member_and_the_end_removes_it() {
    use canary_cockpit::model::{RuleKind, RuleMatch, RuleOwner};
    let mut s = session(&GroupScenario::load("frontend-backend").unwrap(), 20);
    let effects = s.group.on_key(key(KeyCode::Char('h')));
    assert_eq!(effects.iter().map(|e| e.0).collect::<Vec<_>>(), [0, 1]);
    s.perform(effects);
    for m in &s.group.members {
        let rules = &m.app.release.as_ref().unwrap().rules;
        assert_eq!(rules.len(), 1, "{}: {rules:?}", m.name);
        let r = &rules[0];
        assert_eq!(
            (
                r.kind,
                r.name.as_str(),
                r.value.as_str(),
                r.matching,
                r.owner
            ),
            (
                RuleKind::Header,
                "X-Canary",
                "true",
                RuleMatch::Exact,
                RuleOwner::Cockpit
            ),
            "{}",
            m.name
        );
    }
    let screen = text(&draw(&s.group, 120, 40));
    assert!(
        screen.contains("X-Canary=true reaches the canary on backend and frontend (requested)"),
        "{screen}"
    );
    // h again: removed on both
    let effects = s.group.on_key(key(KeyCode::Char('h')));
    assert_eq!(effects.len(), 2);
    s.perform(effects);
    assert!(!s.group.has_cockpit_rules());
    // written again, then the group rolls back: the end removes them on both
    let effects = s.group.on_key(key(KeyCode::Char('h')));
    s.perform(effects);
    assert!(s.group.has_cockpit_rules());
    assert_eq!(
        s.run_to_outcome(600_000),
        Some(canary_cockpit::app::ReleaseOutcome::RolledBack)
    );
    s.step();
    assert!(!s.group.has_cockpit_rules(), "the end removes them");
    assert!(
        s.group
            .log
            .iter()
            .any(|e| e.text
                == "testers' routes removed on backend and frontend (the group has ended)")
    );
}

/// A member's name is outside text: no control or bidi character of it reaches a cell of the
/// group screen or a line of the group's log.
#[test]
fn a_hostile_member_name_reaches_no_cell() {
    let mut g = GroupScenario::load("frontend-backend").unwrap();
    g.members[1].release.name = "front\u{1b}[2J\u{202e}end\u{7}".to_string();
    let s = session(&g, 20);
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = text(&draw(&s.group, w, h));
        assert!(
            !screen
                .chars()
                .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c)),
            "{screen:?}"
        );
        assert!(screen.contains("front"), "{screen}");
    }
    assert!(s
        .group
        .log
        .iter()
        .all(|e| !e.text.contains('\u{1b}') && !e.text.contains('\u{202e}')));
}

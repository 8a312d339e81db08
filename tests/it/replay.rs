//! Replay: the recorded cockpit equals the live one at every instant, seeks through checkpoints
//! equal a straight feed, and the playback keys do what they say.

use crate::support::{scratch, screen, text};
use canary_cockpit::app::{App, AppConfig, Event, Mode};
use canary_cockpit::model::{MetricsSample, Millis, TimeOfDay, VersionSample};
use canary_cockpit::record::{self, Header, Recorder, Recording, SessionSource};
use canary_cockpit::replay::playback::Playback;
use canary_cockpit::replay::player::CHECKPOINT_EVERY;
use canary_cockpit::replay::timeline::MarkKind;
use canary_cockpit::replay::Player;
use canary_cockpit::source::demo::{DemoSession, Scenario};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

const START: Millis = Millis(1_767_225_600_000);

fn header(scenario: &Scenario, seed: u64) -> Header {
    Header::new(
        SessionSource::demo(scenario.name.clone(), seed),
        START,
        scenario.release.name.clone(),
    )
    .with_refresh_ms(i64::from(scenario.traffic.sample_secs) * 1000)
}

fn replay_screen(player: &Player, playback: &Playback, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| canary_cockpit::replay::screen::draw(player, playback, f))
        .unwrap();
    terminal.backend().buffer().clone()
}

/// Every row but the header (replay names the recording's time) and the footer (its key
/// hints), cell by cell with styles.
fn above_footer(buf: &Buffer) -> Vec<ratatui::buffer::Cell> {
    let area = buf.area;
    (1..area.height - 1)
        .flat_map(|y| (0..area.width).map(move |x| buf[(x, y)].clone()))
        .collect()
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Records the faulty-v2 demo to its rollback; returns the recording as read back from the file.
fn faulty_recording(name: &str) -> Recording {
    let scenario = Scenario::load("faulty-v2").unwrap();
    let path = scratch(name).join("faulty.jsonl.zst");
    let recorder = Recorder::create(&path, &header(&scenario, 7)).unwrap();
    let mut session =
        DemoSession::new(scenario, 7, START, AppConfig::default()).record_to(recorder);
    session.start();
    session.run_to_outcome(3_600_000);
    session.tap.finish().unwrap();
    record::read(&path).unwrap()
}

#[test]
fn the_replayed_screen_at_t_is_the_live_screen_at_t() {
    let scenario = Scenario::load("faulty-v2").unwrap();
    let path = scratch("roundtrip").join("faulty.jsonl.zst");
    let recorder = Recorder::create(&path, &header(&scenario, 11)).unwrap();
    let mut session =
        DemoSession::new(scenario, 11, START, AppConfig::default()).record_to(recorder);
    session.start();
    // the live screens, every 5 s of the release, at two sizes
    let mut live = Vec::new();
    let mut t = START;
    while session.app.outcome.is_none() {
        t = t.plus_ms(5_000);
        session.run_until(t);
        live.push((
            t,
            screen(&session.app, 120, 40),
            screen(&session.app, 80, 24),
        ));
    }
    session.run_until(t.plus_ms(10_000));
    let end = t.plus_ms(10_000);
    live.push((
        end,
        screen(&session.app, 120, 40),
        screen(&session.app, 80, 24),
    ));
    session.tap.finish().unwrap();
    assert!(live.len() >= 18, "the release ran {} × 5 s", live.len());

    let recording = record::read(&path).unwrap();
    assert!(recording.warnings.is_empty(), "{:?}", recording.warnings);
    let mut player = Player::new(recording, AppConfig::default());
    // forwards, then backwards: the seeks take both paths through the player
    for (at, big, small) in live.iter().chain(live.iter().rev()) {
        player.seek(*at);
        assert_eq!(
            above_footer(&screen(player.app(), 120, 40)),
            above_footer(big),
            "120×40 at {at:?}"
        );
        assert_eq!(
            above_footer(&screen(player.app(), 80, 24)),
            above_footer(small),
            "80×24 at {at:?}"
        );
        // the header and the footer differ on purpose: replay says when it was recorded and
        // offers no action keys
        let shown = text(&screen(player.app(), 120, 40));
        let header = shown.lines().next().unwrap();
        let recorded = format!("recorded {} UTC", TimeOfDay(*at));
        assert!(
            header.contains(&recorded) && !header.contains("data "),
            "{header}"
        );
        let footer = shown.lines().last().unwrap();
        assert!(
            footer.contains("? help") && !footer.contains("P promote"),
            "{footer}"
        );
    }
    player.seek(player.end());
    assert_eq!(
        player.app().outcome,
        Some(canary_cockpit::app::ReleaseOutcome::RolledBack)
    );
}

#[test]
fn markers_cover_verdicts_phases_and_the_alert() {
    let player = Player::new(faulty_recording("markers"), AppConfig::default());
    let count =
        |pred: &dyn Fn(MarkKind) -> bool| player.markers().iter().filter(|m| pred(m.kind)).count();
    assert_eq!(
        count(&|k| k == MarkKind::Verdict(canary_cockpit::model::Outcome::Fail)),
        5
    );
    // the first failed check's alert and the rollback's
    assert_eq!(count(&|k| k == MarkKind::Alert), 2);
    assert!(
        count(&|k| k == MarkKind::Phase) >= 2,
        "{:?}",
        player.markers()
    );
    assert!(count(&|k| k == MarkKind::Action) >= 1);
    assert!(player.markers().windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(player.duration_ms(), 90_000);
}

#[test]
fn playback_keys_seek_jump_and_refuse_actions() {
    let mut player = Player::new(faulty_recording("keys"), AppConfig::default());
    let mut playback = Playback::default();
    assert!(playback.playing, "a replay starts playing");
    assert_eq!(player.position(), player.start());

    playback.on_key(&mut player, key(KeyCode::Char(' ')));
    assert!(!playback.playing);
    playback.on_key(&mut player, key(KeyCode::Right));
    assert_eq!(player.position(), START.plus_ms(10_000));
    playback.on_key(
        &mut player,
        KeyEvent::new(KeyCode::Right, KeyModifiers::SHIFT),
    );
    assert_eq!(player.position(), START.plus_ms(70_000));
    playback.on_key(&mut player, key(KeyCode::Left));
    assert_eq!(player.position(), START.plus_ms(60_000));
    playback.on_key(
        &mut player,
        KeyEvent::new(KeyCode::Left, KeyModifiers::SHIFT),
    );
    assert_eq!(player.position(), START);

    // n lands on the first marker, N goes back to the one before
    playback.on_key(&mut player, key(KeyCode::Char('n')));
    let first = player.markers()[0].clone();
    let first_after_start = player
        .markers()
        .iter()
        .find(|m| m.at > START)
        .unwrap()
        .clone();
    assert_eq!(player.position(), first_after_start.at);
    assert!(playback
        .message
        .as_deref()
        .is_some_and(|m| m.contains(&first_after_start.text)));
    playback.on_key(&mut player, key(KeyCode::Char('n')));
    assert!(player.position() > first_after_start.at);
    playback.on_key(&mut player, key(KeyCode::Char('N')));
    assert_eq!(player.position(), first_after_start.at);
    let _ = first;

    playback.on_key(&mut player, key(KeyCode::Char('G')));
    assert!(player.at_end());
    playback.on_key(&mut player, key(KeyCode::Char('n')));
    assert_eq!(
        playback.message.as_deref(),
        Some("no marked event after this point")
    );
    playback.on_key(&mut player, key(KeyCode::Char('g')));
    assert_eq!(player.position(), START);

    // speeds step and stop at both ends
    for _ in 0..12 {
        playback.on_key(&mut player, key(KeyCode::Char('>')));
    }
    assert_eq!(playback.speed_label(), "64×");
    for _ in 0..12 {
        playback.on_key(&mut player, key(KeyCode::Char('<')));
    }
    assert_eq!(playback.speed_label(), "0.25×");

    // action keys change nothing and say why
    player.seek(START.plus_ms(30_000));
    let before = screen(player.app(), 120, 40);
    for c in ['+', '-', 'p', 'P', 'R', 'w', 'm'] {
        playback.on_key(&mut player, key(KeyCode::Char(c)));
        assert!(
            matches!(player.app().mode, Mode::Normal),
            "{c} opened a mode"
        );
        let status = player.app().status.clone().unwrap();
        assert!(
            status.text.contains("replay is read-only"),
            "{c}: {status:?}"
        );
    }
    let after = screen(player.app(), 120, 40);
    // only the footer's status differs
    for y in 0..39 {
        for x in 0..120 {
            assert_eq!(before[(x, y)], after[(x, y)], "cell {x},{y}");
        }
    }
}

#[test]
fn playing_advances_with_the_speed_and_stops_at_the_end() {
    let mut player = Player::new(faulty_recording("play"), AppConfig::default());
    let mut playback = Playback::default();
    playback.advance(&mut player, std::time::Duration::from_millis(1500));
    assert_eq!(player.position(), START.plus_ms(1500));
    playback.on_key(&mut player, key(KeyCode::Char('>')));
    playback.on_key(&mut player, key(KeyCode::Char('>')));
    assert_eq!(playback.speed_label(), "4×");
    playback.advance(&mut player, std::time::Duration::from_millis(1000));
    assert_eq!(player.position(), START.plus_ms(5500));
    playback.advance(&mut player, std::time::Duration::from_secs(3600));
    assert!(player.at_end());
    assert!(!playback.playing, "playback stops at the end");
    // space at the end replays from the start
    playback.on_key(&mut player, key(KeyCode::Char(' ')));
    assert!(playback.playing);
    assert_eq!(player.position(), START);
}

#[test]
fn view_keys_survive_a_seek() {
    let mut player = Player::new(faulty_recording("view"), AppConfig::default());
    let mut playback = Playback::default();
    playback.on_key(&mut player, key(KeyCode::Char(' ')));
    playback.on_key(&mut player, key(KeyCode::Char('G')));
    playback.on_key(&mut player, key(KeyCode::Tab));
    playback.on_key(&mut player, key(KeyCode::Char('l')));
    playback.on_key(&mut player, key(KeyCode::Char('/')));
    for c in "v2".chars() {
        playback.on_key(&mut player, key(KeyCode::Char(c)));
    }
    // inside the filter prompt, replay keys are text
    playback.on_key(&mut player, key(KeyCode::Char('g')));
    assert_eq!(player.app().pod_filter, "v2g");
    playback.on_key(&mut player, key(KeyCode::Backspace));
    playback.on_key(&mut player, key(KeyCode::Enter));
    playback.on_key(&mut player, key(KeyCode::Char('g')));
    assert_eq!(player.position(), START);
    assert_eq!(player.app().pod_filter, "v2");
    assert_eq!(player.app().focus, canary_cockpit::app::Panel::Events);
    assert_eq!(player.app().latency, canary_cockpit::model::Quantile::P50);
}

/// A long synthetic recording: a metrics sample per second, so the player needs its checkpoints.
fn long_recording(samples: i64) -> Recording {
    let scenario = Scenario::load("faulty-v2").unwrap();
    let mut session =
        DemoSession::new(scenario.clone(), 3, START, AppConfig::default()).keep_events();
    session.start();
    session.run_until(START.plus_ms(20_000));
    let mut events: Vec<(Millis, Event)> = session
        .events()
        .iter()
        .map(|e| (e.at().unwrap(), e.clone()))
        .collect();
    let from = START.plus_ms(20_000);
    for i in 1..=samples {
        let at = from.plus_ms(i * 1000);
        let v = |rps: f64, err: f64| VersionSample {
            rps,
            requests: rps,
            errors: rps * err,
            p99_ms: Some(100.0 + (i % 17) as f64),
            ..VersionSample::default()
        };
        events.push((
            at,
            Event::MetricsSampled {
                sample: MetricsSample {
                    at,
                    period_ms: 1000,
                    primary: v(90.0, 0.001),
                    canary: v(10.0, if i % 600 < 30 { 0.2 } else { 0.0 }),
                },
            },
        ));
    }
    Recording {
        header: header(&scenario, 3),
        events,
        warnings: Vec::new(),
    }
}

#[test]
fn seeks_through_checkpoints_equal_a_straight_feed() {
    let recording = long_recording(3 * CHECKPOINT_EVERY as i64 + 100);
    let mut player = Player::new(recording.clone(), AppConfig::default());
    let targets = [
        START.plus_ms(5_000_000),
        START.plus_ms(1_000_000),
        START.plus_ms(6_000_000),
        START.plus_ms(2_100_000),
        player.end(),
        START.plus_ms(10_500),
    ];
    for at in targets {
        player.seek(at);
        let mut straight = App::new(AppConfig {
            read_only: true,
            refresh_ms: 1000,
            ..AppConfig::default()
        });
        for (t, ev) in &recording.events {
            if *t <= at {
                let _ = straight.update(ev.clone());
            }
        }
        straight.now = straight.now.max(at);
        assert_eq!(
            screen(player.app(), 120, 40),
            screen(&straight, 120, 40),
            "at {at:?}"
        );
    }
}

#[test]
fn the_timeline_bar_shows_position_duration_and_markers() {
    let mut player = Player::new(faulty_recording("bar"), AppConfig::default());
    let mut playback = Playback::default();
    playback.on_key(&mut player, key(KeyCode::Char(' ')));
    playback.on_key(&mut player, key(KeyCode::Char('n')));
    let screen = replay_screen(&player, &playback, 120, 42);
    let text = text(&screen);
    let lines: Vec<&str> = text.lines().collect();
    let bar = lines[40];
    let status = lines[41];
    assert!(bar.contains("01:30"), "{bar}");
    assert!(bar.contains('✖') && bar.contains('!'), "{bar}");
    assert!(status.contains("⏸ paused 1×"), "{status}");
    insta::assert_snapshot!("replay_first_marker_120x42", text);

    // the smallest screen still has the timeline row and the position
    let small = replay_screen(&player, &playback, 40, 10);
    let small_text = crate::support::text(&small);
    let last = small_text.lines().last().unwrap();
    assert!(last.contains("T+00:"), "{last}");
}

#[test]
fn an_empty_recording_opens_at_its_start() {
    let scenario = Scenario::load("faulty-v2").unwrap();
    let player = Player::new(
        Recording {
            header: header(&scenario, 1),
            events: Vec::new(),
            warnings: Vec::new(),
        },
        AppConfig::default(),
    );
    assert_eq!(player.duration_ms(), 0);
    assert!(player.at_end());
    let mut player = player;
    let mut playback = Playback::default();
    playback.advance(&mut player, std::time::Duration::from_secs(1));
    assert!(!playback.playing);
    let _ = replay_screen(&player, &playback, 80, 24);
}

//! The terminal loop without a terminal: a `TestBackend`, scripted terminal events and a scripted
//! stop signal. What the loop hands a screen (presses only, every channel event before the next
//! frame, ticks while asked for), how often it draws, and the cockpit and replay screens in it.

use crate::support::{self, runtime, text, Harness, T0};
use canary_cockpit::app::{App, Effect, Event};
use canary_cockpit::record::{Header, Recording, SessionSource, Tap};
use canary_cockpit::replay::screen::ReplayScreen;
use canary_cockpit::replay::Player;
use canary_cockpit::tui::{self, Cockpit, Screen, FRAME};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures_util::stream::{self, BoxStream, StreamExt};
use ratatui::backend::TestBackend;
use ratatui::text::Line;
use ratatui::{Frame, Terminal};
use std::cell::Cell;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

fn press(c: char) -> TermEvent {
    TermEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// Terminal events, each `gap` after the one before; then the input stays open. A timeline on
/// purpose: these tests check what the loop does over time (frames per 16 ms, ticks while the
/// screen asks for them), so the keys come at set times.
fn input(gap: Duration, events: Vec<TermEvent>) -> BoxStream<'static, std::io::Result<TermEvent>> {
    stream::iter(events)
        .then(move |e| async move {
            tokio::time::sleep(gap).await;
            Ok(e)
        })
        .chain(stream::pending())
        .boxed()
}

fn no_stop() -> BoxStream<'static, ()> {
    stream::pending().boxed()
}

/// A screen that notes everything the loop hands it; `q` ends it.
#[derive(Default)]
struct Probe {
    keys: Vec<KeyEvent>,
    events: Vec<u32>,
    resizes: Vec<(u16, u16)>,
    ticks: usize,
    closed: bool,
    terminated: bool,
    frames: Cell<usize>,
    quit: bool,
}

impl Screen for Probe {
    type Event = u32;
    type Outcome = Probe;

    fn start(&mut self, events: mpsc::Sender<u32>) {
        tokio::spawn(async move {
            for n in 1..=100 {
                let _ = events.send(n).await;
            }
        });
    }

    fn key(&mut self, key: KeyEvent) {
        self.keys.push(key);
        self.quit |= key.code == KeyCode::Char('q');
    }

    fn event(&mut self, event: u32) {
        self.events.push(event);
    }

    fn closed(&mut self) {
        self.closed = true;
    }

    fn resize(&mut self, width: u16, height: u16) {
        self.resizes.push((width, height));
    }

    fn timer(&self) -> Option<Duration> {
        (self.ticks < 3).then_some(Duration::from_millis(5))
    }

    fn tick(&mut self, _now: Instant) -> bool {
        self.ticks += 1;
        true
    }

    fn render(&self, frame: &mut Frame) {
        self.frames.set(self.frames.get() + 1);
        let line = format!("{} keys, {} events", self.keys.len(), self.events.len());
        frame.render_widget(Line::raw(line), frame.area());
    }

    fn terminate(&mut self) {
        self.terminated = true;
    }

    fn done(&self) -> bool {
        self.quit || self.terminated
    }

    fn finish(self) -> Probe {
        self
    }
}

#[test]
fn the_loop_hands_a_screen_presses_drains_its_channel_and_ticks_while_asked() {
    let mut terminal = Terminal::new(TestBackend::new(40, 3)).unwrap();
    let release = KeyEvent::new_with_kind(
        KeyCode::Char('x'),
        KeyModifiers::NONE,
        KeyEventKind::Release,
    );
    let repeat =
        KeyEvent::new_with_kind(KeyCode::Char('y'), KeyModifiers::NONE, KeyEventKind::Repeat);
    let events = vec![
        TermEvent::Key(release),
        TermEvent::Key(repeat),
        press('a'),
        TermEvent::Resize(50, 4),
        TermEvent::FocusGained,
        press('q'),
    ];
    let started = std::time::Instant::now();
    let probe = runtime()
        .block_on(tui::drive(
            &mut terminal,
            input(Duration::from_millis(40), events),
            no_stop(),
            Probe::default(),
        ))
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(probe.keys, [key('a'), key('q')], "presses only");
    assert_eq!(probe.events, (1..=100).collect::<Vec<_>>());
    assert!(probe.closed, "the sender was dropped after the last event");
    assert_eq!(probe.resizes, [(50, 4)]);
    assert_eq!(
        probe.ticks, 3,
        "the timer stops when the screen no longer asks"
    );
    assert!(!probe.terminated);
    // a hundred events, three ticks and five terminal events: a frame per 16 ms at most
    let frames = probe.frames.get();
    let most = 1 + (elapsed.as_millis() / FRAME.as_millis()) as usize;
    assert!(
        frames >= 2 && frames <= most,
        "{frames} frames in {elapsed:?}"
    );
    let screen = text(terminal.backend().buffer());
    assert!(screen.contains("1 keys, 100 events"), "{screen}");
}

#[test]
fn a_stop_signal_or_the_end_of_the_input_terminates_the_screen() {
    let rt = runtime();
    let mut terminal = Terminal::new(TestBackend::new(40, 3)).unwrap();
    // the stop signal comes while the loop idles, as a timeline
    let stop = stream::once(async { tokio::time::sleep(Duration::from_millis(30)).await }).boxed();
    let probe = rt
        .block_on(tui::drive(
            &mut terminal,
            input(Duration::ZERO, Vec::new()),
            stop,
            Probe::default(),
        ))
        .unwrap();
    assert!(probe.terminated && probe.keys.is_empty());

    let probe = rt
        .block_on(tui::drive(
            &mut terminal,
            stream::empty().boxed(),
            no_stop(),
            Probe::default(),
        ))
        .unwrap();
    assert!(probe.terminated);
}

#[test]
fn the_cockpit_in_the_loop_records_its_source_and_sends_it_the_effects() {
    let h = Harness::new(false);
    let (release, pods) = (h.release.clone(), h.pods.clone());
    let source = move |events: mpsc::Sender<Event>,
                       mut effects: mpsc::UnboundedReceiver<Effect>| async move {
        let _ = events
            .send(Event::ReleaseObserved { at: T0, release })
            .await;
        let _ = events.send(Event::PodsObserved { at: T0, pods }).await;
        while let Some(effect) = effects.recv().await {
            if let Effect::Act { action, actor } = effect {
                let at = T0.plus_ms(1000);
                let result = Event::ActionResult {
                    at,
                    action,
                    actor,
                    error: None,
                };
                let _ = events.send(result).await;
            }
        }
    };
    let app = App::new(support::config(false));
    let cockpit = Cockpit::new(app, Tap::default().keeping(), source);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (app, tap) = runtime()
        .block_on(tui::drive(
            &mut terminal,
            input(Duration::from_millis(80), vec![press('p'), press('q')]),
            no_stop(),
            cockpit,
        ))
        .unwrap();
    assert!(app.paused && app.should_quit);
    let kept: Vec<&str> = tap
        .kept()
        .iter()
        .map(|e| match e {
            Event::ReleaseObserved { .. } => "release",
            Event::PodsObserved { .. } => "pods",
            Event::ActionResult { .. } => "result",
            Event::AlertRaised { .. } => "alert",
            _ => "other",
        })
        .collect();
    // the operator's pause is told to the team's channels: its alert is recorded after it
    assert_eq!(
        kept,
        ["release", "pods", "result", "alert"],
        "no keys recorded"
    );
    let screen = text(terminal.backend().buffer());
    assert!(screen.contains("alice: pause ok"), "{screen}");
}

#[test]
fn a_cockpit_whose_source_ends_closes() {
    let source = |events: mpsc::Sender<Event>, _effects| async move {
        let note = Event::Note {
            at: T0,
            author: "cockpit".to_string(),
            text: "the demo is over".to_string(),
        };
        let _ = events.send(note).await;
    };
    let cockpit = Cockpit::new(App::new(support::config(false)), Tap::default(), source);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (app, _) = runtime()
        .block_on(tui::drive(
            &mut terminal,
            input(Duration::ZERO, Vec::new()),
            no_stop(),
            cockpit,
        ))
        .unwrap();
    assert!(!app.should_quit && app.exit.is_none());
    assert!(app.log.iter().any(|e| e.text.contains("the demo is over")));
}

fn a_minute_of_ticks() -> Player {
    let events = (1..=60)
        .map(|s| {
            let at = T0.plus_ms(s * 1000);
            (at, Event::Tick { at })
        })
        .collect();
    let recording = Recording {
        header: Header::new(SessionSource::demo("faulty-v2", 1), T0, "frontend"),
        events,
        warnings: Vec::new(),
    };
    Player::new(recording, support::config(false))
}

#[test]
fn the_replay_screen_plays_by_the_wall_clock_between_ticks() {
    let mut s = ReplayScreen::new(a_minute_of_ticks());
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let position = |s: &ReplayScreen| s.player().position().since(T0);
    assert!(s.timer().is_some(), "playing from the start");
    // the first tick only starts the clock
    s.tick(at(0));
    assert_eq!(position(&s), 0);
    s.tick(at(2000));
    assert_eq!(position(&s), 2000);

    s.key(key(' '));
    assert!(s.timer().is_none(), "paused: no ticks");
    s.key(key(' '));
    // the pause does not count: the first tick after it starts the clock again
    s.tick(at(10_000));
    assert_eq!(position(&s), 2000);
    s.tick(at(10_500));
    assert_eq!(position(&s), 2500);

    s.key(key('>'));
    assert_eq!(s.playback().speed_label(), "2×");
    s.tick(at(11_500));
    assert_eq!(position(&s), 4500);

    s.key(key('G'));
    s.tick(at(11_600));
    assert!(s.timer().is_none(), "the end stops the playback");
    assert!(!s.done());
    s.key(key('q'));
    assert!(s.done());
}

#[test]
fn replay_in_the_loop_plays_until_the_viewer_quits() {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let player = runtime()
        .block_on(tui::drive(
            &mut terminal,
            input(Duration::from_millis(300), vec![press('q')]),
            no_stop(),
            ReplayScreen::new(a_minute_of_ticks()),
        ))
        .unwrap();
    let played = player.position().since(T0);
    assert!((100..5000).contains(&played), "played {played} ms");
    let screen = text(terminal.backend().buffer());
    assert!(screen.contains("playing 1×"), "{screen}");
}

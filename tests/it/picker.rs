//! The release list of `canary watch` and what the operator picks in it: the pick is an event that
//! the cockpit logs, the recording holds and replay shows; the list runs in the terminal loop,
//! here on a test backend with scripted keys.

use crate::support::{self, runtime, scratch, text, wait_until, Harness, T0};
use canary_cockpit::app::picker::{Choice, Listed, Pick, Picker};
use canary_cockpit::app::{App, Event, LogKind, PickedFrom};
use canary_cockpit::model::Target;
use canary_cockpit::record::{self, Header, Recorder, SessionSource, Tap};
use canary_cockpit::replay::playback::Playback;
use canary_cockpit::replay::Player;
use canary_cockpit::tui::{self, Listing, PickerScreen};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream::{self, BoxStream, StreamExt};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn target(text: &str) -> Target {
    text.parse().unwrap()
}

fn picked(target_text: &str, from: PickedFrom) -> Event {
    Event::ReleasePicked {
        at: T0,
        namespace: "prod".to_string(),
        target: target(target_text),
        from,
    }
}

fn last_log(app: &App) -> (LogKind, String) {
    let entry = app.log.iter().last().expect("a log entry");
    (entry.kind, entry.text.clone())
}

#[test]
fn a_picked_release_is_logged_and_changes_nothing_else() {
    let mut app = App::new(support::config(false));
    let effects = app.update(picked("ts/shop", PickedFrom::List));
    assert!(effects.is_empty());
    assert_eq!(
        last_log(&app),
        (
            LogKind::Info,
            "opened traefikservice/shop (namespace prod) from the release list".to_string()
        )
    );
    assert_eq!(app.now, T0);
    assert!(app.release.is_none() && app.status.is_none() && app.exit.is_none());

    app.update(picked("vs/cart", PickedFrom::Typed));
    assert_eq!(
        last_log(&app).1,
        "opened virtualservice/cart (namespace prod) by its target, typed after :"
    );
}

#[test]
fn a_picked_release_round_trips_through_a_recording_and_replays() {
    let path = scratch("round-trip").join("watch.jsonl");
    let header = Header::new(
        SessionSource::cluster("kind-test", "prod", "traefik", "traefikservice/shop"),
        T0,
        "shop",
    );
    let recorder = Recorder::create(&path, &header).unwrap();
    let h = Harness::new(false);
    let mut app = App::new(support::config(false));
    let mut tap = Tap::new(Some(recorder)).keeping();
    let fed = [
        picked("ts/shop", PickedFrom::List),
        Event::ReleaseObserved {
            at: T0,
            release: h.release.clone(),
        },
        Event::PodsObserved {
            at: T0,
            pods: h.pods.clone(),
        },
        Event::Tick {
            at: T0.plus_ms(30_000),
        },
    ];
    for event in fed.clone() {
        tap.feed(&mut app, event);
    }
    assert_eq!(tap.kept(), &fed[..]);
    tap.finish().unwrap();

    let line = std::fs::read_to_string(&path).unwrap();
    let line = line.lines().nth(1).unwrap();
    let want = format!(
        r#"{{"t":{t},"event":{{"type":"release_picked","at":{t},"namespace":"prod","target":"traefikservice/shop","from":"list"}}}}"#,
        t = T0.0
    );
    assert_eq!(line, want);

    let rec = record::read(&path).unwrap();
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
    assert_eq!(rec.header.version, "1.5");
    let events: Vec<Event> = rec.events.iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(events, fed);

    // replay feeds it through the same update: the log says it at the start and at the end
    let mut player = Player::new(rec, support::config(false));
    let said = "opened traefikservice/shop (namespace prod) from the release list";
    assert!(player.app().log.iter().any(|e| e.text == said));
    player.seek(player.end());
    assert!(player.app().log.iter().any(|e| e.text == said));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal
        .draw(|f| canary_cockpit::replay::screen::draw(&player, &Playback::default(), f))
        .unwrap();
    let screen = text(terminal.backend().buffer());
    assert!(screen.contains("opened traefikservice/shop"), "{screen}");
}

#[test]
fn a_release_picked_line_with_a_bad_target_is_skipped_with_a_warning() {
    let dir = scratch("bad-pick");
    let path = dir.join("s.jsonl");
    let header = Header::new(SessionSource::demo("faulty-v2", 1), T0, "shop");
    let line = |target: &str| {
        format!(
            r#"{{"t":{t},"event":{{"type":"release_picked","at":{t},"namespace":"prod","target":"{target}","from":"typed"}}}}"#,
            t = T0.0
        )
    };
    let text = format!(
        "{}\n{}\n{}\n",
        serde_json::to_string(&header).unwrap(),
        line("deploy/x"),
        line("vs/cart")
    );
    std::fs::write(&path, text).unwrap();
    let rec = record::read(&path).unwrap();
    assert_eq!(rec.events, [(T0, picked("vs/cart", PickedFrom::Typed))]);
    assert_eq!(rec.warnings.len(), 1, "{:?}", rec.warnings);
    assert!(
        rec.warnings[0].contains("unknown kind"),
        "{:?}",
        rec.warnings
    );
}

fn listed(target: &str, weight: u8) -> Listed {
    Listed {
        namespace: "prod".to_string(),
        target: target.to_string(),
        provider: "test".to_string(),
        phase: "progressing".to_string(),
        weight: Some(weight),
        note: String::new(),
    }
}

fn press(code: KeyCode) -> TermEvent {
    TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn chars(text: &str) -> Vec<TermEvent> {
    text.chars().map(|c| press(KeyCode::Char(c))).collect()
}

/// Terminal events, each `gap` after the one before; then the input stays open. A timeline on
/// purpose: the loop under test owns the screen and the picker, so nothing outside it can tell
/// when it has handled a key; the gaps give it time to, as a typist's would.
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

#[test]
fn the_list_runs_in_the_loop_reloads_and_opens_the_chosen_release() {
    let mut picker = Picker::new("namespace prod".into(), "prod".into(), false);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let list = move || {
        let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            let mut releases = vec![
                listed("virtualservice/cart", 25),
                listed("ingress/shop", 20),
            ];
            if n > 1 {
                releases.push(listed("httproute/web", 5));
            }
            Listing::Ok((releases, vec!["strategies: forbidden".to_string()]))
        }
    };
    let mut terminal = Terminal::new(TestBackend::new(100, 12)).unwrap();
    let keys = [
        vec![press(KeyCode::Char('r'))],
        vec![press(KeyCode::Down), press(KeyCode::Down)],
        vec![press(KeyCode::Enter)],
    ]
    .concat();
    let choice = runtime()
        .block_on(tui::drive(
            &mut terminal,
            input(Duration::from_millis(60), keys),
            no_stop(),
            PickerScreen::new(&mut picker, list),
        ))
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the start and `r`");
    // sorted: httproute/web, ingress/shop, virtualservice/cart
    assert_eq!(
        choice,
        Choice::Open(Pick {
            namespace: "prod".to_string(),
            target: target("vs/cart"),
            from: PickedFrom::List,
        })
    );
    assert_eq!(picker.all.len(), 3);
    let screen = text(terminal.backend().buffer());
    assert!(
        screen.contains("releases in namespace prod") && screen.contains("httproute/web"),
        "{screen}"
    );
    assert!(screen.contains("strategies: forbidden"), "{screen}");
}

/// Sets its flag when dropped: when the listing's task ends, aborted or not.
struct Dropped(Arc<AtomicBool>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_typed_target_opens_at_once_and_abandons_the_listing_under_way() {
    let mut picker = Picker::new("namespace prod".into(), "prod".into(), false);
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    let list = move || {
        let guard = Dropped(flag.clone());
        async move {
            let _guard = guard;
            std::future::pending::<Listing>().await
        }
    };
    let mut terminal = Terminal::new(TestBackend::new(80, 10)).unwrap();
    let mut keys = vec![press(KeyCode::Char(':'))];
    keys.extend(chars("ts/shop"));
    keys.push(press(KeyCode::Enter));
    let rt = runtime();
    let choice = rt
        .block_on(tui::drive(
            &mut terminal,
            input(Duration::from_millis(5), keys),
            no_stop(),
            PickerScreen::new(&mut picker, list),
        ))
        .unwrap();
    assert_eq!(
        choice,
        Choice::Open(Pick {
            namespace: "prod".to_string(),
            target: target("traefikservice/shop"),
            from: PickedFrom::Typed,
        })
    );
    assert!(picker.loading, "no listing came back");
    rt.block_on(wait_until(
        "the listing under way is aborted",
        Duration::from_secs(5),
        || async { dropped.load(Ordering::SeqCst) },
    ));
}

#[test]
fn sigterm_and_the_end_of_the_input_close_the_list() {
    let rt = runtime();
    let list = || async { Listing::Err("forbidden: cannot list ingresses".to_string()) };
    let mut picker = Picker::new("namespace prod".into(), "prod".into(), false);
    let mut terminal = Terminal::new(TestBackend::new(80, 10)).unwrap();
    // SIGTERM a moment after the start, as a timeline (the listing's answer is drawn first)
    let stop = stream::once(async { tokio::time::sleep(Duration::from_millis(50)).await }).boxed();
    let choice = rt
        .block_on(tui::drive(
            &mut terminal,
            input(Duration::ZERO, Vec::new()),
            stop,
            PickerScreen::new(&mut picker, list),
        ))
        .unwrap();
    assert_eq!(choice, Choice::Quit);
    let screen = text(terminal.backend().buffer());
    assert!(
        screen.contains("forbidden: cannot list ingresses"),
        "{screen}"
    );

    let choice = rt
        .block_on(tui::drive(
            &mut terminal,
            stream::empty().boxed(),
            no_stop(),
            PickerScreen::new(&mut picker, list),
        ))
        .unwrap();
    assert_eq!(choice, Choice::Quit);
}

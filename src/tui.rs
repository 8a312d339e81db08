//! Terminal setup and restore, and the event loop: one `select!` over keys, the app channel, signals
//! and a render deadline. Nothing in the loop awaits the network.

use crate::app::picker::{Choice, Listed, Picker};
use crate::app::{App, Effect, Event};
use crate::record::Tap;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures_util::StreamExt;
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// At most one frame per this interval.
const FRAME: Duration = Duration::from_millis(16);

/// Restores the terminal when dropped: on quit, on an error return and during unwinding.
pub(crate) struct RestoreGuard;

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Runs the cockpit until the operator quits or SIGTERM arrives. `source` produces events and
/// executes effects; it runs as a task beside the loop.
pub async fn run<F, Fut>(mut app: App, mut tap: Tap, source: F) -> std::io::Result<(App, Tap)>
where
    F: FnOnce(mpsc::Sender<Event>, mpsc::UnboundedReceiver<Effect>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut terminal = ratatui::try_init()?;
    let _guard = RestoreGuard;
    let (event_tx, mut event_rx) = mpsc::channel::<Event>(4096);
    let (effect_tx, effect_rx) = mpsc::unbounded_channel::<Effect>();
    let source_task = tokio::spawn(source(event_tx, effect_rx));
    let mut keys = EventStream::new();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;

    let mut flush = tokio::time::interval(crate::record::writer::FLUSH_INTERVAL / 2);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let handle = |app: &mut App, tap: &mut Tap, ev: Event| {
        for effect in tap.feed(app, ev) {
            tracing::info!(?effect, "effect");
            // the source ends only with the loop; a closed channel loses nothing worth keeping
            let _ = effect_tx.send(effect);
        }
    };

    loop {
        if dirty && last_draw.is_none_or(|t| t.elapsed() >= FRAME) {
            terminal.draw(|frame| crate::ui::render(&app, frame))?;
            last_draw = Some(Instant::now());
            dirty = false;
        }
        let deadline = last_draw.map_or_else(Instant::now, |t| t + FRAME);
        tokio::select! {
            term = keys.next() => match term {
                Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                    handle(&mut app, &mut tap, Event::Key(key));
                    dirty = true;
                }
                Some(Ok(TermEvent::Resize(width, height))) => {
                    handle(&mut app, &mut tap, Event::Resize { width, height });
                    terminal.autoresize()?;
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => break,
            },
            ev = event_rx.recv() => {
                let Some(ev) = ev else { break };
                handle(&mut app, &mut tap, ev);
                while let Ok(ev) = event_rx.try_recv() {
                    handle(&mut app, &mut tap, ev);
                }
                dirty = true;
            }
            _ = sigterm.recv() => {
                tracing::info!("SIGTERM: quitting");
                app.should_quit = true;
            }
            _ = tokio::time::sleep_until(deadline), if dirty => {}
            _ = flush.tick(), if tap.is_recording() => tap.tick(&mut app),
        }
        if app.should_quit || app.exit.is_some() {
            break;
        }
    }
    source_task.abort();
    Ok((app, tap))
}

/// Runs the release list until the operator opens a release or quits. `list` reads the
/// releases; it runs beside the loop at the start and on every reload.
pub async fn run_picker<F, Fut>(picker: &mut Picker, list: F) -> std::io::Result<Choice>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(Vec<Listed>, Vec<String>), String>> + Send + 'static,
{
    let mut terminal = ratatui::try_init()?;
    let _guard = RestoreGuard;
    let mut keys = EventStream::new();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut pending = Some(tokio::spawn(list()));
    picker.loading = true;
    loop {
        terminal.draw(|frame| crate::ui::picker::render_picker(picker, frame))?;
        let listing = async {
            match pending.as_mut() {
                Some(task) => task.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            done = listing => {
                pending = None;
                match done {
                    Ok(Ok((releases, missing))) => {
                        picker.set_releases(releases);
                        if !missing.is_empty() {
                            picker.say(crate::app::Level::Warn, missing.join("; "));
                        }
                    }
                    Ok(Err(e)) => picker.set_error(e),
                    Err(e) => picker.set_error(format!("listing the releases stopped: {e}")),
                }
            }
            term = keys.next() => match term {
                Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                    match picker.key(key) {
                        Some(Choice::Reload) if pending.is_none() => {
                            pending = Some(tokio::spawn(list()));
                        }
                        // a listing is already under way
                        Some(Choice::Reload) => {}
                        Some(choice) => {
                            if let Some(task) = pending.take() {
                                task.abort();
                            }
                            return Ok(choice);
                        }
                        None => {}
                    }
                }
                Some(Ok(TermEvent::Resize(..))) => terminal.autoresize()?,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(Choice::Quit),
            },
            _ = sigterm.recv() => return Ok(Choice::Quit),
        }
    }
}

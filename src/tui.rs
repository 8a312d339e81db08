//! Terminal setup and restore, and the one event loop every screen runs in: the cockpit, the
//! release list of `canary watch` and replay. One `select!` over keys, the screen's channel,
//! SIGTERM, a timer while the screen asks for one, and a render deadline. Nothing in the loop
//! awaits the network.

pub mod board;
pub mod cockpit;
pub mod picker;

pub use board::{BoardScreen, Left};
pub use cockpit::Cockpit;
pub use picker::{Listing, PickerScreen};

use crate::app::picker::{Choice, Picker};
use crate::app::{App, Effect, Event};
use crate::record::Tap;
use crossterm::event::{Event as TermEvent, EventStream, KeyEvent, KeyEventKind};
use futures_util::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::{Frame, Terminal};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, MissedTickBehavior};

/// At most one frame per this interval.
pub const FRAME: Duration = Duration::from_millis(16);
/// Room in a screen's channel: a burst of observations waits here while a frame is drawn.
const CHANNEL: usize = 4096;

/// Restores the terminal when dropped: on quit, on an error return and during unwinding.
pub(crate) struct RestoreGuard;

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        // a terminal that is gone (SIGHUP) cannot be restored, and there is nobody to tell
        if let Err(e) = ratatui::try_restore() {
            tracing::info!(error = %e, "the terminal could not be restored");
        }
    }
}

/// What runs in the loop. The loop owns the terminal, the keys, the signals and the clock; a
/// screen owns its state and says what a key, an event from its channel or a tick does to it.
pub trait Screen {
    /// What the screen's background tasks send on its channel.
    type Event: Send + 'static;
    /// What the screen hands back when it is done.
    type Outcome;

    /// The terminal is up: background tasks start here, with the sending side of the channel.
    fn start(&mut self, events: mpsc::Sender<Self::Event>);
    /// A key press (releases and repeats never reach a screen).
    fn key(&mut self, key: KeyEvent);
    /// One event from the channel.
    fn event(&mut self, event: Self::Event);
    /// Every sender of the channel is gone.
    fn closed(&mut self) {}
    /// The terminal changed size (the loop resizes its buffers itself).
    fn resize(&mut self, _width: u16, _height: u16) {}
    /// The timer's period while the screen wants ticks now (playback, flushing a recording).
    fn timer(&self) -> Option<Duration> {
        None
    }
    /// The timer fired at `now`; returns whether there is something new to draw.
    fn tick(&mut self, _now: Instant) -> bool {
        false
    }
    fn render(&self, frame: &mut Frame);
    /// SIGTERM arrived or the terminal's input ended: the screen ends as if the operator quit.
    fn terminate(&mut self);
    /// Whether the loop ends.
    fn done(&self) -> bool;
    /// Stops the screen's background tasks and hands back its outcome; called once, last.
    fn finish(self) -> Self::Outcome;
}

/// The errors of the backends the loop draws on, as I/O errors.
pub trait DrawError {
    fn into_io(self) -> io::Error;
}

impl DrawError for io::Error {
    fn into_io(self) -> io::Error {
        self
    }
}

impl DrawError for Infallible {
    fn into_io(self) -> io::Error {
        match self {}
    }
}

/// Runs `screen` in the terminal until it is done or SIGTERM or SIGHUP arrives.
pub async fn show<S: Screen>(screen: S) -> io::Result<S::Outcome> {
    let mut terminal = ratatui::try_init()?;
    let _guard = RestoreGuard;
    use tokio::signal::unix::{signal, SignalKind};
    // SIGHUP (the terminal closed: an ssh connection dropped) ends the screen as SIGTERM does, so
    // that the recording is finished rather than cut off mid-frame
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let stop = futures_util::stream::poll_fn(move |cx| match sigterm.poll_recv(cx) {
        std::task::Poll::Pending => sighup.poll_recv(cx),
        ready => ready,
    });
    let outcome = drive(&mut terminal, EventStream::new(), stop, screen).await;
    if terminal.show_cursor().is_err() {
        // the terminal is gone (SIGHUP): dropping it would try again and complain on a stderr
        // that is gone too, which ends the process before the recording is finished
        std::mem::forget(terminal);
    }
    outcome
}

/// The loop itself, on any backend, terminal input and stop signal: [`show`] passes the real
/// terminal, crossterm's key stream and SIGTERM; tests pass a `TestBackend` and streams of their
/// own. The screen's background tasks are stopped on every way out, an error included.
pub async fn drive<S, B, I, T>(
    terminal: &mut Terminal<B>,
    mut input: I,
    mut stop: T,
    mut screen: S,
) -> io::Result<S::Outcome>
where
    S: Screen,
    B: Backend,
    B::Error: DrawError,
    I: Stream<Item = io::Result<TermEvent>> + Unpin,
    T: Stream<Item = ()> + Unpin,
{
    let result = turn(terminal, &mut input, &mut stop, &mut screen).await;
    let outcome = screen.finish();
    result.map(|()| outcome)
}

async fn turn<S, B, I, T>(
    terminal: &mut Terminal<B>,
    input: &mut I,
    stop: &mut T,
    screen: &mut S,
) -> io::Result<()>
where
    S: Screen,
    B: Backend,
    B::Error: DrawError,
    I: Stream<Item = io::Result<TermEvent>> + Unpin,
    T: Stream<Item = ()> + Unpin,
{
    let (events_tx, mut events) = mpsc::channel::<S::Event>(CHANNEL);
    screen.start(events_tx);
    let mut open = true;
    let mut timer: Option<(Duration, Interval)> = None;
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut frames = FrameTimes::default();
    loop {
        if dirty && last_draw.is_none_or(|t| t.elapsed() >= FRAME) {
            let began = Instant::now();
            terminal
                .draw(|frame| {
                    screen.render(frame);
                    crate::ui::scrub(frame.buffer_mut());
                })
                .map_err(DrawError::into_io)?;
            frames.add(began.elapsed());
            last_draw = Some(Instant::now());
            dirty = false;
        }
        let period = screen.timer();
        if let Some(p) = period {
            if timer.as_ref().is_none_or(|(q, _)| *q != p) {
                let mut interval = tokio::time::interval(p);
                interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
                timer = Some((p, interval));
            }
        }
        let deadline = last_draw.map_or_else(Instant::now, |t| t + FRAME);
        tokio::select! {
            term = input.next() => match term {
                Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                    screen.key(key);
                    dirty = true;
                }
                Some(Ok(TermEvent::Resize(width, height))) => {
                    screen.resize(width, height);
                    terminal.autoresize().map_err(DrawError::into_io)?;
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => {
                    tracing::info!("the terminal's input ended: quitting");
                    screen.terminate();
                }
            },
            event = events.recv(), if open => match event {
                Some(event) => {
                    screen.event(event);
                    // everything already waiting is taken before the next frame
                    while let Ok(event) = events.try_recv() {
                        screen.event(event);
                    }
                    dirty = true;
                }
                None => {
                    open = false;
                    screen.closed();
                }
            },
            Some(()) = stop.next() => {
                tracing::info!("SIGTERM or SIGHUP: quitting");
                screen.terminate();
            }
            _ = tick(&mut timer), if period.is_some() => {
                dirty |= screen.tick(Instant::now());
            }
            _ = tokio::time::sleep_until(deadline), if dirty => {}
        }
        if screen.done() {
            frames.log();
            return Ok(());
        }
    }
}

/// A frame that took longer than this to draw is named in the log file.
const SLOW_FRAME: Duration = Duration::from_millis(1);

/// How long the frames took to draw (render and write), for the log file: the last 1,024.
#[derive(Default)]
struct FrameTimes {
    count: u64,
    recent: Vec<Duration>,
}

impl FrameTimes {
    const KEPT: usize = 1024;

    fn add(&mut self, took: Duration) {
        // one line a frame at debug level (`CANARY_LOG=canary_cockpit::tui=debug`): the frame log
        tracing::debug!(frame = self.count + 1, "frame drawn");
        if took > SLOW_FRAME {
            tracing::info!(
                frame = self.count + 1,
                took_us = took.as_micros() as u64,
                "slow frame"
            );
        }
        let at = (self.count % Self::KEPT as u64) as usize;
        if self.recent.len() < Self::KEPT {
            self.recent.push(took);
        } else {
            self.recent[at] = took;
        }
        self.count += 1;
    }

    fn log(&self) {
        let mut sorted = self.recent.clone();
        sorted.sort();
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        let max = sorted.last().copied().unwrap_or_default();
        tracing::info!(
            frames = self.count,
            median_us = median.as_micros() as u64,
            max_us = max.as_micros() as u64,
            "frames drawn"
        );
    }
}

async fn tick(timer: &mut Option<(Duration, Interval)>) {
    match timer {
        Some((_, interval)) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Runs the cockpit until the operator quits or leaves the release, or SIGTERM arrives.
pub async fn run<F, Fut>(app: App, tap: Tap, source: F) -> io::Result<(App, Tap)>
where
    F: FnOnce(mpsc::Sender<Event>, mpsc::UnboundedReceiver<Effect>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    show(Cockpit::new(app, tap, source)).await
}

/// Runs the release list until the operator opens a release or quits.
pub async fn run_picker<F, Fut>(picker: &mut Picker, list: F) -> io::Result<Choice>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Listing> + Send + 'static,
{
    show(PickerScreen::new(picker, list)).await
}

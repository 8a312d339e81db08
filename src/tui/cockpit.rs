//! The cockpit as a screen of the loop: keys and source events go through the tap into
//! `App::update`, effects go to the source, and the timer flushes the recording.

use super::Screen;
use crate::app::{App, Effect, Event};
use crate::record::Tap;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The cockpit on one release. `source` produces events and executes effects; it runs as a task
/// beside the loop from [`Screen::start`] until the screen finishes.
pub struct Cockpit<F> {
    app: App,
    tap: Tap,
    source: Option<(F, mpsc::UnboundedReceiver<Effect>)>,
    effects: mpsc::UnboundedSender<Effect>,
    task: Option<JoinHandle<()>>,
    /// The source ended and closed the channel.
    ended: bool,
}

impl<F, Fut> Cockpit<F>
where
    F: FnOnce(mpsc::Sender<Event>, mpsc::UnboundedReceiver<Effect>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    pub fn new(app: App, tap: Tap, source: F) -> Self {
        let (effects, effects_rx) = mpsc::unbounded_channel();
        Cockpit {
            app,
            tap,
            source: Some((source, effects_rx)),
            effects,
            task: None,
            ended: false,
        }
    }

    /// Records `event`, hands it to `App::update` and passes the effects to the source.
    fn feed(&mut self, event: Event) {
        for effect in self.tap.feed(&mut self.app, event) {
            tracing::info!(?effect, "effect");
            // the source ends only with the loop; a closed channel loses nothing worth keeping
            let _ = self.effects.send(effect);
        }
    }
}

impl<F, Fut> Screen for Cockpit<F>
where
    F: FnOnce(mpsc::Sender<Event>, mpsc::UnboundedReceiver<Effect>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    type Event = Event;
    type Outcome = (App, Tap);

    fn start(&mut self, events: mpsc::Sender<Event>) {
        if let Some((source, effects)) = self.source.take() {
            self.task = Some(tokio::spawn(source(events, effects)));
        }
    }

    fn key(&mut self, key: KeyEvent) {
        self.feed(Event::Key(key));
    }

    fn event(&mut self, event: Event) {
        self.feed(event);
    }

    /// The source ended: the cockpit has nothing more to show.
    fn closed(&mut self) {
        self.ended = true;
    }

    fn resize(&mut self, width: u16, height: u16) {
        self.feed(Event::Resize { width, height });
    }

    fn timer(&self) -> Option<Duration> {
        self.tap
            .is_recording()
            .then_some(crate::record::writer::FLUSH_INTERVAL / 2)
    }

    /// Flushes the recording when due; a recording that stops says so in the status line.
    fn tick(&mut self, _now: Instant) -> bool {
        self.tap.tick(&mut self.app);
        !self.tap.is_recording()
    }

    fn render(&self, frame: &mut Frame) {
        crate::ui::render(&self.app, frame);
    }

    fn terminate(&mut self) {
        self.app.should_quit = true;
    }

    fn done(&self) -> bool {
        self.ended || self.app.should_quit || self.app.exit.is_some()
    }

    fn finish(mut self) -> (App, Tap) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        (self.app, self.tap)
    }
}

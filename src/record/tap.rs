//! The tap between the event stream and `App::update`: every event that reaches the cockpit, and
//! every event the cockpit produces itself, is recorded in the order `update` saw it.

use crate::app::{App, Effect, Event, Level};
use std::path::PathBuf;

use super::{RecordError, Recorder};

/// Feeds events to the app and records them. Without a recorder it only feeds.
#[derive(Default)]
pub struct Tap {
    recorder: Option<Recorder>,
    /// A copy of everything recorded, when asked for (tests compare it with the file).
    kept: Option<Vec<Event>>,
}

impl Tap {
    pub fn new(recorder: Option<Recorder>) -> Self {
        Self {
            recorder,
            kept: None,
        }
    }

    /// Also keeps a copy of every recordable event in memory (see [`Tap::kept`]).
    pub fn keeping(mut self) -> Self {
        self.kept = Some(Vec::new());
        self
    }

    /// Records into `recorder` from now on.
    pub fn with_recorder(mut self, recorder: Recorder) -> Self {
        self.recorder = Some(recorder);
        self
    }

    /// The events recorded so far, when [`Tap::keeping`] was asked for.
    pub fn kept(&self) -> &[Event] {
        self.kept.as_deref().unwrap_or_default()
    }

    /// The file being recorded into.
    pub fn path(&self) -> Option<PathBuf> {
        self.recorder.as_ref().map(|r| r.path().to_path_buf())
    }

    pub fn is_recording(&self) -> bool {
        self.recorder.is_some()
    }

    /// Records `event`, hands it to `update`, then records what the app produced in response.
    pub fn feed(&mut self, app: &mut App, event: Event) -> Vec<Effect> {
        self.record(app, &event);
        let effects = app.update(event);
        for produced in app.take_produced() {
            self.record(app, &produced);
        }
        effects
    }

    /// Flushes when the flush interval has passed; call it from a periodic tick.
    pub fn tick(&mut self, app: &mut App) {
        if let Some(recorder) = &mut self.recorder {
            if let Err(e) = recorder.flush_if_due() {
                self.stop(app, e);
            }
        }
    }

    /// Ends the recording; returns the file's path when there was one.
    pub fn finish(self) -> Result<Option<PathBuf>, RecordError> {
        self.recorder.map(Recorder::finish).transpose()
    }

    fn record(&mut self, app: &mut App, event: &Event) {
        if event.at().is_none() {
            return;
        }
        if let Some(kept) = &mut self.kept {
            kept.push(event.clone());
        }
        if let Some(recorder) = &mut self.recorder {
            if let Err(e) = recorder.record(event) {
                self.stop(app, e);
            }
        }
    }

    /// A recording that cannot be written stops; the cockpit goes on and says so.
    fn stop(&mut self, app: &mut App, error: RecordError) {
        tracing::error!(%error, "recording stopped");
        app.set_status(Level::Error, format!("recording stopped: {error}"));
        self.recorder = None;
    }
}

//! The replay player: the cockpit's state at any instant of a recording.
//!
//! Opening a recording feeds every event once through `App::update` (effects dropped), keeping a
//! copy of the state every [`CHECKPOINT_EVERY`] events and the timeline's markers. A seek restores
//! the nearest checkpoint before the target and feeds the events in between, so its cost is bounded
//! by the checkpoint spacing, not by the length of the recording.

use crate::app::{App, AppConfig, Event, Mode};
use crate::model::Millis;
use crate::record::{Header, Recording};

use super::timeline::{self, Marker};

/// Events between two saved states.
pub const CHECKPOINT_EVERY: usize = 2048;

/// The view settings an operator changes while watching; a seek keeps them.
struct View {
    mode: Mode,
    focus: crate::app::Panel,
    pods_scroll: usize,
    events_scroll: Option<usize>,
    pod_filter: String,
    latency: crate::model::Quantile,
    should_quit: bool,
}

pub struct Player {
    pub header: Header,
    /// Skipped lines and other damage found while reading.
    pub warnings: Vec<String>,
    events: Vec<Event>,
    /// `times[i]`: the latest time among events `0..=i` (a clock that went backwards counts as
    /// the time already reached), so the list is sorted for binary search.
    times: Vec<Millis>,
    /// `(n, state after the first n events)`, increasing in `n`; the first is the empty state.
    checkpoints: Vec<(usize, App)>,
    markers: Vec<Marker>,
    /// The state after the first `applied` events.
    app: App,
    applied: usize,
    /// The instant shown.
    position: Millis,
}

impl Player {
    /// Opens a recording. `config` is the viewer's (colour, user); the cockpit is read-only and
    /// marks stale data with the recorded refresh interval.
    pub fn new(recording: Recording, config: AppConfig) -> Self {
        let Recording {
            header,
            events,
            warnings,
        } = recording;
        let config = header.replay_config(config);
        let mut times = Vec::with_capacity(events.len());
        let mut latest = header.started_at;
        let events: Vec<Event> = events
            .into_iter()
            .map(|(t, ev)| {
                latest = latest.max(t);
                times.push(latest);
                ev
            })
            .collect();

        let empty = App::new(config);
        let mut checkpoints = vec![(0, empty.clone())];
        let mut app = empty.clone();
        let mut markers = Vec::new();
        let mut seen = 0;
        for (i, ev) in events.iter().enumerate() {
            if i > 0 && i % CHECKPOINT_EVERY == 0 {
                checkpoints.push((i, app.clone()));
            }
            app.update(ev.clone());
            timeline::collect(&app.log, &mut seen, &mut markers);
            timeline::alert(ev, &mut markers);
        }
        markers.sort_by_key(|m| m.at);
        let mut player = Player {
            position: header.started_at,
            header,
            warnings,
            events,
            times,
            checkpoints,
            markers,
            app: empty,
            applied: 0,
        };
        player.seek(player.start());
        player
    }

    /// The cockpit as it was at [`Player::position`].
    pub fn app(&self) -> &App {
        &self.app
    }

    /// For keys that change only the view (scroll, focus, filter, help).
    pub fn app_mut(&mut self) -> &mut App {
        &mut self.app
    }

    pub fn markers(&self) -> &[Marker] {
        &self.markers
    }

    pub fn position(&self) -> Millis {
        self.position
    }

    pub fn start(&self) -> Millis {
        self.header.started_at
    }

    /// The time of the last event (the start for an empty recording).
    pub fn end(&self) -> Millis {
        self.times.last().copied().unwrap_or(self.header.started_at)
    }

    pub fn duration_ms(&self) -> i64 {
        self.end().since(self.start())
    }

    pub fn at_end(&self) -> bool {
        self.position >= self.end()
    }

    /// Number of events in the recording.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Shows the cockpit as it was at `at` (clamped to the recording): every event up to and
    /// including `at` applied, none after it.
    pub fn seek(&mut self, at: Millis) {
        let at = at.clamp(self.start(), self.end());
        let target = self.times.partition_point(|t| *t <= at);
        if target < self.applied || self.best_checkpoint(target) > self.applied {
            let view = self.take_view();
            let (n, state) = self
                .checkpoints
                .iter()
                .rev()
                .find(|(n, _)| *n <= target)
                .map_or_else(
                    || (0, App::new(self.app.config.clone())),
                    |(n, s)| (*n, s.clone()),
                );
            self.app = state;
            self.applied = n;
            self.feed_to(target);
            self.restore_view(view);
        } else {
            self.feed_to(target);
        }
        self.position = at;
        // the clock of the cockpit is the position: data ages between events as it did live
        self.app.now = self.app.now.max(at);
    }

    /// Moves the position by `delta_ms` (negative: back).
    pub fn seek_by(&mut self, delta_ms: i64) {
        self.seek(self.position.plus_ms(delta_ms));
    }

    /// The first marker after the position, if any.
    pub fn next_marker(&self) -> Option<&Marker> {
        self.markers.iter().find(|m| m.at > self.position)
    }

    /// The last marker before the position, if any.
    pub fn previous_marker(&self) -> Option<&Marker> {
        self.markers.iter().rev().find(|m| m.at < self.position)
    }

    fn best_checkpoint(&self, target: usize) -> usize {
        self.checkpoints
            .iter()
            .rev()
            .map(|(n, _)| *n)
            .find(|n| *n <= target)
            .unwrap_or(0)
    }

    fn feed_to(&mut self, target: usize) {
        while self.applied < target {
            // effects are dropped: a replay never acts on anything
            let _ = self.app.update(self.events[self.applied].clone());
            self.applied += 1;
        }
    }

    fn take_view(&mut self) -> View {
        View {
            mode: std::mem::take(&mut self.app.mode),
            focus: self.app.focus,
            pods_scroll: self.app.pods_scroll,
            events_scroll: self.app.events_scroll,
            pod_filter: std::mem::take(&mut self.app.pod_filter),
            latency: self.app.latency,
            should_quit: self.app.should_quit,
        }
    }

    fn restore_view(&mut self, view: View) {
        let app = &mut self.app;
        app.mode = view.mode;
        app.focus = view.focus;
        app.latency = view.latency;
        app.events_scroll = view.events_scroll.filter(|i| *i < app.log.len());
        app.should_quit = view.should_quit;
        if app.pod_filter != view.pod_filter {
            app.pod_filter = view.pod_filter;
            app.rebuild_rows();
        }
        app.pods_scroll = view.pods_scroll.min(app.pod_rows.len().saturating_sub(1));
    }
}

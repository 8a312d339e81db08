//! What the footer says beside the keys: the error of each source that is down, until that source
//! recovers, and the latest answer to the operator. A one-time error (an action that failed)
//! shows for a while; the event log keeps it.

use super::{App, Level};
use crate::model::Millis;

/// How long a one-time error stays in the footer (in the cockpit's clock).
pub const ERROR_SHOWN_MS: i64 = 15_000;

/// The error of a source that is down now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveError {
    /// `watch`, `metrics`, `cluster`, `alerts to NAME`.
    pub source: String,
    pub at: Millis,
    pub text: String,
    /// Its place among everything the footer was told.
    said: u64,
}

/// The footer's errors and the order messages came in.
#[derive(Clone, Debug, Default)]
pub struct FooterState {
    /// In the order they were raised.
    live: Vec<LiveError>,
    /// When the latest status was set, and its place.
    status_at: Millis,
    status_said: u64,
    /// A status said before this is not shown again (an error that came after it has cleared).
    shown_from: u64,
    said: u64,
}

impl FooterState {
    fn next(&mut self) -> u64 {
        self.said += 1;
        self.said
    }

    /// A status was set at `at`.
    pub(super) fn status_set(&mut self, at: Millis) {
        self.status_at = at;
        self.status_said = self.next();
    }

    /// `source` is down: its error replaces the one it had.
    pub(super) fn raise(&mut self, source: &str, at: Millis, text: String) {
        self.live.retain(|e| e.source != source);
        let said = self.next();
        self.live.push(LiveError {
            source: source.to_string(),
            at,
            text,
            said,
        });
    }

    /// `source` answers again: its error leaves the footer, and so does what was said before it.
    /// Returns whether it had one.
    pub(super) fn clear(&mut self, source: &str) -> bool {
        let Some(i) = self.live.iter().position(|e| e.source == source) else {
            return false;
        };
        let gone = self.live.remove(i);
        self.shown_from = self.shown_from.max(gone.said + 1);
        true
    }

    /// The errors of the sources that are down, oldest first.
    pub fn live(&self) -> &[LiveError] {
        &self.live
    }

    /// How many messages were said so far: a mark for [`Self::holds_since`].
    pub(super) fn said(&self) -> u64 {
        self.said
    }

    /// Whether something said after `mark` holds the footer at `now`: a live error, or a
    /// status set less than [`ERROR_SHOWN_MS`] ago.
    pub(super) fn holds_since(&self, mark: u64, now: Millis) -> bool {
        self.live.iter().any(|e| e.said > mark)
            || (self.status_said > mark && now.since(self.status_at) < ERROR_SHOWN_MS)
    }
}

impl App {
    /// What the footer shows beside the keys: the newest of the live errors and the latest
    /// status; a one-time error only for [`ERROR_SHOWN_MS`].
    pub fn footer_message(&self) -> Option<(Level, &str)> {
        let f = &self.footer;
        let status = self.status.as_ref().filter(|s| {
            f.status_said >= f.shown_from
                && (s.level != Level::Error || self.now.since(f.status_at) < ERROR_SHOWN_MS)
        });
        match (status, f.live.last()) {
            (Some(s), Some(e)) if f.status_said > e.said => Some((s.level, s.text.as_str())),
            (_, Some(e)) => Some((Level::Error, e.text.as_str())),
            (Some(s), None) => Some((s.level, s.text.as_str())),
            (None, None) => None,
        }
    }

    /// `source` answers again: its error leaves the footer.
    pub(super) fn source_recovered(&mut self, source: &str) {
        self.footer.clear(source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{AppConfig, Event};

    fn error(at: i64, source: &str, message: &str) -> Event {
        Event::SourceError {
            at: Millis(at),
            source: source.into(),
            message: message.into(),
        }
    }

    fn shown(app: &App) -> Option<String> {
        app.footer_message().map(|(_, t)| t.to_string())
    }

    #[test]
    fn the_watchs_error_clears_with_the_heartbeat_after_the_outage() {
        let mut app = App::new(AppConfig::default());
        app.update(error(1000, "watch", "lost the API server"));
        assert_eq!(shown(&app).as_deref(), Some("watch: lost the API server"));
        app.update(Event::Tick { at: Millis(5000) });
        assert!(shown(&app).is_some(), "a tick proves nothing");
        app.update(Event::Heartbeat { at: Millis(9000) });
        assert_eq!(shown(&app), None);
        assert!(app
            .log
            .iter()
            .any(|e| e.text.contains("lost the API server")));
    }

    #[test]
    fn a_newer_answer_shows_over_an_error_and_the_error_again_after_it() {
        let mut app = App::new(AppConfig::default());
        app.update(error(1000, "metrics", "Prometheus unreachable"));
        app.set_status(Level::Info, "note added");
        assert_eq!(shown(&app).as_deref(), Some("note added"));
        app.update(error(2000, "watch", "lost the API server"));
        assert_eq!(shown(&app).as_deref(), Some("watch: lost the API server"));
        app.update(Event::Heartbeat { at: Millis(3000) });
        // the older answer is not brought back; the metrics are still down
        assert_eq!(
            shown(&app).as_deref(),
            Some("metrics: Prometheus unreachable")
        );
    }

    #[test]
    fn a_one_time_error_fades_from_the_footer_and_stays_in_the_log() {
        let mut app = App::new(AppConfig::default());
        app.update(Event::Tick { at: Millis(1000) });
        app.set_status(Level::Error, "operator: promote failed: forbidden");
        app.update(Event::Tick {
            at: Millis(1000 + ERROR_SHOWN_MS - 1),
        });
        assert!(shown(&app).is_some());
        app.update(Event::Tick {
            at: Millis(1000 + ERROR_SHOWN_MS),
        });
        assert_eq!(shown(&app), None);
    }

    #[test]
    fn the_resources_reason_is_a_note_in_the_log_not_a_footer_error() {
        let mut app = App::new(AppConfig::default());
        app.update(error(
            1000,
            "resources",
            "the resource metrics API (metrics.k8s.io) is not served",
        ));
        assert_eq!(shown(&app), None);
        assert!(app.log.iter().any(|e| e.text.contains("metrics.k8s.io")));
    }
}

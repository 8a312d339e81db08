//! CPU and memory of the pods: the samples the source reports, kept for the sparklines and the
//! memory check, and the reason they are missing, said once.

use super::{App, Effect, Level, LogKind};
use crate::model::{Millis, ResourceHistory, ResourceSample};

#[derive(Clone, Debug, Default)]
pub struct Usage {
    /// The resource samples of the last hour, oldest first.
    pub history: ResourceHistory,
    /// Why CPU and memory are not shown (the resource metrics API is not served or not
    /// allowed); the pods panel hides its usage columns meanwhile.
    pub error: Option<String>,
}

impl Usage {
    /// The columns can be shown: a sample arrived and no error came since.
    pub fn shown(&self) -> Option<&ResourceSample> {
        self.history.latest().filter(|_| self.error.is_none())
    }
}

impl App {
    pub(super) fn on_resources(&mut self, sample: ResourceSample) {
        self.now = self.now.max(sample.at);
        self.usage.error = None;
        self.usage.history.push(sample);
    }

    /// A source failed. The sources whose recovery the cockpit sees (the watch, the metrics, the
    /// release's rebuild) keep their error in the footer until they answer again; CPU and memory
    /// are said once in the event log (the pods panel hides their columns meanwhile); any other
    /// error shows for a while.
    pub(super) fn on_source_error(
        &mut self,
        at: Millis,
        source: String,
        message: String,
    ) -> Vec<Effect> {
        self.now = self.now.max(at);
        if source == "metrics" {
            self.metrics_error = Some(message.clone());
        }
        if source == "resources" {
            // said once: the same reason again changes nothing
            if self.usage.error.as_deref() == Some(message.as_str()) {
                return Vec::new();
            }
            self.usage.error = Some(message.clone());
        }
        self.source_down(at, &source);
        let text = format!("{source}: {message}");
        self.log.push(at, LogKind::Error, text.clone());
        match source.as_str() {
            "watch" | "metrics" | "cluster" => self.footer.raise(&source, at, text),
            "resources" => {}
            _ => self.set_status(Level::Error, text),
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use crate::app::{App, AppConfig, Event};
    use crate::model::{Millis, PodUsage, ResourceSample};

    fn error(at: i64) -> Event {
        Event::SourceError {
            at: Millis(at),
            source: "resources".into(),
            message: "metrics.k8s.io is not served".into(),
        }
    }

    #[test]
    fn the_reason_is_said_once_and_a_sample_clears_it() {
        let mut app = App::new(AppConfig::default());
        app.update(error(1000));
        app.update(error(2000));
        let said = |app: &App| {
            app.log
                .iter()
                .filter(|e| e.text.contains("metrics.k8s.io"))
                .count()
        };
        assert_eq!(said(&app), 1);
        assert!(app.usage.shown().is_none());
        app.update(Event::ResourcesSampled {
            sample: ResourceSample {
                at: Millis(3000),
                primary: vec![PodUsage::default()],
                canary: vec![],
            },
        });
        assert!(app.usage.shown().is_some());
        assert_eq!(app.usage.history.iter().len(), 1);
        app.update(error(4000));
        assert!(app.usage.shown().is_none());
        assert_eq!(said(&app), 2, "said again after it had come back");
    }
}

//! Where the stages of a multi-stage action go as they happen: the cockpit's event log, or the
//! terminal of a scriptable verb.

use crate::app::Event;
use tokio::sync::mpsc;

/// Where the stages of an action go.
pub enum Reporter {
    /// Notes in the cockpit's event log (and its recording).
    Events(mpsc::Sender<Event>),
    /// Lines on stdout, prefixed with the target.
    Print(String),
    /// Collected, for callers that print once at the end.
    Collect(Vec<String>),
}

impl Reporter {
    pub async fn say(&mut self, action: &str, text: String) {
        match self {
            Reporter::Events(tx) => {
                let note = Event::Note {
                    at: crate::model::wall_clock(),
                    author: "cockpit".to_string(),
                    text: format!("{action}: {text}"),
                };
                if tx.send(note).await.is_err() {
                    tracing::debug!("the cockpit closed before a stage note");
                }
            }
            Reporter::Print(target) => {
                let line = format!("{target}: {text}\n");
                if crate::stdout::write(&line).is_err() {
                    tracing::debug!("stdout closed");
                }
            }
            Reporter::Collect(lines) => lines.push(text),
        }
    }
}

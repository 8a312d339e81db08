//! The body each service takes, built from an alert. Every builder follows its service's
//! documented webhook format and limits, so that the service accepts what the cockpit sends.

use super::sink::{Sink, SinkKind};
use crate::model::Alert;
use serde_json::Value;

mod discord;
mod gchat;
mod rocket;
mod slack;
mod teams;
mod webhook;

/// The JSON body for `sink`. `session` is the recording's file name, when the session records.
pub fn body(sink: &Sink, alert: &Alert, session: Option<&str>) -> Value {
    match sink.kind {
        SinkKind::Discord => discord::body(sink, alert),
        SinkKind::Slack => slack::body(sink, alert),
        SinkKind::Teams => teams::body(alert),
        SinkKind::Gchat => gchat::body(alert),
        SinkKind::Rocket => rocket::body(sink, alert),
        SinkKind::Webhook => webhook::body(alert, session),
    }
}

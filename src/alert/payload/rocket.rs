//! rocket payload (to be written).
use super::super::sink::Sink;
use crate::model::Alert;
use serde_json::{json, Value};

pub fn body(_sink: &Sink, alert: &Alert) -> Value {
    json!({ "text": alert.line() })
}

//! gchat payload (to be written).
use crate::model::Alert;
use serde_json::{json, Value};

pub fn body(alert: &Alert) -> Value {
    json!({ "text": alert.line() })
}

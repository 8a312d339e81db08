//! webhook payload (to be written).
use crate::model::Alert;
use serde_json::{json, Value};

pub fn body(alert: &Alert, session: Option<&str>) -> Value {
    json!({ "event": alert.event, "session": session })
}

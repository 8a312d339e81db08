//! Rocket.Chat's incoming-webhook body, in its Slack-compatible form: `text`, and one attachment
//! with the reason, the severity's colour and the facts as fields.

use super::super::sink::Sink;
use super::{clip, color, facts, time, versions};
use crate::model::Alert;
use serde_json::{json, Value};

/// Rocket.Chat refuses messages over 5000 characters by default.
const TEXT: usize = 5000;
const REASON: usize = 4000;
const FIELD: usize = 1000;

pub fn body(sink: &Sink, alert: &Alert) -> Value {
    let fields: Vec<Value> = facts(alert)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(versions(alert))
        .map(|(k, v)| json!({ "title": clip(&k, FIELD), "value": clip(&v, FIELD), "short": true }))
        .collect();
    let mut body = json!({
        "text": clip(&alert.title(), TEXT),
        "attachments": [{
            "title": clip(&alert.title(), FIELD),
            "text": clip(&alert.reason, REASON),
            "color": format!("#{:06X}", color(alert.severity)),
            "ts": time(alert),
            "fields": fields,
        }],
    });
    if let Some(channel) = sink.channel.as_deref().filter(|c| !c.trim().is_empty()) {
        body["channel"] = json!(channel);
    }
    if let Some(name) = sink.username.as_deref().filter(|n| !n.trim().is_empty()) {
        body["alias"] = json!(name);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::super::tests::rollback;
    use super::*;
    use crate::alert::sink::{SecretUrl, SinkKind};

    #[test]
    fn an_attachment_in_the_severity_colour_with_the_reason_cut() {
        let mut sink = Sink::new(
            "r",
            SinkKind::Rocket,
            SecretUrl::parse("http://h/x").unwrap(),
        );
        sink.username = Some("canary".into());
        let b = body(&sink, &rollback(5000));
        let a = &b["attachments"][0];
        assert_eq!(a["color"], "#E74C3C");
        assert_eq!(a["text"].as_str().unwrap().chars().count(), REASON);
        assert_eq!(a["fields"].as_array().unwrap().len(), 6);
        assert_eq!(b["alias"], "canary");
        assert!(b.get("channel").is_none());
    }
}

//! Discord's "Execute Webhook" body: a `content` line and one embed with the reason, the facts
//! as fields, the severity's colour and the alert's instant. Every text is cut to Discord's
//! limits, and the embed as a whole to its 6000 characters.

use super::super::sink::Sink;
use super::{clip, color, facts, time, versions};
use crate::model::Alert;
use serde_json::{json, Value};

/// Discord's limits, in characters.
const CONTENT: usize = 2000;
const USERNAME: usize = 80;
const TITLE: usize = 256;
const DESCRIPTION: usize = 4096;
const FIELD_NAME: usize = 256;
const FIELD_VALUE: usize = 1024;
const FIELDS: usize = 25;
const FOOTER: usize = 2048;
const EMBED_TOTAL: usize = 6000;

pub fn body(sink: &Sink, alert: &Alert) -> Value {
    let title = clip(&alert.title(), TITLE);
    let footer = clip(&format!("canary-cockpit · {}", alert.event), FOOTER);
    let mut fields: Vec<(String, String)> = facts(alert)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(versions(alert))
        .map(|(k, v)| (clip(&k, FIELD_NAME), clip(&v, FIELD_VALUE)))
        .take(FIELDS)
        .collect();
    let chars = |s: &str| s.chars().count();
    let fixed = |fields: &[(String, String)]| {
        chars(&title)
            + chars(&footer)
            + fields
                .iter()
                .map(|(k, v)| chars(k) + chars(v))
                .sum::<usize>()
    };
    // the fields come first; the reason takes what is left of the embed's total
    while fixed(&fields) > EMBED_TOTAL && fields.pop().is_some() {}
    let room = EMBED_TOTAL.saturating_sub(fixed(&fields)).min(DESCRIPTION);
    let fields: Vec<Value> = fields
        .into_iter()
        .map(|(name, value)| json!({ "name": name, "value": value, "inline": true }))
        .collect();
    let mut body = json!({
        "content": clip(&format!("**{}** {}", alert.severity, alert.title()), CONTENT),
        "embeds": [{
            "title": title,
            "description": clip(&alert.reason, room),
            "color": color(alert.severity),
            "fields": fields,
            "timestamp": time(alert),
            "footer": { "text": footer },
        }],
        // a reason that quotes `@everyone` pings nobody
        "allowed_mentions": { "parse": [] },
    });
    if let Some(name) = sink.username.as_deref().filter(|n| !n.trim().is_empty()) {
        body["username"] = json!(clip(name, USERNAME));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::super::tests::rollback;
    use super::super::ERROR_COLOR;
    use super::*;
    use crate::alert::sink::{SecretUrl, SinkKind};

    fn sink() -> Sink {
        Sink::new(
            "d",
            SinkKind::Discord,
            SecretUrl::parse("http://h/x").unwrap(),
        )
    }

    fn len(v: &Value) -> usize {
        v.as_str().unwrap().chars().count()
    }

    fn total(e: &Value) -> usize {
        let fields = e["fields"].as_array().unwrap();
        len(&e["title"])
            + len(&e["description"])
            + len(&e["footer"]["text"])
            + fields
                .iter()
                .map(|f| len(&f["name"]) + len(&f["value"]))
                .sum::<usize>()
    }

    #[test]
    fn a_long_reason_is_cut_to_the_embed_limits() {
        let b = body(&sink(), &rollback(5000));
        let e = &b["embeds"][0];
        assert_eq!(b["embeds"].as_array().unwrap().len(), 1);
        assert!(len(&b["content"]) <= CONTENT);
        assert!(len(&e["description"]) <= DESCRIPTION);
        assert!(e["description"].as_str().unwrap().ends_with('…'));
        assert_eq!(e["color"], ERROR_COLOR);
        assert_eq!(e["timestamp"], "2026-01-01T00:01:37Z");
        assert!(total(e) <= EMBED_TOTAL, "{}", total(e));
        let fields = e["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 6);
        assert!(fields.iter().any(|f| f["name"] == "Canary v2"));
        assert!(b.get("username").is_none());
    }

    #[test]
    fn long_fields_leave_the_reason_less_room() {
        let mut a = rollback(5000);
        a.canary.image = "i".repeat(3000);
        a.primary.image = "i".repeat(3000);
        a.namespace = "n".repeat(2000);
        let mut s = sink();
        s.username = Some("u".repeat(100));
        let b = body(&s, &a);
        let e = &b["embeds"][0];
        assert!(e["fields"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| len(&f["value"]) <= FIELD_VALUE));
        assert!(len(&e["title"]) <= TITLE);
        assert!(len(&e["description"]) < DESCRIPTION);
        assert!(total(e) <= EMBED_TOTAL, "{}", total(e));
        assert_eq!(len(&b["username"]), USERNAME);
    }
}

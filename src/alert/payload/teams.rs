//! Microsoft Teams through a Workflows webhook: a `message` whose one attachment is an Adaptive
//! Card — the title, the reason, and the facts in a FactSet.

use super::{clip, facts, time, versions};
use crate::model::{Alert, Severity};
use serde_json::{json, Value};

/// Workflows takes messages up to 28 KB; the reason keeps well inside it.
const REASON: usize = 4000;
const TITLE: usize = 256;
const FACT: usize = 1000;

pub fn body(alert: &Alert) -> Value {
    let title_color = match alert.severity {
        Severity::Error => "Attention",
        Severity::Warn => "Warning",
        Severity::Info => "Default",
    };
    let mut rows: Vec<(String, String)> = facts(alert)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(versions(alert))
        .collect();
    rows.push(("Time".into(), time(alert)));
    let facts: Vec<Value> = rows
        .into_iter()
        .map(|(k, v)| json!({ "title": clip(&k, FACT), "value": clip(&v, FACT) }))
        .collect();
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {
                        "type": "TextBlock",
                        "text": clip(&alert.title(), TITLE),
                        "size": "Medium",
                        "weight": "Bolder",
                        "color": title_color,
                        "wrap": true,
                    },
                    { "type": "TextBlock", "text": clip(&alert.reason, REASON), "wrap": true },
                    { "type": "FactSet", "facts": facts },
                ],
                "msteams": { "width": "Full" },
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::rollback;
    use super::*;

    #[test]
    fn an_adaptive_card_with_the_reason_cut() {
        let b = body(&rollback(5000));
        assert_eq!(b["type"], "message");
        let a = &b["attachments"][0];
        assert_eq!(a["contentType"], "application/vnd.microsoft.card.adaptive");
        let card = &a["content"];
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(card["body"][0]["color"], "Attention");
        assert_eq!(card["body"][0]["weight"], "Bolder");
        let reason = card["body"][1]["text"].as_str().unwrap();
        assert_eq!(reason.chars().count(), REASON);
        let facts = card["body"][2]["facts"].as_array().unwrap();
        assert_eq!(facts.len(), 7);
        assert_eq!(facts[6]["value"], "2026-01-01T00:01:37Z");
    }
}

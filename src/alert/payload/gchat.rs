//! Google Chat's incoming-webhook body: `text` for notifications, and a `cardsV2` card whose
//! header names the release and the event and whose widgets hold the reason and the facts.

use super::{clip, context, facts, versions};
use crate::model::Alert;
use serde_json::{json, Value};

/// A message's text is at most 4096 characters; a whole message at most 32,000 bytes, which the
/// card's texts below keep well inside.
const TEXT: usize = 4096;
const HEADER: usize = 200;
const REASON: usize = 4000;
const WIDGET: usize = 1000;

pub fn body(alert: &Alert) -> Value {
    let mut widgets = vec![json!({
        "decoratedText": { "topLabel": "Reason", "text": clip(&alert.reason, REASON), "wrapText": true }
    })];
    let rows = facts(alert)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(versions(alert));
    widgets.extend(rows.map(|(k, v)| {
        json!({
            "decoratedText": { "topLabel": clip(&k, WIDGET), "text": clip(&v, WIDGET), "wrapText": true }
        })
    }));
    json!({
        "text": clip(&format!("*{}*", alert.title()), TEXT),
        "cardsV2": [{
            "cardId": format!("canary-{}", alert.event),
            "card": {
                "header": {
                    "title": clip(&alert.title(), HEADER),
                    "subtitle": clip(&context(alert), HEADER),
                },
                "sections": [{ "widgets": widgets }],
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::rollback;
    use super::*;

    #[test]
    fn a_card_with_the_reason_cut() {
        let b = body(&rollback(5000));
        assert_eq!(b["text"], "*shop/frontend: automatic rollback*");
        let card = &b["cardsV2"][0];
        assert_eq!(card["cardId"], "canary-automatic_rollback");
        assert_eq!(
            card["card"]["header"]["title"],
            "shop/frontend: automatic rollback"
        );
        let widgets = card["card"]["sections"][0]["widgets"].as_array().unwrap();
        assert_eq!(widgets.len(), 7);
        let reason = widgets[0]["decoratedText"]["text"].as_str().unwrap();
        assert_eq!(reason.chars().count(), REASON);
        assert!(serde_json::to_vec(&b).unwrap().len() < 32_000);
    }
}

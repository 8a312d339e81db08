//! Slack's incoming-webhook body: `text` for notifications and clients without blocks, and Block
//! Kit blocks — a header, a section with the reason and the facts as fields, a context line.
//! Text in mrkdwn has `&`, `<` and `>` escaped as Slack asks; every text is cut to its limit.

use super::super::sink::Sink;
use super::{clip, context, facts, versions};
use crate::model::Alert;
use serde_json::{json, Value};

/// Block Kit's limits, in characters.
const HEADER: usize = 150;
const SECTION_TEXT: usize = 3000;
const FIELDS: usize = 10;
const FIELD_TEXT: usize = 2000;
/// The bold name at the head of a field; the value takes the rest.
const FIELD_NAME: usize = 100;
/// A text object in a context block.
const CONTEXT_TEXT: usize = 3000;

pub fn body(sink: &Sink, alert: &Alert) -> Value {
    let fields: Vec<Value> = facts(alert)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(versions(alert))
        .take(FIELDS)
        .map(|(k, v)| {
            let head = format!("*{}*\n", escape(&k, FIELD_NAME));
            let room = FIELD_TEXT - head.chars().count();
            json!({ "type": "mrkdwn", "text": head + &escape(&v, room) })
        })
        .collect();
    let mut body = json!({
        "text": escape(&alert.line(), SECTION_TEXT),
        "blocks": [
            {
                "type": "header",
                "text": { "type": "plain_text", "text": clip(&alert.title(), HEADER), "emoji": true },
            },
            {
                "type": "section",
                "text": { "type": "mrkdwn", "text": escape(&alert.reason, SECTION_TEXT) },
                "fields": fields,
            },
            {
                "type": "context",
                "elements": [{ "type": "mrkdwn", "text": escape(&context(alert), CONTEXT_TEXT) }],
            },
        ],
    });
    for (key, value) in [("channel", &sink.channel), ("username", &sink.username)] {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            body[key] = json!(v);
        }
    }
    body
}

/// `text` with `&`, `<` and `>` escaped, in at most `max` characters counted after escaping; a
/// cut never splits an escape and ends in `…`.
fn escape(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let chars = text.chars().count();
    for (i, c) in text.chars().enumerate() {
        let piece = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            _ => "",
        };
        let width = if piece.is_empty() { 1 } else { piece.len() };
        // room for this piece, and for `…` unless it is the last character
        let last = i + 1 == chars;
        if count + width + usize::from(!last) > max {
            if max > count {
                out.push('…');
            }
            return out;
        }
        if piece.is_empty() {
            out.push(c);
        } else {
            out.push_str(piece);
        }
        count += width;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::rollback;
    use super::*;
    use crate::alert::sink::{SecretUrl, SinkKind};

    fn len(v: &Value) -> usize {
        v.as_str().unwrap().chars().count()
    }

    #[test]
    fn escapes_markup_and_never_splits_an_escape() {
        assert_eq!(escape("a<b>&c", 100), "a&lt;b&gt;&amp;c");
        assert_eq!(escape("abc", 3), "abc");
        assert_eq!(escape("abcd", 3), "ab…");
        assert_eq!(escape("a&b", 4), "a…");
        assert_eq!(escape("✓✓✓", 3), "✓✓✓");
    }

    #[test]
    fn a_long_reason_is_cut_to_the_block_limits() {
        let mut sink = Sink::new(
            "s",
            SinkKind::Slack,
            SecretUrl::parse("http://h/x").unwrap(),
        );
        sink.channel = Some("#releases".into());
        let mut a = rollback(5000);
        a.namespace = "n".repeat(200);
        let b = body(&sink, &a);
        let blocks = b["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(len(&blocks[0]["text"]["text"]), HEADER);
        let section = &blocks[1];
        assert_eq!(len(&section["text"]["text"]), SECTION_TEXT);
        assert!(!section["text"]["text"].as_str().unwrap().contains('<'));
        let fields = section["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 6);
        assert!(fields.iter().all(|f| len(&f["text"]) <= FIELD_TEXT));
        assert_eq!(b["channel"], "#releases");
        assert!(b.get("username").is_none());
        assert!(len(&b["text"]) <= SECTION_TEXT);
    }
}

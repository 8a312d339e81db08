//! JSON and YAML for a terminal: the same text as the serializers write, with every hazard
//! escaped as `\uXXXX` so that a parser reads the original string back and a terminal never sees
//! the character itself.
//!
//! serde_json escapes the C0 controls but writes DEL, the C1 controls and the bidi controls as
//! they are; outside a string JSON holds only ASCII, so each one left is inside a string, where
//! `\uXXXX` means that very character. serde_saphyr escapes the controls in double quotes but
//! writes the bidi controls as they are, possibly in a plain or single-quoted scalar where no
//! escape exists: a string holding one is written double-quoted, and escaped there.

use super::{has_hazard, is_hazard};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;

/// `text` with every hazard but the `\n` and `\t` of the layout escaped as `\uXXXX` (the
/// hazards are all in the Basic Multilingual Plane). Only valid where each hazard stands inside
/// a JSON string or a YAML double-quoted scalar.
fn escape_quoted(text: &str) -> Cow<'_, str> {
    let hazard = |c: char| is_hazard(c) && c != '\n' && c != '\t';
    if !has_hazard(text) || !text.chars().any(hazard) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hazard(c) {
            // writing into a String cannot fail
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Serialized JSON with the hazards serde_json leaves (DEL, C1, bidi) escaped as `\uXXXX`.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    escape_quoted(json)
}

/// `value` as pretty JSON, safe for a terminal.
pub fn json_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let json = serde_json::to_string_pretty(value)?;
    Ok(escape_json(&json).into_owned())
}

/// `value` as YAML, safe for a terminal: what serde_saphyr writes when no hazard is left in it;
/// else every string that holds one double-quoted and the hazard escaped. serde_saphyr quotes no
/// key on request: a map key holding a hazard makes the whole document flow style (JSON, which
/// is YAML too).
pub fn yaml<T: Serialize>(value: &T) -> Result<String, String> {
    let direct = serde_saphyr::to_string(value).map_err(|e| e.to_string())?;
    if !direct
        .chars()
        .any(|c| is_hazard(c) && c != '\n' && c != '\t')
    {
        return Ok(direct);
    }
    // the same tree through JSON, whose reader keeps the order of the fields
    let json = serde_json::to_string(value).map_err(|e| e.to_string())?;
    let node: Node = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    if node.has_hazard_key() {
        return Ok(format!(
            "{}\n",
            json_pretty(&node).map_err(|e| e.to_string())?
        ));
    }
    let quoted = serde_saphyr::to_string(&node).map_err(|e| e.to_string())?;
    Ok(escape_quoted(&quoted).into_owned())
}

/// A JSON document with its maps in their order.
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    fn has_hazard_key(&self) -> bool {
        match self {
            Node::List(items) => items.iter().any(Node::has_hazard_key),
            Node::Map(entries) => entries
                .iter()
                .any(|(k, v)| has_hazard(k) || v.has_hazard_key()),
            _ => false,
        }
    }
}

/// A string written double-quoted when it holds a hazard, where YAML can escape it.
struct Scalar<'a>(&'a str);

impl Serialize for Scalar<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if has_hazard(self.0) {
            serde_saphyr::DoubleQuoted(self.0).serialize(s)
        } else {
            s.serialize_str(self.0)
        }
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Unsigned(n) => s.serialize_u64(*n),
            Node::Signed(n) => s.serialize_i64(*n),
            Node::Float(f) => s.serialize_f64(*f),
            Node::Text(t) => Scalar(t).serialize(s),
            Node::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Bool(b))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Node, E> {
        Ok(Node::Unsigned(n))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Node, E> {
        Ok(Node::Signed(n))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Node, E> {
        Ok(Node::Float(f))
    }
    fn visit_str<E: de::Error>(self, t: &str) -> Result<Node, E> {
        Ok(Node::Text(t.to_string()))
    }
    fn visit_string<E: de::Error>(self, t: String) -> Result<Node, E> {
        Ok(Node::Text(t))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::super::is_clean_output;
    use super::*;
    use serde_json::{json, Value};

    fn hostile() -> Value {
        let evil = "img\u{1b}]0;title\u{7}:\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\u{9b}\u{202e}\u{7f}end";
        json!({
            "target": "ingress/shop",
            "weight": {"canary": 5, "primary": 95},
            "ratio": 0.25,
            "delta": -3,
            "none": null,
            "ok": true,
            "versions": [{"image": evil, "name": "v2\u{2066}"}, {"image": "plain:1", "name": "v1"}],
            "multi": "line one\nline two\n",
            "long": format!("{}\u{202e}{}", "x".repeat(150), "y".repeat(150)),
        })
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_and_round_trips() {
        let v = hostile();
        let text = json_pretty(&v).unwrap();
        assert!(is_clean_output(&text), "{text}");
        assert!(text.contains("\\u009b") && text.contains("\\u202e") && text.contains("\\u007f"));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
        assert!(matches!(escape_json("{\"a\": \"b\"}"), Cow::Borrowed(_)));
    }

    #[test]
    fn yaml_quotes_and_escapes_hazards_and_round_trips() {
        let v = hostile();
        let text = yaml(&v).unwrap();
        assert!(is_clean_output(&text), "{text}");
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
        // the fields keep their order
        let t = text.find("target:").unwrap();
        let w = text.find("weight:").unwrap();
        assert!(t < w, "{text}");
    }

    #[test]
    fn yaml_with_a_hazard_in_a_key_is_flow_style() {
        let v = json!({"quote'n\"back\\slash\u{202d}": {"a": ["b\u{9b}"]}});
        let text = yaml(&v).unwrap();
        assert!(is_clean_output(&text), "{text}");
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
    }

    #[test]
    fn yaml_without_hazards_is_what_serde_saphyr_writes() {
        let v = json!({"b": 1, "a": "text", "lines": "x\ny\n", "tab": "a\tb"});
        assert_eq!(yaml(&v).unwrap(), serde_saphyr::to_string(&v).unwrap());
    }
}

//! Testers' routes on an ingress-nginx canary Ingress. ingress-nginx holds one header rule and
//! one cookie rule per canary Ingress, in annotations (prefix `nginx.ingress.kubernetes.io/`):
//!
//! - `canary-by-header: NAME` with `canary-by-header-value: VALUE` (an exact value) or
//!   `canary-by-header-pattern: REGEX` (a regular expression; ignored by ingress-nginx when a
//!   value is set); alone, the header set to `always` goes to the canary;
//! - `canary-by-cookie: NAME`: the cookie set to `always` goes to the canary.
//!
//! Which of them the cockpit wrote is recorded on the canary Ingress in the annotation
//! [`ROUTES`], `canary-cockpit.io/routes: header=X-Canary,cookie=tester` (each rule's kind and
//! name). A rule is the cockpit's while the marker names it; any other is the release's own
//! (owner `release`). `--clear` removes the cockpit's annotations and the marker in one merge
//! patch (null values); the release's own rules stay, and the cockpit does not replace them.
//! Every write carries the resourceVersion as read: the API server answers 409 when the Ingress
//! changed since.

use crate::cluster::ClusterError;
use crate::model::rules::COOKIE_ALWAYS;
use crate::model::{RouteChange, RouteRule, RuleKind, RuleMatch, RuleOwner};
use k8s_openapi::api::networking::v1::Ingress;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

use super::{name, Routing, INGRESS};
use crate::provider::common::route::ObjectWrite;

/// Lists the testers' routes the cockpit wrote on the canary Ingress: `header=NAME,cookie=NAME`.
pub const ROUTES: &str = "canary-cockpit.io/routes";
pub const BY_HEADER: &str = "nginx.ingress.kubernetes.io/canary-by-header";
pub const BY_HEADER_VALUE: &str = "nginx.ingress.kubernetes.io/canary-by-header-value";
pub const BY_HEADER_PATTERN: &str = "nginx.ingress.kubernetes.io/canary-by-header-pattern";
pub const BY_COOKIE: &str = "nginx.ingress.kubernetes.io/canary-by-cookie";

/// The value of `canary-by-header` alone that sends to the canary.
const HEADER_ALWAYS: &str = "always";

fn annotations(canary: &Ingress) -> BTreeMap<String, String> {
    canary.metadata.annotations.clone().unwrap_or_default()
}

fn set<'a>(a: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    a.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn word(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Header => "header",
        RuleKind::Cookie => "cookie",
    }
}

/// The marker's entries: each kind the cockpit wrote, with the name it wrote.
fn marker(a: &BTreeMap<String, String>) -> BTreeMap<RuleKind, String> {
    let mut out = BTreeMap::new();
    for entry in a
        .get(ROUTES)
        .map(String::as_str)
        .unwrap_or_default()
        .split(',')
    {
        let Some((kind, name)) = entry.trim().split_once('=') else {
            continue;
        };
        let kind = match kind.trim() {
            "header" => RuleKind::Header,
            "cookie" => RuleKind::Cookie,
            _ => continue,
        };
        out.insert(kind, name.trim().to_string());
    }
    out
}

fn marker_value(entries: &BTreeMap<RuleKind, String>) -> Value {
    if entries.is_empty() {
        return Value::Null;
    }
    let text: Vec<String> = entries
        .iter()
        .map(|(k, n)| format!("{}={n}", word(*k)))
        .collect();
    Value::String(text.join(","))
}

/// The canary Ingress's header and cookie rules, each with its owner.
pub fn rules(canary: &Ingress) -> Vec<RouteRule> {
    let a = annotations(canary);
    let ours = marker(&a);
    let owner = |kind: RuleKind, name: &str| {
        if ours
            .get(&kind)
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
        {
            RuleOwner::Cockpit
        } else {
            RuleOwner::Release
        }
    };
    let mut out = Vec::new();
    if let Some(header) = set(&a, BY_HEADER) {
        let (value, matching) = match (set(&a, BY_HEADER_VALUE), set(&a, BY_HEADER_PATTERN)) {
            (Some(v), _) => (v, RuleMatch::Exact),
            (None, Some(p)) => (p, RuleMatch::Regex),
            (None, None) => (HEADER_ALWAYS, RuleMatch::Exact),
        };
        out.push(RouteRule {
            kind: RuleKind::Header,
            name: header.to_string(),
            value: value.to_string(),
            matching,
            owner: owner(RuleKind::Header, header),
        });
    }
    if let Some(cookie) = set(&a, BY_COOKIE) {
        out.push(RouteRule {
            kind: RuleKind::Cookie,
            name: cookie.to_string(),
            value: COOKIE_ALWAYS.to_string(),
            matching: RuleMatch::Exact,
            owner: owner(RuleKind::Cookie, cookie),
        });
    }
    out
}

fn refused(object: &str, why: String) -> ClusterError {
    ClusterError::Refused(format!("{object}: {why}"))
}

/// The annotations (null: removed) that write `rule`.
fn rule_annotations(
    object: &str,
    a: &BTreeMap<String, String>,
    rule: &RouteRule,
) -> Result<Map<String, Value>, ClusterError> {
    let mut m = Map::new();
    match (rule.kind, rule.matching) {
        (RuleKind::Header, matching) => {
            let (key, other) = match matching {
                RuleMatch::Exact => (BY_HEADER_VALUE, BY_HEADER_PATTERN),
                RuleMatch::Regex => (BY_HEADER_PATTERN, BY_HEADER_VALUE),
            };
            m.insert(BY_HEADER.to_string(), json!(rule.name));
            m.insert(key.to_string(), json!(rule.value));
            // a value would win over a pattern: the other one goes
            if a.contains_key(other) {
                m.insert(other.to_string(), Value::Null);
            }
        }
        (RuleKind::Cookie, RuleMatch::Exact) if rule.value == COOKIE_ALWAYS => {
            m.insert(BY_COOKIE.to_string(), json!(rule.name));
        }
        (RuleKind::Cookie, _) => {
            return Err(refused(
                object,
                format!(
                    "ingress-nginx sends a cookie to the canary only when it is set to \
                     `{COOKIE_ALWAYS}`, not {:?}",
                    rule.value
                ),
            ))
        }
    }
    Ok(m)
}

/// The annotations a rule of `kind` is written in.
fn kind_annotations(kind: RuleKind) -> &'static [&'static str] {
    match kind {
        RuleKind::Header => &[BY_HEADER, BY_HEADER_VALUE, BY_HEADER_PATTERN],
        RuleKind::Cookie => &[BY_COOKIE],
    }
}

/// The conditional merge patch that makes `change` on the canary Ingress: none when there is
/// nothing to clear.
pub fn route_writes(r: &Routing, change: &RouteChange) -> Result<Vec<ObjectWrite>, ClusterError> {
    let canary = &r.pair.canary;
    let object = format!("ingress/{}", name(canary));
    let a = annotations(canary);
    let mut ours = marker(&a);
    let current = rules(canary);
    let mut patch = Map::new();
    match change {
        RouteChange::Add { rule } => {
            let theirs = current
                .iter()
                .find(|c| c.kind == rule.kind && c.owner == RuleOwner::Release);
            if let Some(theirs) = theirs {
                return Err(refused(
                    &object,
                    format!(
                        "ingress-nginx holds one {} rule per canary Ingress and `{theirs}` is the \
                         release's own (not written by the cockpit): it stays",
                        word(rule.kind)
                    ),
                ));
            }
            patch = rule_annotations(&object, &a, rule)?;
            ours.insert(rule.kind, rule.name.clone());
        }
        RouteChange::Clear => {
            let mine: Vec<RuleKind> = current
                .iter()
                .filter(|c| c.owner == RuleOwner::Cockpit)
                .map(|c| c.kind)
                .collect();
            for kind in &mine {
                for key in kind_annotations(*kind) {
                    if a.contains_key(*key) {
                        patch.insert((*key).to_string(), Value::Null);
                    }
                }
            }
            if !a.contains_key(ROUTES) {
                return Ok(Vec::new());
            }
            ours.clear();
        }
    }
    patch.insert(ROUTES.to_string(), marker_value(&ours));
    let body = json!({"metadata": {
        "resourceVersion": canary.metadata.resource_version,
        "annotations": patch}});
    Ok(vec![ObjectWrite::merge(
        INGRESS,
        INGRESS.versions[0],
        name(canary),
        body,
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::common::route::PatchBody;

    fn canary(annotations: &[(&str, &str)]) -> Ingress {
        let a: BTreeMap<&str, &str> = annotations.iter().copied().collect();
        serde_json::from_value(json!({"metadata": {
            "name": "shop-canary", "resourceVersion": "9", "annotations": a}}))
        .unwrap()
    }

    fn routing(c: Ingress) -> Routing {
        Routing {
            pair: crate::provider::nginx::Pair {
                primary: canary(&[]),
                canary: c,
            },
            weight: Some(crate::provider::nginx::CanaryWeight {
                weight: 0,
                total: 100,
            }),
        }
    }

    fn merge(w: &[ObjectWrite]) -> &Value {
        match &w[0].patch {
            PatchBody::Merge(v) => v,
            PatchBody::Json(_) => panic!("a merge patch"),
        }
    }

    #[test]
    fn rules_read_with_their_owner() {
        let c = canary(&[
            (BY_HEADER, "X-Canary"),
            (BY_HEADER_PATTERN, "^t-.*"),
            (BY_COOKIE, "tester"),
            (ROUTES, "cookie=tester"),
        ]);
        let r = rules(&c);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].describe(), "header X-Canary~^t-.*");
        assert_eq!(r[0].owner, RuleOwner::Release);
        assert_eq!(
            (r[1].describe(), r[1].owner),
            ("cookie tester".to_string(), RuleOwner::Cockpit)
        );
        // a value wins over a pattern, as in ingress-nginx; a header alone means `always`
        let r = rules(&canary(&[
            (BY_HEADER, "X"),
            (BY_HEADER_VALUE, "1"),
            (BY_HEADER_PATTERN, "p"),
        ]));
        assert_eq!(r[0].describe(), "header X=1");
        assert_eq!(
            rules(&canary(&[(BY_HEADER, "X")]))[0].describe(),
            "header X=always"
        );
    }

    #[test]
    fn adds_are_conditional_and_marked_and_the_release_rule_stays() {
        let add = |rule: RouteRule| RouteChange::Add { rule };
        let w = route_writes(
            &routing(canary(&[])),
            &add(RouteRule::header("X-Canary", "^t.*", RuleMatch::Regex)),
        )
        .unwrap();
        let p = merge(&w);
        assert_eq!(p["metadata"]["resourceVersion"], "9");
        let a = &p["metadata"]["annotations"];
        assert_eq!(a[BY_HEADER], "X-Canary");
        assert_eq!(a[BY_HEADER_PATTERN], "^t.*");
        assert!(a.get(BY_HEADER_VALUE).is_none());
        assert_eq!(a[ROUTES], "header=X-Canary");

        let theirs = routing(canary(&[(BY_HEADER, "X-Theirs")]));
        let err = route_writes(&theirs, &add(RouteRule::header("X", "1", RuleMatch::Exact)));
        assert!(err.unwrap_err().to_string().contains("release's own"));
        // a cookie beside their header is fine
        let w = route_writes(&theirs, &add(RouteRule::cookie("tester"))).unwrap();
        assert_eq!(
            merge(&w)["metadata"]["annotations"][ROUTES],
            "cookie=tester"
        );
    }

    #[test]
    fn clear_removes_only_the_cockpits() {
        let c = canary(&[
            (BY_HEADER, "X-Theirs"),
            (BY_COOKIE, "tester"),
            (ROUTES, "cookie=tester"),
        ]);
        let w = route_writes(&routing(c), &RouteChange::Clear).unwrap();
        let a = &merge(&w)["metadata"]["annotations"];
        let mut keys: Vec<&String> = a.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, [ROUTES, BY_COOKIE]);
        assert!(a[BY_COOKIE].is_null() && a[ROUTES].is_null());
        assert!(
            route_writes(&routing(canary(&[(BY_HEADER, "X")])), &RouteChange::Clear)
                .unwrap()
                .is_empty()
        );
    }
}

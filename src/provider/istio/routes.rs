//! Istio testers' routes: http routes placed before the weighted route that match a header (or
//! the `cookie` header) and send all their requests to the canary's destination.
//!
//! The cockpit's own are told by the http route's `name`: [`OWN_PREFIX`] and a number
//! (`canary-cockpit-testers-1`); clearing removes those and only those, and every other route
//! that sends matching requests to the canary is the release's own. A route the cockpit adds is
//! `{name, match, route: [{destination, weight: 100}]}`, inserted right before the weighted route:
//! its destination is the weighted route's canary destination as written (host, subset, port);
//! its matches are the weighted route's own, each with the header added (the same requests stay
//! in scope), or one match with the header alone. Header names are written in lowercase, as Istio
//! requires. A cookie rule matches the `cookie` header by regex: `^(.*?;\s*)?NAME=always(;.*)?$`.
//! Every write is a JSON patch conditional on the resourceVersion that was read.

use crate::cluster::ClusterError;
use crate::model::{RouteChange, RouteRule, RuleKind, RuleMatch, RuleOwner};
use serde_json::{json, Map, Value};

use crate::provider::common::route::{ObjectWrite, Route};
use crate::provider::two_backends::Testers;

/// The `name` prefix of the http routes the cockpit writes.
pub const OWN_PREFIX: &str = "canary-cockpit-testers";

/// Whether an http route named `name` is one the cockpit wrote.
pub fn is_own(name: Option<&str>) -> bool {
    name.is_some_and(|n| {
        n == OWN_PREFIX
            || n.strip_prefix(OWN_PREFIX)
                .is_some_and(|rest| rest.starts_with('-'))
    })
}

/// Escapes the characters a regular expression gives a meaning to.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The literal text of a regular expression that matches only it, if it is one.
fn literal(re: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = re.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            c if "\\.+*?()|[]{}^$".contains(c) => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// The regex of the `cookie` header that matches the cookie `name` set to `value`.
pub fn cookie_regex(name: &str, value: &str) -> String {
    format!("^(.*?;\\s*)?{}={}(;.*)?$", escape(name), escape(value))
}

/// The cookie name and value a `cookie` header regex matches, when it is of the usual shape
/// (this module's, or Istio's examples' `^(.*?;)?(user=jason)(;.*)?$`).
fn cookie_of(re: &str) -> Option<(String, String)> {
    let body = re.strip_prefix('^')?.strip_suffix('$')?;
    let body = ["(.*?;\\s*)?", "(.*?;)?", "(.*;)?", "(.*?; )?"]
        .iter()
        .find_map(|p| body.strip_prefix(p))?;
    let body = body.strip_suffix("(;.*)?")?;
    let body = body
        .strip_prefix('(')
        .and_then(|b| b.strip_suffix(')'))
        .unwrap_or(body);
    let (name, value) = body.split_once('=')?;
    let (name, value) = (literal(name)?, literal(value)?);
    (!name.is_empty() && !value.is_empty()).then_some((name, value))
}

/// The rule of one header condition (`{exact|regex|prefix|suffix: …}`; an empty one checks
/// presence).
fn rule_of(header: &str, condition: &Value, owner: RuleOwner) -> RouteRule {
    let text = |k: &str| condition.get(k).and_then(Value::as_str);
    let (kind, name, value, matching) = match (text("exact"), text("regex"), text("prefix")) {
        (None, None, None) if text("suffix").is_some() => (
            RuleKind::Header,
            header,
            format!("{}$", escape(text("suffix").unwrap_or_default())),
            RuleMatch::Regex,
        ),
        (Some(v), _, _) => (RuleKind::Header, header, v.to_string(), RuleMatch::Exact),
        (None, Some(re), _) if header.eq_ignore_ascii_case("cookie") => match cookie_of(re) {
            Some((n, v)) => {
                return RouteRule {
                    kind: RuleKind::Cookie,
                    name: n,
                    value: v,
                    matching: RuleMatch::Exact,
                    owner,
                }
            }
            None => (RuleKind::Header, header, re.to_string(), RuleMatch::Regex),
        },
        (None, Some(re), _) => (RuleKind::Header, header, re.to_string(), RuleMatch::Regex),
        (None, None, Some(p)) => (
            RuleKind::Header,
            header,
            format!("^{}", escape(p)),
            RuleMatch::Regex,
        ),
        (None, None, None) => (RuleKind::Header, header, ".*".to_string(), RuleMatch::Regex),
    };
    RouteRule {
        kind,
        name: name.to_string(),
        value,
        matching,
        owner,
    }
}

/// The rules of an http route named `name` that sends its requests to the canary: one per header
/// condition of each of its matches (a match on the URI alone is no rule).
pub fn rules_of(name: Option<&str>, matches: &[Value]) -> Vec<RouteRule> {
    let owner = if is_own(name) {
        RuleOwner::Cockpit
    } else {
        RuleOwner::Release
    };
    let mut out: Vec<RouteRule> = Vec::new();
    for m in matches {
        for (header, condition) in m
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let rule = rule_of(header, condition, owner);
            if !out.contains(&rule) {
                out.push(rule);
            }
        }
    }
    out
}

/// The header condition a rule is written as: the header's name and its string match.
fn condition(rule: &RouteRule) -> (String, Value) {
    match (rule.kind, rule.matching) {
        (RuleKind::Header, RuleMatch::Exact) => {
            (rule.name.to_ascii_lowercase(), json!({"exact": rule.value}))
        }
        (RuleKind::Header, RuleMatch::Regex) => {
            (rule.name.to_ascii_lowercase(), json!({"regex": rule.value}))
        }
        (RuleKind::Cookie, RuleMatch::Exact) => (
            "cookie".to_string(),
            json!({"regex": cookie_regex(&rule.name, &rule.value)}),
        ),
        (RuleKind::Cookie, RuleMatch::Regex) => (
            "cookie".to_string(),
            json!({"regex": format!("^(.*?;\\s*)?{}=({})(;.*)?$", escape(&rule.name), rule.value)}),
        ),
    }
}

/// The rule as it reads back once written.
fn as_read(rule: &RouteRule) -> RouteRule {
    let (header, condition) = condition(rule);
    rule_of(&header, &condition, RuleOwner::Cockpit)
}

fn name_of(route: &Value) -> Option<&str> {
    route.get("name").and_then(Value::as_str)
}

/// A name for the next route of the cockpit's: one more than the highest number in use.
fn next_name(routes: &[Value]) -> String {
    let n = routes
        .iter()
        .filter_map(|r| name_of(r)?.strip_prefix(OWN_PREFIX)?.strip_prefix('-'))
        .filter_map(|n| n.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    format!("{OWN_PREFIX}-{}", n + 1)
}

/// The http route that sends requests matching `rule` to the canary, before the weighted route.
fn testers_route(t: &Testers, object: &str, rule: &RouteRule) -> Result<Value, ClusterError> {
    let missing = || {
        ClusterError::Refused(format!(
            "{object}: the weighted route has no canary destination as read: read it again"
        ))
    };
    let weighted = t.routes.get(t.index).ok_or_else(missing)?;
    let destination = weighted
        .get("route")
        .and_then(|r| r.get(t.canary))
        .and_then(|d| d.get("destination"))
        .cloned()
        .ok_or_else(missing)?;
    let (header, string_match) = condition(rule);
    let with_header = |m: &Value| -> Value {
        let mut m = m.as_object().cloned().unwrap_or_default();
        let headers = m
            .entry("headers")
            .or_insert_with(|| Value::Object(Map::new()));
        if !headers.is_object() {
            *headers = Value::Object(Map::new());
        }
        if let Some(h) = headers.as_object_mut() {
            h.insert(header.clone(), string_match.clone());
        }
        Value::Object(m)
    };
    let scope: Vec<Value> = weighted
        .get("match")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .cloned()
        .unwrap_or_else(|| vec![json!({})]);
    Ok(json!({
        "name": next_name(&t.routes),
        "match": scope.iter().map(with_header).collect::<Vec<_>>(),
        "route": [{"destination": destination, "weight": 100}],
    }))
}

/// The JSON patch operations that make `change` to the routes at `list` (`/spec/http`), each
/// patch first putting back the resourceVersion that was read: `None` when there is nothing to
/// write (the rule is there already; no route of the cockpit's to clear).
pub fn ops(
    t: &Testers,
    list: &str,
    object: &str,
    resource_version: &str,
    change: &RouteChange,
) -> Result<Option<Value>, ClusterError> {
    let mut ops = vec![json!(
        {"op": "replace", "path": "/metadata/resourceVersion", "value": resource_version}
    )];
    match change {
        RouteChange::Add { rule } => {
            let wanted = as_read(rule);
            if t.rules.contains(&wanted) {
                return Ok(None);
            }
            let route = testers_route(t, object, rule)?;
            ops.push(json!({"op": "add", "path": format!("{list}/{}", t.index), "value": route}));
        }
        RouteChange::Clear => {
            let own: Vec<usize> = (0..t.routes.len())
                .filter(|i| is_own(name_of(&t.routes[*i])))
                .collect();
            if own.is_empty() {
                return Ok(None);
            }
            for i in own.into_iter().rev() {
                ops.push(json!({"op": "remove", "path": format!("{list}/{i}")}));
            }
        }
    }
    Ok(Some(Value::Array(ops)))
}

/// The writes that make `change` to a VirtualService's testers' routes.
pub fn route_writes(
    route: &Route,
    r: &crate::provider::two_backends::Routing,
    change: &RouteChange,
) -> Result<Vec<ObjectWrite>, ClusterError> {
    let split = &r.split;
    Ok(ops(
        &split.testers,
        "/spec/http",
        &route.object,
        &split.resource_version,
        change,
    )?
    .map(|ops| ObjectWrite::json(super::VIRTUAL_SERVICE, r.version, &route.name, ops))
    .into_iter()
    .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_regexes_read_back_as_the_cookie() {
        let re = cookie_regex("canary.v2", "always");
        assert_eq!(re, "^(.*?;\\s*)?canary\\.v2=always(;.*)?$");
        assert_eq!(
            cookie_of(&re),
            Some(("canary.v2".to_string(), "always".to_string()))
        );
        assert_eq!(
            cookie_of("^(.*?;)?(user=jason)(;.*)?$"),
            Some(("user".to_string(), "jason".to_string()))
        );
        assert_eq!(cookie_of("^(.*?;)?(user=j.*)(;.*)?$"), None);
        assert_eq!(cookie_of("jason"), None);
    }

    #[test]
    fn own_routes_are_told_by_name() {
        assert!(is_own(Some("canary-cockpit-testers-3")));
        assert!(!is_own(Some("canary-cockpit-testersx")));
        assert!(!is_own(None));
        let routes = vec![
            json!({"name": "canary-cockpit-testers-2"}),
            json!({"name": "x"}),
        ];
        assert_eq!(next_name(&routes), "canary-cockpit-testers-3");
        let rules = rules_of(
            Some("mine"),
            &[json!({"headers": {"x-a": {"prefix": "a.b"}, "x-b": {}}, "uri": {"prefix": "/"}})],
        );
        assert_eq!(rules.len(), 2);
        assert_eq!(
            (rules[0].value.as_str(), rules[0].owner),
            ("^a\\.b", RuleOwner::Release)
        );
        assert_eq!(rules[1].value, ".*");
    }

    #[test]
    fn add_inserts_before_the_weighted_route_and_clear_removes_only_the_own() {
        let spec = json!({"hosts": ["shop"], "http": [
            {"name": "release", "match": [{"headers": {"x-qa": {"exact": "1"}}}],
             "route": [{"destination": {"host": "shop", "subset": "canary"}}]},
            {"name": "canary-cockpit-testers-4", "match": [{"headers": {"x-a": {"regex": "^t"}}}],
             "route": [{"destination": {"host": "shop", "subset": "canary"}, "weight": 100}]},
            {"match": [{"uri": {"prefix": "/shop"}}], "route": [
                {"destination": {"host": "shop", "subset": "canary", "port": {"number": 80}}, "weight": 20},
                {"destination": {"host": "shop", "subset": "stable"}, "weight": 80}]}]});
        let (split, _) = super::super::split(
            "shop",
            "prod",
            "7",
            &crate::provider::two_backends::Hint::default(),
            &spec,
        )
        .unwrap();
        let t = &split.testers;
        assert_eq!((t.index, t.canary), (2, 0));
        let owners: Vec<_> = t.rules.iter().map(|r| r.owner).collect();
        assert_eq!(owners, [RuleOwner::Release, RuleOwner::Cockpit]);
        let add = |rule: RouteRule| {
            ops(t, "/spec/http", "vs/shop", "7", &RouteChange::Add { rule }).unwrap()
        };
        let ops1 = add(RouteRule::cookie("beta")).unwrap();
        assert_eq!(ops1[0]["value"], "7");
        assert_eq!(ops1[1]["path"], "/spec/http/2");
        assert_eq!(
            ops1[1]["value"],
            json!({"name": "canary-cockpit-testers-5",
                "match": [{"uri": {"prefix": "/shop"},
                           "headers": {"cookie": {"regex": "^(.*?;\\s*)?beta=always(;.*)?$"}}}],
                "route": [{"destination": {"host": "shop", "subset": "canary", "port": {"number": 80}},
                           "weight": 100}]})
        );
        // a rule that is there already is not written twice
        assert_eq!(add(RouteRule::header("X-A", "^t", RuleMatch::Regex)), None);
        let clear = ops(t, "/spec/http", "vs/shop", "7", &RouteChange::Clear)
            .unwrap()
            .unwrap();
        assert_eq!(clear.as_array().map(Vec::len), Some(2));
        assert_eq!(clear[1], json!({"op": "remove", "path": "/spec/http/1"}));
    }
}

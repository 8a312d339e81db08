//! Testers' routes on a Gateway API HTTPRoute: one rule per testers' route, whose `matches` are
//! the weighted rule's own (its paths, methods, query parameters; `[{}]` when it has none) each
//! with one more header match, `{type: Exact | RegularExpression, name, value}`, whose `filters`
//! and `timeouts` are the weighted rule's, and whose only backendRef is the canary's. A cookie rule matches the `Cookie` header with a regular
//! expression, `^(.*?;\s*)?NAME=always(;.*)?$`. Gateway API ranks a match with more header
//! matches above one with fewer on the same path, so the rule takes precedence over the weighted
//! one wherever it stands: the cockpit appends it (`/spec/rules/-`), and the weighted rule keeps
//! its index.
//!
//! The cockpit names its rules (HTTPRouteRule `name`) with the prefix [`NAME_PREFIX`],
//! `canary-cockpit-testers-header-x-canary`: `--clear` removes the rules so named; any other
//! rule that sends header matches to the canary alone is the release's own (owner `release`) and
//! stays. Adding a rule for a header or cookie the cockpit already routes replaces that rule.
//! Every write is a JSON patch that carries the resourceVersion as read: the API server answers
//! 409 when the route changed since.

use crate::cluster::ClusterError;
use crate::model::{RouteChange, RouteRule, RuleKind, RuleMatch, RuleOwner};
use serde_json::{json, Value};

use super::HTTP_ROUTE;
use crate::provider::common::route::{ObjectWrite, Route};
use crate::provider::two_backends::Routing;

/// The start of the `name` of every rule the cockpit writes.
pub const NAME_PREFIX: &str = "canary-cockpit-testers";
/// Gateway API's limit of rules per HTTPRoute.
const MAX_RULES: usize = 16;
const COOKIE: &str = "Cookie";
const COOKIE_HEAD: &str = r"^(.*?;\s*)?";
const COOKIE_TAIL: &str = r"(;.*)?$";

/// The rules of `spec`, as stored.
fn spec_rules(spec: &Value) -> &[Value] {
    spec.get("rules")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn backend_refs(rule: &Value) -> &[Value] {
    rule.get("backendRefs")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn rule_name(rule: &Value) -> Option<&str> {
    rule.get("name").and_then(Value::as_str)
}

/// A backendRef to the Service `service` of the route's own namespace.
fn is_service(r: &Value, service: &str) -> bool {
    let field = |k: &str| r.get(k).and_then(Value::as_str);
    field("name") == Some(service)
        && field("group").unwrap_or_default().is_empty()
        && field("kind").unwrap_or("Service") == "Service"
}

/// Regular-expression escaping of a cookie's name or value.
fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn unescape(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            c if ".+*?()|[]{}^$".contains(c) => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// The `Cookie` header expression that matches the cookie `name` set to `value`.
pub fn cookie_regex(name: &str, value: &str) -> String {
    format!(
        "{COOKIE_HEAD}{}={}{COOKIE_TAIL}",
        escape(name),
        escape(value)
    )
}

/// The cookie and its value a `Cookie` header expression of [`cookie_regex`]'s shape matches.
fn cookie_of(regex: &str) -> Option<(String, String)> {
    let inner = regex.strip_prefix(COOKIE_HEAD)?.strip_suffix(COOKIE_TAIL)?;
    let (name, value) = inner.split_once('=')?;
    Some((unescape(name)?, unescape(value)?))
}

/// One header match as a rule.
fn rule_of(header: &Value, owner: RuleOwner) -> Option<RouteRule> {
    let name = header.get("name").and_then(Value::as_str)?;
    let value = header.get("value").and_then(Value::as_str)?;
    let regex = header.get("type").and_then(Value::as_str) == Some("RegularExpression");
    if regex && name.eq_ignore_ascii_case(COOKIE) {
        if let Some((cookie, value)) = cookie_of(value) {
            return Some(RouteRule {
                kind: RuleKind::Cookie,
                name: cookie,
                value,
                matching: RuleMatch::Exact,
                owner,
            });
        }
    }
    Some(RouteRule {
        kind: RuleKind::Header,
        name: name.to_string(),
        value: value.to_string(),
        matching: if regex {
            RuleMatch::Regex
        } else {
            RuleMatch::Exact
        },
        owner,
    })
}

/// The testers' routes of one rule: its header matches, when it sends to the canary alone.
fn rules_of(rule: &Value, canary: &str) -> Vec<RouteRule> {
    let refs = backend_refs(rule);
    if refs.len() != 1 || !is_service(&refs[0], canary) {
        return Vec::new();
    }
    let owner = match rule_name(rule) {
        Some(n) if n.starts_with(NAME_PREFIX) => RuleOwner::Cockpit,
        _ => RuleOwner::Release,
    };
    let mut out: Vec<RouteRule> = Vec::new();
    let matches = rule.get("matches").and_then(Value::as_array);
    for m in matches.into_iter().flatten() {
        let headers = m.get("headers").and_then(Value::as_array);
        for h in headers.into_iter().flatten() {
            match rule_of(h, owner) {
                Some(r) if !out.contains(&r) => out.push(r),
                _ => {}
            }
        }
    }
    out
}

/// Every testers' route of the HTTPRoute whose split is `r`.
pub fn rules(r: &Routing) -> Vec<RouteRule> {
    spec_rules(&r.spec)
        .iter()
        .flat_map(|rule| rules_of(rule, &r.split.canary.service))
        .collect()
}

/// The same rule for Gateway API: the same kind and name (header names are case-insensitive).
fn same(a: &RouteRule, b: &RouteRule) -> bool {
    a.kind == b.kind
        && match a.kind {
            RuleKind::Header => a.name.eq_ignore_ascii_case(&b.name),
            RuleKind::Cookie => a.name == b.name,
        }
}

/// The HTTPRouteRule name of the cockpit's rule for `rule`, unused by the other rules.
fn fresh_name(rule: &RouteRule, taken: &[&str]) -> String {
    let kind = match rule.kind {
        RuleKind::Header => "header",
        RuleKind::Cookie => "cookie",
    };
    let slug: String = rule
        .name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let slug = slug.trim_matches('-');
    let base: String = format!("{NAME_PREFIX}-{kind}-{slug}")
        .chars()
        .take(200)
        .collect();
    let base = base.trim_end_matches('-').to_string();
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name.as_str()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// The header match that writes `rule`.
fn header_match(rule: &RouteRule) -> Value {
    match (rule.kind, rule.matching) {
        (RuleKind::Header, RuleMatch::Exact) => {
            json!({"type": "Exact", "name": rule.name, "value": rule.value})
        }
        (RuleKind::Header, RuleMatch::Regex) => {
            json!({"type": "RegularExpression", "name": rule.name, "value": rule.value})
        }
        (RuleKind::Cookie, _) => json!({"type": "RegularExpression", "name": COOKIE,
            "value": cookie_regex(&rule.name, &rule.value)}),
    }
}

/// The weighted rule: its index and the rule, as the split was read.
fn weighted(r: &Routing) -> Option<(usize, &Value)> {
    spec_rules(&r.spec)
        .iter()
        .enumerate()
        .find(|(_, rule)| backend_refs(rule).len() == 2)
}

/// The rule that sends the requests `rule` matches to the canary, on the weighted rule's paths.
fn testers_rule(
    route: &Route,
    r: &Routing,
    rule: &RouteRule,
    name: String,
) -> Result<Value, ClusterError> {
    let (_, split) = weighted(r).ok_or_else(|| {
        ClusterError::Refused(format!("{}: no rule with two backendRefs", route.object))
    })?;
    let canary = &r.split.canary.service;
    let mut backend = backend_refs(split)
        .iter()
        .find(|b| is_service(b, canary))
        .cloned()
        .unwrap_or_else(|| json!({"name": canary}));
    if let Some(b) = backend.as_object_mut() {
        b.remove("weight");
    }
    let header = header_match(rule);
    let theirs = split.get("matches").and_then(Value::as_array).cloned();
    let mut matches = theirs
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| vec![json!({})]);
    for m in &mut matches {
        if let Some(m) = m.as_object_mut() {
            let headers = m.entry("headers").or_insert_with(|| json!([]));
            if let Some(list) = headers.as_array_mut() {
                list.retain(|h| {
                    h.get("name")
                        .and_then(Value::as_str)
                        .map(str::to_ascii_lowercase)
                        != Some(rule_header(rule).to_ascii_lowercase())
                });
                list.push(header.clone());
            }
        }
    }
    let mut out = json!({"name": name, "matches": matches, "backendRefs": [backend]});
    // the testers' requests are handled as the others, but for the backend
    for key in ["filters", "timeouts"] {
        if let Some(v) = split.get(key) {
            out[key] = v.clone();
        }
    }
    Ok(out)
}

/// The header a rule matches on.
fn rule_header(rule: &RouteRule) -> &str {
    match rule.kind {
        RuleKind::Header => &rule.name,
        RuleKind::Cookie => COOKIE,
    }
}

/// The conditional JSON patch that makes `change` on the HTTPRoute: none when there is nothing
/// to clear.
pub fn route_writes(
    route: &Route,
    r: &Routing,
    change: &RouteChange,
) -> Result<Vec<ObjectWrite>, ClusterError> {
    let all = spec_rules(&r.spec);
    let canary = &r.split.canary.service;
    let mine = |rule: &Value| rule_name(rule).is_some_and(|n| n.starts_with(NAME_PREFIX));
    let mut ops = vec![
        json!({"op": "replace", "path": "/metadata/resourceVersion", "value": r.split.resource_version}),
    ];
    match change {
        RouteChange::Add { rule } => {
            let replaced = all
                .iter()
                .position(|x| mine(x) && rules_of(x, canary).iter().any(|y| same(y, rule)));
            let taken: Vec<&str> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != replaced)
                .filter_map(|(_, x)| rule_name(x))
                .collect();
            let value = testers_rule(route, r, rule, fresh_name(rule, &taken))?;
            match replaced {
                Some(i) => ops.push(
                    json!({"op": "replace", "path": format!("/spec/rules/{i}"), "value": value}),
                ),
                None if all.len() >= MAX_RULES => {
                    return Err(ClusterError::Refused(format!(
                        "{}: the HTTPRoute has {MAX_RULES} rules, as many as Gateway API allows",
                        route.object
                    )))
                }
                None => ops.push(json!({"op": "add", "path": "/spec/rules/-", "value": value})),
            }
        }
        RouteChange::Clear => {
            let gone: Vec<usize> = (0..all.len()).rev().filter(|i| mine(&all[*i])).collect();
            if gone.is_empty() {
                return Ok(Vec::new());
            }
            for i in gone {
                let name = rule_name(&all[i]).unwrap_or_default();
                ops.push(
                    json!({"op": "test", "path": format!("/spec/rules/{i}/name"), "value": name}),
                );
                ops.push(json!({"op": "remove", "path": format!("/spec/rules/{i}")}));
            }
        }
    }
    Ok(vec![ObjectWrite::json(
        HTTP_ROUTE,
        r.version,
        &route.name,
        Value::Array(ops),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::two_backends::{Backend, Split};

    fn routing(spec: Value) -> Routing {
        let backend = |s: &str| Backend {
            service: s.to_string(),
            subset: None,
            weight_path: String::new(),
            weight: 1,
            unreadable: None,
        };
        Routing {
            kind: crate::model::Kind::HttpRoute,
            version: "v1",
            split: Split {
                route: "spec.rules[1]".to_string(),
                primary: backend("shop"),
                canary: backend("shop-canary"),
                resource_version: "5".to_string(),
                testers: Default::default(),
                decided: None,
                extra: Vec::new(),
            },
            spec,
        }
    }

    fn spec() -> Value {
        json!({"rules": [
            {"name": "theirs", "matches": [{"headers": [{"name": "x-qa", "value": "1"}]}],
             "backendRefs": [{"name": "shop-canary", "port": 80}]},
            {"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
             "filters": [{"type": "URLRewrite", "urlRewrite": {"hostname": "shop.internal"}}],
             "backendRefs": [{"name": "shop", "port": 80}, {"name": "shop-canary", "port": 80, "weight": 0}]},
            {"name": "canary-cockpit-testers-cookie-tester",
             "matches": [{"headers": [{"type": "RegularExpression", "name": "Cookie",
                                       "value": cookie_regex("tester", "always")}]}],
             "backendRefs": [{"name": "shop-canary", "port": 80}]}]})
    }

    #[test]
    fn rules_read_with_their_owner_and_cookies_from_the_cookie_header() {
        let r = rules(&routing(spec()));
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].describe(), r[0].owner),
            ("header x-qa=1".to_string(), RuleOwner::Release)
        );
        assert_eq!(
            (r[1].describe(), r[1].owner),
            ("cookie tester".to_string(), RuleOwner::Cockpit)
        );
        assert_eq!(
            cookie_of(&cookie_regex("a.b", "always")),
            Some(("a.b".into(), "always".into()))
        );
        assert_eq!(
            cookie_regex("a.b", "always"),
            r"^(.*?;\s*)?a\.b=always(;.*)?$"
        );
    }

    #[test]
    fn an_add_appends_a_rule_on_the_weighted_paths_to_the_canary_alone() {
        let route_ = |_: ()| {
            Route::plain(
                crate::provider::Routing::Split(routing(spec())),
                "httproute/shop".into(),
                "shop".into(),
                ["shop".into(), "shop-canary".into()],
                crate::model::Weight::ZERO,
                &Default::default(),
            )
        };
        let route = route_(());
        let r = routing(spec());
        let add = RouteChange::Add {
            rule: RouteRule::header("X-Canary", "^t.*", RuleMatch::Regex),
        };
        let w = route_writes(&route, &r, &add).unwrap();
        let crate::provider::PatchBody::Json(ops) = &w[0].patch else {
            panic!("a JSON patch")
        };
        assert_eq!(ops[0]["value"], "5");
        assert_eq!(ops[1]["op"], "add");
        assert_eq!(ops[1]["path"], "/spec/rules/-");
        let v = &ops[1]["value"];
        assert_eq!(v["name"], "canary-cockpit-testers-header-x-canary");
        assert_eq!(v["filters"][0]["urlRewrite"]["hostname"], "shop.internal");
        assert_eq!(
            v["backendRefs"],
            json!([{"name": "shop-canary", "port": 80}])
        );
        assert_eq!(
            v["matches"],
            json!([{"path": {"type": "PathPrefix", "value": "/api"},
            "headers": [{"type": "RegularExpression", "name": "X-Canary", "value": "^t.*"}]}])
        );
        // the cockpit's cookie rule again: replaced in place
        let add = RouteChange::Add {
            rule: RouteRule::cookie("tester"),
        };
        let w = route_writes(&route, &r, &add).unwrap();
        let crate::provider::PatchBody::Json(ops) = &w[0].patch else {
            panic!("a JSON patch")
        };
        assert_eq!(
            (ops[1]["op"].as_str(), ops[1]["path"].as_str()),
            (Some("replace"), Some("/spec/rules/2"))
        );
        // clear: the cockpit's rule alone, tested by name
        let w = route_writes(&route, &r, &RouteChange::Clear).unwrap();
        let crate::provider::PatchBody::Json(ops) = &w[0].patch else {
            panic!("a JSON patch")
        };
        assert_eq!(ops.as_array().map(Vec::len), Some(3));
        assert_eq!(ops[2], json!({"op": "remove", "path": "/spec/rules/2"}));
    }
}

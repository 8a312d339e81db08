//! Testers' routes on a Contour HTTPProxy: routes whose `conditions[]` carry a `header`
//! condition and whose only Service (mirrors aside) is the canary's. Contour orders a proxy's
//! routes by their conditions (the most specific first), not by their place in `spec.routes`, so
//! such a route takes its requests from the weighted route wherever it stands; the cockpit reads
//! them wherever they are, and writes its own right before the weighted route.
//!
//! A header condition reads as a rule: `exact` as `header NAME=VALUE`, `regex` as
//! `header NAME~REGEX`, `contains` as a regex of the escaped text, `present` as `NAME~.*`
//! (`ignoreCase` adds `(?i)`); on the `Cookie` header, `contains: "NAME=VALUE"` is the cookie
//! rule `cookie NAME`. Negative conditions (`notexact`, `notcontains`, `notpresent`) are no
//! rule, and neither is a header condition the weighted route carries itself (it is scope).
//!
//! A route the cockpit adds is the weighted route as written (its conditions, its policies:
//! timeouts, retries, authorization, IP filters, rewrites), with its header condition added
//! (`{header: {name, exact}}`; `regex` for a regex rule; for a cookie rule `{header: {name:
//! Cookie, contains: "NAME=always"}}`, which also matches a longer cookie name ending in NAME),
//! a condition on the same header of the weighted route's dropped, and the canary's Service alone
//! (`name`, `port` and the rest as written, without `weight`; mirrors dropped).
//!
//! HTTPProxy routes have no name. The cockpit marks its own with a request header the route sets,
//! `requestHeadersPolicy.set: [{name: X-Canary-Cockpit-Route, value: testers}]` ([`MARK_HEADER`]):
//! the mark travels with the route (a route moved by hand stays the cockpit's, a route deleted by
//! hand leaves nothing stale behind), and the canary's pods can tell testers' requests apart by
//! it. Every route that sends header matches to the canary alone without the mark is the
//! release's own (owner `release`): `--clear` removes the marked ones only. Adding a rule for a
//! header or cookie the cockpit already routes replaces that route. Every write is a JSON patch
//! that carries the resourceVersion as read: the API server answers 409 when the proxy changed.

use crate::cluster::ClusterError;
use crate::model::{RouteChange, RouteRule, RuleKind, RuleMatch, RuleOwner};
use serde_json::{json, Map, Value};

use super::HTTP_PROXY;
use crate::provider::two_backends::{Routing, Split, Testers};
use crate::provider::{ObjectWrite, Route};

/// The request header the cockpit's routes set: it tells them from the release's own.
pub const MARK_HEADER: &str = "X-Canary-Cockpit-Route";
/// The value of [`MARK_HEADER`].
pub const MARK_VALUE: &str = "testers";
const COOKIE: &str = "Cookie";
const SPECIAL: &str = "\\.+*?()|[]{}^$";

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool) == Some(true)
}

/// The Services of a route that take traffic (a mirror takes none).
fn live_services(route: &Value) -> Vec<&Value> {
    list(route, "services")
        .iter()
        .filter(|s| !flag(s, "mirror"))
        .collect()
}

/// Whether the cockpit wrote `route`: it sets the request header [`MARK_HEADER`].
pub fn is_own(route: &Value) -> bool {
    route
        .get("requestHeadersPolicy")
        .map(|p| list(p, "set"))
        .unwrap_or_default()
        .iter()
        .any(|h| text(h, "name").is_some_and(|n| n.eq_ignore_ascii_case(MARK_HEADER)))
}

/// Regular-expression escaping.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if SPECIAL.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The rule one `header` condition is, if it sends matching requests (a negative one does not).
fn rule_of(header: &Value, owner: RuleOwner) -> Option<RouteRule> {
    let name = text(header, "name")?;
    let fold = if flag(header, "ignoreCase") {
        "(?i)"
    } else {
        ""
    };
    let rule = |kind, name: &str, value: String, matching| RouteRule {
        kind,
        name: name.to_string(),
        value,
        matching,
        owner,
    };
    if let Some(v) = text(header, "exact") {
        return Some(match fold {
            "" => rule(RuleKind::Header, name, v.to_string(), RuleMatch::Exact),
            _ => rule(
                RuleKind::Header,
                name,
                format!("{fold}^{}$", escape(v)),
                RuleMatch::Regex,
            ),
        });
    }
    if let Some(v) = text(header, "contains") {
        let cookie = v.split_once('=').filter(|(n, _)| !n.is_empty());
        return Some(match cookie {
            Some((n, value)) if name.eq_ignore_ascii_case(COOKIE) && fold.is_empty() => {
                rule(RuleKind::Cookie, n, value.to_string(), RuleMatch::Exact)
            }
            _ => rule(
                RuleKind::Header,
                name,
                format!("{fold}.*{}.*", escape(v)),
                RuleMatch::Regex,
            ),
        });
    }
    if let Some(re) = text(header, "regex") {
        return Some(rule(
            RuleKind::Header,
            name,
            re.to_string(),
            RuleMatch::Regex,
        ));
    }
    flag(header, "present")
        .then(|| rule(RuleKind::Header, name, ".*".to_string(), RuleMatch::Regex))
}

/// The testers' rules of `route` when it sends its requests to the Service `canary` alone: one
/// per header condition that `weighted` (the weighted route) does not carry too.
fn rules_of(route: &Value, canary: &str, weighted: &Value) -> Vec<RouteRule> {
    let services = live_services(route);
    if services.len() != 1 || text(services[0], "name") != Some(canary) {
        return Vec::new();
    }
    let owner = if is_own(route) {
        RuleOwner::Cockpit
    } else {
        RuleOwner::Release
    };
    let scope = list(weighted, "conditions");
    let mut out: Vec<RouteRule> = Vec::new();
    for c in list(route, "conditions") {
        if scope.contains(c) {
            continue;
        }
        match c.get("header").and_then(|h| rule_of(h, owner)) {
            Some(r) if !out.contains(&r) => out.push(r),
            _ => {}
        }
    }
    out
}

/// The testers' routes of the proxy's routes (`spec`), around the weighted route at `index`.
pub fn testers(spec: &Value, index: usize, split: &Split) -> Testers {
    let routes = list(spec, "routes").to_vec();
    let Some(weighted) = routes.get(index) else {
        return Testers {
            index,
            ..Testers::default()
        };
    };
    let name = split.canary.service.as_str();
    let mut rules: Vec<RouteRule> = Vec::new();
    for (i, r) in routes.iter().enumerate() {
        if i == index {
            continue;
        }
        for rule in rules_of(r, name, weighted) {
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
    }
    let canary = list(weighted, "services")
        .iter()
        .position(|s| !flag(s, "mirror") && text(s, "name") == Some(name))
        .unwrap_or_default();
    Testers {
        rules,
        routes,
        index,
        canary,
    }
}

/// The header a rule matches on, and its condition; a cookie regex is refused (`contains`
/// matches the cookie's text, not a pattern).
fn condition(object: &str, rule: &RouteRule) -> Result<(String, Value), ClusterError> {
    Ok(match (rule.kind, rule.matching) {
        (RuleKind::Header, RuleMatch::Exact) => (
            rule.name.clone(),
            json!({"name": rule.name, "exact": rule.value}),
        ),
        (RuleKind::Header, RuleMatch::Regex) => (
            rule.name.clone(),
            json!({"name": rule.name, "regex": rule.value}),
        ),
        (RuleKind::Cookie, RuleMatch::Exact) => (
            COOKIE.to_string(),
            json!({"name": COOKIE, "contains": format!("{}={}", rule.name, rule.value)}),
        ),
        (RuleKind::Cookie, RuleMatch::Regex) => {
            return Err(ClusterError::Refused(format!(
                "{object}: a Contour cookie rule matches NAME=VALUE in the Cookie header \
                 (contains), not a pattern: use a cookie set to a value, or a header regex"
            )))
        }
    })
}

/// The route that sends the requests `rule` matches to the canary alone, handled as the
/// weighted route handles them but for the Service.
fn testers_route(object: &str, t: &Testers, rule: &RouteRule) -> Result<Value, ClusterError> {
    let missing = || {
        ClusterError::Refused(format!(
            "{object}: the weighted route has no canary Service as read: read it again"
        ))
    };
    let weighted = t.routes.get(t.index).ok_or_else(missing)?;
    let mut service = list(weighted, "services")
        .get(t.canary)
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(missing)?;
    service.remove("weight");
    service.remove("mirror");
    let (header, added) = condition(object, rule)?;
    let same_header = |c: &Value| {
        c.get("header")
            .and_then(|h| text(h, "name"))
            .is_some_and(|n| n.eq_ignore_ascii_case(&header))
    };
    let mut conditions: Vec<Value> = list(weighted, "conditions")
        .iter()
        .filter(|c| !same_header(c))
        .cloned()
        .collect();
    conditions.push(json!({ "header": added }));
    let mut out = weighted.as_object().cloned().unwrap_or_default();
    out.insert("conditions".to_string(), Value::Array(conditions));
    out.insert("services".to_string(), json!([service]));
    let policy = out
        .entry("requestHeadersPolicy")
        .or_insert_with(|| Value::Object(Map::new()));
    if !policy.is_object() {
        *policy = Value::Object(Map::new());
    }
    if let Some(policy) = policy.as_object_mut() {
        let set = policy.entry("set").or_insert_with(|| json!([]));
        if !set.is_array() {
            *set = json!([]);
        }
        if let Some(set) = set.as_array_mut() {
            set.retain(|h| !text(h, "name").is_some_and(|n| n.eq_ignore_ascii_case(MARK_HEADER)));
            set.push(json!({"name": MARK_HEADER, "value": MARK_VALUE}));
        }
    }
    Ok(Value::Object(out))
}

/// The same rule for Contour: the same kind and name (header names are case-insensitive).
fn same(a: &RouteRule, b: &RouteRule) -> bool {
    a.kind == b.kind
        && match a.kind {
            RuleKind::Header => a.name.eq_ignore_ascii_case(&b.name),
            RuleKind::Cookie => a.name == b.name,
        }
}

/// The conditional JSON patch that makes `change` on the HTTPProxy: none when there is nothing
/// to clear.
pub fn route_writes(
    route: &Route,
    r: &Routing,
    change: &RouteChange,
) -> Result<Vec<ObjectWrite>, ClusterError> {
    let t = &r.split.testers;
    let canary = r.split.canary.service.as_str();
    let weighted = t.routes.get(t.index).cloned().unwrap_or_default();
    let mut ops = vec![json!(
        {"op": "replace", "path": "/metadata/resourceVersion", "value": r.split.resource_version}
    )];
    match change {
        RouteChange::Add { rule } => {
            let value = testers_route(&route.object, t, rule)?;
            let replaced = t.routes.iter().position(|x| {
                is_own(x) && rules_of(x, canary, &weighted).iter().any(|y| same(y, rule))
            });
            ops.push(match replaced {
                Some(i) => {
                    json!({"op": "replace", "path": format!("/spec/routes/{i}"), "value": value})
                }
                None => {
                    json!({"op": "add", "path": format!("/spec/routes/{}", t.index), "value": value})
                }
            });
        }
        RouteChange::Clear => {
            let own: Vec<usize> = (0..t.routes.len())
                .rev()
                .filter(|i| *i != t.index && is_own(&t.routes[*i]))
                .collect();
            if own.is_empty() {
                return Ok(Vec::new());
            }
            ops.extend(
                own.into_iter()
                    .map(|i| json!({"op": "remove", "path": format!("/spec/routes/{i}")})),
            );
        }
    }
    Ok(vec![ObjectWrite::json(
        HTTP_PROXY,
        r.version,
        &route.name,
        Value::Array(ops),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::two_backends::Hint;
    use crate::provider::PatchBody;

    /// A proxy: the release's own header route, the cockpit's cookie route, the weighted route
    /// (scoped to `/api` and a region header, with a timeout and an IP filter), an admin route.
    fn spec() -> Value {
        json!({"virtualhost": {"fqdn": "shop.example"}, "routes": [
            {"conditions": [{"header": {"name": "x-qa", "exact": "yes"}}],
             "services": [{"name": "shop-canary", "port": 8080}]},
            {"conditions": [{"prefix": "/api"}, {"header": {"name": "Cookie", "contains": "beta=always"}}],
             "services": [{"name": "shop-canary", "port": 8080}],
             "requestHeadersPolicy": {"set": [{"name": MARK_HEADER, "value": MARK_VALUE}]}},
            {"conditions": [{"prefix": "/api"}, {"header": {"name": "x-region", "exact": "eu"}}],
             "timeoutPolicy": {"response": "5s"},
             "ipAllowPolicy": [{"cidr": "10.0.0.0/8", "source": "Peer"}],
             "services": [{"name": "shop", "port": 80, "weight": 80},
                          {"name": "shop-canary", "port": 8080, "weight": 20, "protocol": "h2c"},
                          {"name": "shop-shadow", "port": 80, "mirror": true}]},
            {"conditions": [{"prefix": "/admin"}], "services": [{"name": "admin", "port": 80}]}]})
    }

    fn routing(spec: Value) -> (Route, Routing) {
        let (split, _) = super::super::split("shop", "prod", "7", &Hint::default(), &spec).unwrap();
        let r = Routing {
            kind: crate::model::Kind::HttpProxy,
            version: "v1",
            split,
            spec,
        };
        let route = Route::plain(
            crate::provider::Routing::Split(r.clone()),
            "httpproxy/shop".into(),
            "shop".into(),
            ["shop".into(), "shop-canary".into()],
            crate::model::Weight::clamped(20),
            &Default::default(),
        );
        (route, r)
    }

    fn ops(route: &Route, r: &Routing, change: RouteChange) -> Value {
        let w = route_writes(route, r, &change).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(
            (w[0].resource.plural, w[0].name.as_str()),
            ("httpproxies", "shop")
        );
        match &w[0].patch {
            PatchBody::Json(ops) => ops.clone(),
            PatchBody::Merge(m) => panic!("a JSON patch, not {m}"),
        }
    }

    #[test]
    fn rules_read_with_their_owner_and_the_weighted_scope_is_no_rule() {
        let (_, r) = routing(spec());
        let t = &r.split.testers;
        assert_eq!((t.index, t.canary), (2, 1));
        let read: Vec<(String, RuleOwner)> =
            t.rules.iter().map(|x| (x.describe(), x.owner)).collect();
        assert_eq!(
            read,
            [
                ("header x-qa=yes".to_string(), RuleOwner::Release),
                ("cookie beta".to_string(), RuleOwner::Cockpit)
            ]
        );
        let header = |h: Value| rule_of(&h, RuleOwner::Release).map(|r| r.describe());
        assert_eq!(
            header(json!({"name": "x-a", "contains": "a.b"})).as_deref(),
            Some(r"header x-a~.*a\.b.*")
        );
        assert_eq!(
            header(json!({"name": "x-a", "exact": "Yes", "ignoreCase": true})).as_deref(),
            Some("header x-a~(?i)^Yes$")
        );
        assert_eq!(
            header(json!({"name": "x-a", "regex": "^t.*"})).as_deref(),
            Some("header x-a~^t.*")
        );
        assert_eq!(
            header(json!({"name": "x-a", "present": true})).as_deref(),
            Some("header x-a~.*")
        );
        assert_eq!(header(json!({"name": "x-a", "notexact": "1"})), None);
        assert_eq!(header(json!({"name": "x-a", "notpresent": true})), None);
        // a route to the canary and another Service is no testers' route
        let mut two = spec();
        two["routes"][0]["services"] =
            json!([{"name": "shop-canary", "port": 8080}, {"name": "x", "port": 80}]);
        assert_eq!(routing(two).1.split.testers.rules.len(), 1);
    }

    #[test]
    fn an_add_goes_before_the_weighted_route_as_it_handles_requests_but_for_the_service() {
        let (route, r) = routing(spec());
        let rule = RouteRule::header("X-Region", "tester", RuleMatch::Exact);
        let ops = ops(&route, &r, RouteChange::Add { rule });
        assert_eq!(
            ops[0],
            json!({"op": "replace", "path": "/metadata/resourceVersion", "value": "7"})
        );
        assert_eq!(
            (ops[1]["op"].as_str(), ops[1]["path"].as_str()),
            (Some("add"), Some("/spec/routes/2"))
        );
        // the weighted route's header on the same name (any case) gives way to the rule's
        assert_eq!(
            ops[1]["value"],
            json!({"conditions": [{"prefix": "/api"}, {"header": {"name": "X-Region", "exact": "tester"}}],
                   "timeoutPolicy": {"response": "5s"},
                   "ipAllowPolicy": [{"cidr": "10.0.0.0/8", "source": "Peer"}],
                   "services": [{"name": "shop-canary", "port": 8080, "protocol": "h2c"}],
                   "requestHeadersPolicy": {"set": [{"name": MARK_HEADER, "value": MARK_VALUE}]}})
        );
        let regex = RouteRule::header("x-user", "^qa-[0-9]+$", RuleMatch::Regex);
        let ops2 = super::tests::ops(&route, &r, RouteChange::Add { rule: regex });
        assert_eq!(
            ops2[1]["value"]["conditions"],
            json!([{"prefix": "/api"}, {"header": {"name": "x-region", "exact": "eu"}},
                   {"header": {"name": "x-user", "regex": "^qa-[0-9]+$"}}])
        );
    }

    #[test]
    fn the_cockpits_rule_again_replaces_its_route_and_clear_removes_only_the_marked() {
        let (route, r) = routing(spec());
        let ops1 = ops(
            &route,
            &r,
            RouteChange::Add {
                rule: RouteRule::cookie("beta"),
            },
        );
        assert_eq!(
            (ops1[1]["op"].as_str(), ops1[1]["path"].as_str()),
            (Some("replace"), Some("/spec/routes/1"))
        );
        assert_eq!(
            ops1[1]["value"]["conditions"][2],
            json!({"header": {"name": "Cookie", "contains": "beta=always"}})
        );
        // the release's own rule on the same header is not replaced: the cockpit adds its own
        let qa = RouteRule::header("X-QA", "1", RuleMatch::Exact);
        let ops2 = ops(&route, &r, RouteChange::Add { rule: qa });
        assert_eq!(ops2[1]["op"], "add");
        let clear = ops(&route, &r, RouteChange::Clear);
        assert_eq!(
            clear.as_array().map(|a| a[1..].to_vec()),
            Some(vec![json!({"op": "remove", "path": "/spec/routes/1"})])
        );
        // nothing of the cockpit's: nothing to write
        let mut theirs = spec();
        theirs["routes"].as_array_mut().unwrap().remove(1);
        let (route, r) = routing(theirs);
        assert!(route_writes(&route, &r, &RouteChange::Clear)
            .unwrap()
            .is_empty());
        // a cookie pattern is refused with the reason
        let bad = RouteRule {
            matching: RuleMatch::Regex,
            ..RouteRule::cookie("beta")
        };
        let err = route_writes(&route, &r, &RouteChange::Add { rule: bad }).unwrap_err();
        assert!(err.to_string().contains("contains"), "{err}");
    }

    #[test]
    fn a_route_written_reads_back_as_the_cockpits_rule() {
        let (route, r) = routing(spec());
        let rule = RouteRule::header("X-Canary", "always", RuleMatch::Exact);
        let ops = ops(&route, &r, RouteChange::Add { rule: rule.clone() });
        let patch: json_patch::Patch =
            serde_json::from_value(Value::Array(ops.as_array().unwrap()[1..].to_vec())).unwrap();
        let mut doc = json!({"spec": spec()});
        json_patch::patch(&mut doc, &patch).unwrap();
        let (_, after) = routing(doc["spec"].clone());
        assert_eq!(after.split.testers.index, 3);
        assert!(
            after.split.testers.rules.contains(&rule),
            "{:?}",
            after.split.testers.rules
        );
        assert_eq!(
            after.split.canary.weight_path,
            "/spec/routes/3/services/1/weight"
        );
    }
}

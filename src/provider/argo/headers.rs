//! A Rollout's header routes: `setHeaderRoute` steps (`{name, match: [{headerName, headerValue:
//! {exact|regex|prefix}}]}`) and the traffic router's `managedRoutes` (`[{name}]`). Argo Rollouts
//! sets them on the traffic router as its steps say; the cockpit shows them as the release's own
//! rules and writes none ([`route_writes`]).

use crate::cluster::ClusterError;
use crate::model::{RouteChange, RouteRule, RuleKind, RuleMatch, RuleOwner};
use serde_json::Value;

use crate::provider::common::route::{ObjectWrite, Route};

/// The rule of one `match` entry of a `setHeaderRoute` step.
fn rule_of(m: &Value) -> Option<RouteRule> {
    let name = m.get("headerName")?.as_str()?.to_string();
    let value = m.get("headerValue")?;
    let text = |k: &str| value.get(k).and_then(Value::as_str);
    let (value, matching) = match (text("exact"), text("regex"), text("prefix")) {
        (Some(v), _, _) => (v.to_string(), RuleMatch::Exact),
        (None, Some(re), _) => (re.to_string(), RuleMatch::Regex),
        (None, None, Some(p)) => (format!("^{}", regex_escape(p)), RuleMatch::Regex),
        (None, None, None) => return None,
    };
    Some(RouteRule {
        kind: RuleKind::Header,
        name,
        value,
        matching,
        owner: RuleOwner::Release,
    })
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The rules of the header routes the steps set, and each header route as a line
/// (`setHeaderRoute canary-testers: header x-tester=yes`, `managed route mirror`).
pub fn read(steps: &[Value], traffic_routing: Option<&Value>) -> (Vec<RouteRule>, Vec<String>) {
    let (mut rules, mut lines) = (Vec::new(), Vec::new());
    let mut named = Vec::new();
    for step in steps {
        let Some(route) = step.get("setHeaderRoute") else {
            continue;
        };
        let name = route.get("name").and_then(Value::as_str).unwrap_or("");
        named.push(name.to_string());
        let these: Vec<RouteRule> = route
            .get("match")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(rule_of)
            .collect();
        if these.is_empty() {
            // a step without a match removes the route
            continue;
        }
        let described: Vec<String> = these.iter().map(RouteRule::describe).collect();
        lines.push(format!(
            "setHeaderRoute {name}: {}",
            described.join(" and ")
        ));
        for r in these {
            if !rules.contains(&r) {
                rules.push(r);
            }
        }
    }
    let managed = traffic_routing
        .and_then(|t| t.get("managedRoutes"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("name").and_then(Value::as_str))
        .filter(|n| !named.iter().any(|x| x == n));
    lines.extend(managed.map(|n| format!("managed route {n}")));
    (rules, lines)
}

/// Argo Rollouts sets header routes from its steps: the cockpit does not write them.
pub fn route_writes(route: &Route, change: &RouteChange) -> Result<Vec<ObjectWrite>, ClusterError> {
    Err(ClusterError::Refused(format!(
        "{}: the cockpit does not {change}: Argo Rollouts sets header routes from its steps \
         (setHeaderRoute, trafficRouting.managedRoutes); edit the Rollout's steps",
        route.object
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn header_route_steps_and_managed_routes_are_read() {
        let steps = vec![
            json!({"setWeight": 10}),
            json!({"setHeaderRoute": {"name": "testers", "match": [
                {"headerName": "x-tester", "headerValue": {"exact": "yes"}},
                {"headerName": "x-user", "headerValue": {"prefix": "qa."}}]}}),
            json!({"setHeaderRoute": {"name": "testers"}}),
        ];
        let routing = json!({"managedRoutes": [{"name": "testers"}, {"name": "mirror"}]});
        let (rules, lines) = read(&steps, Some(&routing));
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].describe(), "header x-tester=yes");
        assert_eq!(rules[1].describe(), "header x-user~^qa\\.");
        assert!(rules.iter().all(|r| r.owner == RuleOwner::Release));
        assert_eq!(
            lines,
            [
                "setHeaderRoute testers: header x-tester=yes and header x-user~^qa\\.",
                "managed route mirror"
            ]
        );
    }
}

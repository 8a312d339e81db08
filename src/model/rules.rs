//! Testers' routes: rules that send requests carrying a header or a cookie to the canary whatever
//! the weight, and how the cockpit decided which backend is the canary. Plain data.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a rule matches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Header,
    Cookie,
}

/// How the value is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleMatch {
    Exact,
    Regex,
}

/// Who wrote a rule: the cockpit (so `--clear` removes it) or the release's own definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleOwner {
    Cockpit,
    Release,
}

/// A rule that sends matching requests to the canary whatever the weight. A cookie rule matches
/// when the cookie `name` is set to `value` (ingress-nginx: `always`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RouteRule {
    pub kind: RuleKind,
    pub name: String,
    pub value: String,
    #[serde(rename = "match")]
    pub matching: RuleMatch,
    pub owner: RuleOwner,
}

/// The value a cookie rule written by the cockpit matches: ingress-nginx's own convention.
pub const COOKIE_ALWAYS: &str = "always";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("header N=V, header N~RE or cookie N")]
    Shape,
    #[error("{0:?} is not a header or cookie name (letters, digits and - _ . only)")]
    Name(String),
    #[error("the value is empty")]
    EmptyValue,
    #[error("the regular expression {0:?} has unbalanced brackets or a trailing backslash")]
    Regex(String),
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A light check that a regular expression can be compiled by the proxies (RE2 and PCRE both
/// refuse unbalanced groups and classes and a trailing backslash).
fn balanced(re: &str) -> bool {
    let (mut parens, mut class, mut escaped) = (0i32, false, false);
    for c in re.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !class => class = true,
            ']' if class => class = false,
            '(' if !class => parens += 1,
            ')' if !class => {
                parens -= 1;
                if parens < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    parens == 0 && !class && !escaped
}

impl RouteRule {
    /// A rule the cockpit writes.
    pub fn header(name: &str, value: &str, matching: RuleMatch) -> RouteRule {
        RouteRule {
            kind: RuleKind::Header,
            name: name.to_string(),
            value: value.to_string(),
            matching,
            owner: RuleOwner::Cockpit,
        }
    }

    /// A cookie rule the cockpit writes: the cookie `name` set to `always`.
    pub fn cookie(name: &str) -> RouteRule {
        RouteRule {
            kind: RuleKind::Cookie,
            name: name.to_string(),
            value: COOKIE_ALWAYS.to_string(),
            matching: RuleMatch::Exact,
            owner: RuleOwner::Cockpit,
        }
    }

    /// Reads what the operator typed: `header NAME=VALUE`, `header NAME~REGEX` or `cookie NAME`.
    pub fn parse(input: &str) -> Result<RouteRule, RuleError> {
        let input = input.trim();
        let (word, rest) = input
            .split_once(char::is_whitespace)
            .ok_or(RuleError::Shape)?;
        let rest = rest.trim();
        match word.to_ascii_lowercase().as_str() {
            "header" => {
                let at = rest.find(['=', '~']).ok_or(RuleError::Shape)?;
                let (name, value) = (rest[..at].trim(), rest[at + 1..].trim());
                let matching = if rest[at..].starts_with('~') {
                    RuleMatch::Regex
                } else {
                    RuleMatch::Exact
                };
                RouteRule::checked(RuleKind::Header, name, value, matching)
            }
            "cookie" => RouteRule::checked(RuleKind::Cookie, rest, COOKIE_ALWAYS, RuleMatch::Exact),
            _ => Err(RuleError::Shape),
        }
    }

    /// A rule of the cockpit's, checked.
    pub fn checked(
        kind: RuleKind,
        name: &str,
        value: &str,
        matching: RuleMatch,
    ) -> Result<RouteRule, RuleError> {
        if !valid_name(name) {
            return Err(RuleError::Name(name.to_string()));
        }
        if value.is_empty() {
            return Err(RuleError::EmptyValue);
        }
        if matching == RuleMatch::Regex && !balanced(value) {
            return Err(RuleError::Regex(value.to_string()));
        }
        Ok(RouteRule {
            kind,
            name: name.to_string(),
            value: value.to_string(),
            matching,
            owner: RuleOwner::Cockpit,
        })
    }

    /// `header X-Canary=always`, `header X-Canary~^tester-.*`, `cookie canary`.
    pub fn describe(&self) -> String {
        match (self.kind, self.matching) {
            (RuleKind::Header, RuleMatch::Exact) => format!("header {}={}", self.name, self.value),
            (RuleKind::Header, RuleMatch::Regex) => format!("header {}~{}", self.name, self.value),
            (RuleKind::Cookie, _) if self.value == COOKIE_ALWAYS => format!("cookie {}", self.name),
            (RuleKind::Cookie, RuleMatch::Exact) => format!("cookie {}={}", self.name, self.value),
            (RuleKind::Cookie, RuleMatch::Regex) => format!("cookie {}~{}", self.name, self.value),
        }
    }
}

impl fmt::Display for RouteRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A change to the testers' routes, asked for by the operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RouteChange {
    /// Add this rule (the cockpit's own).
    Add { rule: RouteRule },
    /// Remove the rules the cockpit wrote; the release's own stay.
    Clear,
}

impl fmt::Display for RouteChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteChange::Add { rule } => write!(f, "route {rule} to the canary"),
            RouteChange::Clear => f.write_str("clear the cockpit's routes"),
        }
    }
}

/// Which rule decided the canary of a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CanaryBy {
    /// The annotation `canary-cockpit.io/canary-backend`.
    Annotation,
    /// Names: `canary`, `stable`, `primary`, `-canary`, `-primary`.
    Name,
    /// Version order of the subset or Service names, or of the image tags.
    Version,
    /// The newer Deployment.
    Newer,
    /// The release's own definition says (an Argo rollout, a Flagger canary, an nginx canary
    /// Ingress).
    Definition,
}

impl CanaryBy {
    pub fn label(self) -> &'static str {
        match self {
            CanaryBy::Annotation => "annotation",
            CanaryBy::Name => "name",
            CanaryBy::Version => "version",
            CanaryBy::Newer => "newer",
            CanaryBy::Definition => "definition",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_what_the_operator_types() {
        let r = RouteRule::parse("header X-Canary=always").unwrap();
        assert_eq!((r.kind, r.matching), (RuleKind::Header, RuleMatch::Exact));
        assert_eq!((r.name.as_str(), r.value.as_str()), ("X-Canary", "always"));
        let r = RouteRule::parse("  header x-user ~ ^tester-[0-9]+$ ").unwrap();
        assert_eq!(r.matching, RuleMatch::Regex);
        assert_eq!(r.value, "^tester-[0-9]+$");
        let r = RouteRule::parse("cookie canary").unwrap();
        assert_eq!((r.kind, r.value.as_str()), (RuleKind::Cookie, "always"));
        assert_eq!(r.describe(), "cookie canary");
        assert_eq!(RouteRule::parse("header X").unwrap_err(), RuleError::Shape);
        assert_eq!(RouteRule::parse("path /x").unwrap_err(), RuleError::Shape);
        assert!(matches!(
            RouteRule::parse("header X Y=1"),
            Err(RuleError::Name(_))
        ));
        assert_eq!(
            RouteRule::parse("header X=").unwrap_err(),
            RuleError::EmptyValue
        );
        assert!(matches!(
            RouteRule::parse("header X~(a"),
            Err(RuleError::Regex(_))
        ));
        assert!(matches!(
            RouteRule::parse("cookie a=b"),
            Err(RuleError::Name(_))
        ));
    }

    #[test]
    fn the_json_keys_are_the_status_contract() {
        let r = RouteRule::header("X-Canary", "always", RuleMatch::Exact);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "header", "name": "X-Canary", "value": "always", "match": "exact", "owner": "cockpit"})
        );
    }
}

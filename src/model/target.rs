//! Release targets, kubectl style: `ingress/NAME`, `virtualservice/NAME` (`vs/`), `httproute/NAME`,
//! `rollout/NAME` (`ro/`), `canary/NAME` (Flagger), `strategy/NAME` (KubeSphere),
//! `traefikservice/NAME` (`ts/`), `httpproxy/NAME` (`proxy/`, Contour).
//!
//! [`KINDS`] is the one table of the kinds a target can name: its prefix, its short forms and the
//! name of its traffic system. What each system does with its objects lives in the provider layer.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The kind of object a target names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// ingress-nginx: a primary Ingress and its canary Ingress.
    Ingress,
    /// Istio: a VirtualService route with two weighted destinations.
    VirtualService,
    /// Gateway API: an HTTPRoute rule with two weighted backendRefs.
    HttpRoute,
    /// Argo Rollouts: a Rollout with the canary strategy.
    Rollout,
    /// KubeSphere: a grayscale Strategy of type Canary.
    Strategy,
    /// Flagger: a Canary.
    Canary,
    /// Traefik: a TraefikService with two weighted Services.
    TraefikService,
    /// Contour: an HTTPProxy route with two weighted Services.
    HttpProxy,
}

/// One row of [`KINDS`].
pub struct KindInfo {
    pub kind: Kind,
    /// The kind as written in a target and in output: `virtualservice`.
    pub prefix: &'static str,
    /// The other spellings a target may use (plural, short name).
    pub aliases: &'static [&'static str],
    /// The provider's name in output and recordings: `istio`.
    pub provider: &'static str,
}

/// Every kind a target can name, in the order the release list shows them.
#[rustfmt::skip]
pub const KINDS: [KindInfo; 8] = [
    KindInfo { kind: Kind::Ingress, prefix: "ingress", aliases: &["ingresses", "ing"], provider: "ingress-nginx" },
    KindInfo { kind: Kind::VirtualService, prefix: "virtualservice", aliases: &["virtualservices", "vs"], provider: "istio" },
    KindInfo { kind: Kind::HttpRoute, prefix: "httproute", aliases: &["httproutes"], provider: "gateway-api" },
    KindInfo { kind: Kind::Rollout, prefix: "rollout", aliases: &["rollouts", "ro"], provider: "argo-rollouts" },
    KindInfo { kind: Kind::Strategy, prefix: "strategy", aliases: &["strategies"], provider: "kubesphere" },
    KindInfo { kind: Kind::Canary, prefix: "canary", aliases: &["canaries"], provider: "flagger" },
    KindInfo { kind: Kind::TraefikService, prefix: "traefikservice", aliases: &["traefikservices", "ts"], provider: "traefik" },
    KindInfo { kind: Kind::HttpProxy, prefix: "httpproxy", aliases: &["httpproxies", "proxy", "proxies"], provider: "contour" },
];

impl Kind {
    /// The kind's row of [`KINDS`]: a new kind is a compile error here until it has one (the
    /// table's test checks that each row is the kind's own).
    pub fn info(self) -> &'static KindInfo {
        match self {
            Kind::Ingress => &KINDS[0],
            Kind::VirtualService => &KINDS[1],
            Kind::HttpRoute => &KINDS[2],
            Kind::Rollout => &KINDS[3],
            Kind::Strategy => &KINDS[4],
            Kind::Canary => &KINDS[5],
            Kind::TraefikService => &KINDS[6],
            Kind::HttpProxy => &KINDS[7],
        }
    }

    /// The provider's name in output and recordings.
    pub fn provider(self) -> &'static str {
        self.info().provider
    }

    /// The kind as written in a target.
    pub fn prefix(self) -> &'static str {
        self.info().prefix
    }

    /// The kind a target's KIND part names (any case, with or without `.group`).
    pub fn parse(text: &str) -> Option<Kind> {
        let lower = text.to_ascii_lowercase();
        let bare = lower.split('.').next().unwrap_or_default();
        KINDS
            .iter()
            .find(|i| i.prefix == bare || i.aliases.contains(&bare))
            .map(|i| i.kind)
    }
}

/// `ingress/NAME, virtualservice/NAME, ...` for messages.
fn shapes() -> String {
    KINDS
        .iter()
        .map(|i| format!("{}/NAME", i.prefix))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ingress (ing), virtualservice (vs), ...` for messages.
fn spellings() -> String {
    KINDS
        .iter()
        .map(|i| {
            match i
                .aliases
                .iter()
                .filter(|a| a.len() < i.prefix.len())
                .min_by_key(|a| a.len())
            {
                Some(short) => format!("{} ({short})", i.prefix),
                None => i.prefix.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub kind: Kind,
    pub name: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("target {target:?} is not KIND/NAME: try {shapes}", target = .0, shapes = shapes())]
    Shape(String),
    #[error("unknown kind {kind:?} in the target: use {spellings}", kind = .0, spellings = spellings())]
    Kind(String),
    #[error(
        "{0:?} is not a valid object name (lowercase letters, digits, '-' and '.', at most 253)"
    )]
    Name(String),
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, name) = s
            .split_once('/')
            .ok_or_else(|| TargetError::Shape(s.to_string()))?;
        // kubectl accepts resource.group forms: ingress.networking.k8s.io/NAME
        let kind = Kind::parse(kind).ok_or_else(|| TargetError::Kind(kind.to_string()))?;
        if !is_dns_subdomain(name) {
            return Err(TargetError::Name(name.to_string()));
        }
        Ok(Target {
            kind,
            name: name.to_string(),
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.prefix(), self.name)
    }
}

/// Written as its text, `virtualservice/cart`, in recordings and JSON output.
impl Serialize for Target {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read from its text, checked like a typed target: a bad kind or name is an error.
impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// RFC 1123 subdomain, the rule for Ingress, VirtualService and HTTPRoute names.
fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_like_kubectl() {
        let t: Target = "ingress/frontend".parse().unwrap();
        assert_eq!((t.kind, t.name.as_str()), (Kind::Ingress, "frontend"));
        assert_eq!(
            "vs/shop".parse::<Target>().unwrap().kind,
            Kind::VirtualService
        );
        assert_eq!(
            "ingress.networking.k8s.io/a"
                .parse::<Target>()
                .unwrap()
                .kind,
            Kind::Ingress
        );
        assert_eq!(
            "HTTPRoute/r1".parse::<Target>().unwrap().kind,
            Kind::HttpRoute
        );
        assert_eq!(
            "frontend".parse::<Target>(),
            Err(TargetError::Shape("frontend".to_string()))
        );
        assert_eq!(
            "deploy/x".parse::<Target>(),
            Err(TargetError::Kind("deploy".to_string()))
        );
        assert!(matches!(
            "ingress/Bad_Name".parse::<Target>(),
            Err(TargetError::Name(_))
        ));
        assert!(matches!(
            "ingress/".parse::<Target>(),
            Err(TargetError::Name(_))
        ));
        assert_eq!(t.to_string(), "ingress/frontend");
    }

    #[test]
    fn every_kind_has_one_row_and_its_spellings_parse() {
        for info in KINDS {
            assert_eq!(KINDS.iter().filter(|i| i.kind == info.kind).count(), 1);
            assert_eq!(info.kind.prefix(), info.prefix);
            assert_eq!(Kind::parse(info.prefix), Some(info.kind));
            for alias in info.aliases {
                assert_eq!(Kind::parse(alias), Some(info.kind), "{alias}");
            }
        }
        let err = "deploy/x".parse::<Target>().unwrap_err().to_string();
        assert!(err.contains("virtualservice (vs)"), "{err}");
        assert!(err.contains("rollout (ro)"), "{err}");
    }

    #[test]
    fn targets_serialize_as_their_text_and_are_checked_when_read() {
        let t: Target = "ts/shop".parse().unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"traefikservice/shop\"");
        assert_eq!(serde_json::from_str::<Target>(&json).unwrap(), t);
        let bad = serde_json::from_str::<Target>("\"deploy/x\"").unwrap_err();
        assert!(bad.to_string().contains("unknown kind"), "{bad}");
    }
}

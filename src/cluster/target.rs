//! Release targets, kubectl style: `ingress/NAME`, `virtualservice/NAME` (`vs/`), `httproute/NAME`,
//! `rollout/NAME` (`ro/`), `canary/NAME` (Flagger), `strategy/NAME` (KubeSphere).

use std::fmt;
use std::str::FromStr;

/// The kind of object a target names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

impl Kind {
    /// The provider's name in output and recordings.
    pub fn provider(self) -> &'static str {
        match self {
            Kind::Ingress => "ingress-nginx",
            Kind::VirtualService => "istio",
            Kind::HttpRoute => "gateway-api",
            Kind::Rollout => "argo-rollouts",
            Kind::Strategy => "kubesphere",
            Kind::Canary => "flagger",
        }
    }

    /// The kind as written in a target.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Ingress => "ingress",
            Kind::VirtualService => "virtualservice",
            Kind::HttpRoute => "httproute",
            Kind::Rollout => "rollout",
            Kind::Strategy => "strategy",
            Kind::Canary => "canary",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub kind: Kind,
    pub name: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error(
        "target {0:?} is not KIND/NAME: try ingress/NAME, virtualservice/NAME, httproute/NAME, rollout/NAME, canary/NAME or strategy/NAME"
    )]
    Shape(String),
    #[error(
        "unknown kind {0:?} in the target: use ingress (ing), virtualservice (vs), httproute, rollout (ro), canary or strategy"
    )]
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
        let kind = match kind
            .to_ascii_lowercase()
            .split('.')
            .next()
            .unwrap_or_default()
        {
            "ingress" | "ingresses" | "ing" => Kind::Ingress,
            "virtualservice" | "virtualservices" | "vs" => Kind::VirtualService,
            "httproute" | "httproutes" => Kind::HttpRoute,
            "rollout" | "rollouts" | "ro" => Kind::Rollout,
            "strategy" | "strategies" => Kind::Strategy,
            "canary" | "canaries" => Kind::Canary,
            _ => return Err(TargetError::Kind(kind.to_string())),
        };
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
}

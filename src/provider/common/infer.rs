//! Which of two backends is the canary when the route does not say it in so many words: the
//! names (`canary`, `stable`, `primary`, `-canary`, `-primary`), then the version order of the
//! names (`v1` < `v2` < `v10`, semver with pre-releases). The live layer goes on with the image
//! tags and the Deployments' creation times when the names say nothing ([`version_order`] serves
//! both).

use crate::model::CanaryBy;
use std::cmp::Ordering;

/// How the canary was decided, and why, in words for the operator (`version order (v1 < v2)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided {
    pub by: CanaryBy,
    pub why: String,
}

impl Decided {
    pub fn new(by: CanaryBy, why: impl Into<String>) -> Self {
        Decided {
            by,
            why: why.into(),
        }
    }
}

/// A decision made once from what the object alone does not say (image tags, creation times):
/// the canary's backend by its label, kept while the route is rebuilt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    pub canary: String,
    pub decided: Decided,
}

/// Which side is the canary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// What a name says: +1 canary, -1 primary, 0 nothing.
fn leaning(name: &str) -> i8 {
    let first = name.split('.').next().unwrap_or_default();
    let canary = first == "canary" || first.ends_with("-canary") || first.starts_with("canary-");
    let primary = ["stable", "primary"]
        .iter()
        .any(|w| first == *w || first.ends_with(&format!("-{w}")));
    match (canary, primary) {
        (true, false) => 1,
        (false, true) => -1,
        _ => 0,
    }
}

/// The canary by names: one named canary (or `…-canary`), or the other named stable/primary.
pub fn by_names(a: &str, b: &str) -> Option<(Side, Decided)> {
    let (la, lb) = (leaning(a), leaning(b));
    let side = match la.cmp(&lb) {
        Ordering::Greater => Side::A,
        Ordering::Less => Side::B,
        Ordering::Equal => return None,
    };
    let (canary, primary, lc) = match side {
        Side::A => (a, b, la),
        Side::B => (b, a, lb),
    };
    let why = if lc > 0 {
        format!("name ({canary} says canary)")
    } else {
        format!("name ({primary} says primary)")
    };
    Some((side, Decided::new(CanaryBy::Name, why)))
}

/// The canary by the version-looking ends of two names whose rest is equal (`v1`/`v2`,
/// `reviews-v1`/`reviews-v2`, `app-1.9.0`/`app-1.10.0`): the higher version.
pub fn by_name_versions(a: &str, b: &str) -> Option<(Side, Decided)> {
    let (sa, va) = split_version(a)?;
    let (sb, vb) = split_version(b)?;
    if sa != sb {
        return None;
    }
    let side = higher(&va, &vb)?;
    let (low, high) = match side {
        Side::A => (b, a),
        Side::B => (a, b),
    };
    let why = format!("version order ({low} < {high})");
    Some((side, Decided::new(CanaryBy::Version, why)))
}

/// The side whose version is higher; `None` when they are equal.
fn higher(a: &Version, b: &Version) -> Option<Side> {
    match a.cmp(b) {
        Ordering::Greater => Some(Side::A),
        Ordering::Less => Some(Side::B),
        Ordering::Equal => None,
    }
}

/// The order of two version strings (`v2`, `1.10.0`, `1.2.0-rc.1`); `None` when either is no
/// version.
pub fn version_order(a: &str, b: &str) -> Option<Ordering> {
    Some(Version::parse(a)?.cmp(&Version::parse(b)?))
}

/// A name's stem and its version-looking end: the longest end after a `-`, `_` or `.` (or the
/// whole name) that reads as a version.
fn split_version(name: &str) -> Option<(&str, Version)> {
    let starts = std::iter::once(0).chain(
        name.char_indices()
            .filter(|(_, c)| matches!(c, '-' | '_' | '.'))
            .map(|(i, _)| i + 1),
    );
    for start in starts {
        if let Some(v) = name.get(start..).and_then(Version::parse) {
            return Some((&name[..start], v));
        }
    }
    None
}

/// The tag of an image reference (`registry:5000/app:1.10.0@sha256:…` → `1.10.0`).
pub fn image_tag(image: &str) -> Option<&str> {
    let image = image.split('@').next().unwrap_or_default();
    let last = image.rsplit('/').next().unwrap_or_default();
    last.split_once(':').map(|(_, tag)| tag)
}

/// A version: numbers and an optional pre-release, ordered as semver orders them (a missing
/// number is 0; build metadata does not count).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Version {
    numbers: Vec<u64>,
    pre: Vec<Ident>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ident {
    // numeric identifiers sort before alphanumeric ones
    Number(u64),
    Text(String),
}

impl Version {
    fn parse(text: &str) -> Option<Version> {
        let text = text
            .strip_prefix('v')
            .or_else(|| text.strip_prefix('V'))
            .unwrap_or(text);
        let text = text.split('+').next().unwrap_or_default();
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (text, None),
        };
        let numbers = core
            .split('.')
            .map(|n| {
                let digits = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
                digits.then(|| n.parse::<u64>().ok()).flatten()
            })
            .collect::<Option<Vec<u64>>>()?;
        let pre = match pre {
            None => Vec::new(),
            Some(p) => p
                .split('.')
                .map(|id| {
                    let ok = !id.is_empty()
                        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                    ok.then(|| match id.parse::<u64>() {
                        Ok(n) if id.bytes().all(|b| b.is_ascii_digit()) => Ident::Number(n),
                        _ => Ident::Text(id.to_string()),
                    })
                })
                .collect::<Option<Vec<Ident>>>()?,
        };
        Some(Version { numbers, pre })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.numbers.len().max(other.numbers.len());
        let at = |v: &Version, i: usize| v.numbers.get(i).copied().unwrap_or(0);
        for i in 0..len {
            match at(self, i).cmp(&at(other, i)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        // a pre-release comes before its release
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self.pre.cmp(&other.pre),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn less(a: &str, b: &str) {
        assert_eq!(version_order(a, b), Some(Ordering::Less), "{a} < {b}");
        assert_eq!(version_order(b, a), Some(Ordering::Greater), "{b} > {a}");
    }

    #[test]
    fn versions_order_as_numbers_and_semver_pre_releases() {
        less("v1", "v2");
        less("v2", "v10");
        less("1.9.0", "1.10.0");
        less("1.2.0-rc.1", "1.2.0");
        less("1.2.0-alpha", "1.2.0-alpha.1");
        less("1.2.0-alpha.1", "1.2.0-beta");
        less("1.2.0-rc.2", "1.2.0-rc.10");
        less("1.2.0-1", "1.2.0-alpha");
        less("v1.2", "1.2.1");
        assert_eq!(version_order("1.2", "v1.2.0"), Some(Ordering::Equal));
        assert_eq!(version_order("1.0.0+a", "1.0.0+b"), Some(Ordering::Equal));
        for bad in ["latest", "blue", "", "v", "1..2", "1.2-", "1.x"] {
            assert_eq!(version_order(bad, "1.0"), None, "{bad}");
        }
    }

    #[test]
    fn names_tell_canary_and_primary() {
        let side = |a: &str, b: &str| by_names(a, b).map(|(s, d)| (s, d.by));
        assert_eq!(side("stable", "canary"), Some((Side::B, CanaryBy::Name)));
        assert_eq!(side("canary", "stable"), Some((Side::A, CanaryBy::Name)));
        assert_eq!(
            side("shop-primary", "shop"),
            Some((Side::B, CanaryBy::Name))
        );
        assert_eq!(side("shop-canary", "shop"), Some((Side::A, CanaryBy::Name)));
        assert_eq!(
            side("primary", "shop-canary"),
            Some((Side::B, CanaryBy::Name))
        );
        assert_eq!(
            side("shop.prod.svc", "canary.prod"),
            Some((Side::B, CanaryBy::Name))
        );
        assert_eq!(side("v1", "v2"), None);
        assert_eq!(side("canary", "canary-b"), None);
        assert_eq!(side("stable", "primary"), None);
        let (_, d) = by_names("shop-primary", "shop").unwrap();
        assert_eq!(d.why, "name (shop-primary says primary)");
    }

    #[test]
    fn version_ends_of_names_with_the_same_stem_decide() {
        let side = |a: &str, b: &str| by_name_versions(a, b).map(|(s, _)| s);
        assert_eq!(side("v1", "v2"), Some(Side::B));
        assert_eq!(side("v10", "v2"), Some(Side::A));
        assert_eq!(side("reviews-v1", "reviews-v2"), Some(Side::B));
        assert_eq!(side("app-1.10.0", "app-1.9.0"), Some(Side::A));
        assert_eq!(side("app-1.2.0", "app-1.2.0-rc.1"), Some(Side::A));
        // ties and names without versions say nothing
        assert_eq!(side("v1", "v1.0"), None);
        assert_eq!(side("blue", "green"), None);
        assert_eq!(side("reviews-v1", "ratings-v2"), None);
        assert_eq!(side("shop", "shop-v2"), None);
        let (_, d) = by_name_versions("v1", "v2").unwrap();
        assert_eq!(
            (d.by, d.why.as_str()),
            (CanaryBy::Version, "version order (v1 < v2)")
        );
    }

    #[test]
    fn image_tags_are_read_from_references() {
        assert_eq!(image_tag("app:1.10.0"), Some("1.10.0"));
        assert_eq!(image_tag("reg:5000/team/app:v2"), Some("v2"));
        assert_eq!(image_tag("reg:5000/team/app"), None);
        assert_eq!(image_tag("app:1.0@sha256:abc"), Some("1.0"));
        assert_eq!(image_tag("app"), None);
    }
}

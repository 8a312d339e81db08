//! The board's metrics: one query per metric per cluster for all its releases together, and the
//! answer mapped back to each release's row.
//!
//! A template is written for one release (`{namespace}`, `{primary}`, `{canary}`, `{ingresses}`).
//! Its grouped form matches every release at once (each placeholder becomes the alternation of
//! every release's value, and the namespace matcher a regex match) and adds the namespace label
//! (and for ingress-nginx the `ingress` label) to each `sum by (…)`, so one answer holds a
//! series per release and version. A series that fits more than one release is dropped for
//! each of them: a row shows `-` rather than another release's numbers.

use crate::board::{Compare, Key};
use crate::metrics::prom::Series;
use crate::metrics::templates::{Context, Template, TemplateError};
use std::collections::{BTreeMap, HashMap};

/// One release as the grouped queries see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub key: Key,
    pub namespace: String,
    /// The group label's value for each version: [primary, canary]; ingress-nginx: `""` and `*`.
    pub values: [String; 2],
    /// ingress-nginx: the release's Ingresses (primary and canary).
    pub ingresses: Vec<String>,
}

/// The grouped queries of one cluster and the labels their series carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grouped {
    /// The label holding the namespace in the template (`namespace`,
    /// `destination_service_namespace`).
    pub namespace_label: String,
    /// The label telling the versions apart.
    pub by: String,
    pub requests: String,
    pub errors: String,
    pub p99_ms: String,
}

/// The label a template matches `{namespace}` with: the name just before `="{namespace}"`.
fn namespace_label(text: &str) -> Option<String> {
    let at = text.find(r#"="{namespace}""#)?;
    let head = &text[..at];
    let start = head
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let label = &head[start..];
    (!label.is_empty()).then(|| label.to_string())
}

/// `text` with the namespace matched by regex and `labels` added to every `sum by (`.
fn widen(text: &str, labels: &str) -> String {
    text.replace(r#"="{namespace}""#, r#"=~"{namespace}""#)
        .replace("sum by (", &format!("sum by ({labels}, "))
}

/// Regex alternation of `values`, each escaped, deduplicated and sorted.
fn alternation<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let mut v: Vec<String> = values.map(regex_escape).collect();
    v.sort();
    v.dedup();
    v.join("|")
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The grouped queries of `template` for all `members`, over `window`; `None` when the template
/// has no namespace matcher to widen (its releases cannot be told apart in one answer).
pub fn grouped(
    template: &Template,
    members: &[Member],
    window: &str,
) -> Result<Option<Grouped>, TemplateError> {
    let Some(ns) = namespace_label(&template.requests) else {
        return Ok(None);
    };
    let nginx = template.by == "canary";
    let labels = if nginx {
        format!("{ns}, ingress")
    } else {
        ns.clone()
    };
    let wide = Template {
        requests: widen(&template.requests, &labels).into(),
        errors: widen(&template.errors, &labels).into(),
        errors_4xx: None,
        p99_ms: widen(&template.p99_ms, &labels).into(),
        ..template.clone()
    };
    let values = |i: usize| {
        alternation(
            members
                .iter()
                .map(|m| m.values[i].as_str())
                .filter(|v| !v.is_empty() && *v != "*"),
        )
    };
    let mut extra = BTreeMap::new();
    if nginx {
        let all = members
            .iter()
            .flat_map(|m| m.ingresses.iter())
            .map(String::as_str);
        extra.insert("ingresses".to_string(), alternation(all));
    }
    let ctx = Context {
        namespace: alternation(members.iter().map(|m| m.namespace.as_str())),
        primary: values(0),
        canary: values(1),
        window: window.to_string(),
        extra,
    };
    let q = wide.render(&ctx)?;
    Ok(Some(Grouped {
        namespace_label: ns,
        by: q.by,
        requests: q.requests,
        errors: q.errors,
        p99_ms: q.p99_ms,
    }))
}

/// The members a series belongs to, and as which version (0 primary, 1 canary).
fn owners<'a>(g: &Grouped, members: &'a [Member], s: &Series) -> Vec<(&'a Key, usize)> {
    let ns = s.labels.get(&g.namespace_label).map(String::as_str);
    let value = s.labels.get(&g.by).map_or("", String::as_str);
    let ingress = s.labels.get("ingress");
    members
        .iter()
        .filter(|m| Some(m.namespace.as_str()) == ns)
        .filter(|m| m.ingresses.is_empty() || ingress.is_some_and(|i| m.ingresses.contains(i)))
        .filter_map(|m| {
            let version = m.values.iter().position(|v| match v.as_str() {
                "*" => !value.is_empty(),
                v => v == value,
            })?;
            Some((&m.key, version))
        })
        .collect()
}

/// Each series' value for its one owner, summed per release and version; a series with more
/// than one owner is dropped for all of them.
fn by_owner(
    g: &Grouped,
    members: &[Member],
    series: &[Series],
    combine: fn(f64, f64) -> f64,
) -> HashMap<Key, [Option<f64>; 2]> {
    let mut out: HashMap<Key, [Option<f64>; 2]> = HashMap::new();
    for s in series {
        let Some(&(_, v)) = s.points.last() else {
            continue;
        };
        if !v.is_finite() {
            continue;
        }
        if let [(key, version)] = owners(g, members, s)[..] {
            let slot = &mut out.entry(key.clone()).or_default()[version];
            *slot = Some(slot.map_or(v, |old| combine(old, v)));
        }
    }
    out
}

/// The answers of the three grouped queries mapped to each release: error rate as errors per
/// request, p99 in milliseconds (the slowest series of a version when it has several).
pub fn compare(
    g: &Grouped,
    members: &[Member],
    requests: &[Series],
    errors: &[Series],
    p99_ms: &[Series],
) -> HashMap<Key, Compare> {
    let req = by_owner(g, members, requests, |a, b| a + b);
    let err = by_owner(g, members, errors, |a, b| a + b);
    let p99 = by_owner(g, members, p99_ms, f64::max);
    let mut out = HashMap::new();
    for m in members {
        let r = req.get(&m.key);
        let e = err.get(&m.key);
        let errors = [0, 1].map(|i| {
            let r = r.and_then(|r| r[i]).filter(|r| *r > 0.0)?;
            Some(e.and_then(|e| e[i]).unwrap_or(0.0) / r)
        });
        let p99_ms = p99.get(&m.key).copied().unwrap_or([None, None]);
        if errors != [None, None] || p99_ms != [None, None] {
            out.insert(m.key.clone(), Compare { errors, p99_ms });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::templates::{ISTIO, NGINX};

    fn member(ns: &str, target: &str, values: [&str; 2], ingresses: &[&str]) -> Member {
        Member {
            key: Key {
                context: "a".into(),
                namespace: ns.into(),
                target: target.into(),
            },
            namespace: ns.into(),
            values: values.map(String::from),
            ingresses: ingresses.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn series(labels: &[(&str, &str)], v: f64) -> Series {
        Series {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            points: vec![(0.0, v)],
        }
    }

    #[test]
    fn one_istio_query_for_every_release_grouped_by_namespace() {
        let m = [
            member("shop", "virtualservice/web", ["v1", "v2"], &[]),
            member("pay", "virtualservice/api", ["stable", "canary"], &[]),
        ];
        let g = grouped(&ISTIO, &m, "1m").unwrap().unwrap();
        assert_eq!(g.namespace_label, "destination_service_namespace");
        assert_eq!(
            g.requests,
            r#"sum by (destination_service_namespace, destination_version) (rate(istio_requests_total{reporter="destination",destination_service_namespace=~"pay|shop",destination_version=~"stable|v1|canary|v2"}[1m]))"#
        );
        assert!(g.p99_ms.starts_with("histogram_quantile(0.99, sum by (destination_service_namespace, destination_version, le)"));
    }

    #[test]
    fn one_nginx_query_grouped_by_namespace_and_ingress_with_values_escaped() {
        let m = [
            member("shop", "ingress/web", ["", "*"], &["web", "web-canary"]),
            member("a.b", "ingress/api", ["", "*"], &["api"]),
        ];
        let g = grouped(&NGINX, &m, "2m").unwrap().unwrap();
        assert_eq!(
            g.errors,
            r#"sum by (namespace, ingress, canary) (rate(nginx_ingress_controller_requests{namespace=~"a\.b|shop",ingress=~"api|web|web-canary",status=~"5.."}[2m]))"#
        );
    }

    #[test]
    fn a_template_without_a_namespace_matcher_has_no_grouped_form() {
        let t = Template {
            requests: "sum by (v) (rate(x[{window}]))".into(),
            ..ISTIO
        };
        assert_eq!(grouped(&t, &[], "1m").unwrap(), None);
    }

    #[test]
    fn answers_map_back_to_each_release_and_version() {
        let m = [
            member("shop", "ingress/web", ["", "*"], &["web", "web-canary"]),
            member("pay", "ingress/api", ["", "*"], &["api", "api-canary"]),
        ];
        let g = grouped(&NGINX, &m, "1m").unwrap().unwrap();
        let l = |ns, ing, c| [("namespace", ns), ("ingress", ing), ("canary", c)];
        let req = [
            series(&l("shop", "web", ""), 90.0),
            series(&l("shop", "web-canary", "shop-web-canary-80"), 10.0),
            series(&l("pay", "api", ""), 50.0),
            series(&l("other", "web", ""), 1000.0),
        ];
        let err = [
            series(&l("shop", "web", ""), 0.9),
            series(&l("shop", "web-canary", "shop-web-canary-80"), 1.0),
        ];
        let p99 = [
            series(&l("shop", "web", ""), 120.0),
            series(&l("shop", "web-canary", "x"), 300.0),
            series(&l("shop", "web-canary", "y"), 340.0),
            series(&l("pay", "api", ""), f64::NAN),
        ];
        let out = compare(&g, &m, &req, &err, &p99);
        let web = out[&m[0].key];
        assert_eq!(web.errors, [Some(0.01), Some(0.1)]);
        assert_eq!(web.p99_ms, [Some(120.0), Some(340.0)]);
        let api = out[&m[1].key];
        assert_eq!(api.errors, [Some(0.0), None]);
        assert_eq!(api.p99_ms, [None, None]);
    }

    #[test]
    fn a_series_two_releases_could_own_is_shown_for_neither() {
        let m = [
            member("shop", "virtualservice/web", ["stable", "canary"], &[]),
            member("shop", "virtualservice/api", ["stable", "canary"], &[]),
        ];
        let g = grouped(&ISTIO, &m, "1m").unwrap().unwrap();
        let s = [series(
            &[
                ("destination_service_namespace", "shop"),
                ("destination_version", "canary"),
            ],
            5.0,
        )];
        assert!(compare(&g, &m, &s, &s, &s).is_empty());
    }
}

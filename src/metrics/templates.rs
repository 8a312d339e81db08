//! Query templates per traffic system: PromQL queries for the request rate, the 5xx rate, the
//! 4xx rate and the latency in milliseconds, each grouped by one label whose values tell the
//! primary from the canary, so one request per series answers for both versions. Placeholders
//! are `{name}`: `{namespace}`, `{primary}`, `{canary}` (the label values), `{by}` (the label),
//! `{window}` (the rate window), `{ingresses}` (ingress-nginx: both Ingresses) and, in the
//! latency query only, `{quantile}` (0.5, 0.95, 0.99: the query is rendered once for each of p50,
//! p95 and p99). A placeholder the cockpit does not know is an error naming the template and the
//! placeholder.
//!
//! A configured template may leave out `errors_4xx` (4xx then show as "n/a" and are never
//! judged); a latency query without `{quantile}` is taken as the p99 and p50/p95 show as "n/a".

use crate::model::Quantile;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A template as written (built in or configured).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: Cow<'static, str>,
    /// The label the queries group by.
    pub by: Cow<'static, str>,
    pub requests: Cow<'static, str>,
    pub errors: Cow<'static, str>,
    /// The 4xx rate; optional in a configured template.
    #[serde(default)]
    pub errors_4xx: Option<Cow<'static, str>>,
    /// The latency in milliseconds at `{quantile}` (a query without it is the p99).
    #[serde(alias = "latency_ms")]
    pub p99_ms: Cow<'static, str>,
}

pub const NGINX: Template = Template {
    name: Cow::Borrowed("ingress-nginx"),
    by: Cow::Borrowed("canary"),
    requests: Cow::Borrowed(
        r#"sum by (canary) (rate(nginx_ingress_controller_requests{namespace="{namespace}",ingress=~"{ingresses}"}[{window}]))"#,
    ),
    errors: Cow::Borrowed(
        r#"sum by (canary) (rate(nginx_ingress_controller_requests{namespace="{namespace}",ingress=~"{ingresses}",status=~"5.."}[{window}]))"#,
    ),
    errors_4xx: Some(Cow::Borrowed(
        r#"sum by (canary) (rate(nginx_ingress_controller_requests{namespace="{namespace}",ingress=~"{ingresses}",status=~"4.."}[{window}]))"#,
    )),
    p99_ms: Cow::Borrowed(
        r#"1000 * histogram_quantile({quantile}, sum by (canary, le) (rate(nginx_ingress_controller_request_duration_seconds_bucket{namespace="{namespace}",ingress=~"{ingresses}"}[{window}])))"#,
    ),
};

pub const ISTIO: Template = Template {
    name: Cow::Borrowed("istio"),
    by: Cow::Borrowed("destination_version"),
    requests: Cow::Borrowed(
        r#"sum by ({by}) (rate(istio_requests_total{reporter="destination",destination_service_namespace="{namespace}",{by}=~"{primary}|{canary}"}[{window}]))"#,
    ),
    errors: Cow::Borrowed(
        r#"sum by ({by}) (rate(istio_requests_total{reporter="destination",destination_service_namespace="{namespace}",{by}=~"{primary}|{canary}",response_code=~"5.."}[{window}]))"#,
    ),
    errors_4xx: Some(Cow::Borrowed(
        r#"sum by ({by}) (rate(istio_requests_total{reporter="destination",destination_service_namespace="{namespace}",{by}=~"{primary}|{canary}",response_code=~"4.."}[{window}]))"#,
    )),
    p99_ms: Cow::Borrowed(
        r#"histogram_quantile({quantile}, sum by ({by}, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_service_namespace="{namespace}",{by}=~"{primary}|{canary}"}[{window}])))"#,
    ),
};

pub const LINKERD: Template = Template {
    name: Cow::Borrowed("linkerd"),
    by: Cow::Borrowed("deployment"),
    requests: Cow::Borrowed(
        r#"sum by (deployment) (rate(response_total{namespace="{namespace}",direction="inbound",deployment=~"{primary}|{canary}"}[{window}]))"#,
    ),
    errors: Cow::Borrowed(
        r#"sum by (deployment) (rate(response_total{namespace="{namespace}",direction="inbound",deployment=~"{primary}|{canary}",classification="failure"}[{window}]))"#,
    ),
    errors_4xx: Some(Cow::Borrowed(
        r#"sum by (deployment) (rate(response_total{namespace="{namespace}",direction="inbound",deployment=~"{primary}|{canary}",status_code=~"4.."}[{window}]))"#,
    )),
    p99_ms: Cow::Borrowed(
        r#"histogram_quantile({quantile}, sum by (deployment, le) (rate(response_latency_ms_bucket{namespace="{namespace}",direction="inbound",deployment=~"{primary}|{canary}"}[{window}])))"#,
    ),
};

/// The application's own metrics per version (for Gateway API implementations without
/// per-backend series): `http_requests_total{code}` and `http_request_duration_seconds`.
pub const APP: Template = Template {
    name: Cow::Borrowed("app"),
    by: Cow::Borrowed("version"),
    requests: Cow::Borrowed(
        r#"sum by (version) (rate(http_requests_total{namespace="{namespace}",version=~"{primary}|{canary}"}[{window}]))"#,
    ),
    errors: Cow::Borrowed(
        r#"sum by (version) (rate(http_requests_total{namespace="{namespace}",version=~"{primary}|{canary}",code=~"5.."}[{window}]))"#,
    ),
    errors_4xx: Some(Cow::Borrowed(
        r#"sum by (version) (rate(http_requests_total{namespace="{namespace}",version=~"{primary}|{canary}",code=~"4.."}[{window}]))"#,
    )),
    p99_ms: Cow::Borrowed(
        r#"1000 * histogram_quantile({quantile}, sum by (version, le) (rate(http_request_duration_seconds_bucket{namespace="{namespace}",version=~"{primary}|{canary}"}[{window}])))"#,
    ),
};

/// Traefik's series per Service: `traefik_service_requests_total` by `service` and `code`, and
/// `traefik_service_request_duration_seconds`. Traefik names a Kubernetes Service
/// `NAMESPACE-NAME-PORT@PROVIDER`; the queries take the Service's name out into the label
/// `backend`. A port named with a `-` is not matched.
pub const TRAEFIK: Template = Template {
    name: Cow::Borrowed("traefik"),
    by: Cow::Borrowed("backend"),
    requests: Cow::Borrowed(
        r#"sum by (backend) (label_replace(rate(traefik_service_requests_total{service=~"{namespace}-({primary}|{canary})-[^-@]+@.+"}[{window}]), "backend", "$1", "service", "{namespace}-({primary}|{canary})-[^-@]+@.+"))"#,
    ),
    errors: Cow::Borrowed(
        r#"sum by (backend) (label_replace(rate(traefik_service_requests_total{service=~"{namespace}-({primary}|{canary})-[^-@]+@.+",code=~"5.."}[{window}]), "backend", "$1", "service", "{namespace}-({primary}|{canary})-[^-@]+@.+"))"#,
    ),
    errors_4xx: Some(Cow::Borrowed(
        r#"sum by (backend) (label_replace(rate(traefik_service_requests_total{service=~"{namespace}-({primary}|{canary})-[^-@]+@.+",code=~"4.."}[{window}]), "backend", "$1", "service", "{namespace}-({primary}|{canary})-[^-@]+@.+"))"#,
    )),
    p99_ms: Cow::Borrowed(
        r#"1000 * histogram_quantile({quantile}, sum by (backend, le) (label_replace(rate(traefik_service_request_duration_seconds_bucket{service=~"{namespace}-({primary}|{canary})-[^-@]+@.+"}[{window}]), "backend", "$1", "service", "{namespace}-({primary}|{canary})-[^-@]+@.+")))"#,
    ),
};

/// Contour's series are Envoy's per upstream cluster: `envoy_cluster_upstream_rq` by
/// `envoy_response_code`, and `envoy_cluster_upstream_rq_time` (milliseconds). Contour names the
/// cluster of a Service `NAMESPACE_NAME_PORT`; the queries take the Service's name out into the
/// label `backend` (Kubernetes names hold no `_`).
pub const CONTOUR: Template = Template {
    name: Cow::Borrowed("contour"),
    by: Cow::Borrowed("backend"),
    requests: Cow::Borrowed(
        r#"sum by (backend) (label_replace(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"{namespace}_({primary}|{canary})_[0-9]+"}[{window}]), "backend", "$1", "envoy_cluster_name", "{namespace}_({primary}|{canary})_[0-9]+"))"#,
    ),
    errors: Cow::Borrowed(
        r#"sum by (backend) (label_replace(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"{namespace}_({primary}|{canary})_[0-9]+",envoy_response_code=~"5.."}[{window}]), "backend", "$1", "envoy_cluster_name", "{namespace}_({primary}|{canary})_[0-9]+"))"#,
    ),
    errors_4xx: Some(Cow::Borrowed(
        r#"sum by (backend) (label_replace(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"{namespace}_({primary}|{canary})_[0-9]+",envoy_response_code=~"4.."}[{window}]), "backend", "$1", "envoy_cluster_name", "{namespace}_({primary}|{canary})_[0-9]+"))"#,
    )),
    p99_ms: Cow::Borrowed(
        r#"histogram_quantile({quantile}, sum by (backend, le) (label_replace(rate(envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"{namespace}_({primary}|{canary})_[0-9]+"}[{window}]), "backend", "$1", "envoy_cluster_name", "{namespace}_({primary}|{canary})_[0-9]+")))"#,
    ),
};

pub const BUILT_IN: [Template; 6] = [NGINX, ISTIO, LINKERD, APP, TRAEFIK, CONTOUR];

pub fn by_name(name: &str) -> Option<Template> {
    BUILT_IN.iter().find(|t| t.name == name).cloned()
}

/// A configured template first, then the built-in ones.
pub fn find(name: &str, configured: &[Template]) -> Option<Template> {
    configured
        .iter()
        .find(|t| t.name == name)
        .cloned()
        .or_else(|| by_name(name))
}

#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("metrics template {template}: unknown placeholder {{{placeholder}}} in its {query} query (known: namespace, primary, canary, by, window, ingresses, and quantile in the latency query)")]
    Placeholder {
        template: String,
        query: &'static str,
        placeholder: String,
    },
    #[error("metrics template {template}: {what}")]
    Context { template: String, what: String },
}

/// The values a release gives the placeholders, and how its series are told apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub namespace: String,
    /// The group label's value for the primary's series.
    pub primary: String,
    /// The canary's value; `*` means any other non-empty value (ingress-nginx names the canary
    /// upstream, the primary's series have it empty).
    pub canary: String,
    pub window: String,
    pub extra: BTreeMap<String, String>,
}

/// The queries, rendered: `errors_4xx`, `p50_ms` and `p95_ms` are `None` when the template does
/// not measure them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queries {
    pub template: String,
    pub by: String,
    pub requests: String,
    pub errors: String,
    pub errors_4xx: Option<String>,
    pub p50_ms: Option<String>,
    pub p95_ms: Option<String>,
    pub p99_ms: String,
}

impl Queries {
    /// Every query with what it measures, in the order the poller asks them.
    pub fn all(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![("requests", self.requests.as_str()), ("5xx", &self.errors)];
        let optional = [
            ("4xx", &self.errors_4xx),
            ("p50", &self.p50_ms),
            ("p95", &self.p95_ms),
        ];
        out.extend(
            optional
                .into_iter()
                .filter_map(|(what, q)| Some((what, q.as_deref()?))),
        );
        out.push(("p99", &self.p99_ms));
        out
    }
}

/// What a template does not measure, as the event log says it ("" when it measures all).
pub fn missing(q: &Queries) -> String {
    let mut out = String::new();
    if q.errors_4xx.is_none() {
        out.push_str(" · no errors_4xx query: 4xx n/a");
    }
    if q.p50_ms.is_none() {
        out.push_str(" · latency query without {quantile}: p99 only, p50/p95 n/a");
    }
    out
}

/// The placeholder the latency query takes the quantile from.
pub const QUANTILE: &str = "{quantile}";

fn render_one(
    t: &Template,
    query: &'static str,
    text: &str,
    values: &BTreeMap<&str, String>,
) -> Result<String, TemplateError> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let ident_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        let is_placeholder = ident_len > 0 && after[ident_len..].starts_with('}');
        if !is_placeholder {
            // PromQL's own braces: label matchers
            out.push('{');
            rest = after;
            continue;
        }
        let name = &after[..ident_len];
        let value = values.get(name).ok_or_else(|| TemplateError::Placeholder {
            template: t.name.to_string(),
            query,
            placeholder: name.to_string(),
        })?;
        out.push_str(value);
        rest = &after[ident_len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Template {
    pub fn render(&self, ctx: &Context) -> Result<Queries, TemplateError> {
        let mut values: BTreeMap<&str, String> = BTreeMap::new();
        values.insert("namespace", ctx.namespace.clone());
        values.insert("primary", ctx.primary.clone());
        values.insert("canary", ctx.canary.clone());
        values.insert("window", ctx.window.clone());
        values.insert("by", self.by.to_string());
        // a release may name another group label (`by`), e.g. Istio hosts instead of subsets
        for (k, v) in &ctx.extra {
            values.insert(k.as_str(), v.clone());
        }
        let by = values.get("by").cloned().unwrap_or_default();
        let errors_4xx = match &self.errors_4xx {
            Some(q) => Some(render_one(self, "errors_4xx", q, &values)?),
            None => None,
        };
        let mut latency = |q: Quantile| {
            values.insert("quantile", q.value().to_string());
            render_one(self, "latency", &self.p99_ms, &values)
        };
        let quantiles = self.p99_ms.contains(QUANTILE);
        let (p50_ms, p95_ms) = if quantiles {
            (Some(latency(Quantile::P50)?), Some(latency(Quantile::P95)?))
        } else {
            (None, None)
        };
        let p99_ms = latency(Quantile::P99)?;
        values.remove("quantile");
        Ok(Queries {
            template: self.name.to_string(),
            by,
            requests: render_one(self, "requests", &self.requests, &values)?,
            errors: render_one(self, "errors", &self.errors, &values)?,
            errors_4xx,
            p50_ms,
            p95_ms,
            p99_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            namespace: "prod".into(),
            primary: String::new(),
            canary: "*".into(),
            window: "1m".into(),
            extra: [("ingresses".to_string(), "shop|shop-canary".to_string())].into(),
        }
    }

    #[test]
    fn placeholders_fill_and_promql_braces_stay() {
        let q = NGINX.render(&ctx()).unwrap();
        assert_eq!(
            q.requests,
            r#"sum by (canary) (rate(nginx_ingress_controller_requests{namespace="prod",ingress=~"shop|shop-canary"}[1m]))"#
        );
        assert!(q.p99_ms.starts_with("1000 * histogram_quantile(0.99, sum"));
        let istio = ISTIO
            .render(&Context {
                primary: "v1".into(),
                canary: "v2".into(),
                ..ctx()
            })
            .unwrap();
        assert!(
            istio
                .errors
                .contains(r#"destination_version=~"v1|v2",response_code=~"5..""#),
            "{}",
            istio.errors
        );
    }

    #[test]
    fn the_quantile_placeholder_renders_each_percentile() {
        for t in BUILT_IN {
            assert!(t.p99_ms.contains(QUANTILE), "{}", t.name);
            let q = t.render(&ctx()).unwrap();
            for (query, value) in [
                (&q.p50_ms, "histogram_quantile(0.5, "),
                (&q.p95_ms, "histogram_quantile(0.95, "),
                (&Some(q.p99_ms.clone()), "histogram_quantile(0.99, "),
            ] {
                let query = query.as_deref().unwrap_or_default();
                assert!(query.contains(value), "{}: {query}", t.name);
                assert!(!query.contains("{quantile}"), "{query}");
            }
            let q4 = q.errors_4xx.as_deref().unwrap_or_default();
            assert!(q4.contains(r#"4..""#), "{}: {q4}", t.name);
            assert_eq!(q.all().len(), 6, "six queries per refresh");
            assert_eq!(missing(&q), "");
        }
        // a configured template without {quantile} or a 4xx query: p99 and 5xx only
        let fixed = Template {
            name: "fixed".into(),
            errors_4xx: None,
            p99_ms: "histogram_quantile(0.99, x)".into(),
            ..APP
        };
        let q = fixed.render(&ctx()).unwrap();
        assert_eq!(
            missing(&q),
            " · no errors_4xx query: 4xx n/a · latency query without {quantile}: p99 only, p50/p95 n/a"
        );
        assert_eq!((q.p50_ms, q.p95_ms, q.errors_4xx), (None, None, None));
        assert_eq!(q.p99_ms, "histogram_quantile(0.99, x)");
        // {quantile} belongs to the latency query alone
        let misplaced = Template {
            name: "misplaced".into(),
            requests: "rate(x[{window}]) * {quantile}".into(),
            ..APP
        };
        assert_eq!(
            misplaced.render(&ctx()).unwrap_err(),
            TemplateError::Placeholder {
                template: "misplaced".into(),
                query: "requests",
                placeholder: "quantile".into()
            }
        );
    }

    /// Whether Envoy's cluster name `name` is one the rendered matcher `=~"NS_(A|B)_[0-9]+"`
    /// takes: PromQL anchors the expression at both ends.
    fn envoy_cluster_matches(matcher: &str, name: &str) -> bool {
        let Some((ns, rest)) = matcher.split_once("_(") else {
            return false;
        };
        let Some((alternatives, tail)) = rest.split_once(')') else {
            return false;
        };
        assert_eq!(tail, "_[0-9]+", "{matcher}");
        alternatives.split('|').any(|service| {
            name.strip_prefix(&format!("{ns}_{service}_"))
                .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        })
    }

    #[test]
    fn contour_reads_envoys_cluster_of_each_service() {
        let q = CONTOUR
            .render(&Context {
                primary: "shop".into(),
                canary: "shop-canary".into(),
                extra: BTreeMap::new(),
                ..ctx()
            })
            .unwrap();
        let matcher = r#"envoy_cluster_name=~"prod_(shop|shop-canary)_[0-9]+""#;
        for query in [&q.requests, &q.errors, &q.p99_ms] {
            assert!(query.contains(matcher), "{query}");
        }
        assert!(
            q.requests
                .starts_with("sum by (backend) (label_replace(rate(envoy_cluster_upstream_rq{"),
            "{}",
            q.requests
        );
        assert!(
            q.errors.contains(r#"envoy_response_code=~"5..""#),
            "{}",
            q.errors
        );
        assert!(
            q.p99_ms
                .contains("rate(envoy_cluster_upstream_rq_time_bucket{"),
            "{}",
            q.p99_ms
        );
        // label_replace takes the Service's name out into `backend`, the group label
        assert!(
            q.requests
                .contains(r#""backend", "$1", "envoy_cluster_name""#),
            "{}",
            q.requests
        );
        assert_eq!(q.by, "backend");
        let needle = r#"envoy_cluster_name=~""#;
        let at = q.requests.find(needle).unwrap() + needle.len();
        let pattern = q.requests[at..].split('"').next().unwrap();
        assert_eq!(pattern, "prod_(shop|shop-canary)_[0-9]+");
        assert!(envoy_cluster_matches(pattern, "prod_shop_80"));
        assert!(envoy_cluster_matches(pattern, "prod_shop-canary_8080"));
        assert!(!envoy_cluster_matches(pattern, "prod_shop-admin_80"));
        assert!(!envoy_cluster_matches(pattern, "staging_shop_80"));
        assert!(!envoy_cluster_matches(pattern, "prod_shop_http"));
    }

    #[test]
    fn an_unknown_placeholder_names_template_and_placeholder() {
        let t = Template {
            name: "mine".into(),
            requests: "rate(x{job=\"{jobb}\"}[{window}])".into(),
            ..APP
        };
        let err = t.render(&ctx()).unwrap_err();
        assert_eq!(
            err,
            TemplateError::Placeholder {
                template: "mine".into(),
                query: "requests",
                placeholder: "jobb".into()
            }
        );
        assert!(err.to_string().contains("{jobb}"));
        assert_eq!(by_name("linkerd").map(|t| t.by), Some("deployment".into()));
    }
}

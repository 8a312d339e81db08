//! Query templates per traffic system: three PromQL queries (request rate, 5xx rate, p99 in
//! milliseconds), each grouped by one label whose values tell the primary from the canary, so
//! one request per series answers for both versions. Placeholders are `{name}`:
//! `{namespace}`, `{primary}`, `{canary}` (the label values), `{by}` (the label), `{window}` (the
//! rate window) and `{ingresses}` (ingress-nginx: both Ingresses). A placeholder the cockpit
//! does not know is an error naming the template and the placeholder.

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
    p99_ms: Cow::Borrowed(
        r#"1000 * histogram_quantile(0.99, sum by (canary, le) (rate(nginx_ingress_controller_request_duration_seconds_bucket{namespace="{namespace}",ingress=~"{ingresses}"}[{window}])))"#,
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
    p99_ms: Cow::Borrowed(
        r#"histogram_quantile(0.99, sum by ({by}, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_service_namespace="{namespace}",{by}=~"{primary}|{canary}"}[{window}])))"#,
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
    p99_ms: Cow::Borrowed(
        r#"histogram_quantile(0.99, sum by (deployment, le) (rate(response_latency_ms_bucket{namespace="{namespace}",direction="inbound",deployment=~"{primary}|{canary}"}[{window}])))"#,
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
    p99_ms: Cow::Borrowed(
        r#"1000 * histogram_quantile(0.99, sum by (version, le) (rate(http_request_duration_seconds_bucket{namespace="{namespace}",version=~"{primary}|{canary}"}[{window}])))"#,
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
    p99_ms: Cow::Borrowed(
        r#"1000 * histogram_quantile(0.99, sum by (backend, le) (label_replace(rate(traefik_service_request_duration_seconds_bucket{service=~"{namespace}-({primary}|{canary})-[^-@]+@.+"}[{window}]), "backend", "$1", "service", "{namespace}-({primary}|{canary})-[^-@]+@.+")))"#,
    ),
};

pub const BUILT_IN: [Template; 5] = [NGINX, ISTIO, LINKERD, APP, TRAEFIK];

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
    #[error("metrics template {template}: unknown placeholder {{{placeholder}}} in its {query} query (known: namespace, primary, canary, by, window, ingresses)")]
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

/// The three queries, rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queries {
    pub template: String,
    pub by: String,
    pub requests: String,
    pub errors: String,
    pub p99_ms: String,
}

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
        Ok(Queries {
            template: self.name.to_string(),
            by,
            requests: render_one(self, "requests", &self.requests, &values)?,
            errors: render_one(self, "errors", &self.errors, &values)?,
            p99_ms: render_one(self, "p99", &self.p99_ms, &values)?,
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
        assert!(q.p99_ms.starts_with("1000 * histogram_quantile(0.99"));
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

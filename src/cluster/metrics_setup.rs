//! Which Prometheus queries a release gets: the template of its traffic system and the label
//! values that tell its versions apart, from what the cockpit read of it.

use crate::metrics::templates::{self, Context, Template};
use crate::metrics::{Auth, Endpoint, MetricsError, Poller};
use std::collections::BTreeMap;
use std::time::Duration;

use super::release::{Observed, Routing};
use super::{deploy, nginx, Cluster};

/// Where Prometheus is and how the queries are shaped (`canary watch`, `canary status`).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct MetricsArgs {
    /// Prometheus's base URL (credentials from CANARY_PROMETHEUS_TOKEN, or
    /// CANARY_PROMETHEUS_USER and CANARY_PROMETHEUS_PASSWORD; never recorded).
    #[arg(long, env = "CANARY_PROMETHEUS_URL", value_name = "URL")]
    pub prometheus: Option<String>,
    /// Prometheus inside the cluster, through the API server's service proxy.
    #[arg(
        long,
        value_name = "NAMESPACE/SERVICE:PORT",
        conflicts_with = "prometheus"
    )]
    pub prometheus_service: Option<String>,
    /// Seconds between refreshes (one request per series each).
    #[arg(long, default_value = "5", value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub metrics_interval: u64,
    /// The rate window of the queries (PromQL duration).
    #[arg(long, default_value = "1m", value_name = "DURATION")]
    pub metrics_window: String,
    /// The query template: ingress-nginx, istio, linkerd, app (default: the release's traffic
    /// system; Gateway API releases use the application's own metrics).
    #[arg(long, value_name = "NAME")]
    pub metrics_template: Option<String>,
}

impl MetricsArgs {
    pub fn wanted(&self) -> bool {
        self.prometheus.is_some() || self.prometheus_service.is_some()
    }
}

fn auth_from_env() -> Auth {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(token) = var("CANARY_PROMETHEUS_TOKEN") {
        return Auth::Bearer(token);
    }
    match (
        var("CANARY_PROMETHEUS_USER"),
        var("CANARY_PROMETHEUS_PASSWORD"),
    ) {
        (Some(user), Some(password)) => Auth::Basic { user, password },
        _ => Auth::None,
    }
}

fn default_template(o: &Observed) -> Template {
    match &o.route.routing {
        Routing::Nginx { .. } => templates::NGINX,
        Routing::Split {
            kind: super::Kind::VirtualService,
            ..
        }
        | Routing::Strategy { .. } => templates::ISTIO,
        Routing::Flagger { .. } | Routing::Rollout { .. } | Routing::Split { .. } => templates::APP,
    }
}

/// The value of `key` in both versions' selectors.
fn label_values(o: &Observed, key: &str) -> Option<(String, String)> {
    let p = o.selectors[0].0.get(key)?;
    let c = o.selectors[1].0.get(key)?;
    (p != c).then(|| (p.clone(), c.clone()))
}

/// The poller for `o`, or `None` when no Prometheus is configured.
pub async fn poller(
    cluster: &Cluster,
    o: &Observed,
    args: &MetricsArgs,
) -> Result<Option<Poller>, MetricsError> {
    let endpoint = match (&args.prometheus, &args.prometheus_service) {
        (Some(url), _) => Endpoint::direct(url, auth_from_env())?,
        (None, Some(svc)) => Endpoint::service_proxy(cluster.client.clone(), svc)?,
        (None, None) => return Ok(None),
    };
    let template = match &args.metrics_template {
        Some(name) => templates::by_name(name).ok_or_else(|| {
            MetricsError::Config(format!(
                "--metrics-template {name:?}: the templates are ingress-nginx, istio, linkerd, app"
            ))
        })?,
        None => default_template(o),
    };
    let mut extra = BTreeMap::new();
    let no_values = |what: &str| {
        MetricsError::Template(templates::TemplateError::Context {
            template: template.name.to_string(),
            what: what.to_string(),
        })
    };
    let (primary, canary) = match template.name {
        "ingress-nginx" => {
            let Routing::Nginx { pair, .. } = &o.route.routing else {
                return Err(no_values("the release has no ingress-nginx Ingresses"));
            };
            extra.insert(
                "ingresses".to_string(),
                format!(
                    "{}|{}",
                    nginx::name(&pair.primary),
                    nginx::name(&pair.canary)
                ),
            );
            (String::new(), "*".to_string())
        }
        "istio" => match label_values(o, "version") {
            Some(values) => values,
            None => {
                // no version labels: the destinations are Services of their own
                extra.insert("by".to_string(), "destination_service_name".to_string());
                (o.route.names[0].clone(), o.route.names[1].clone())
            }
        },
        "linkerd" => {
            let p = deploy::running(cluster, &o.selectors[0])
                .await
                .map_err(|e| no_values(&e.to_string()))?;
            let c = deploy::running(cluster, &o.selectors[1])
                .await
                .map_err(|e| no_values(&e.to_string()))?;
            (deploy::name(&p).to_string(), deploy::name(&c).to_string())
        }
        _ => label_values(o, "version").ok_or_else(|| {
            no_values(
                "the versions' pods carry no distinct `version` label to tell their series apart",
            )
        })?,
    };
    let ctx = Context {
        namespace: o.snapshot.namespace.clone(),
        primary: primary.clone(),
        canary: canary.clone(),
        window: args.metrics_window.clone(),
        extra,
    };
    let queries = template.render(&ctx)?;
    Ok(Some(Poller {
        endpoint,
        queries,
        primary,
        canary,
        interval: Duration::from_secs(args.metrics_interval),
    }))
}

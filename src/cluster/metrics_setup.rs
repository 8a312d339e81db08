//! Which Prometheus queries a release gets: the template of its traffic system and the label
//! values that tell its versions apart, from what the cockpit read of it.

use crate::metrics::templates::{self, Context, Template};
use crate::metrics::{Auth, Endpoint, MetricsError, Poller};
use std::collections::BTreeMap;
use std::time::Duration;

use super::release::{Observed, Routing};
use super::{deploy, nginx, Cluster};

/// Where Prometheus is and how the queries are shaped (`canary watch`, `canary status`).
#[derive(Clone, Debug, clap::Args)]
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
    /// The query template: ingress-nginx, istio, linkerd, app, or one of the config file's
    /// (default: the context's entry in the config file, else the release's traffic system).
    #[arg(long, value_name = "NAME")]
    pub metrics_template: Option<String>,
    /// The config file (default: $XDG_CONFIG_HOME/canary-cockpit/config.toml).
    #[arg(long, env = "CANARY_CONFIG", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
}

impl Default for MetricsArgs {
    /// As the command line's defaults.
    fn default() -> Self {
        MetricsArgs {
            prometheus: None,
            prometheus_service: None,
            metrics_interval: 5,
            metrics_window: "1m".to_string(),
            metrics_template: None,
            config: None,
        }
    }
}

impl MetricsArgs {
    /// Prometheus given on the command line or in the environment (the config file may name one
    /// per context too).
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

/// The template of the release's traffic system.
fn default_template(o: &Observed) -> Template {
    match &o.route.routing {
        Routing::Nginx { .. } => templates::NGINX,
        Routing::Split {
            kind: super::Kind::VirtualService,
            ..
        }
        | Routing::Strategy { .. } => templates::ISTIO,
        // the series of their traffic provider, where the cockpit can tell the versions apart
        Routing::Rollout { rollout } if rollout.stable_ingress.is_some() => templates::NGINX,
        Routing::Flagger { canary } if canary.provider == "nginx" && canary.ingress.is_some() => {
            templates::NGINX
        }
        Routing::Flagger { canary } if canary.provider == "linkerd" => templates::LINKERD,
        Routing::Flagger { canary } if canary.provider.is_empty() || canary.provider == "istio" => {
            templates::ISTIO
        }
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
    let config = crate::config::load(args.config.as_deref())
        .map_err(|e| MetricsError::Config(e.to_string()))?;
    let entry = config
        .prometheus
        .get(&cluster.context)
        .cloned()
        .unwrap_or_default();
    // command line and environment first, then the context's entry in the file
    let endpoint = match (
        &args.prometheus,
        &args.prometheus_service,
        &entry.url,
        &entry.service,
    ) {
        (Some(url), _, _, _) => Endpoint::direct(url, auth_from_env())?,
        (None, Some(svc), _, _) => Endpoint::service_proxy(cluster.client.clone(), svc)?,
        (None, None, Some(url), _) => Endpoint::direct(url, auth_from_env())?,
        (None, None, None, Some(svc)) => Endpoint::service_proxy(cluster.client.clone(), svc)?,
        (None, None, None, None) => return Ok(None),
    };
    let template = match args.metrics_template.as_ref().or(entry.template.as_ref()) {
        Some(name) => templates::find(name, &config.templates).ok_or_else(|| {
            let mut known: Vec<String> = templates::BUILT_IN
                .iter()
                .map(|t| t.name.to_string())
                .collect();
            known.extend(config.templates.iter().map(|t| t.name.to_string()));
            MetricsError::Config(format!(
                "metrics template {name:?} is not known: the templates are {}",
                known.join(", ")
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
    // the group label decides how the versions' values are found
    let (primary, canary) = match template.by.as_ref() {
        "canary" => {
            // the primary Ingress and the canary's, as each provider names them
            let ingresses = match &o.route.routing {
                Routing::Nginx { pair, .. } => {
                    format!(
                        "{}|{}",
                        nginx::name(&pair.primary),
                        nginx::name(&pair.canary)
                    )
                }
                Routing::Rollout { rollout } => match &rollout.stable_ingress {
                    Some(s) => format!("{s}|{}-{s}-canary", rollout.name),
                    None => return Err(no_values("the rollout routes no ingress-nginx traffic")),
                },
                Routing::Flagger { canary } => match &canary.ingress {
                    Some(i) => format!("{i}|{i}-canary"),
                    None => return Err(no_values("the canary has no spec.ingressRef")),
                },
                _ => return Err(no_values("the release has no ingress-nginx Ingresses")),
            };
            extra.insert("ingresses".to_string(), ingresses);
            (String::new(), "*".to_string())
        }
        "destination_version" | "destination_service_name" => {
            match (label_values(o, "version"), &o.route.routing) {
                // Flagger's workloads are the target and <target>-primary
                (_, Routing::Flagger { canary }) => {
                    extra.insert("by".to_string(), "destination_workload".to_string());
                    (canary.primary(), canary.target.clone())
                }
                (Some(values), _) if template.by == "destination_version" => values,
                _ => {
                    // no version labels: the destinations are Services of their own
                    extra.insert("by".to_string(), "destination_service_name".to_string());
                    (o.route.names[0].clone(), o.route.names[1].clone())
                }
            }
        }
        "deployment" => {
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

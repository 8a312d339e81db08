//! Which Prometheus queries a release gets: the template of its traffic system and the label
//! values that tell its versions apart, from what the cockpit read of it.

use crate::metrics::templates::{self, Context};
use crate::metrics::{Auth, Endpoint, MetricsError, Poller};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::cli::MetricsArgs;
use crate::cluster::{deploy, Cluster};

use super::release::Observed;

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

/// The value of `key` in both versions' selectors.
fn label_values(o: &Observed, key: &str) -> Option<(String, String)> {
    let p = o.selectors[0].0.get(key)?;
    let c = o.selectors[1].0.get(key)?;
    (p != c).then(|| (p.clone(), c.clone()))
}

/// Where the queries go, and how that was decided: the poller, and the source in words
/// (`monitoring/prometheus-k8s:9090 (found)`), both `None` when there is no Prometheus.
pub struct Setup {
    pub poller: Option<Poller>,
    pub source: Option<String>,
    /// Why there is no Prometheus, when discovery looked and found none.
    pub none_found: Option<String>,
}

/// `url` without the credentials it may carry.
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string().trim_end_matches('/').to_string()
        }
        Err(_) => url.to_string(),
    }
}

/// The poller for `o`, or `None` when no Prometheus is configured or found.
pub async fn poller(
    cluster: &Cluster,
    o: &Observed,
    args: &MetricsArgs,
) -> Result<Option<Poller>, MetricsError> {
    Ok(setup(cluster, o, args).await?.poller)
}

/// The poller for `o` and where its Prometheus came from: command line and environment first,
/// then the context's entry in the config file, then a Service found in the cluster (unless
/// `--no-prometheus`).
pub async fn setup(
    cluster: &Cluster,
    o: &Observed,
    args: &MetricsArgs,
) -> Result<Setup, MetricsError> {
    let config = crate::config::load(args.config.as_deref())
        .map_err(|e| MetricsError::Config(e.to_string()))?;
    let entry = config
        .prometheus()
        .map_err(|e| MetricsError::Config(e.to_string()))?
        .remove(&cluster.context)
        .unwrap_or_default();
    let proxy = |svc: &str| Endpoint::service_proxy(cluster.client.clone(), svc);
    let (endpoint, source) = match (
        &args.prometheus,
        &args.prometheus_service,
        &entry.url,
        &entry.service,
    ) {
        (Some(url), _, _, _) => (
            Endpoint::direct(url, auth_from_env())?,
            format!("{} (--prometheus)", shown_url(url)),
        ),
        (None, Some(svc), _, _) => (proxy(svc)?, format!("{svc} (--prometheus-service)")),
        (None, None, Some(url), _) => (
            Endpoint::direct(url, auth_from_env())?,
            format!("{} (config)", shown_url(url)),
        ),
        (None, None, None, Some(svc)) => (proxy(svc)?, format!("{svc} (config)")),
        (None, None, None, None) if args.no_prometheus => {
            return Ok(Setup {
                poller: None,
                source: None,
                none_found: None,
            })
        }
        (None, None, None, None) => {
            let known = cluster.reads.take_services();
            let found = super::prometheus_discovery::discover(
                &cluster.client,
                &cluster.context,
                &o.snapshot.namespace,
                known,
            )
            .await;
            match found.used {
                Some((c, endpoint)) => (endpoint, format!("{} (found)", c.spec())),
                None => {
                    return Ok(Setup {
                        poller: None,
                        source: None,
                        none_found: Some(found.why_none()),
                    })
                }
            }
        }
    };
    let poller = queries(cluster, o, args, &config, &entry, endpoint).await?;
    Ok(Setup {
        poller: Some(poller),
        source: Some(source),
        none_found: None,
    })
}

/// The queries of `o`'s template, sent to `endpoint`.
async fn queries(
    cluster: &Cluster,
    o: &Observed,
    args: &MetricsArgs,
    config: &crate::config::Config,
    entry: &crate::config::PrometheusEntry,
    endpoint: Endpoint,
) -> Result<Poller, MetricsError> {
    let hints = crate::provider::of(&o.route).metrics_hints(&o.route);
    // the user's templates are read only when one is named
    let mine = match args.metrics_template.as_ref().or(entry.template.as_ref()) {
        Some(_) => config
            .templates()
            .map_err(|e| MetricsError::Config(e.to_string()))?,
        None => Vec::new(),
    };
    let template = match args.metrics_template.as_ref().or(entry.template.as_ref()) {
        Some(name) => templates::find(name, &mine).ok_or_else(|| {
            let mut known: Vec<String> = templates::BUILT_IN
                .iter()
                .map(|t| t.name.to_string())
                .collect();
            known.extend(mine.iter().map(|t| t.name.to_string()));
            MetricsError::Config(format!(
                "metrics template {name:?} is not known: the templates are {}",
                known.join(", ")
            ))
        })?,
        None => hints.template,
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
            let ingresses = hints.ingresses.clone().map_err(|what| no_values(&what))?;
            extra.insert("ingresses".to_string(), ingresses);
            (String::new(), "*".to_string())
        }
        "destination_version" | "destination_service_name" => {
            match (label_values(o, "version"), &hints.workloads) {
                // the provider names the workloads that tell the versions apart
                (_, Some(workloads)) => {
                    extra.insert("by".to_string(), "destination_workload".to_string());
                    workloads.clone()
                }
                (Some(values), _) if template.by == "destination_version" => values,
                _ => {
                    // no version labels: the destinations are Services of their own
                    extra.insert("by".to_string(), "destination_service_name".to_string());
                    (o.route.names[0].clone(), o.route.names[1].clone())
                }
            }
        }
        // the Services themselves (Traefik's series name them)
        "backend" => (o.route.names[0].clone(), o.route.names[1].clone()),
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
    Ok(Poller {
        endpoint,
        queries,
        primary,
        canary,
        interval: Duration::from_secs(args.metrics_interval),
    })
}

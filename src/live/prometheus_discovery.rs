//! Prometheus found in the cluster when no flag, variable or config entry names one.
//!
//! One list of Services per namespace: the release's own first (a Prometheus deployed beside the
//! application is the one meant for it), then `monitoring`, `prometheus`, `observability` and
//! `kube-system`. A namespace the user may not list (403) or that does not exist (404) is
//! skipped, and said only in the log file. The Services are picked by the names and labels of
//! the Prometheus Operator, kube-prometheus(-stack), the community chart and Bitnami's charts;
//! within a namespace they are tried in the order of [`rank`], then by name. Each candidate is
//! asked one cheap query through the API server's service proxy, with a short timeout; the first
//! that answers is used.

use std::time::Duration;

use k8s_openapi::api::core::v1::Service;

use crate::metrics::Endpoint;

/// The namespaces where monitoring stacks are installed, after the release's own.
pub const NAMESPACES: [&str; 4] = ["monitoring", "prometheus", "observability", "kube-system"];

/// How long a candidate may take to answer the probe.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The probe: a query every Prometheus answers at once, from no data.
const PROBE_QUERY: &str = "vector(1)";

/// A Service that looks like a Prometheus server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub namespace: String,
    pub name: String,
    pub port: u16,
    /// Lower is tried first within a namespace (see [`rank`]).
    pub rank: u8,
}

impl Candidate {
    /// `NAMESPACE/SERVICE:PORT`, as `--prometheus-service` takes it.
    pub fn spec(&self) -> String {
        format!("{}/{}:{}", self.namespace, self.name, self.port)
    }
}

/// What discovery found, and what it looked at when it found nothing.
pub struct Found {
    /// The first candidate that answered, and where its queries go.
    pub used: Option<(Candidate, Endpoint)>,
    /// The candidates that did not answer, each with the reason.
    pub failed: Vec<(Candidate, String)>,
    /// The namespaces that were looked in.
    pub namespaces: Vec<String>,
}

/// Components of the monitoring charts that carry Prometheus labels but are not its server.
const NOT_SERVER: [&str; 8] = [
    "alertmanager",
    "pushgateway",
    "node-exporter",
    "kube-state-metrics",
    "operator",
    "thanos",
    "grafana",
    "blackbox",
];

/// How likely `svc` is a Prometheus server, lower first; `None` when it is not one:
/// 0 `prometheus-k8s` (kube-prometheus), 1 kube-prometheus-stack's and Bitnami kube-prometheus's
/// Prometheus Service, 2 `prometheus-server` (community chart), 3 `prometheus-operated` (the
/// Operator's governing Service), 4 a Service named `prometheus`, 5 any other Service labelled
/// `app.kubernetes.io/name=prometheus` or `app=prometheus` (Bitnami's chart, older community
/// charts).
pub fn rank(svc: &Service) -> Option<u8> {
    let name = svc.metadata.name.as_deref().unwrap_or_default();
    let labels = svc.metadata.labels.clone().unwrap_or_default();
    let label = |k: &str| labels.get(k).map(String::as_str);
    let component = label("app.kubernetes.io/component").or(label("component"));
    let other_part = NOT_SERVER.iter().any(|p| name.contains(p))
        || component.is_some_and(|c| c != "server" && c != "prometheus");
    if other_part {
        return None;
    }
    let stack = name.ends_with("-kube-prometheus-prometheus")
        || name.ends_with("-kube-prom-prometheus")
        || label("app") == Some("kube-prometheus-stack-prometheus")
        || (label("app.kubernetes.io/name") == Some("kube-prometheus")
            && component == Some("prometheus"));
    if name == "prometheus-k8s" {
        Some(0)
    } else if stack {
        Some(1)
    } else if name == "prometheus-server" {
        Some(2)
    } else if name == "prometheus-operated" || label("operated-prometheus") == Some("true") {
        Some(3)
    } else if name == "prometheus" {
        Some(4)
    } else if label("app.kubernetes.io/name") == Some("prometheus")
        || label("app") == Some("prometheus")
    {
        Some(5)
    } else {
        None
    }
}

/// The port of `svc` Prometheus serves on: the one named `web`, `http-web` or `http`, else
/// 9090, else 80.
pub fn port(svc: &Service) -> Option<u16> {
    let ports = svc.spec.as_ref()?.ports.as_ref()?;
    let named = |n: &str| ports.iter().find(|p| p.name.as_deref() == Some(n));
    let numbered = |n: i32| ports.iter().find(|p| p.port == n);
    let p = named("web")
        .or_else(|| named("http-web"))
        .or_else(|| named("http"))
        .or_else(|| numbered(9090))
        .or_else(|| numbered(80))?;
    u16::try_from(p.port).ok()
}

/// The candidates among `services` of `namespace`, in the order they are tried.
pub fn candidates(namespace: &str, services: &[Service]) -> Vec<Candidate> {
    let mut found: Vec<Candidate> = services
        .iter()
        .filter_map(|svc| {
            Some(Candidate {
                namespace: namespace.to_string(),
                name: svc.metadata.name.clone()?,
                port: port(svc)?,
                rank: rank(svc)?,
            })
        })
        .collect();
    found.sort_by(|a, b| (a.rank, &a.name).cmp(&(b.rank, &b.name)));
    found
}

/// The namespaces looked in, in order: the release's, then [`NAMESPACES`].
pub fn namespaces(release_namespace: &str) -> Vec<String> {
    let mut all = vec![release_namespace.to_string()];
    all.extend(
        NAMESPACES
            .iter()
            .filter(|ns| **ns != release_namespace)
            .map(|ns| ns.to_string()),
    );
    all
}

/// The Services of `namespace`; none when it cannot be listed (said in the log file).
async fn services(client: &kube::Client, namespace: &str) -> Vec<Service> {
    let api = kube::Api::<Service>::namespaced(client.clone(), namespace);
    match api.list(&Default::default()).await {
        Ok(list) => list.items,
        Err(kube::Error::Api(s)) if s.code == 403 || s.code == 404 => {
            tracing::info!(
                namespace,
                code = s.code,
                "Prometheus discovery skips the namespace"
            );
            Vec::new()
        }
        Err(e) => {
            tracing::warn!(namespace, error = %e, "Prometheus discovery cannot list Services");
            Vec::new()
        }
    }
}

/// Asks `endpoint` the probe query; why it did not answer.
async fn probe(endpoint: &Endpoint) -> Result<(), String> {
    let at = crate::model::wall_clock().0 as f64 / 1000.0;
    match tokio::time::timeout(PROBE_TIMEOUT, endpoint.instant(PROBE_QUERY, at)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
    }
}

/// Looks for Prometheus for a release in `release_namespace` of `context`. The one found before
/// for the context ([`super::prometheus_cache`]) is asked one probe first, when the release's own
/// namespace has no candidate of its own (its Services as the first read listed them, `known`,
/// else one list): while it answers, no other namespace is listed. Otherwise one list per
/// namespace, then one probe per candidate until one answers, which is kept for the next start.
pub async fn discover(
    client: &kube::Client,
    context: &str,
    release_namespace: &str,
    known: Option<Vec<Service>>,
) -> Found {
    let cache = super::prometheus_cache::Cache::in_state_dir();
    let kept = cache.get(context);
    let mut known = known;
    if let Some(entry) = kept {
        let own = match known.take() {
            Some(k) => k,
            None => services(client, release_namespace).await,
        };
        let mine = candidates(release_namespace, &own);
        known = Some(own);
        let usable = entry.namespace == release_namespace
            || (mine.is_empty() && NAMESPACES.contains(&entry.namespace.as_str()));
        if usable {
            let c = entry.candidate();
            match confirm(client, &c).await {
                Ok(endpoint) => {
                    tracing::info!(service = %c.spec(), found_at = %entry.found_at, "Prometheus found before answers");
                    return Found {
                        used: Some((c, endpoint)),
                        failed: Vec::new(),
                        namespaces: vec![entry.namespace],
                    };
                }
                Err(why) => {
                    tracing::info!(service = %c.spec(), %why, "Prometheus found before does not answer; looking again");
                    cache.forget(context);
                }
            }
        }
    }
    let found = look(client, release_namespace, known).await;
    if let Some((c, _)) = &found.used {
        cache.put(context, c, crate::model::wall_clock());
    }
    found
}

/// The endpoint of `c`, once it answered the probe.
async fn confirm(client: &kube::Client, c: &Candidate) -> Result<Endpoint, String> {
    let endpoint = Endpoint::service_proxy(client.clone(), &c.spec()).map_err(|e| e.to_string())?;
    probe(&endpoint).await?;
    Ok(endpoint)
}

/// One list per namespace (the release's own not again when its Services are `known`), then one
/// probe per candidate until one answers.
async fn look(
    client: &kube::Client,
    release_namespace: &str,
    mut known: Option<Vec<Service>>,
) -> Found {
    let namespaces = namespaces(release_namespace);
    let mut all = Vec::new();
    for ns in &namespaces {
        let listed = match (ns == release_namespace).then(|| known.take()).flatten() {
            Some(services) => services,
            None => services(client, ns).await,
        };
        all.extend(candidates(ns, &listed));
    }
    let mut failed = Vec::new();
    for c in all {
        match confirm(client, &c).await {
            Ok(endpoint) => {
                tracing::info!(service = %c.spec(), "Prometheus found");
                return Found {
                    used: Some((c, endpoint)),
                    failed,
                    namespaces,
                };
            }
            Err(why) => {
                tracing::info!(service = %c.spec(), %why, "Prometheus candidate did not answer");
                failed.push((c, why));
            }
        }
    }
    Found {
        used: None,
        failed,
        namespaces,
    }
}

impl Found {
    /// Why nothing was found, in words.
    pub fn why_none(&self) -> String {
        if self.failed.is_empty() {
            return format!("no Prometheus Service in {}", self.namespaces.join(", "));
        }
        let tried: Vec<String> = self
            .failed
            .iter()
            .map(|(c, why)| format!("{} ({why})", c.spec()))
            .collect();
        format!("no Prometheus Service answered: {}", tried.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(name: &str, labels: &[(&str, &str)], ports: &[(&str, i32)]) -> Service {
        serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": name,
                "labels": labels.iter().map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            },
            "spec": {"ports": ports.iter().map(|(n, p)| serde_json::json!({"name": n, "port": p}))
                .collect::<Vec<_>>()},
        }))
        .unwrap()
    }

    #[test]
    fn the_charts_prometheus_services_are_candidates_in_rank_order() {
        let services = [
            svc(
                "alertmanager-main",
                &[("app.kubernetes.io/name", "alertmanager")],
                &[("web", 9093)],
            ),
            svc(
                "prometheus-operated",
                &[("operated-prometheus", "true")],
                &[("web", 9090)],
            ),
            svc(
                "prometheus-k8s",
                &[("app.kubernetes.io/name", "prometheus")],
                &[("web", 9090), ("reloader-web", 8080)],
            ),
            svc(
                "prometheus-server",
                &[("app", "prometheus"), ("component", "server")],
                &[("http", 80)],
            ),
            svc(
                "prometheus-alertmanager",
                &[("app", "prometheus"), ("component", "alertmanager")],
                &[("http", 80)],
            ),
            svc(
                "kps-kube-prometheus-prometheus",
                &[("app", "kube-prometheus-stack-prometheus")],
                &[("http-web", 9090)],
            ),
            svc(
                "kps-kube-prometheus-operator",
                &[("app", "kube-prometheus-stack-operator")],
                &[("https", 443)],
            ),
            svc(
                "my-prometheus",
                &[
                    ("app.kubernetes.io/name", "prometheus"),
                    ("app.kubernetes.io/component", "server"),
                ],
                &[("http", 80)],
            ),
            svc("shop", &[("app", "shop")], &[("http", 80)]),
            svc(
                "prometheus-node-exporter",
                &[("app.kubernetes.io/name", "prometheus")],
                &[("metrics", 9100)],
            ),
        ];
        let found: Vec<String> = candidates("monitoring", &services)
            .iter()
            .map(Candidate::spec)
            .collect();
        assert_eq!(
            found,
            [
                "monitoring/prometheus-k8s:9090",
                "monitoring/kps-kube-prometheus-prometheus:9090",
                "monitoring/prometheus-server:80",
                "monitoring/prometheus-operated:9090",
                "monitoring/my-prometheus:80",
            ]
        );
    }

    #[test]
    fn a_service_without_a_known_port_is_no_candidate() {
        let s = svc("prometheus", &[], &[("grpc", 10901)]);
        assert_eq!(rank(&s), Some(4));
        assert_eq!(port(&s), None);
        assert!(candidates("monitoring", &[s]).is_empty());
    }

    #[test]
    fn the_releases_namespace_is_looked_in_first_and_once() {
        assert_eq!(
            namespaces("shop"),
            [
                "shop",
                "monitoring",
                "prometheus",
                "observability",
                "kube-system"
            ]
        );
        assert_eq!(
            namespaces("monitoring"),
            ["monitoring", "prometheus", "observability", "kube-system"]
        );
    }
}

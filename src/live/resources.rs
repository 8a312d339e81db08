//! CPU and memory of the release's pods: from the resource metrics API (`metrics.k8s.io/v1beta1`
//! PodMetrics, served by metrics-server through the API server's aggregator), one list of the
//! namespace per fetch, or from cAdvisor's series in Prometheus. A fetch at most every 15 s, the
//! resolution of metrics-server itself. An API that is not served or not allowed is said once,
//! and the fetching stops.

use crate::app::Event;
use crate::cluster::selector::Selector;
use crate::cluster::Cluster;
use crate::metrics::Endpoint;
use crate::model::{wall_clock, PodUsage, ResourceSample};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;

use super::release::Observed;
use crate::model::quantity::{self, BadQuantity};

/// Between fetches.
pub const INTERVAL: Duration = Duration::from_secs(15);
/// The group and version of the resource metrics API.
pub const API: &str = "/apis/metrics.k8s.io/v1beta1";

#[derive(Debug, thiserror::Error)]
pub enum ResourcesError {
    #[error("the resource metrics API (metrics.k8s.io) is not served: CPU and memory are hidden")]
    NotServed,
    #[error("cannot list pods.metrics.k8s.io in {namespace}: {message}")]
    Forbidden { namespace: String, message: String },
    #[error("the resource metrics API answered {code}: {message}")]
    Api { code: u16, message: String },
    #[error("the resource metrics API is unreachable: {0}")]
    Unreachable(String),
    #[error("PodMetrics that do not read: {0}")]
    Decode(String),
    #[error(transparent)]
    Quantity(#[from] BadQuantity),
    #[error("cAdvisor's series from Prometheus: {0}")]
    Prometheus(String),
    #[error("the release's pods: {0}")]
    Pods(String),
}

impl ResourcesError {
    /// Whether asking again cannot help: the API is not there or not allowed.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::NotServed | Self::Forbidden { .. })
    }
}

#[derive(Deserialize)]
struct PodMetricsList {
    #[serde(default)]
    items: Vec<PodMetrics>,
}

#[derive(Deserialize)]
struct PodMetrics {
    metadata: Meta,
    #[serde(default)]
    containers: Vec<ContainerMetrics>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    name: String,
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct ContainerMetrics {
    #[serde(default)]
    usage: BTreeMap<String, String>,
}

/// Which of the release's versions a pod is, by its labels, or by the names the cockpit last
/// saw when the API gives no labels.
pub struct Versions {
    pub selectors: [Selector; 2],
    pub names: [Vec<String>; 2],
}

impl Versions {
    pub fn of(o: &Observed) -> Self {
        let names = |pods: &[crate::model::Pod]| pods.iter().map(|p| p.name.clone()).collect();
        Versions {
            selectors: o.selectors.clone(),
            names: [names(&o.pods.primary), names(&o.pods.canary)],
        }
    }

    /// 0 for the primary, 1 for the canary, `None` for a pod of neither.
    fn side(&self, name: &str, labels: Option<&BTreeMap<String, String>>) -> Option<usize> {
        let same = self.selectors[0] == self.selectors[1];
        match labels {
            Some(l) if !l.is_empty() && !same => {
                (0..2).find(|i| self.selectors[*i].matches(Some(l)))
            }
            _ => (0..2).find(|i| self.names[*i].iter().any(|n| n == name)),
        }
    }

    /// The labels one list needs to find both versions' pods.
    fn common(&self) -> Selector {
        self.selectors[0].common(&self.selectors[1])
    }

    fn sample(&self, pods: Vec<(PodUsage, Option<BTreeMap<String, String>>)>) -> ResourceSample {
        let mut sample = ResourceSample {
            at: wall_clock(),
            ..Default::default()
        };
        for (usage, labels) in pods {
            match self.side(&usage.name, labels.as_ref()) {
                Some(0) => sample.primary.push(usage),
                Some(_) => sample.canary.push(usage),
                None => {}
            }
        }
        sample.primary.sort_by(|a, b| a.name.cmp(&b.name));
        sample.canary.sort_by(|a, b| a.name.cmp(&b.name));
        sample
    }
}

/// One pod's usage: its containers' summed.
fn usage(p: &PodMetrics) -> Result<PodUsage, BadQuantity> {
    let mut u = PodUsage {
        name: p.metadata.name.clone(),
        ..Default::default()
    };
    for c in &p.containers {
        if let Some(cpu) = c.usage.get("cpu") {
            u.cpu_millicores += quantity::millicores(cpu)?;
        }
        if let Some(mem) = c.usage.get("memory") {
            u.memory_bytes += quantity::bytes(mem)?;
        }
    }
    Ok(u)
}

/// The release's pods' usage from a PodMetricsList's JSON.
pub fn parse(body: &str, versions: &Versions) -> Result<ResourceSample, ResourcesError> {
    let list: PodMetricsList =
        serde_json::from_str(body).map_err(|e| ResourcesError::Decode(e.to_string()))?;
    let mut pods = Vec::with_capacity(list.items.len());
    for p in &list.items {
        pods.push((usage(p)?, p.metadata.labels.clone()));
    }
    Ok(versions.sample(pods))
}

/// The PodMetrics of `namespace` the API server returns for `selector`: one request.
pub async fn list(
    client: &kube::Client,
    namespace: &str,
    selector: &Selector,
) -> Result<String, ResourcesError> {
    let mut path = format!("{API}/namespaces/{namespace}/pods");
    if !selector.is_empty() {
        path.push_str("?labelSelector=");
        path.push_str(&crate::metrics::prom::encode(&selector.to_string()));
    }
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| ResourcesError::Unreachable(e.to_string()))?;
    client.request_text(req).await.map_err(|e| match e {
        kube::Error::Api(s) if s.code == 404 => ResourcesError::NotServed,
        kube::Error::Api(s) if s.code == 403 => ResourcesError::Forbidden {
            namespace: namespace.to_string(),
            message: s.message,
        },
        kube::Error::Api(s) => ResourcesError::Api {
            code: s.code,
            message: s.message,
        },
        other => ResourcesError::Unreachable(other.to_string()),
    })
}

/// Where the numbers come from.
pub enum Source {
    /// The resource metrics API, through the API server.
    MetricsApi,
    /// cAdvisor's series in this Prometheus, over this rate window.
    Prometheus(Endpoint, String),
}

/// The fetcher of one release's usage.
pub struct Fetcher {
    pub cluster: Cluster,
    pub versions: Versions,
    pub from: Source,
}

impl Fetcher {
    pub fn new(cluster: Cluster, o: &Observed, from: Source) -> Self {
        Fetcher {
            cluster,
            versions: Versions::of(o),
            from,
        }
    }

    /// One sample of the release's pods.
    pub async fn fetch(&self) -> Result<ResourceSample, ResourcesError> {
        match &self.from {
            Source::MetricsApi => {
                let body = list(
                    &self.cluster.client,
                    &self.cluster.namespace,
                    &self.versions.common(),
                )
                .await?;
                parse(&body, &self.versions)
            }
            Source::Prometheus(endpoint, window) => self.cadvisor(endpoint, window).await,
        }
    }

    /// The two cAdvisor series for the pods the selectors select now.
    async fn cadvisor(
        &self,
        endpoint: &Endpoint,
        window: &str,
    ) -> Result<ResourceSample, ResourcesError> {
        let mut names = Vec::new();
        let mut labels = BTreeMap::new();
        for query in crate::cluster::selector::pod_queries(&self.versions.selectors) {
            let pods = super::release::pods_of(&self.cluster, &query)
                .await
                .map_err(|e| ResourcesError::Pods(e.to_string()))?;
            for p in pods {
                labels.insert(p.pod.name.clone(), Some(p.labels()));
                names.push(p.pod.name);
            }
        }
        names.sort();
        names.dedup();
        if names.is_empty() {
            return Ok(self.versions.sample(Vec::new()));
        }
        let filter = format!(
            "namespace=\"{}\",pod=~\"{}\",container!=\"\",container!=\"POD\"",
            self.cluster.namespace,
            names.join("|")
        );
        let cpu = format!(
            "sum by (pod) (rate(container_cpu_usage_seconds_total{{{filter}}}[{window}])) * 1000"
        );
        let mem = format!("sum by (pod) (container_memory_working_set_bytes{{{filter}}})");
        let at = wall_clock().0 as f64 / 1000.0;
        let ask = |q: String| async move {
            let series = endpoint
                .instant(&q, at)
                .await
                .map_err(|e| ResourcesError::Prometheus(e.to_string()))?;
            Ok::<_, ResourcesError>(
                series
                    .into_iter()
                    .filter_map(|s| {
                        let v = s.points.last()?.1;
                        Some((s.labels.get("pod")?.clone(), v))
                    })
                    .collect::<BTreeMap<String, f64>>(),
            )
        };
        let (cpu, mem) = (ask(cpu).await?, ask(mem).await?);
        let whole = |v: Option<&f64>| {
            v.filter(|v| v.is_finite() && **v >= 0.0)
                .map_or(0, |v| v.round() as u64)
        };
        let pods = names
            .into_iter()
            .filter(|n| cpu.contains_key(n) || mem.contains_key(n))
            .map(|n| {
                let usage = PodUsage {
                    cpu_millicores: whole(cpu.get(&n)),
                    memory_bytes: whole(mem.get(&n)),
                    name: n.clone(),
                };
                (usage, labels.remove(&n).flatten())
            })
            .collect();
        Ok(self.versions.sample(pods))
    }

    /// Runs until the cockpit closes: a sample every [`INTERVAL`]; an API that is not served or
    /// not allowed is said once and ends the fetching, other failures once per outage.
    pub async fn run(self, tx: mpsc::Sender<Event>) {
        let mut failing = false;
        loop {
            match self.fetch().await {
                Ok(sample) => {
                    failing = false;
                    if tx.send(Event::ResourcesSampled { sample }).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(%e, "resources");
                    let last = e.is_final();
                    if !failing || last {
                        failing = true;
                        let ev = Event::SourceError {
                            at: wall_clock(),
                            source: "resources".to_string(),
                            message: e.to_string(),
                        };
                        if tx.send(ev).await.is_err() || last {
                            return;
                        }
                    }
                }
            }
            tokio::time::sleep(INTERVAL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions() -> Versions {
        let sel = |v: &str| {
            Selector(
                [("app", "shop"), ("version", v)]
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        Versions {
            selectors: [sel("v1"), sel("v2")],
            names: [vec!["shop-v1-a".into()], vec!["shop-v2-a".into()]],
        }
    }

    #[test]
    fn pod_metrics_are_summed_per_pod_and_split_by_version() {
        let body = r#"{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[
          {"metadata":{"name":"shop-v1-a","namespace":"n","labels":{"app":"shop","version":"v1"}},"timestamp":"2026-01-01T00:00:00Z","window":"15s",
           "containers":[{"name":"app","usage":{"cpu":"250m","memory":"128Mi"}},{"name":"side","usage":{"cpu":"123456n","memory":"1024Ki"}}]},
          {"metadata":{"name":"shop-v2-x","namespace":"n","labels":{"app":"shop","version":"v2"}},"timestamp":"2026-01-01T00:00:00Z","window":"15s",
           "containers":[{"name":"app","usage":{"cpu":"1","memory":"134217728"}}]},
          {"metadata":{"name":"other","namespace":"n","labels":{"app":"other"}},"timestamp":"2026-01-01T00:00:00Z","window":"15s",
           "containers":[{"name":"app","usage":{"cpu":"5","memory":"1Gi"}}]},
          {"metadata":{"name":"shop-v2-a","namespace":"n"},"containers":[{"name":"app","usage":{"cpu":"2m","memory":"1k"}}]}]}"#;
        let s = parse(body, &versions()).unwrap();
        assert_eq!(s.primary.len(), 1);
        assert_eq!(s.primary[0].cpu_millicores, 251);
        assert_eq!(s.primary[0].memory_bytes, 134_217_728 + 1_048_576);
        let canary: Vec<(&str, u64, u64)> = s
            .canary
            .iter()
            .map(|p| (p.name.as_str(), p.cpu_millicores, p.memory_bytes))
            .collect();
        assert_eq!(
            canary,
            [("shop-v2-a", 2, 1000), ("shop-v2-x", 1000, 134_217_728)]
        );
        assert_eq!(ResourceSample::totals(&s.canary), (1002, 134_218_728));
    }

    #[test]
    fn a_bad_quantity_fails_the_fetch() {
        let body = r#"{"items":[{"metadata":{"name":"shop-v1-a"},"containers":[{"usage":{"cpu":"lots"}}]}]}"#;
        assert!(matches!(
            parse(body, &versions()),
            Err(ResourcesError::Quantity(_))
        ));
        assert!(matches!(
            parse("<html>", &versions()),
            Err(ResourcesError::Decode(_))
        ));
    }
}

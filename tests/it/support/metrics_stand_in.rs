//! A stand-in for metrics-server (which the package registries do not carry):
//! tests/fixtures/metrics_stand_in.py serving `metrics.k8s.io/v1beta1` PodMetrics over HTTPS
//! inside a network namespace, registered on the control plane as the APIService
//! `v1beta1.metrics.k8s.io` so the API server's aggregator proxies to it. Stopped when dropped.

use super::netns::{service_at, Netns};
use super::wait::{wait_until, wait_until_sync};
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, PostParams};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;

/// The port it listens on inside its namespace.
pub const PORT: u16 = 4443;
/// The APIService's name.
pub const API_SERVICE: &str = "v1beta1.metrics.k8s.io";

pub struct MetricsStandIn {
    child: Child,
    dir: PathBuf,
}

impl MetricsStandIn {
    /// Starts the stand-in in `netns` serving `pods` (see the script for their shape).
    pub fn start_in(label: &str, netns: &Netns, pods: &Value) -> MetricsStandIn {
        let dir = super::scratch(&format!("metrics-stand-in-{label}"));
        let _ = std::fs::remove_file(dir.join("ready"));
        let _ = std::fs::remove_file(dir.join("requests.log"));
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metrics_stand_in.py");
        let mut stand_in = MetricsStandIn {
            child: netns
                .command("python3")
                .arg(&script)
                .args([&netns.inner_addr, &PORT.to_string()])
                .arg(dir.join("pods.json"))
                .arg(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .expect("start the metrics stand-in"),
            dir,
        };
        stand_in.set_pods(pods);
        wait_until_sync(
            "the metrics stand-in starts",
            Duration::from_secs(20),
            || {
                if let Ok(Some(status)) = stand_in.child.try_wait() {
                    panic!("the metrics stand-in exited: {status}");
                }
                stand_in.dir.join("ready").exists()
            },
        );
        stand_in
    }

    /// What it serves from now on.
    pub fn set_pods(&self, pods: &Value) {
        std::fs::write(self.dir.join("pods.json"), pods.to_string()).expect("write pods.json");
    }

    /// The requests it answered, one line each: the user the aggregator names, then the path.
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("requests.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for MetricsStandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn api_services(client: &kube::Client) -> Api<DynamicObject> {
    let gvk = kube::core::GroupVersionKind::gvk("apiregistration.k8s.io", "v1", "APIService");
    Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(&gvk, "apiservices"),
    )
}

/// Registers the stand-in in `netns` as `metrics.k8s.io/v1beta1`: a Service without selector in
/// `ns`, its Endpoints at the namespace's inner address, the APIService; waits until the
/// aggregator calls it Available and serves the group through the API server.
pub async fn register(client: &kube::Client, ns: &str, netns: &Netns) {
    unregister(client).await;
    let labels = json!({"app.kubernetes.io/name": "metrics-stand-in"});
    service_at(
        client,
        ns,
        "metrics-stand-in",
        labels,
        &netns.inner_addr,
        PORT,
    )
    .await;
    let body = json!({
        "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
        "metadata": {"name": API_SERVICE},
        "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": true,
                 "groupPriorityMinimum": 100, "versionPriority": 100,
                 "service": {"namespace": ns, "name": "metrics-stand-in", "port": 9090}}
    });
    let obj: DynamicObject = serde_json::from_value(body).expect("an APIService");
    let api = api_services(client);
    api.create(&PostParams::default(), &obj)
        .await
        .expect("create the APIService");
    wait_until(
        "the APIService is Available and the group served",
        Duration::from_secs(60),
        || async {
            let got = api.get(API_SERVICE).await.expect("get the APIService");
            let got = serde_json::to_value(&got).unwrap_or_default();
            let available = got["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Available" && c["status"] == "True");
            // Available comes from the availability controller; the aggregator's proxy for the
            // group is set up by another, a moment later
            let req = http::Request::get("/apis/metrics.k8s.io/v1beta1")
                .body(Vec::new())
                .expect("a request");
            if available && client.request_text(req).await.is_ok() {
                Ok(())
            } else {
                Err(got.to_string())
            }
        },
    )
    .await;
}

/// Removes the APIService (the resource metrics API is then not served) and waits until the
/// group is gone from discovery.
pub async fn unregister(client: &kube::Client) {
    let api = api_services(client);
    let _ = api.delete(API_SERVICE, &DeleteParams::default()).await;
    wait_until(
        "the APIService is removed",
        Duration::from_secs(30),
        || async { api.get_opt(API_SERVICE).await.ok().flatten().is_none() },
    )
    .await;
}

//! CPU and memory per pod from the resource metrics API on the real control plane: a stand-in
//! for metrics-server in a network namespace of the test's own, registered as an APIService and
//! reached only through the API server's aggregator. Served (status JSON per pod and per version,
//! the live fetch: the release's pods only, one request per fetch, counted in the audit log),
//! forbidden (403 on `pods.metrics.k8s.io`) and not served (no APIService).

use crate::support::cluster::*;
use crate::support::metrics_stand_in::{register, unregister, MetricsStandIn};
use crate::support::netns::Netns;
use crate::support::{audit, runtime};
use canary_cockpit::app::Event;
use canary_cockpit::live::resources::{Fetcher, Source};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::mpsc;

/// The APIService `v1beta1.metrics.k8s.io` is one for the whole cluster: the tests that make it
/// or need it absent take turns.
static API_SERVICE: Mutex<()> = Mutex::new(());

/// Removes the APIService when the test ends, however it ends.
struct Unregister(PathBuf);

impl Drop for Unregister {
    fn drop(&mut self) {
        let kubeconfig = self.0.clone();
        let _ = std::thread::spawn(move || {
            runtime().block_on(async { unregister(&client(&kubeconfig).await).await })
        })
        .join();
    }
}

/// The requests for PodMetrics in `ns` after `mark` in the audit log, once each: their request
/// URIs.
fn pod_metrics_requests(ns: &str, mark: audit::Mark) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    audit::since(mark)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| {
            e["objectRef"]["apiGroup"] == "metrics.k8s.io" && e["objectRef"]["namespace"] == ns
        })
        .filter(|e| seen.insert(e["auditID"].as_str().unwrap_or("").to_string()))
        .map(|e| e["requestURI"].as_str().unwrap_or("").to_string())
        .collect()
}

fn usage(ns: &str, name: &str, labels: Value, containers: Value) -> Value {
    json!({"name": name, "namespace": ns, "labels": labels, "containers": containers})
}

/// What the stand-in serves for `ns`: the shop's three pods (shop-v1-a with two containers), a
/// pod of another app beside them, and a shop pod of another namespace.
fn served(ns: &str) -> Value {
    let v1 = json!({"app": "shop", "version": "v1"});
    let v2 = json!({"app": "shop", "version": "v2"});
    json!([
        usage(
            ns,
            "shop-v1-a",
            v1.clone(),
            json!([
            {"name": "app", "usage": {"cpu": "250m", "memory": "128Mi"}},
            {"name": "proxy", "usage": {"cpu": "123456n", "memory": "131072Ki"}}])
        ),
        usage(
            ns,
            "shop-v1-b",
            v1.clone(),
            json!([{"name": "app", "usage": {"cpu": "1", "memory": "134217728"}}])
        ),
        usage(
            ns,
            "shop-v2-a",
            v2,
            json!([{"name": "app", "usage": {"cpu": "1500m", "memory": "1Gi"}}])
        ),
        usage(
            ns,
            "other-0",
            json!({"app": "other"}),
            json!([{"name": "app", "usage": {"cpu": "7", "memory": "7Gi"}}])
        ),
        usage(
            "elsewhere",
            "shop-v1-z",
            v1,
            json!([{"name": "app", "usage": {"cpu": "9", "memory": "9Gi"}}])
        ),
    ])
}

/// A second canary pod, shop-v2-b, whose two containers ask for 100m + 50m and 64Mi + 32Mi and
/// are capped at 1 + 500m and 128Mi + 256Mi.
async fn sized_pod(client: &kube::Client, ns: &str) {
    use k8s_openapi::api::core::v1::Pod;
    let sized = |cpu: &str, mem: &str, max_cpu: &str, max_mem: &str| json!({"requests": {"cpu": cpu, "memory": mem}, "limits": {"cpu": max_cpu, "memory": max_mem}});
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "shop-v2-b", "labels": {"app": "shop", "version": "v2"}},
        "spec": {"automountServiceAccountToken": false, "containers": [
            {"name": "app", "image": "shop:2.0", "resources": sized("100m", "64Mi", "1", "128Mi")},
            {"name": "proxy", "image": "proxy:1", "resources": sized("50m", "32Mi", "500m", "256Mi")}]}
    }))
    .expect("a pod");
    kube::Api::<Pod>::namespaced(client.clone(), ns)
        .create(&Default::default(), &pod)
        .await
        .expect("create pod");
}

/// `canary status ingress/shop -o json` in `ns`: the JSON, and stderr followed by the log file.
fn status(kubeconfig: &std::path::Path, ns: &str) -> (Value, String) {
    let log = crate::support::scratch(ns).join("canary.log");
    let log_flag = log.to_str().expect("a UTF-8 path");
    let out = canary_at(
        kubeconfig,
        ns,
        &[
            "status",
            "ingress/shop",
            "-o",
            "json",
            "--no-prometheus",
            "--log-file",
            log_flag,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    (json, format!("{stderr}\n-- log --\n{logged}"))
}

/// The events of the live fetch of `ns`'s release as `kubeconfig`'s user, until it ends or
/// `secs` pass; whether it ended by itself.
async fn fetch_events(kubeconfig: &std::path::Path, ns: &str, secs: u64) -> (Vec<Event>, bool) {
    let (cluster, seen) = read_release(kubeconfig, ns, "ingress/shop").await;
    let (tx, mut rx) = mpsc::channel(16);
    let task = tokio::spawn(Fetcher::new(cluster, &seen, Source::MetricsApi).run(tx));
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    let ended = loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) => events.push(ev),
            Ok(None) => break true,
            Err(_) => break false,
        }
    };
    task.abort();
    (events, ended)
}

#[test]
fn pod_metrics_through_the_aggregator_per_pod_and_per_version() {
    let _turn = API_SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    let cp = control_plane();
    let netns = Netns::new();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        let ns = shop(&client, "resources", "20", &[]).await;
        sized_pod(&client, &ns).await;
        ns
    });
    let stand_in = MetricsStandIn::start_in("served", &netns, &served(&ns));
    let _cleanup = Unregister(cp.kubeconfig.clone());
    rt.block_on(register(&client, &ns, &netns));

    let (json, stderr) = status(&cp.kubeconfig, &ns);
    let versions = &json["versions"];
    let mib = 1u64 << 20;
    // shop-v1-a: 250m + 123456n (rounded up to 1m), 128Mi + 131072Ki
    assert_eq!(versions[0]["pods"][0]["name"], "shop-v1-a", "{json}");
    assert_eq!(
        versions[0]["pods"][0]["cpu_millicores"], 251,
        "{json} {stderr}"
    );
    assert_eq!(versions[0]["pods"][0]["memory_bytes"], 256 * mib, "{json}");
    assert_eq!(versions[0]["pods"][1]["cpu_millicores"], 1000, "{json}");
    assert_eq!(versions[0]["pods"][1]["memory_bytes"], 128 * mib, "{json}");
    assert_eq!(versions[0]["cpu_millicores"], 1251, "{json}");
    assert_eq!(versions[0]["memory_bytes"], 384 * mib, "{json}");
    assert_eq!(versions[1]["pods"][0]["cpu_millicores"], 1500, "{json}");
    // a pod the API does not report: unknown, and out of the sums; its spec's requests and
    // limits summed over its containers
    assert_eq!(
        versions[1]["pods"][1],
        json!({"name": "shop-v2-b", "ready": false, "phase": "Pending", "restarts": 0,
            "cpu_millicores": null, "memory_bytes": null,
            "cpu_request_millicores": 150, "memory_request_bytes": 96 * mib,
            "cpu_limit_millicores": 1500, "memory_limit_bytes": 384 * mib}),
        "{json}"
    );
    assert_eq!(versions[1]["cpu_millicores"], 1500, "{json}");
    assert_eq!(versions[1]["memory_bytes"], 1024 * mib, "{json}");
    // the request went through the aggregator, which names the user
    assert!(
        stand_in
            .requests()
            .iter()
            .any(|r| r.starts_with("canary-admin /apis/metrics.k8s.io/v1beta1/namespaces/")),
        "{:#?}",
        stand_in.requests()
    );

    // the live fetch: the release's pods only, one list of the namespace per fetch
    let before = rt.block_on(audit::mark(&client));
    let (events, ended) = rt.block_on(fetch_events(&cp.kubeconfig, &ns, 3));
    assert!(!ended, "the fetching goes on: {events:?}");
    let [Event::ResourcesSampled { sample }] = events.as_slice() else {
        panic!("one sample within 3 s (the next is 15 s later): {events:?}");
    };
    let names = |pods: &[canary_cockpit::model::PodUsage]| -> Vec<String> {
        pods.iter().map(|p| p.name.clone()).collect()
    };
    assert_eq!(names(&sample.primary), ["shop-v1-a", "shop-v1-b"]);
    assert_eq!(names(&sample.canary), ["shop-v2-a"]);
    assert_eq!(
        (
            sample.canary[0].cpu_millicores,
            sample.canary[0].memory_bytes
        ),
        (1500, 1 << 30)
    );
    rt.block_on(audit::mark(&client));
    let requests = pod_metrics_requests(&ns, before);
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert!(
        requests[0].contains("labelSelector=app%3Dshop"),
        "{requests:#?}"
    );
}

/// A user who may read the release but not `pods.metrics.k8s.io`: one SourceError naming the
/// verb and the resource, then no more fetching.
#[test]
fn a_403_on_pod_metrics_is_said_once_and_ends_the_fetching() {
    let cp = control_plane();
    let rt = runtime();
    let ns = rt.block_on(async {
        let admin = client(&cp.kubeconfig).await;
        let restricted = client(&cp.restricted_kubeconfig).await;
        let ns = shop(&admin, "resources-403", "20", &[]).await;
        crate::testers_routes::grant_view(&admin, &restricted, &ns).await;
        ns
    });
    let (events, ended) = rt.block_on(fetch_events(&cp.restricted_kubeconfig, &ns, 5));
    assert!(ended, "a 403 ends the fetching: {events:?}");
    let [Event::SourceError {
        source, message, ..
    }] = events.as_slice()
    else {
        panic!("one SourceError: {events:?}");
    };
    assert_eq!(source, "resources");
    assert!(
        message.starts_with(&format!("cannot list pods.metrics.k8s.io in {ns}")),
        "{message}"
    );
}

/// No APIService: one SourceError saying the API is not served; `status` says null, quietly.
#[test]
fn an_api_not_served_is_said_once_and_hides_the_numbers() {
    let _turn = API_SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    let cp = control_plane();
    let rt = runtime();
    let ns = rt.block_on(async {
        let admin = client(&cp.kubeconfig).await;
        unregister(&admin).await;
        shop(&admin, "resources-none", "20", &[]).await
    });
    let (events, ended) = rt.block_on(fetch_events(&cp.kubeconfig, &ns, 5));
    assert!(ended, "an API not served ends the fetching: {events:?}");
    let [Event::SourceError {
        source, message, ..
    }] = events.as_slice()
    else {
        panic!("one SourceError: {events:?}");
    };
    assert_eq!(source, "resources");
    assert_eq!(
        message,
        "the resource metrics API (metrics.k8s.io) is not served: CPU and memory are hidden"
    );
    let (json, stderr) = status(&cp.kubeconfig, &ns);
    assert_eq!(json["versions"][0]["cpu_millicores"], Value::Null, "{json}");
    assert_eq!(
        json["versions"][0]["pods"][0]["memory_bytes"],
        Value::Null,
        "{json}"
    );
    assert_eq!(
        json["versions"][0]["pods"][0]["name"], "shop-v1-a",
        "{json}"
    );
    let terminal = stderr.split("-- log --").next().unwrap_or_default();
    assert!(!terminal.contains("metrics.k8s.io"), "{stderr}");
}

/// The namespace the cAdvisor exporter names (its body is a plain function).
static CADVISOR_NS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// cAdvisor's series as the kubelet exposes them: shop-v1-a 0.25 cores and 128Mi in its app
/// container (plus the pause container and the pod's cgroup, which must not count), shop-v1-b
/// 0.5 cores and 64Mi, shop-v2-a 1.5 cores and 1Gi; a pod of another app beside them and a shop
/// pod of another namespace.
fn cadvisor(t: f64) -> String {
    let ns = CADVISOR_NS.get().map_or("", String::as_str);
    let mut out = String::new();
    let mut series = |ns: &str, pod: &str, container: &str, cores: f64, bytes: u64| {
        let labels = format!(r#"namespace="{ns}",pod="{pod}",container="{container}""#);
        out.push_str(&format!(
            "container_cpu_usage_seconds_total{{{labels}}} {}\n",
            cores * t
        ));
        out.push_str(&format!(
            "container_memory_working_set_bytes{{{labels}}} {bytes}\n"
        ));
    };
    series(ns, "shop-v1-a", "app", 0.25, 128 << 20);
    series(ns, "shop-v1-a", "POD", 0.01, 1 << 20);
    series(ns, "shop-v1-a", "", 0.26, 129 << 20);
    series(ns, "shop-v1-b", "app", 0.5, 64 << 20);
    series(ns, "shop-v2-a", "app", 1.5, 1 << 30);
    series(ns, "other-0", "app", 3.0, 3 << 30);
    series("elsewhere", "shop-v1-a", "app", 9.0, 9 << 30);
    out
}

/// `--resources-from prometheus`: the same numbers from cAdvisor's series in a real Prometheus,
/// the release's pods only.
#[test]
fn cadvisor_series_from_a_real_prometheus() {
    use crate::support::prometheus::{exporters, Prometheus};
    let cp = control_plane();
    let rt = runtime();
    let ns =
        rt.block_on(async { shop(&client(&cp.kubeconfig).await, "cadvisor", "20", &[]).await });
    CADVISOR_NS.set(ns.clone()).expect("one cAdvisor test");
    let prom = Prometheus::start("cadvisor", &exporters(vec![cadvisor]));
    prom.wait_scrapes(7);
    let sample = rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "ingress/shop").await;
        let endpoint = canary_cockpit::metrics::Endpoint::direct(&prom.url, Default::default())
            .expect("an endpoint");
        let from = Source::Prometheus(endpoint, "5s".to_string());
        Fetcher::new(cluster, &seen, from).fetch().await
    });
    let sample = sample.unwrap_or_else(|e| panic!("{e}"));
    let got = |pods: &[canary_cockpit::model::PodUsage]| -> Vec<(String, u64)> {
        pods.iter()
            .map(|p| (p.name.clone(), p.memory_bytes))
            .collect()
    };
    let mib = 1u64 << 20;
    assert_eq!(
        got(&sample.primary),
        [
            ("shop-v1-a".to_string(), 128 * mib),
            ("shop-v1-b".to_string(), 64 * mib)
        ]
    );
    assert_eq!(got(&sample.canary), [("shop-v2-a".to_string(), 1024 * mib)]);
    let close = |what: &str, got: u64, want: f64| {
        assert!(
            (got as f64 - want).abs() <= want * 0.1,
            "{what}: {got} m, want {want} m"
        );
    };
    close("shop-v1-a", sample.primary[0].cpu_millicores, 250.0);
    close("shop-v1-b", sample.primary[1].cpu_millicores, 500.0);
    close("shop-v2-a", sample.canary[0].cpu_millicores, 1500.0);
}

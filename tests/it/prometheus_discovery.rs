//! Prometheus found without flags, on the real control plane: a Service of the Prometheus
//! Operator's in `monitoring`, none at all, several where the first does not answer, and
//! `--no-prometheus`. The API server reaches the test's Prometheus in a network namespace of the
//! test's own; the requests discovery costs are counted in the API server's audit log.

use crate::support::cluster::*;
use crate::support::netns::{service_at, Netns};
use crate::support::prometheus::Prometheus;
use crate::support::{audit, runtime};
use k8s_openapi::api::core::v1::{Endpoints, Namespace, Pod, Service, ServiceAccount};
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::{json, Value};
use std::sync::Mutex;

/// The tests that use the shared namespace `monitoring` (or need it empty) take turns.
pub(crate) static MONITORING: Mutex<()> = Mutex::new(());

/// The operator's labels on `prometheus-k8s` (kube-prometheus).
pub(crate) fn operator_labels() -> Value {
    json!({
        "app.kubernetes.io/name": "prometheus",
        "app.kubernetes.io/component": "prometheus",
        "app.kubernetes.io/part-of": "kube-prometheus",
    })
}

/// `canary status ingress/shop -o json` in `ns` with `extra` flags: the JSON and stderr.
fn status(kubeconfig: &std::path::Path, ns: &str, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["status", "ingress/shop", "-o", "json"];
    args.extend(extra);
    let out = canary_at(kubeconfig, ns, &args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (json, stderr)
}

/// The requests about Services in `ns` after `mark` in the audit log, once each:
/// `(verb, name, requestURI)`.
fn service_requests(ns: &str, mark: audit::Mark) -> Vec<(String, String, String)> {
    let mut seen = std::collections::HashSet::new();
    audit::since(mark)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["objectRef"]["namespace"] == ns && e["objectRef"]["resource"] == "services")
        .filter(|e| seen.insert(e["auditID"].as_str().unwrap_or("").to_string()))
        .map(|e| {
            let field = |k: &str| e[k].as_str().unwrap_or("").to_string();
            let name = e["objectRef"]["name"].as_str().unwrap_or("").to_string();
            (field("verb"), name, field("requestURI"))
        })
        .collect()
}

fn lists(requests: &[(String, String, String)]) -> usize {
    requests
        .iter()
        .filter(|(verb, _, _)| verb == "list")
        .count()
}

/// The probes (the query `vector(1)`) sent to Service `name`.
fn probes(requests: &[(String, String, String)], name: &str) -> usize {
    requests
        .iter()
        .filter(|(_, n, uri)| n.starts_with(name) && uri.contains("vector"))
        .count()
}

/// Removes what a test left of Service `name` in `ns`.
pub(crate) async fn remove(client: &kube::Client, ns: &str, name: &str) {
    let dp = DeleteParams::default();
    let _ = Api::<Service>::namespaced(client.clone(), ns)
        .delete(name, &dp)
        .await;
    let _ = Api::<Endpoints>::namespaced(client.clone(), ns)
        .delete(name, &dp)
        .await;
    let _ = Api::<Pod>::namespaced(client.clone(), ns)
        .delete(&format!("{name}-0"), &dp)
        .await;
}

/// The namespace `name` and its default ServiceAccount, made when missing.
pub(crate) async fn shared_namespace(client: &kube::Client, name: &str) {
    let pp = PostParams::default();
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    let _ = Api::<Namespace>::all(client.clone()).create(&pp, &ns).await;
    let sa: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "default"}})).unwrap();
    let _ = Api::<ServiceAccount>::namespaced(client.clone(), name)
        .create(&pp, &sa)
        .await;
}

#[test]
fn a_prometheus_service_in_monitoring_is_found_and_no_prometheus_turns_discovery_off() {
    let _turn = MONITORING.lock().unwrap_or_else(|e| e.into_inner());
    let cp = control_plane();
    let netns = Netns::new();
    let _prom = Prometheus::start_in("found", &[], &netns);
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        shared_namespace(&client, "monitoring").await;
        remove(&client, "monitoring", "prometheus-k8s").await;
        let labels = operator_labels();
        service_at(
            &client,
            "monitoring",
            "prometheus-k8s",
            labels,
            &netns.inner_addr,
            9090,
        )
        .await;
        shop(&client, "found", "20", &[]).await
    });

    let (json, stderr) = status(&cp.kubeconfig, &ns, &[]);
    assert_eq!(
        json["metrics_source"],
        json!("monitoring/prometheus-k8s:9090 (found)"),
        "{json} {stderr}"
    );
    // the Prometheus answered the queries: numbers (none for series it never scraped), no error
    assert!(json["metrics"]["canary"].is_object(), "{json}");
    assert!(!stderr.contains("metrics unavailable"), "{stderr}");

    let (json, stderr) = status(&cp.kubeconfig, &ns, &["--no-prometheus"]);
    assert_eq!(json["metrics_source"], Value::Null, "{json}");
    assert!(json.get("metrics").is_none(), "{json}");
    assert!(!stderr.contains("no Prometheus"), "{stderr}");

    // a flag names the source, and discovery is not asked
    let (json, _) = status(
        &cp.kubeconfig,
        &ns,
        &["--prometheus-service", "monitoring/prometheus-k8s:9090"],
    );
    assert_eq!(
        json["metrics_source"],
        json!("monitoring/prometheus-k8s:9090 (--prometheus-service)")
    );
    rt.block_on(remove(&client, "monitoring", "prometheus-k8s"));
}

#[test]
fn no_prometheus_service_anywhere_says_how_to_name_one() {
    let _turn = MONITORING.lock().unwrap_or_else(|e| e.into_inner());
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        remove(&client, "monitoring", "prometheus-k8s").await;
        shop(&client, "not-found", "20", &[]).await
    });
    let (json, stderr) = status(&cp.kubeconfig, &ns, &[]);
    assert_eq!(json["metrics_source"], Value::Null, "{json}");
    assert!(json.get("metrics").is_none(), "{json}");
    assert!(
        stderr.contains(&format!("no Prometheus Service in {ns}, monitoring")),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "--prometheus URL, --prometheus-service NS/SVC:PORT, or [prometheus] in the config"
        ),
        "{stderr}"
    );
    // the cockpit cannot drive without metrics, and says it looked
    let out = canary_at(&cp.kubeconfig, &ns, &["watch", "ingress/shop", "--drive"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    let looked = format!("--drive needs metrics (no Prometheus Service in {ns}, monitoring");
    assert!(stderr.contains(&looked), "{stderr}");
}

/// Two candidates in the release's namespace: `prometheus-k8s` (tried first) at an address
/// nobody listens on, `prometheus-server` at the Prometheus. One list of Services per namespace
/// and one probe per candidate.
#[test]
fn of_several_candidates_the_first_that_answers_is_used() {
    let cp = control_plane();
    let live = Netns::new();
    let dead = Netns::new();
    let _prom = Prometheus::start_in("several", &[], &live);
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        let ns = shop(&client, "several", "20", &[]).await;
        let server = json!({"app": "prometheus", "component": "server"});
        service_at(
            &client,
            &ns,
            "prometheus-server",
            server,
            &live.inner_addr,
            9090,
        )
        .await;
        service_at(
            &client,
            &ns,
            "prometheus-k8s",
            operator_labels(),
            &dead.inner_addr,
            9090,
        )
        .await;
        ns
    });

    let before = rt.block_on(audit::mark(&client));
    let (json, stderr) = status(&cp.kubeconfig, &ns, &[]);
    assert_eq!(
        json["metrics_source"],
        json!(format!("{ns}/prometheus-server:9090 (found)")),
        "{json} {stderr}"
    );
    assert!(json["metrics"]["canary"].is_object(), "{json}");
    rt.block_on(audit::mark(&client));
    let found = service_requests(&ns, before);
    assert_eq!(probes(&found, "prometheus-k8s"), 1, "{found:#?}");
    assert_eq!(probes(&found, "prometheus-server"), 1, "{found:#?}");
    // the queries go to the one that answered only
    let to_dead = found
        .iter()
        .filter(|(_, n, _)| n.starts_with("prometheus-k8s"))
        .count();
    assert_eq!(to_dead, 1, "{found:#?}");

    // discovery costs one list of the namespace's Services
    let before = rt.block_on(audit::mark(&client));
    let (json, _) = status(&cp.kubeconfig, &ns, &["--no-prometheus"]);
    assert_eq!(json["metrics_source"], Value::Null);
    rt.block_on(audit::mark(&client));
    let off = service_requests(&ns, before);
    assert_eq!(probes(&off, "prometheus"), 0, "{off:#?}");
    assert_eq!(lists(&found), lists(&off) + 1, "{found:#?}\n{off:#?}");
}

/// A user who may read only the release's namespace: the other namespaces answer 403 and are
/// skipped, said only in the log file; the Service beside the release is found.
#[test]
fn namespaces_the_user_may_not_list_are_skipped_and_logged() {
    let cp = control_plane();
    let netns = Netns::new();
    let _prom = Prometheus::start_in("rbac", &[], &netns);
    let rt = runtime();
    let ns = rt.block_on(async {
        let admin = client(&cp.kubeconfig).await;
        let restricted = client(&cp.restricted_kubeconfig).await;
        let ns = shop(&admin, "rbac", "20", &[]).await;
        let labels = json!({"app.kubernetes.io/name": "prometheus"});
        service_at(&admin, &ns, "prometheus", labels, &netns.inner_addr, 9090).await;
        crate::testers_routes::grant_view(&admin, &restricted, &ns).await;
        ns
    });
    let log = crate::support::scratch("rbac").join("canary.log");
    let log_flag = log.to_str().expect("a UTF-8 path");
    let (json, stderr) = status(&cp.restricted_kubeconfig, &ns, &["--log-file", log_flag]);
    assert_eq!(
        json["metrics_source"],
        json!(format!("{ns}/prometheus:9090 (found)")),
        "{json} {stderr}"
    );
    // quietly: nothing on the terminal about the namespaces it could not list
    assert!(!stderr.contains("monitoring"), "{stderr}");
    let text = std::fs::read_to_string(&log).expect("the log file");
    let skipped: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("Prometheus discovery skips the namespace"))
        .collect();
    for name in canary_cockpit::live::prometheus_discovery::NAMESPACES {
        assert!(
            skipped
                .iter()
                .any(|l| l.contains(&format!("namespace=\"{name}\"")) && l.contains("code=403")),
            "{name} not in {skipped:#?}"
        );
    }
}

//! Opening a release takes five lists: the routing objects, the Services, the pods (one list with
//! a set-based selector when the versions' selectors differ in one value only), the Warning
//! events and the PodMetrics; and one of Deployments, for Keel's approvals. The Prometheus that
//! discovery found is kept per context in the state directory: the first start lists the Services
//! of the monitoring namespaces, the second asks the one it found a single probe and lists nothing
//! more. Counted from the API server's audit log, with the real binary in a terminal (tmux).

use crate::prometheus_discovery::{operator_labels, remove, shared_namespace, MONITORING};
use crate::support::cluster::*;
use crate::support::netns::{service_at, Netns};
use crate::support::prometheus::Prometheus;
use crate::support::tmux::Tmux;
use crate::support::wait::wait_until;
use crate::support::{audit, runtime, scratch};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The cockpit's requests (its user agent) after `mark`, once each: `(verb, what)`, `what` being
/// `resource[.group] in namespace`, or the Service a probe went to (`services/proxy NAME`).
fn cockpit_requests(mark: audit::Mark) -> Vec<(String, String)> {
    let mut seen = std::collections::HashSet::new();
    audit::since(mark)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| {
            e["userAgent"]
                .as_str()
                .unwrap_or("")
                .starts_with("canary-cockpit")
        })
        .filter(|e| seen.insert(e["auditID"].as_str().unwrap_or("").to_string()))
        .map(|e| {
            let r = &e["objectRef"];
            let text = |v: &Value| v.as_str().unwrap_or("").to_string();
            let mut what = text(&r["resource"]);
            if let Some(g) = r["apiGroup"].as_str().filter(|g| !g.is_empty()) {
                what = format!("{what}.{g}");
            }
            if let Some(sub) = r["subresource"].as_str() {
                what = format!("{what}/{sub} {}", text(&r["name"]));
            }
            (
                text(&e["verb"]),
                format!("{what} in {}", text(&r["namespace"])),
            )
        })
        .collect()
}

/// The lists among `requests`, counted by what they listed.
fn lists(requests: &[(String, String)]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (verb, what) in requests {
        if verb == "list" {
            *out.entry(what.clone()).or_insert(0) += 1;
        }
    }
    out
}

/// Opens `ingress/shop` in `ns` with the state directory `state`, waits until it has made the
/// lists `expected` names (and a probe of the Prometheus), closes it, and returns its requests.
fn open_release(
    rt: &tokio::runtime::Runtime,
    client: &kube::Client,
    kubeconfig: &Path,
    ns: &str,
    dir: &Path,
    label: &str,
    expected: &[String],
) -> Vec<(String, String)> {
    let before = rt.block_on(audit::mark(client));
    let command = format!(
        "env XDG_STATE_HOME={state} {bin} --log-file {log} watch ingress/shop -n {ns} \
         --kubeconfig {kubeconfig} --no-record",
        state = dir.join("state").display(),
        bin = env!("CARGO_BIN_EXE_canary"),
        log = dir.join(format!("{label}.log")).display(),
        kubeconfig = kubeconfig.display(),
    );
    let cockpit = Tmux::start(&format!("open-{label}"), &command, dir.to_path_buf());
    rt.block_on(wait_until(
        "the cockpit's opening lists and its probe of Prometheus",
        Duration::from_secs(30),
        || async {
            let requests = cockpit_requests(before);
            let listed = lists(&requests);
            let probed = requests
                .iter()
                .any(|(_, what)| what.starts_with("services/proxy prometheus-k8s"));
            let all = expected.iter().all(|k| listed.contains_key(k));
            (all && probed).then_some(()).ok_or(requests)
        },
    ));
    drop(cockpit);
    rt.block_on(audit::mark(client));
    cockpit_requests(before)
}

#[test]
fn a_release_opens_with_five_lists_and_the_found_prometheus_is_kept() {
    let _turn = MONITORING.lock().unwrap_or_else(|e| e.into_inner());
    let cp = control_plane();
    let netns = Netns::new();
    let _prom = Prometheus::start_in("opening", &[], &netns);
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        shared_namespace(&client, "monitoring").await;
        remove(&client, "monitoring", "prometheus-k8s").await;
        service_at(
            &client,
            "monitoring",
            "prometheus-k8s",
            operator_labels(),
            &netns.inner_addr,
            9090,
        )
        .await;
        // the versions' selectors differ in the value of `app` only
        let ns = namespace(&client, "opening").await;
        service_selecting(&client, &ns, "shop", json!({"app": "shop-primary"})).await;
        service_selecting(&client, &ns, "shop-canary", json!({"app": "shop-canary"})).await;
        for (pod, app, image) in [
            ("shop-primary-a", "shop-primary", "shop:1.0"),
            ("shop-primary-b", "shop-primary", "shop:1.0"),
            ("shop-canary-a", "shop-canary", "shop:2.0"),
        ] {
            running_pod(&client, &ns, pod, (app, "v", image), true, 0).await;
        }
        shop_ingresses(&client, &ns, "20", &[]).await;
        ns
    });
    let dir = scratch("opening");
    let opening: Vec<String> = [
        "ingresses.networking.k8s.io",
        "services",
        "pods",
        "events",
        "pods.metrics.k8s.io",
        // Keel's approvals: which of the namespace's Deployments ask for them (one list; see
        // src/keel/poll.rs). The sixth list, beyond the five of the opening proper.
        "deployments.apps",
    ]
    .iter()
    .map(|r| format!("{r} in {ns}"))
    .collect();
    let discovery: Vec<String> = ["monitoring", "prometheus", "observability", "kube-system"]
        .iter()
        .map(|n| format!("services in {n}"))
        .collect();
    let found = |requests: &[(String, String)], all: &[String]| {
        let mut listed = lists(requests);
        // the PodMetrics are sampled every 15 s: the first sample is the opening's
        assert!(
            listed.remove(&format!("pods.metrics.k8s.io in {ns}")) >= Some(1),
            "{requests:#?}"
        );
        let want: BTreeMap<String, usize> = all
            .iter()
            .filter(|k| !k.starts_with("pods.metrics"))
            .map(|k| (k.clone(), 1))
            .collect();
        assert_eq!(listed, want, "{requests:#?}");
    };

    // the first start: the five, and one list of Services per monitoring namespace
    let first_expected: Vec<String> = opening.iter().chain(&discovery).cloned().collect();
    let first = open_release(
        &rt,
        &client,
        &cp.kubeconfig,
        &ns,
        &dir,
        "first",
        &first_expected,
    );
    found(&first, &first_expected);
    let pods_lists = first
        .iter()
        .filter(|(v, w)| v == "list" && *w == format!("pods in {ns}"))
        .count();
    assert_eq!(pods_lists, 1, "one list of both versions' pods");
    let kept = std::fs::read_to_string(dir.join("state/canary-cockpit/prometheus-found.json"))
        .expect("the found Prometheus is kept");
    let kept: Value = serde_json::from_str(&kept).expect("JSON");
    let entry = kept["contexts"]
        .as_object()
        .and_then(|c| c.values().next())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (&entry["namespace"], &entry["service"], &entry["port"]),
        (&json!("monitoring"), &json!("prometheus-k8s"), &json!(9090)),
        "{kept}"
    );
    assert!(
        entry["found_at"]
            .as_str()
            .is_some_and(|t| t.parse::<k8s_openapi::jiff::Timestamp>().is_ok()),
        "{kept}"
    );

    // the second start: one probe confirms it, and the five lists are all
    let second = open_release(&rt, &client, &cp.kubeconfig, &ns, &dir, "second", &opening);
    found(&second, &opening);
    let probes = second
        .iter()
        .filter(|(_, w)| w.starts_with("services/proxy prometheus-k8s"))
        .count();
    assert!(probes >= 1, "{second:#?}");
    let log = std::fs::read_to_string(dir.join("second.log")).expect("the log file");
    assert!(log.contains("Prometheus found before answers"), "{log}");

    // it stops answering: the next start looks again, and finds nothing
    rt.block_on(remove(&client, "monitoring", "prometheus-k8s"));
    let out = canary_in_state(&dir, &cp.kubeconfig, &ns);
    assert_eq!(out["metrics_source"], Value::Null, "{out}");
    let kept = std::fs::read_to_string(dir.join("state/canary-cockpit/prometheus-found.json"))
        .expect("the file stays");
    assert!(!kept.contains("prometheus-k8s"), "forgotten: {kept}");
}

/// `canary status ingress/shop -o json` with the test's state directory.
fn canary_in_state(dir: &Path, kubeconfig: &Path, ns: &str) -> Value {
    let out = crate::support::canary_in(
        dir,
        &[
            "status",
            "ingress/shop",
            "-o",
            "json",
            "-n",
            ns,
            "--kubeconfig",
            kubeconfig.to_str().expect("UTF-8"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

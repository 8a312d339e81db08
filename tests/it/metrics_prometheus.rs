//! Per-version numbers from a REAL Prometheus (Debian's package, started by the test) scraping an
//! exporter served by the test with known rates, error shares and latency histograms in the
//! names and labels of ingress-nginx, Istio, Linkerd, Traefik and Contour; the backfill; and the
//! degraded states (Prometheus stopped, a server that never answers, an answer that is not JSON).

use crate::support::prometheus::*;
use crate::support::{runtime, scratch, wait_until};
use canary_cockpit::app::Event;
use canary_cockpit::metrics::templates::{self, Context, Template};
use canary_cockpit::metrics::{Endpoint, MetricsError, Poller};
use canary_cockpit::model::Millis;
use std::collections::BTreeMap;
use std::time::Duration;

/// ingress-nginx: the primary 90 req/s, no errors, all under 100 ms; the canary 10 req/s, 20 %
/// 5xx, half of its requests between 0.5 and 1 s.
fn nginx(t: f64) -> String {
    let mut out = String::new();
    let base = r#"namespace="prod",ingress="shop""#;
    out.push_str(&format!(
        "nginx_ingress_controller_requests{{{base},canary=\"\",status=\"200\"}} {}\n",
        90.0 * t
    ));
    out.push_str(&format!("nginx_ingress_controller_requests{{{base},canary=\"prod-shop-canary-80\",status=\"200\"}} {}\n", 8.0 * t));
    out.push_str(&format!("nginx_ingress_controller_requests{{{base},canary=\"prod-shop-canary-80\",status=\"503\"}} {}\n", 2.0 * t));
    // another app's traffic must not count
    out.push_str(&format!("nginx_ingress_controller_requests{{namespace=\"prod\",ingress=\"cart\",canary=\"\",status=\"500\"}} {}\n", 50.0 * t));
    out.push_str(&histogram(
        "nginx_ingress_controller_request_duration_seconds",
        &format!("{base},canary=\"\""),
        90.0 * t,
        &[("0.1", 1.0), ("0.25", 0.0), ("0.5", 0.0), ("1", 0.0)],
    ));
    out.push_str(&histogram(
        "nginx_ingress_controller_request_duration_seconds",
        &format!("{base},canary=\"prod-shop-canary-80\""),
        10.0 * t,
        &[("0.1", 0.0), ("0.25", 0.5), ("0.5", 0.0), ("1", 0.5)],
    ));
    out
}

/// Istio and Linkerd: the primary (v1) 40 req/s with 1 % errors; the canary (v2) 20 req/s with
/// 10 % errors and a slow tail.
fn mesh(t: f64) -> String {
    let mut out = String::new();
    for (v, rps, err) in [("v1", 40.0, 0.01), ("v2", 20.0, 0.10)] {
        let l = format!(
            r#"reporter="destination",destination_service_namespace="prod",destination_service_name="shop",destination_version="{v}""#
        );
        out.push_str(&format!(
            "istio_requests_total{{{l},response_code=\"200\"}} {}\n",
            rps * (1.0 - err) * t
        ));
        out.push_str(&format!(
            "istio_requests_total{{{l},response_code=\"500\"}} {}\n",
            rps * err * t
        ));
        let slow = if v == "v2" { 0.5 } else { 0.0 };
        out.push_str(&histogram(
            "istio_request_duration_milliseconds",
            &l,
            rps * t,
            &[("50", 1.0 - slow), ("100", 0.0), ("1000", slow)],
        ));
        let d = format!(r#"namespace="prod",direction="inbound",deployment="shop-{v}""#);
        out.push_str(&format!(
            "response_total{{{d},classification=\"success\"}} {}\n",
            rps * (1.0 - err) * t
        ));
        out.push_str(&format!(
            "response_total{{{d},classification=\"failure\"}} {}\n",
            rps * err * t
        ));
        out.push_str(&histogram(
            "response_latency_ms",
            &d,
            rps * t,
            &[("50", 1.0 - slow), ("100", 0.0), ("1000", slow)],
        ));
    }
    out
}

/// Traefik: the primary Service `shop` (port 80) 30 req/s, no errors, fast; the canary
/// `shop-canary` (a named port) 10 req/s, 30 % 5xx, half of it slow. Services whose names only
/// begin like the release's, and the same Service in another namespace, must not count.
fn traefik(t: f64) -> String {
    let mut out = String::new();
    for (service, rps, err, slow) in [
        ("prod-shop-80@kubernetescrd", 30.0, 0.0, 0.0),
        ("prod-shop-canary-http@kubernetescrd", 10.0, 0.3, 0.5),
        ("prod-shop-canary-v2-80@kubernetescrd", 70.0, 0.9, 1.0),
        ("staging-shop-80@kubernetescrd", 70.0, 0.9, 1.0),
    ] {
        let l = format!(r#"service="{service}",method="GET",protocol="http""#);
        out.push_str(&format!(
            "traefik_service_requests_total{{{l},code=\"200\"}} {}\n",
            rps * (1.0 - err) * t
        ));
        out.push_str(&format!(
            "traefik_service_requests_total{{{l},code=\"502\"}} {}\n",
            rps * err * t
        ));
        out.push_str(&histogram(
            "traefik_service_request_duration_seconds",
            &l,
            rps * t,
            &[("0.1", 1.0 - slow), ("0.3", 0.0), ("1.2", slow)],
        ));
    }
    out
}

/// Contour (Envoy): the primary Service `shop` (cluster `prod_shop_80`) 30 req/s, no errors,
/// fast; the canary `shop-canary` 10 req/s, 30 % 5xx, half of it slow (milliseconds, as Envoy
/// measures). Clusters of Services whose names only begin like the release's, and of the same
/// Service in another namespace, must not count.
fn contour(t: f64) -> String {
    let mut out = String::new();
    for (cluster, rps, err, slow) in [
        ("prod_shop_80", 30.0, 0.0, 0.0),
        ("prod_shop-canary_8080", 10.0, 0.3, 0.5),
        ("prod_shop-canary-v2_80", 70.0, 0.9, 1.0),
        ("staging_shop_80", 70.0, 0.9, 1.0),
    ] {
        let l = format!(r#"envoy_cluster_name="{cluster}""#);
        out.push_str(&format!(
            "envoy_cluster_upstream_rq{{{l},envoy_response_code=\"200\"}} {}\n",
            rps * (1.0 - err) * t
        ));
        out.push_str(&format!(
            "envoy_cluster_upstream_rq{{{l},envoy_response_code=\"503\"}} {}\n",
            rps * err * t
        ));
        out.push_str(&histogram(
            "envoy_cluster_upstream_rq_time",
            &l,
            rps * t,
            &[("100", 1.0 - slow), ("300", 0.0), ("1200", slow)],
        ));
    }
    out
}

/// The application's own series (the `app` template): v1 50 req/s with 2 % 5xx and 6 % 4xx,
/// v2 20 req/s with 10 % 5xx and 15 % 4xx; latency histograms whose p50, p95 and p99 follow
/// from the buckets (v1: 75, 325, 600 ms; v2: 250, 1200, 1520 ms).
fn classes(t: f64) -> String {
    let mut out = String::new();
    let versions = [
        (
            "v1",
            50.0,
            [("200", 0.92), ("404", 0.04), ("429", 0.02), ("500", 0.02)],
            [0.4, 0.2, 0.3, 0.08, 0.02, 0.0],
        ),
        (
            "v2",
            20.0,
            [("200", 0.75), ("404", 0.15), ("502", 0.05), ("503", 0.05)],
            [0.1, 0.1, 0.2, 0.4, 0.1, 0.1],
        ),
    ];
    for (v, rps, codes, buckets) in versions {
        let l = format!(r#"namespace="prod",version="{v}""#);
        for (code, share) in codes {
            out.push_str(&format!(
                "http_requests_total{{{l},code=\"{code}\"}} {}\n",
                rps * share * t
            ));
        }
        let les = ["0.05", "0.1", "0.2", "0.4", "0.8", "1.6"];
        let shares: Vec<(&str, f64)> = les.into_iter().zip(buckets).collect();
        out.push_str(&histogram(
            "http_request_duration_seconds",
            &l,
            rps * t,
            &shares,
        ));
    }
    // another namespace's 4xx must not count
    out.push_str(&format!(
        "http_requests_total{{namespace=\"other\",version=\"v1\",code=\"404\"}} {}\n",
        500.0 * t
    ));
    out
}

fn poller(
    url: &str,
    template: Template,
    primary: &str,
    canary: &str,
    extra: &[(&str, &str)],
) -> Poller {
    let ctx = Context {
        namespace: "prod".to_string(),
        primary: primary.to_string(),
        canary: canary.to_string(),
        window: "5s".to_string(),
        extra: extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    };
    Poller {
        endpoint: Endpoint::direct_with_timeout(url, Default::default(), Duration::from_secs(2))
            .unwrap(),
        queries: template.render(&ctx).unwrap(),
        primary: primary.to_string(),
        canary: canary.to_string(),
        interval: Duration::from_secs(1),
    }
}

fn close(what: &str, got: Option<f64>, want: f64, tolerance: f64) {
    let got = got.unwrap_or_else(|| panic!("{what}: no value"));
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: {got} is not {want} ± {tolerance}"
    );
}

fn now() -> Millis {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    Millis(d.as_millis() as i64)
}

#[test]
fn per_version_numbers_from_a_real_prometheus() {
    let rt = runtime();
    // the exporters answer on a thread of their own, whatever this test's runtime is doing
    let prom = Prometheus::start("numbers", &exporters(vec![nginx, mesh, traefik, contour]));
    // enough scrapes for a 5 s rate window
    prom.wait_scrapes(7);
    rt.block_on(async {
        let p = poller(
            &prom.url,
            templates::NGINX,
            "",
            "*",
            &[("ingresses", "shop|shop-canary")],
        );
        let s = p.now(now()).await.unwrap();
        close("nginx primary rps", Some(s.primary.rps), 90.0, 9.0);
        close("nginx canary rps", Some(s.canary.rps), 10.0, 1.0);
        close("nginx primary errors", s.primary.error_rate(), 0.0, 0.001);
        close("nginx canary errors", s.canary.error_rate(), 0.2, 0.02);
        close("nginx primary p99", s.primary.p99_ms, 99.0, 2.0);
        close("nginx canary p99", s.canary.p99_ms, 990.0, 10.0);

        let p = poller(&prom.url, templates::ISTIO, "v1", "v2", &[]);
        let s = p.now(now()).await.unwrap();
        close("istio primary rps", Some(s.primary.rps), 40.0, 4.0);
        close("istio canary rps", Some(s.canary.rps), 20.0, 2.0);
        close("istio primary errors", s.primary.error_rate(), 0.01, 0.003);
        close("istio canary errors", s.canary.error_rate(), 0.10, 0.01);
        close("istio canary p99", s.canary.p99_ms, 982.0, 10.0);

        let p = poller(&prom.url, templates::LINKERD, "shop-v1", "shop-v2", &[]);
        let s = p.now(now()).await.unwrap();
        close("linkerd canary rps", Some(s.canary.rps), 20.0, 2.0);
        close("linkerd canary errors", s.canary.error_rate(), 0.10, 0.01);
        close("linkerd primary p99", s.primary.p99_ms, 49.5, 1.0);

        // Traefik's Services, told apart by the Service's name inside Traefik's service label
        let p = poller(&prom.url, templates::TRAEFIK, "shop", "shop-canary", &[]);
        let s = p.now(now()).await.unwrap();
        close("traefik primary rps", Some(s.primary.rps), 30.0, 3.0);
        close("traefik canary rps", Some(s.canary.rps), 10.0, 1.0);
        close("traefik primary errors", s.primary.error_rate(), 0.0, 0.001);
        close("traefik canary errors", s.canary.error_rate(), 0.3, 0.03);
        close("traefik primary p99", s.primary.p99_ms, 99.0, 2.0);
        close("traefik canary p99", s.canary.p99_ms, 1182.0, 15.0);

        // Contour's Services, told apart by the Service's name inside Envoy's cluster name
        let p = poller(&prom.url, templates::CONTOUR, "shop", "shop-canary", &[]);
        let s = p.now(now()).await.unwrap();
        close("contour primary rps", Some(s.primary.rps), 30.0, 3.0);
        close("contour canary rps", Some(s.canary.rps), 10.0, 1.0);
        close("contour primary errors", s.primary.error_rate(), 0.0, 0.001);
        close("contour canary errors", s.canary.error_rate(), 0.3, 0.03);
        close("contour primary p99", s.primary.p99_ms, 99.0, 2.0);
        close("contour canary p99", s.canary.p99_ms, 1182.0, 15.0);

        // a version without traffic is "no traffic", not 0 % errors
        let p = poller(&prom.url, templates::ISTIO, "v1", "v9", &[]);
        let s = p.now(now()).await.unwrap();
        assert_eq!(
            (s.canary.rps, s.canary.error_rate(), s.canary.p99_ms),
            (0.0, None, None)
        );

        // the backfill fills the sparklines from the range API: a sample per second of the
        // seconds Prometheus has, the newest with the same numbers
        let p = poller(
            &prom.url,
            templates::NGINX,
            "",
            "*",
            &[("ingresses", "shop|shop-canary")],
        );
        let filled = p
            .backfill(now(), Duration::from_secs(15 * 60))
            .await
            .unwrap();
        assert!(filled.len() >= 3, "{} samples", filled.len());
        assert!(filled.windows(2).all(|w| w[0].at < w[1].at));
        close(
            "backfilled canary rps",
            filled.last().map(|s| s.canary.rps),
            10.0,
            1.5,
        );

        // what the statistical judge reads from the same samples: the counts of requests and
        // errors over its window, and a percentile sample per period, the exporter's numbers
        use canary_cockpit::controller::statistical::{judge_samples, samples};
        use canary_cockpit::model::{JudgeSettings, MetricsHistory, ResourceHistory};
        let end = filled.last().map(|s| s.at).unwrap();
        let mut history = MetricsHistory::default();
        for s in &filled {
            history.push(*s);
        }
        let [canary, primary] =
            samples::collect(&history, &ResourceHistory::default(), end, 600_000);
        let counted: f64 = filled.iter().map(|s| s.canary.requests).sum();
        assert_eq!(canary.requests, counted);
        // the exporter serves V1 90 requests a second and the canary 10, a fifth of them 5xx
        close(
            "judged primary to canary requests",
            Some(primary.requests / canary.requests),
            9.0,
            0.5,
        );
        close(
            "judged canary error share",
            Some(canary.errors / canary.requests),
            0.2,
            0.02,
        );
        assert_eq!(primary.errors, 0.0);
        assert_eq!(canary.p99.len(), filled.len());
        for (c, p) in canary.p99.iter().zip(&primary.p99) {
            close("judged canary p99 sample", Some(*c), 990.0, 10.0);
            close("judged primary p99 sample", Some(*p), 99.0, 2.0);
        }
        let settings = JudgeSettings {
            min_samples: 3,
            min_requests: 20,
            ..JudgeSettings::default()
        };
        let report = judge_samples(&settings, filled.clone(), end);
        let errors = &report.metrics[0];
        assert_eq!(errors.name, "error rate");
        close("judge's canary error rate", errors.canary, 0.2, 0.02);
        assert_eq!(errors.primary, Some(0.0));
        assert_eq!(errors.n_canary, canary.requests.round() as u64);
        let p99 = report.metrics.iter().find(|m| m.name == "p99").unwrap();
        close("judge's canary p99", p99.canary, 990.0, 10.0);
        close("judge's primary p99", p99.primary, 99.0, 2.0);
        assert_eq!(p99.n_canary, filled.len() as u64);
    });
}

/// 4xx and 5xx per version and p50, p95, p99 from the `{quantile}` placeholder, against a real
/// Prometheus; a template without a 4xx query and without `{quantile}` reads "not measured".
#[test]
fn errors_by_class_and_percentiles_from_a_real_prometheus() {
    let rt = runtime();
    let prom = Prometheus::start("classes", &exporters(vec![classes]));
    prom.wait_scrapes(7);
    rt.block_on(async {
        let p = poller(&prom.url, templates::APP, "v1", "v2", &[]);
        let s = p.now(now()).await.unwrap();
        close("v1 rps", Some(s.primary.rps), 50.0, 5.0);
        close("v2 rps", Some(s.canary.rps), 20.0, 2.0);
        close("v1 5xx", s.primary.error_rate(), 0.02, 0.002);
        close("v2 5xx", s.canary.error_rate(), 0.10, 0.01);
        close("v1 4xx", s.primary.error_4xx_rate(), 0.06, 0.006);
        close("v2 4xx", s.canary.error_4xx_rate(), 0.15, 0.015);
        close("v1 p50", s.primary.p50_ms, 75.0, 2.0);
        close("v1 p95", s.primary.p95_ms, 325.0, 5.0);
        close("v1 p99", s.primary.p99_ms, 600.0, 10.0);
        close("v2 p50", s.canary.p50_ms, 250.0, 5.0);
        close("v2 p95", s.canary.p95_ms, 1200.0, 20.0);
        close("v2 p99", s.canary.p99_ms, 1520.0, 25.0);

        // the backfill reads the same six queries
        let filled = p
            .backfill(now(), Duration::from_secs(15 * 60))
            .await
            .unwrap();
        let last = filled.last().expect("backfilled samples");
        close(
            "backfilled v2 4xx",
            last.canary.error_4xx_rate(),
            0.15,
            0.02,
        );
        close("backfilled v2 p95", last.canary.p95_ms, 1200.0, 25.0);

        // a configured template with neither: 5xx and p99 as before, the rest unknown
        let plain = Template {
            name: "plain".into(),
            errors_4xx: None,
            p99_ms: templates::APP.p99_ms.replace("{quantile}", "0.99").into(),
            ..templates::APP
        };
        let p = poller(&prom.url, plain, "v1", "v2", &[]);
        let s = p.now(now()).await.unwrap();
        close("plain v2 5xx", s.canary.error_rate(), 0.10, 0.01);
        close("plain v2 p99", s.canary.p99_ms, 1520.0, 25.0);
        assert_eq!(
            (s.canary.error_4xx_rate(), s.canary.p50_ms, s.canary.p95_ms),
            (None, None, None)
        );
    });
}

#[test]
fn degraded_prometheus_states_say_why() {
    let rt = runtime();
    rt.block_on(async {
        // a server that accepts and never answers
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_url = format!("http://{}", silent.local_addr().unwrap());
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = silent.accept().await {
                held.push(s);
            }
        });
        let p = poller(&silent_url, templates::APP, "v1", "v2", &[]);
        assert!(
            matches!(p.now(now()).await, Err(MetricsError::Timeout(2))),
            "a slow server times out"
        );

        // something that is not Prometheus answers
        fn html(_: f64) -> String {
            "<html>login</html>".to_string()
        }
        let garbage = exporters(vec![html]).remove(0);
        let p = poller(
            &format!("http://{garbage}"),
            templates::APP,
            "v1",
            "v2",
            &[],
        );
        let err = p.now(now()).await.unwrap_err();
        assert!(err.to_string().contains("invalid JSON"), "{err}");
    });

    // Prometheus stopped mid-run: the poller says so once and keeps trying
    let mut prom = Prometheus::start("stopped", &exporters(vec![nginx]));
    prom.wait_scrapes(3);
    let url = prom.url.clone();
    rt.block_on(async {
        let p = poller(
            &url,
            templates::NGINX,
            "",
            "*",
            &[("ingresses", "shop|shop-canary")],
        );
        assert!(p.now(now()).await.is_ok());
        // a query Prometheus refuses is said as Prometheus says it
        let bad = Poller {
            queries: canary_cockpit::metrics::Queries {
                requests: "sum by (canary) (rate(x[5s])".to_string(),
                ..p.queries.clone()
            },
            ..p.clone()
        };
        let err = bad.now(now()).await.unwrap_err();
        assert!(
            matches!(err, MetricsError::Query(_)) && err.to_string().contains("bad_data"),
            "{err}"
        );
        let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
        let task = tokio::spawn(p.run(tx));
        // the backfill arrives first
        let first = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap();
        assert!(
            matches!(first, Some(Event::MetricsSampled { .. })),
            "{first:?}"
        );
        prom.stop();
        let mut errors = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if let Event::SourceError {
                source, message, ..
            } = ev
            {
                errors.push((source, message));
            }
        }
        assert_eq!(errors.len(), 1, "one message per outage: {errors:?}");
        assert_eq!(errors[0].0, "metrics");
        assert!(errors[0].1.contains("unreachable"), "{errors:?}");
        task.abort();
    });
}

static DRIVE_NS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The live release's traffic as ingress-nginx reports it: the canary answers 30 % 5xx.
fn faulty_canary(t: f64) -> String {
    let ns = DRIVE_NS.get().map_or("", String::as_str);
    let base = format!(r#"namespace="{ns}",ingress="shop""#);
    let mut out = String::new();
    out.push_str(&format!(
        "nginx_ingress_controller_requests{{{base},canary=\"\",status=\"200\"}} {}\n",
        50.0 * t
    ));
    out.push_str(&format!("nginx_ingress_controller_requests{{{base},canary=\"{ns}-shop-canary-80\",status=\"200\"}} {}\n", 14.0 * t));
    out.push_str(&format!("nginx_ingress_controller_requests{{{base},canary=\"{ns}-shop-canary-80\",status=\"500\"}} {}\n", 6.0 * t));
    for canary in ["", "x"] {
        let label = if canary.is_empty() {
            String::new()
        } else {
            format!("{ns}-shop-canary-80")
        };
        out.push_str(&histogram(
            "nginx_ingress_controller_request_duration_seconds",
            &format!("{base},canary=\"{label}\""),
            if canary.is_empty() {
                50.0 * t
            } else {
                20.0 * t
            },
            &[("0.1", 1.0)],
        ));
    }
    out
}

/// `--drive` end to end: the cockpit's own analysis, fed by a real Prometheus, judges a faulty
/// canary of a live ingress-nginx release and rolls it back on the real API server.
#[test]
fn the_cockpit_drives_a_live_release_and_rolls_a_faulty_canary_back() {
    use crate::support::cluster::*;
    use canary_cockpit::app::{App, AppConfig};
    use canary_cockpit::model::{AnalysisSettings, Plan, Weight};
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        let ns = shop(&client, "drive", "0", &[]).await;
        deployment(&client, &ns, "shop-v2", ("shop", "v2", "shop:2.0"), 1).await;
        // the canary is up: the verdicts below are the metrics' alone
        let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
            kube::Api::namespaced(client.clone(), &ns);
        let ready =
            serde_json::json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        pods.patch_status(
            "shop-v2-a",
            &Default::default(),
            &kube::api::Patch::Merge(&ready),
        )
        .await
        .unwrap();
        ns
    });
    DRIVE_NS.set(ns.clone()).unwrap();
    let prom = Prometheus::start("drive", &exporters(vec![faulty_canary]));
    prom.wait_scrapes(4);
    rt.block_on(async {
        let (cluster, mut seen) = read_release(&cp.kubeconfig, &ns, "ingress/shop").await;
        seen.snapshot.plan = None;
        // the queries the cockpit builds for this release itself
        // Prometheus from the config file's entry for this kubeconfig context
        let config = std::env::temp_dir().join(format!("canary-drive-{}.toml", std::process::id()));
        std::fs::write(
            &config,
            format!("[prometheus.{}]\nurl = \"{}\"\n", cluster.context, prom.url),
        )
        .unwrap();
        let metrics = canary_cockpit::cli::MetricsArgs {
            config: Some(config),
            metrics_interval: 1,
            metrics_window: "5s".to_string(),
            ..Default::default()
        };
        let poller = canary_cockpit::live::metrics_setup::poller(&cluster, &seen, &metrics)
            .await
            .unwrap()
            .expect("a poller");
        assert_eq!(poller.queries.template, "ingress-nginx");
        let settings = AnalysisSettings {
            interval_secs: 2,
            threshold: 2,
            min_success_rate: 99.0,
            max_p99_ms: 500.0,
            min_requests: 5,
            max_4xx_rate: None,
            max_memory_growth: None,
            ..AnalysisSettings::default()
        };
        let plan = Plan::linear(Weight::clamped(10), Weight::clamped(50)).unwrap();
        let mut app = App::driving(AppConfig::default(), settings, plan);
        let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
        let (effects, effects_rx) = tokio::sync::mpsc::unbounded_channel();
        app.update(Event::ReleaseObserved {
            at: now(),
            release: seen.snapshot.clone(),
        });
        app.update(Event::PodsObserved {
            at: now(),
            pods: seen.pods.clone(),
        });
        let source = tokio::spawn(canary_cockpit::live::watch::run(
            cluster,
            seen,
            Default::default(),
            tx.clone(),
            effects_rx,
        ));
        let metrics = tokio::spawn(poller.run(tx));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut weights = Vec::new();
        while app.outcome.is_none() {
            let ev = match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(ev)) => ev,
                _ => panic!(
                    "no outcome within 60 s; phase {:?}, log {:?}",
                    app.phase, app.log
                ),
            };
            if let Event::ReleaseObserved { release, .. } = &ev {
                weights.push(release.weight.percent());
            }
            for e in app.update(ev) {
                effects.send(e).unwrap();
            }
        }
        assert_eq!(
            app.outcome,
            Some(canary_cockpit::app::ReleaseOutcome::RolledBack),
            "{:?}",
            app.log
        );
        // the first step went out (the canary was ready), then the failed checks rolled it back
        assert!(weights.contains(&10), "{weights:?}");
        let failed: Vec<String> = app
            .analysis
            .recent
            .iter()
            .filter(|v| v.outcome == canary_cockpit::model::Outcome::Fail)
            .map(|v| v.reason.clone())
            .collect();
        assert!(
            failed.len() >= 2 && failed.iter().all(|r| r.contains("error rate")),
            "{failed:?}"
        );
        // the rollback landed on the cluster: weight 0, the canary's Deployment at 0
        wait_until(
            "the rollback lands: weight 0, shop-v2 at 0 replicas",
            Duration::from_secs(20),
            || async {
                let w = annotation(&client, &ns, "shop-canary", WEIGHT).await;
                let r = deployment_replicas(&client, &ns, "shop-v2").await;
                if w.as_deref() == Some("0") && r == 0 {
                    Ok(())
                } else {
                    Err(format!("weight {w:?}, replicas {r}"))
                }
            },
        )
        .await;
        source.abort();
        metrics.abort();
    });
}

/// `canary demo --metrics-listen`: the demo's traffic, scraped by the real Prometheus, gives the
/// numbers the demo itself recorded.
#[test]
fn the_demo_exports_its_traffic_in_ingress_nginx_names() {
    use std::io::BufRead;
    let dir = scratch("demo");
    let recording = dir.join("demo.jsonl");
    let mut demo = std::process::Command::new(env!("CARGO_BIN_EXE_canary"))
        .args(["--log-file"])
        .arg(dir.join("demo.log"))
        .args([
            "demo",
            "--headless",
            "--speed",
            "1",
            "--seed",
            "7",
            "--metrics-listen",
            "127.0.0.1:0",
            "--record",
        ])
        .arg(&recording)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the demo");
    let stderr = demo.stderr.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stderr)
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("demo metrics at http://")
        .and_then(|r| r.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("no metrics address in {line:?}"))
        .to_string();
    let prom = Prometheus::start("demo", &[addr]);
    prom.wait_scrapes(8);
    let rt = runtime();
    let (sample, at) = rt.block_on(async {
        let p = poller(
            &prom.url,
            templates::NGINX,
            "",
            "*",
            &[("ingresses", "frontend|frontend-canary")],
        );
        let p = Poller {
            queries: templates::NGINX
                .render(&Context {
                    namespace: "demo".to_string(),
                    primary: String::new(),
                    canary: "*".to_string(),
                    window: "6s".to_string(),
                    extra: [(
                        "ingresses".to_string(),
                        "frontend|frontend-canary".to_string(),
                    )]
                    .into(),
                })
                .unwrap(),
            ..p
        };
        let at = now();
        (p.now(at).await.unwrap(), at)
    });
    let _ = demo.kill();
    let _ = demo.wait();
    // the demo's own samples over the same window, from its recording
    let rec = canary_cockpit::record::read(&recording).unwrap();
    let own: Vec<canary_cockpit::model::MetricsSample> = rec
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::MetricsSampled { sample }
                if sample.at.0 > at.0 - 6_000 && sample.at.0 <= at.0 =>
            {
                Some(*sample)
            }
            _ => None,
        })
        .collect();
    assert!(!own.is_empty(), "no demo samples in the window");
    let own_rps = own.iter().map(|s| s.primary.rps).sum::<f64>() / own.len() as f64;
    close(
        "primary rps vs the demo's",
        Some(sample.primary.rps),
        own_rps,
        own_rps * 0.25,
    );
    let max_p99 = own
        .iter()
        .filter_map(|s| s.primary.p99_ms)
        .fold(0.0, f64::max);
    let min_p99 = own
        .iter()
        .filter_map(|s| s.primary.p99_ms)
        .fold(f64::MAX, f64::min);
    let p99 = sample.primary.p99_ms.expect("a primary p99");
    assert!(
        p99 >= min_p99 - 60.0 && p99 <= max_p99 + 60.0,
        "p99 {p99} outside the demo's {min_p99}..{max_p99} (± one bucket)"
    );
    // p50 and p95 from the exporter's buckets, each within a bucket of the demo's own
    for (what, got, own) in [
        (
            "p50",
            sample.primary.p50_ms,
            own.iter()
                .filter_map(|s| s.primary.p50_ms)
                .collect::<Vec<_>>(),
        ),
        (
            "p95",
            sample.primary.p95_ms,
            own.iter().filter_map(|s| s.primary.p95_ms).collect(),
        ),
    ] {
        let got = got.unwrap_or_else(|| panic!("a primary {what}"));
        let lo = own.iter().copied().fold(f64::MAX, f64::min);
        let hi = own.iter().copied().fold(0.0, f64::max);
        assert!(
            got >= lo - 60.0 && got <= hi + 60.0,
            "{what} {got} outside the demo's {lo}..{hi} (± one bucket)"
        );
    }
    // the demo's 4xx, counted by the exporter as 404s
    let own_4xx = own.iter().filter_map(|s| s.primary.errors_4xx).sum::<f64>()
        / own.iter().map(|s| s.primary.requests).sum::<f64>();
    assert!(own_4xx > 0.0, "the demo produces 4xx");
    close(
        "primary 4xx vs the demo's",
        sample.primary.error_4xx_rate(),
        own_4xx,
        0.01,
    );
    // before the first step the canary has no traffic, in the demo and in Prometheus
    assert_eq!(sample.canary.error_rate(), None);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--prometheus-service NS/SERVICE:PORT`: queries go through the real API server's service
/// proxy, with the kubeconfig's credentials, to a Prometheus behind a Service (in a network
/// namespace of the test's own, scraping an exporter on its host side).
#[test]
fn queries_through_the_api_servers_service_proxy() {
    use crate::support::cluster::*;
    use crate::support::netns::{service_at, Netns};
    let cp = control_plane();
    let netns = Netns::new();
    let prom = Prometheus::start_in(
        "proxy",
        &exporters_on(&netns.host_addr, vec![nginx]),
        &netns,
    );
    prom.wait_scrapes(7);
    let rt = runtime();
    rt.block_on(async {
        let client = client(&cp.kubeconfig).await;
        let ns = namespace(&client, "prom-proxy").await;
        service_at(
            &client,
            &ns,
            "prometheus",
            serde_json::json!({}),
            &netns.inner_addr,
            9090,
        )
        .await;
        let endpoint =
            Endpoint::service_proxy(client.clone(), &format!("{ns}/prometheus:9090")).unwrap();
        let p = Poller {
            endpoint,
            ..poller(
                &prom.url,
                templates::NGINX,
                "",
                "*",
                &[("ingresses", "shop|shop-canary")],
            )
        };
        assert!(
            p.endpoint.describe().contains("/proxy"),
            "{}",
            p.endpoint.describe()
        );
        let s = p.now(now()).await.unwrap();
        close(
            "canary rps through the proxy",
            Some(s.canary.rps),
            10.0,
            1.0,
        );
        close(
            "canary errors through the proxy",
            s.canary.error_rate(),
            0.2,
            0.02,
        );
        // a Service that is not there: the API server's answer, said
        let gone = Poller {
            endpoint: Endpoint::service_proxy(client.clone(), &format!("{ns}/nothing:9090"))
                .unwrap(),
            ..p.clone()
        };
        let err = gone.now(now()).await.unwrap_err();
        assert!(
            matches!(
                err,
                MetricsError::Http { status: 404, .. } | MetricsError::Http { status: 503, .. }
            ),
            "{err}"
        );
        assert!(Endpoint::service_proxy(client, "no-slash").is_err());
    });
}

static STATUS_NS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The status test's release as ingress-nginx reports it: V1 50 requests a second without an
/// error, V2 20 a second of which 6 fail; every request under 100 ms.
fn status_traffic(t: f64) -> String {
    let ns = STATUS_NS.get().map_or("", String::as_str);
    let base = format!(r#"namespace="{ns}",ingress="shop""#);
    let canary = format!("{ns}-shop-canary-80");
    let mut out = String::new();
    out.push_str(&format!(
        "nginx_ingress_controller_requests{{{base},canary=\"\",status=\"200\"}} {}\n",
        50.0 * t
    ));
    out.push_str(&format!(
        "nginx_ingress_controller_requests{{{base},canary=\"{canary}\",status=\"200\"}} {}\n",
        14.0 * t
    ));
    out.push_str(&format!(
        "nginx_ingress_controller_requests{{{base},canary=\"{canary}\",status=\"500\"}} {}\n",
        6.0 * t
    ));
    for (label, rps) in [("", 50.0), (canary.as_str(), 20.0)] {
        out.push_str(&histogram(
            "nginx_ingress_controller_request_duration_seconds",
            &format!("{base},canary=\"{label}\""),
            rps * t,
            &[("0.1", 1.0)],
        ));
    }
    out
}

/// `canary status -o json` carries the statistical judge over its window, from a real
/// Prometheus: the error rate judged on its counts (High, the numbers the exporter serves),
/// the percentiles inconclusive with their count of samples.
#[test]
fn status_json_carries_the_judge() {
    use crate::support::cluster::*;
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "judge", "20", &[]));
    STATUS_NS.set(ns.clone()).unwrap();
    let prom = Prometheus::start("status-judge", &exporters(vec![status_traffic]));
    // about 15 s of traffic: 20 canary requests a second, a percentile sample a second
    prom.wait_scrapes(16);
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &[
            "status",
            "ingress/shop",
            "-o",
            "json",
            "--prometheus",
            &prom.url,
            "--metrics-interval",
            "1",
            "--metrics-window",
            "5s",
            "--resources-from",
            "off",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let judge = &json["judge"];
    assert_eq!(judge["verdict"], "fail", "{judge:#}");
    let metrics = judge["metrics"].as_array().expect("metrics");
    let errors = &metrics[0];
    for key in [
        "name",
        "canary",
        "primary",
        "n_canary",
        "n_primary",
        "effect",
        "ci_low",
        "ci_high",
        "p_value",
        "class",
        "reason",
    ] {
        assert!(errors.get(key).is_some(), "{key} missing: {errors:#}");
    }
    assert_eq!(errors["name"], "error rate");
    assert_eq!(errors["class"], "high", "{errors:#}");
    let f = |k: &str| errors[k].as_f64().unwrap_or(f64::NAN);
    // the counts: 30 % of the canary's requests failed, none of the primary's
    assert!((f("canary") - 0.3).abs() < 0.01, "{errors:#}");
    assert_eq!(f("primary"), 0.0, "{errors:#}");
    let (nc, np) = (f("n_canary"), f("n_primary"));
    assert!(nc >= 200.0, "{errors:#}");
    assert!((np / nc - 2.5).abs() < 0.1, "{errors:#}");
    assert!(f("ci_low") > 0.2 && f("ci_high") < 0.4, "{errors:#}");
    assert!(f("p_value") < 1e-6, "{errors:#}");
    // a sample a second for about 12 s: too few for Mann-Whitney, and it says how few
    let p99 = metrics.iter().find(|m| m["name"] == "p99").expect("p99");
    assert_eq!(p99["class"], "inconclusive", "{p99:#}");
    let reason = p99["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("inconclusive: ") && reason.ends_with(" samples < 20"),
        "{reason}"
    );
}

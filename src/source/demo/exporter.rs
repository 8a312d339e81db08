//! `canary demo --metrics-listen ADDR`: the demo's simulated traffic as Prometheus metrics in
//! ingress-nginx's names and labels, so a presenter can show the same numbers in Prometheus or
//! Grafana. Counters grow by each sample's requests, 4xx and 5xx; the latency histogram puts 51 %
//! of a sample's requests at or below the 50 ms bucket that holds its p50, 96 % at or below its
//! p95's and 99.5 % at or below its p99's, the rest above the largest bucket, so
//! `histogram_quantile` answers p50, p95 and p99 within a bucket of the demo's own. A sample
//! with a p99 alone puts 99 % at or below its p99's bucket.

use crate::model::{MetricsSample, Side, VersionSample};
use http::header::{HeaderValue, CONNECTION, CONTENT_TYPE};
use http::StatusCode;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Largest request line plus headers accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Time a scraper has to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Time a scraper has to take the answer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Scrapes served at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 16;

/// Upper bounds of the latency buckets, in seconds: every 50 ms up to 2 s, then 2.5, 5, 10.
fn bounds() -> Vec<f64> {
    let mut b: Vec<f64> = (1..=40).map(|i| f64::from(i * 50) / 1000.0).collect();
    b.extend([2.5, 5.0, 10.0]);
    b
}

#[derive(Clone, Debug, Default)]
struct Version {
    ok: f64,
    errors: f64,
    errors_4xx: f64,
    /// Cumulative count per bound of [`bounds`] (the +Inf bucket is ok + errors).
    buckets: Vec<f64>,
    sum_seconds: f64,
}

impl Version {
    fn add(&mut self, v: &VersionSample, bounds: &[f64]) {
        if self.buckets.is_empty() {
            self.buckets = vec![0.0; bounds.len()];
        }
        let total = v.requests.max(0.0);
        let errors = v.errors.clamp(0.0, total);
        let errors_4xx = v.errors_4xx.unwrap_or(0.0).clamp(0.0, total - errors);
        self.ok += total - errors - errors_4xx;
        self.errors += errors;
        self.errors_4xx += errors_4xx;
        let ms = |p: Option<f64>| p.filter(|p| p.is_finite() && *p >= 0.0);
        let Some(p99) = ms(v.p99_ms) else {
            return;
        };
        // (latency, share of the requests at or below its bucket)
        let marks: Vec<(f64, f64)> = match (ms(v.p50_ms), ms(v.p95_ms)) {
            (Some(p50), Some(p95)) => vec![(p50, 0.51), (p95, 0.96), (p99, 0.995)],
            _ => vec![(p99, 0.99)],
        };
        for (bound, bucket) in bounds.iter().zip(&mut self.buckets) {
            let share = marks
                .iter()
                .filter(|(latency, _)| latency / 1000.0 <= *bound)
                .map(|m| m.1)
                .fold(0.0, f64::max);
            *bucket += total * share;
        }
        self.sum_seconds += total * p99 / 1000.0;
    }
}

#[derive(Debug, Default)]
struct Counters {
    primary: Version,
    canary: Version,
}

/// The exporter's state, shared between the demo (which adds samples) and the HTTP thread.
#[derive(Clone, Debug)]
pub struct DemoExporter {
    counters: Arc<Mutex<Counters>>,
    namespace: String,
    ingress: String,
    bounds: Arc<Vec<f64>>,
}

impl DemoExporter {
    pub fn new(namespace: &str, ingress: &str) -> Self {
        DemoExporter {
            counters: Arc::default(),
            namespace: namespace.to_string(),
            ingress: ingress.to_string(),
            bounds: Arc::new(bounds()),
        }
    }

    pub fn add(&self, sample: &MetricsSample) {
        let mut c = match self.counters.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        c.primary.add(&sample.primary, &self.bounds);
        c.canary.add(&sample.canary, &self.bounds);
    }

    /// The canary upstream's name as ingress-nginx labels it.
    pub fn canary_upstream(&self) -> String {
        format!("{}-{}-canary-80", self.namespace, self.ingress)
    }

    /// The exposition (Prometheus text format 0.0.4).
    pub fn render(&self) -> String {
        let c = match self.counters.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (ns, ing) = (&self.namespace, &self.ingress);
        let canary = self.canary_upstream();
        let mut out = String::new();
        out.push_str(
            "# HELP nginx_ingress_controller_requests The total number of client requests\n",
        );
        out.push_str("# TYPE nginx_ingress_controller_requests counter\n");
        for (side, v) in [(Side::Primary, &c.primary), (Side::Canary, &c.canary)] {
            let label = if side == Side::Primary {
                ""
            } else {
                canary.as_str()
            };
            for (status, n) in [("200", v.ok), ("404", v.errors_4xx), ("500", v.errors)] {
                out.push_str(&format!(
                    "nginx_ingress_controller_requests{{namespace=\"{ns}\",ingress=\"{ing}\",canary=\"{label}\",status=\"{status}\"}} {n}\n"
                ));
            }
        }
        let name = "nginx_ingress_controller_request_duration_seconds";
        out.push_str(&format!(
            "# HELP {name} The request processing time in seconds\n"
        ));
        out.push_str(&format!("# TYPE {name} histogram\n"));
        for (side, v) in [(Side::Primary, &c.primary), (Side::Canary, &c.canary)] {
            let label = if side == Side::Primary {
                ""
            } else {
                canary.as_str()
            };
            let labels = format!("namespace=\"{ns}\",ingress=\"{ing}\",canary=\"{label}\"");
            for (i, le) in self.bounds.iter().enumerate() {
                let n = v.buckets.get(i).copied().unwrap_or(0.0);
                out.push_str(&format!("{name}_bucket{{{labels},le=\"{le}\"}} {n}\n"));
            }
            let total = v.ok + v.errors + v.errors_4xx;
            out.push_str(&format!("{name}_bucket{{{labels},le=\"+Inf\"}} {total}\n"));
            out.push_str(&format!("{name}_sum{{{labels}}} {}\n", v.sum_seconds));
            out.push_str(&format!("{name}_count{{{labels}}} {total}\n"));
        }
        out
    }

    /// Serves `GET /metrics` on `addr` from a thread of its own; the bound address.
    pub fn serve(&self, addr: &str) -> std::io::Result<SocketAddr> {
        let listener = std::net::TcpListener::bind(addr)?;
        let bound = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let me = self.clone();
        std::thread::Builder::new()
            .name("demo-metrics".to_string())
            .spawn(move || runtime.block_on(me.accept(listener)))?;
        Ok(bound)
    }

    /// Answers each connection in a task of its own, a few at a time.
    async fn accept(self, listener: std::net::TcpListener) {
        let listener = match TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(e) => {
                tracing::error!(%e, "demo metrics cannot listen");
                return;
            }
        };
        let mut connections = JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            if connections.len() >= MAX_CONNECTIONS {
                connections.join_next().await;
                continue;
            }
            match listener.accept().await {
                Ok((stream, _)) => {
                    connections.spawn(self.clone().answer(stream));
                }
                Err(e) => {
                    tracing::debug!(%e, "metrics connection");
                    // out of file descriptors, say: give the open connections time to finish
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// One request per connection, then the connection closes.
    async fn answer(self, stream: TcpStream) {
        let me = &self;
        let service = service_fn(
            move |request: http::Request<hyper::body::Incoming>| async move {
                Ok::<_, Infallible>(me.respond(request.uri().path()))
            },
        );
        let http = crate::http1::one_request(MAX_HEAD, READ_TIMEOUT);
        let served = http.serve_connection(TokioIo::new(stream), service);
        match tokio::time::timeout(READ_TIMEOUT + WRITE_TIMEOUT, served).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(%e, "metrics connection"),
            Err(_) => tracing::debug!("metrics connection timed out"),
        }
    }

    /// The exposition at /metrics (whatever the query), a hint elsewhere.
    fn respond(&self, path: &str) -> http::Response<Full<Bytes>> {
        let (status, body) = if path == "/metrics" {
            (StatusCode::OK, self.render())
        } else {
            (
                StatusCode::NOT_FOUND,
                "the demo serves /metrics\n".to_string(),
            )
        };
        let mut response = http::Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        );
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Millis;

    #[test]
    fn samples_grow_the_counters_and_the_p99_bucket() {
        let e = DemoExporter::new("demo", "frontend");
        let v = |requests: f64, errors: f64, p99: Option<f64>| VersionSample {
            rps: requests / 2.0,
            requests,
            errors,
            p99_ms: p99,
            ..VersionSample::default()
        };
        e.add(&MetricsSample {
            at: Millis(0),
            period_ms: 2000,
            primary: v(200.0, 0.0, Some(180.0)),
            canary: v(20.0, 3.0, Some(870.0)),
        });
        let text = e.render();
        assert!(text.contains(r#"nginx_ingress_controller_requests{namespace="demo",ingress="frontend",canary="",status="200"} 200"#), "{text}");
        assert!(
            text.contains(r#"canary="demo-frontend-canary-80",status="500"} 3"#),
            "{text}"
        );
        // 99 % of the canary's requests at or below the 0.9 s bucket, none below 0.85 s
        assert!(
            text.contains(r#"canary="demo-frontend-canary-80",le="0.9"} 19.8"#),
            "{text}"
        );
        assert!(
            text.contains(r#"canary="demo-frontend-canary-80",le="0.85"} 0"#),
            "{text}"
        );
        assert!(
            text.contains(r#"canary="demo-frontend-canary-80",le="+Inf"} 20"#),
            "{text}"
        );
    }

    #[test]
    fn four_xx_and_the_percentiles_have_their_buckets() {
        let e = DemoExporter::new("demo", "frontend");
        e.add(&MetricsSample {
            at: Millis(0),
            period_ms: 2000,
            primary: VersionSample {
                rps: 100.0,
                requests: 200.0,
                errors: 2.0,
                p99_ms: Some(480.0),
                errors_4xx: Some(10.0),
                p50_ms: Some(70.0),
                p95_ms: Some(260.0),
            },
            canary: VersionSample::default(),
        });
        let text = e.render();
        let primary = |rest: &str| format!(r#"canary="",{rest}"#);
        for (line, n) in [
            (primary(r#"status="200"}"#), "188"),
            (primary(r#"status="404"}"#), "10"),
            (primary(r#"status="500"}"#), "2"),
            (primary(r#"le="0.05"}"#), "0"),
            (primary(r#"le="0.1"}"#), "102"),
            (primary(r#"le="0.25"}"#), "102"),
            (primary(r#"le="0.3"}"#), "192"),
            (primary(r#"le="0.5"}"#), "199"),
            (primary(r#"le="+Inf"}"#), "200"),
        ] {
            assert!(
                text.contains(&format!("{line} {n}\n")),
                "{line} {n}: {text}"
            );
        }
    }

    /// One request on a fresh connection, the answer read until the exporter closes.
    fn get(addr: SocketAddr, request: &str) -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn metrics_are_served_over_http() {
        let e = DemoExporter::new("demo", "frontend");
        let addr = e.serve("127.0.0.1:0").unwrap();
        let answer = get(addr, "GET /metrics HTTP/1.1\r\nHost: demo\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.contains("Content-Type: text/plain; version=0.0.4\r\n"));
        assert!(answer.contains("Connection: close\r\n"));
        let (_, body) = answer.split_once("\r\n\r\n").unwrap();
        assert_eq!(body, e.render());
        assert!(answer.contains(&format!("Content-Length: {}\r\n", body.len())));

        let scraped = get(addr, "GET /metrics?x=1 HTTP/1.1\r\nHost: demo\r\n\r\n");
        assert!(scraped.starts_with("HTTP/1.1 200 OK\r\n"), "{scraped}");
        let other = get(addr, "GET / HTTP/1.1\r\nHost: demo\r\n\r\n");
        assert!(other.starts_with("HTTP/1.1 404 Not Found\r\n"), "{other}");
        assert!(
            other.ends_with("\r\n\r\nthe demo serves /metrics\n"),
            "{other}"
        );
        // Garbage is refused and the exporter keeps serving.
        let garbage = get(addr, "\x16\x03\x01\r\n\r\n");
        assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage}");
        let again = get(addr, "GET /metrics HTTP/1.1\r\n\r\n");
        assert!(again.starts_with("HTTP/1.1 200 OK\r\n"), "{again}");
    }
}

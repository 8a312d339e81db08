//! `canary demo --metrics-listen ADDR`: the demo's simulated traffic as Prometheus metrics in
//! ingress-nginx's names and labels, so a presenter can show the same numbers in Prometheus or
//! Grafana. Counters grow by each sample's requests and 5xx; the latency histogram puts 99 % of a
//! sample's requests in the 50 ms bucket that holds its p99 (so `histogram_quantile(0.99, …)`
//! answers within a bucket of the demo's own p99) and 1 % above the largest bucket.

use crate::model::{MetricsSample, Side, VersionSample};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
        self.ok += total - errors;
        self.errors += errors;
        if let Some(p99) = v.p99_ms.filter(|p| p.is_finite() && *p >= 0.0) {
            let secs = p99 / 1000.0;
            let first = bounds
                .iter()
                .position(|b| *b >= secs)
                .unwrap_or(bounds.len());
            for bucket in &mut self.buckets[first..] {
                *bucket += total * 0.99;
            }
            self.sum_seconds += total * secs;
        }
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
            for (status, n) in [("200", v.ok), ("500", v.errors)] {
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
            let total = v.ok + v.errors;
            out.push_str(&format!("{name}_bucket{{{labels},le=\"+Inf\"}} {total}\n"));
            out.push_str(&format!("{name}_sum{{{labels}}} {}\n", v.sum_seconds));
            out.push_str(&format!("{name}_count{{{labels}}} {total}\n"));
        }
        out
    }

    /// Serves `GET /metrics` on `addr` from a thread of its own; the bound address.
    pub fn serve(&self, addr: &str) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr)?;
        let bound = listener.local_addr()?;
        let me = self.clone();
        std::thread::Builder::new()
            .name("demo-metrics".to_string())
            .spawn(move || {
                for conn in listener.incoming() {
                    match conn {
                        Ok(s) => me.answer(s),
                        Err(e) => tracing::debug!(%e, "metrics connection"),
                    }
                }
            })?;
        Ok(bound)
    }

    fn answer(&self, mut s: TcpStream) {
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let mut head = Vec::new();
        let mut buf = [0u8; 2048];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let line = String::from_utf8_lossy(&head);
        let path = line.split_whitespace().nth(1).unwrap_or("");
        let (status, body) = if path == "/metrics" || path.starts_with("/metrics?") {
            ("200 OK", self.render())
        } else {
            ("404 Not Found", "the demo serves /metrics\n".to_string())
        };
        let answer = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = s.write_all(answer.as_bytes());
        let _ = s.shutdown(std::net::Shutdown::Write);
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
}

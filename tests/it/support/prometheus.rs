//! A real Prometheus for tests (Debian's `prometheus`, installed by `./scripts/test.sh`), started
//! on a free loopback port with a config written here, scraping exporters the tests serve every
//! second. Stopped when dropped.

use super::wait::wait_until_sync;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Prometheus {
    child: Option<Child>,
    pub url: String,
    dir: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` (host:port) every second; waits until it is ready.
    pub fn start(label: &str, targets: &[String]) -> Prometheus {
        Self::launch(label, targets, "127.0.0.1", free_port(), None)
    }

    /// As [`Prometheus::start`], inside `netns` on its inner address, port 9090: where the API
    /// server's service proxy reaches it.
    pub fn start_in(label: &str, targets: &[String], netns: &super::netns::Netns) -> Prometheus {
        Self::launch(label, targets, &netns.inner_addr, 9090, Some(netns))
    }

    fn launch(
        label: &str,
        targets: &[String],
        host: &str,
        port: u16,
        netns: Option<&super::netns::Netns>,
    ) -> Prometheus {
        let bin = std::env::var("CANARY_TEST_PROMETHEUS")
            .unwrap_or_else(|_| "/usr/bin/prometheus".into());
        assert!(
            std::path::Path::new(&bin).exists(),
            "{bin} is missing: these tests need a real Prometheus. Run ./scripts/test.sh (it installs Debian's prometheus)"
        );
        let dir = std::env::temp_dir().join(format!("canary-prom-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let list: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: exporter\n    static_configs:\n      - targets: [{}]\n",
            list.join(", ")
        );
        std::fs::write(dir.join("prometheus.yml"), config).unwrap();
        let mut command = match netns {
            Some(n) => n.command(&bin),
            None => Command::new(&bin),
        };
        let child = command
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={host}:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
            .spawn()
            .expect("start prometheus");
        let url = format!("http://{host}:{port}");
        let p = Prometheus {
            child: Some(child),
            url,
            dir,
        };
        p.wait_ready();
        p
    }

    fn wait_ready(&self) {
        let addr = self.url.trim_start_matches("http://").to_string();
        wait_until_sync("prometheus is ready", Duration::from_secs(30), || {
            if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                use std::io::{Read, Write};
                let _ = s
                    .write_all(format!("GET /-/ready HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes());
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                    return Ok(());
                }
            }
            Err(format!("its log:\n{}", self.log()))
        });
    }

    /// Waits until every target has been scraped at least `n` times (Prometheus starts scraping
    /// some seconds after it is ready).
    pub fn wait_scrapes(&self, n: usize) {
        let addr = self.url.trim_start_matches("http://").to_string();
        wait_until_sync(
            "prometheus scrapes every target",
            Duration::from_secs(60),
            || {
                let mut got = 0usize;
                if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                    use std::io::{Read, Write};
                    let q = "min(count_over_time(up%5B1m%5D))";
                    let _ = s.write_all(
                        format!("GET /api/v1/query?query={q} HTTP/1.0\r\nHost: {addr}\r\n\r\n")
                            .as_bytes(),
                    );
                    let mut answer = String::new();
                    let _ = s.read_to_string(&mut answer);
                    got = answer
                        .rsplit_once(",\"")
                        .and_then(|(_, v)| v.split('"').next())
                        .and_then(|v| v.parse::<f64>().ok())
                        .map_or(0, |v| v as usize);
                }
                if got >= n {
                    Ok(())
                } else {
                    Err(format!("{got} of {n} scrapes; its log:\n{}", self.log()))
                }
            },
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Serves `/metrics` on a free port of `host` from `body(seconds since start)`; the address.
pub async fn exporter(host: &str, body: fn(f64) -> String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind((host, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let start = Instant::now();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let text = body(start.elapsed().as_secs_f64());
            tokio::spawn(async move {
                // the whole request head first: closing with unread bytes would reset the
                // connection under the scraper
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

/// A histogram's cumulative bucket lines for `count` requests split into `shares` of `(le, share)`.
pub fn histogram(name: &str, labels: &str, count: f64, shares: &[(&str, f64)]) -> String {
    let mut out = String::new();
    let mut cumulative = 0.0;
    for (le, share) in shares {
        cumulative += share * count;
        out.push_str(&format!(
            "{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}\n"
        ));
    }
    out.push_str(&format!("{name}_bucket{{{labels},le=\"+Inf\"}} {count}\n"));
    out.push_str(&format!("{name}_count{{{labels}}} {count}\n"));
    out
}

/// Starts exporters on loopback, on a thread of their own (so they answer scrapes whatever the
/// test's runtime is doing); their addresses.
pub fn exporters(bodies: Vec<fn(f64) -> String>) -> Vec<String> {
    exporters_on("127.0.0.1", bodies)
}

/// As [`exporters`], on `host` (a [`super::netns::Netns`]'s host address, for a Prometheus
/// inside it).
pub fn exporters_on(host: &str, bodies: Vec<fn(f64) -> String>) -> Vec<String> {
    let host = host.to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("exporter runtime");
        rt.block_on(async move {
            let mut addrs = Vec::new();
            for b in bodies {
                addrs.push(exporter(&host, b).await);
            }
            let _ = tx.send(addrs);
            std::future::pending::<()>().await;
        });
    });
    rx.recv().expect("exporter addresses")
}

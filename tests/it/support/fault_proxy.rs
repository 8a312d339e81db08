//! A fault-injecting TCP proxy between the cockpit and the real API server, for what the server
//! will not do on demand: drop every open connection (watch streams included) and refuse new ones
//! for a while. TLS passes through untouched, so the cockpit still verifies the real server.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct FaultProxy {
    pub addr: SocketAddr,
    down: Arc<AtomicBool>,
    /// Milliseconds each chunk from the server waits before it reaches the cockpit: a slow server.
    delay_ms: Arc<AtomicU64>,
    /// Bumped to cut every open connection.
    cut: watch::Sender<u64>,
    generation: AtomicU64,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream` (host:port).
    pub async fn start(upstream: String) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let down = Arc::new(AtomicBool::new(false));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let (cut, cut_rx) = watch::channel(0u64);
        let accept_down = down.clone();
        let accept_delay = delay_ms.clone();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if accept_down.load(Ordering::SeqCst) {
                    drop(client); // refused: the server looks unreachable
                    continue;
                }
                let upstream = upstream.clone();
                let delay = accept_delay.clone();
                let mut cut_rx = cut_rx.clone();
                // only a cut after this connection opened ends it
                cut_rx.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut c_read, mut c_write) = client.into_split();
                    let (mut s_read, mut s_write) = server.into_split();
                    let up = tokio::io::copy(&mut c_read, &mut s_write);
                    let down = async move {
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let n = match s_read.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            let ms = delay.load(Ordering::SeqCst);
                            if ms > 0 {
                                // the passage of time is the fault: a slow server's answer
                                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                            }
                            if c_write.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    };
                    tokio::select! {
                        _ = up => {}
                        _ = down => {}
                        _ = cut_rx.changed() => {} // dropping both ends cuts the stream
                    }
                });
            }
        });
        FaultProxy {
            addr,
            down,
            delay_ms,
            cut,
            generation: AtomicU64::new(0),
        }
    }

    /// Cuts every open connection and refuses new ones until [`FaultProxy::restore`].
    pub fn break_connections(&self) {
        self.down.store(true, Ordering::SeqCst);
        let next = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = self.cut.send(next);
    }

    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
        self.delay_ms.store(0, Ordering::SeqCst);
    }

    /// Every answer of the server arrives `ms` late (per chunk) until [`FaultProxy::restore`].
    pub fn slow_down(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::SeqCst);
    }
}

/// The `server:` URL of a kubeconfig.
fn server_of(kubeconfig: &std::path::Path) -> (String, String) {
    let text = std::fs::read_to_string(kubeconfig).expect("read kubeconfig");
    let server = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .expect("a server line")
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string();
    (text, server)
}

/// A copy of `kubeconfig` whose server is the proxy (same CA, same credentials).
pub fn kubeconfig_through(kubeconfig: &std::path::Path, proxy: SocketAddr, out: &std::path::Path) {
    let (text, server) = server_of(kubeconfig);
    let rewritten = text.replace(&server, &format!("https://{proxy}"));
    std::fs::write(out, rewritten).expect("write kubeconfig");
}

/// `host:port` of the server in a kubeconfig.
pub fn upstream_of(kubeconfig: &std::path::Path) -> String {
    let (_, server) = server_of(kubeconfig);
    server
        .strip_prefix("https://")
        .unwrap_or(&server)
        .to_string()
}

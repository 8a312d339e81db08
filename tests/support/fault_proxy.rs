//! A fault-injecting TCP proxy between the cockpit and the real API server, for what the server
//! will not do on demand: drop every open connection (watch streams included) and refuse new ones
//! for a while. TLS passes through untouched, so the cockpit still verifies the real server.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct FaultProxy {
    pub addr: SocketAddr,
    down: Arc<AtomicBool>,
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
        let (cut, cut_rx) = watch::channel(0u64);
        let accept_down = down.clone();
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
                let mut cut_rx = cut_rx.clone();
                // only a cut after this connection opened ends it
                cut_rx.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut c, mut s) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut c, &mut s) => {}
                        _ = cut_rx.changed() => {} // dropping both ends cuts the stream
                    }
                });
            }
        });
        FaultProxy {
            addr,
            down,
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

//! `kubectl proxy` in front of the real API server, so that a test proxy on loopback sees plain
//! HTTP, and the kubeconfig that reaches the server through such a proxy. The tests that need a
//! server that is slow (`slow_write`) or that throttles (`throttling`) put their own small proxy
//! between the cockpit and `kubectl proxy`: the only part that is not the real thing is the fault.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// `kubectl proxy` on a free loopback port, stopped when dropped.
pub struct KubectlProxy {
    child: std::process::Child,
    pub addr: SocketAddr,
}

impl KubectlProxy {
    pub fn start(kubeconfig: &std::path::Path) -> KubectlProxy {
        let mut child = std::process::Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(["proxy", "--port=0", "--address=127.0.0.1"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("kubectl proxy starts");
        let out = child.stdout.take().expect("its stdout");
        let mut line = String::new();
        BufReader::new(out)
            .read_line(&mut line)
            .expect("kubectl proxy says where it serves");
        // "Starting to serve on 127.0.0.1:PORT"
        let addr = line
            .trim()
            .rsplit(' ')
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        KubectlProxy { child, addr }
    }
}

impl Drop for KubectlProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A kubeconfig that reaches the API server through `proxy`, in plain HTTP.
pub fn kubeconfig_at(proxy: SocketAddr, ns: &str, out: &std::path::Path) {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: slow\n  cluster:\n    server: http://{proxy}\n\
         users:\n- name: slow\n  user: {{}}\ncontexts:\n- name: slow\n  context:\n    cluster: slow\n    user: slow\n    namespace: {ns}\n\
         current-context: slow\n"
    );
    std::fs::write(out, text).expect("write the kubeconfig");
}

/// What a [`chunk_proxy`] does with a chunk the client sent.
pub enum Verdict {
    /// Passes it to the server.
    Pass,
    /// Holds it for a while, then passes it.
    Hold(std::time::Duration),
    /// Answers it in the server's place with these bytes; the server never sees it.
    Answer(Vec<u8>),
}

/// Forwards loopback connections to `upstream`, asking `judge` about each chunk a client sends
/// (with the number of chunks judged before it); returns the address and that count.
pub async fn chunk_proxy(
    upstream: SocketAddr,
    judge: impl Fn(&[u8], usize) -> Verdict + Send + Sync + 'static,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let seen = Arc::new(AtomicUsize::new(0));
    let seen_ = seen.clone();
    let judge = Arc::new(judge);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (seen, judge) = (seen_.clone(), judge.clone());
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut cr, cw) = client.into_split();
                let cw = Arc::new(tokio::sync::Mutex::new(cw));
                let (mut sr, mut sw) = server.into_split();
                let answers = cw.clone();
                let up = async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        match judge(&buf[..n], seen.fetch_add(1, Ordering::SeqCst)) {
                            Verdict::Pass => {}
                            Verdict::Hold(d) => tokio::time::sleep(d).await,
                            Verdict::Answer(bytes) => {
                                if answers.lock().await.write_all(&bytes).await.is_err() {
                                    break;
                                }
                                continue;
                            }
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                let down = async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match sr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if cw.lock().await.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                tokio::join!(up, down);
            });
        }
    });
    (addr, seen)
}

/// Whether `chunk` starts an HTTP request.
pub fn starts_request(chunk: &[u8]) -> bool {
    ["GET ", "POST ", "PUT ", "PATCH ", "DELETE "]
        .iter()
        .any(|m| chunk.starts_with(m.as_bytes()))
}

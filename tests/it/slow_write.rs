//! A write that the API server takes long to answer never holds up the cockpit: the watches and
//! the heartbeat go on, the action shows as in flight, a second action is refused, and a
//! rollback stops the slow write and runs at once.
//!
//! The cockpit talks plain HTTP to `kubectl proxy` (which talks to the real API server) through
//! a small proxy on loopback that holds the first PATCH it sees for a while: the only part that
//! is not the real thing is the delay.

use crate::support::cluster::*;
use crate::support::{alice, runtime, scratch};
use canary_cockpit::app::{Action, Effect, Event};
use canary_cockpit::model::Weight;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const HOLD: Duration = Duration::from_secs(10);

/// `kubectl proxy` on a free loopback port, stopped when dropped.
struct KubectlProxy {
    child: std::process::Child,
    addr: SocketAddr,
}

impl KubectlProxy {
    fn start(kubeconfig: &std::path::Path) -> KubectlProxy {
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

/// Forwards loopback connections to `upstream`; a connection whose client sends a chunk that
/// starts a PATCH request has that chunk held for [`HOLD`], the first `holds` times.
async fn patch_holding_proxy(upstream: SocketAddr, holds: usize) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let held = Arc::new(AtomicUsize::new(0));
    let held_ = held.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let held = held_.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if buf[..n].starts_with(b"PATCH ")
                            && held.fetch_add(1, Ordering::SeqCst) < holds
                        {
                            tokio::time::sleep(HOLD).await;
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                };
                tokio::join!(up, down);
            });
        }
    });
    (addr, held)
}

/// A kubeconfig that reaches the API server through `proxy`, in plain HTTP.
fn kubeconfig_at(proxy: SocketAddr, ns: &str, out: &std::path::Path) {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: slow\n  cluster:\n    server: http://{proxy}\n\
         users:\n- name: slow\n  user: {{}}\ncontexts:\n- name: slow\n  context:\n    cluster: slow\n    user: slow\n    namespace: {ns}\n\
         current-context: slow\n"
    );
    std::fs::write(out, text).expect("write the kubeconfig");
}

#[test]
fn a_slow_write_holds_up_nothing_and_a_rollback_overtakes_it() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "slow-write", "20", &[]));
    let dir = scratch("slow-write");
    let kubectl = KubectlProxy::start(&cp.kubeconfig);
    rt.block_on(async {
        let (addr, held) = patch_holding_proxy(kubectl.addr, 1).await;
        let through = dir.join("kubeconfig");
        kubeconfig_at(addr, &ns, &through);
        let (cluster, seen) = read_release(&through, &ns, "ingress/shop").await;
        let options = canary_cockpit::live::executor::Options {
            keep_canary: true,
            ..Default::default()
        };
        let Live {
            mut rx,
            effects,
            task,
        } = live_cockpit(cluster, seen, options);
        until_within(&mut rx, 10, "a heartbeat", |e| {
            matches!(e, Event::Heartbeat { .. })
        })
        .await;

        let started = Instant::now();
        let thirty = Action::SetWeight {
            weight: Weight::clamped(30),
        };
        effects
            .send(Effect::Act {
                action: thirty,
                actor: alice(),
            })
            .unwrap();
        // a pod goes away while the write is held: the watch tells it before the write returns
        let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
            kube::Api::namespaced(client.clone(), &ns);
        pods.delete("shop-v1-b", &Default::default())
            .await
            .expect("delete a pod");
        let seen = until_within(&mut rx, 8, "the deleted pod's absence", |e| {
            matches!(e, Event::PodsObserved { pods, .. }
                if !pods.primary.iter().any(|p| p.name == "shop-v1-b"))
        })
        .await;
        assert!(
            !seen.iter().any(|e| matches!(e, Event::ActionResult { .. })),
            "the write returned before it was released: {seen:?}"
        );
        assert_eq!(
            held.load(Ordering::SeqCst),
            1,
            "the PATCH reached the proxy"
        );
        // the loop goes on: heartbeats while the write is held
        let beats = until_within(&mut rx, 5, "three heartbeats", {
            let mut n = 0;
            move |e| {
                n += usize::from(matches!(e, Event::Heartbeat { .. }));
                n == 3
            }
        })
        .await;
        assert!(!beats
            .iter()
            .any(|e| matches!(e, Event::ActionResult { .. })));
        assert!(
            started.elapsed() < HOLD,
            "the checks ran while the write was held"
        );

        // a second action is refused with the reason, not queued
        effects
            .send(Effect::Act {
                action: Action::Pause,
                actor: alice(),
            })
            .unwrap();
        let refused = until_within(&mut rx, 5, "the pause's refusal", |e| {
            matches!(
                e,
                Event::ActionResult {
                    action: Action::Pause,
                    ..
                }
            )
        })
        .await;
        match refused.last() {
            Some(Event::ActionResult {
                error: Some(why), ..
            }) => {
                assert!(why.contains("set weight 30 % is in flight"), "{why}")
            }
            other => panic!("the pause was not refused: {other:?}"),
        }

        // a rollback stops the held write and runs at once
        effects
            .send(Effect::Act {
                action: Action::Rollback,
                actor: alice(),
            })
            .unwrap();
        let results = until_within(&mut rx, 8, "the rollback's result", |e| {
            matches!(
                e,
                Event::ActionResult {
                    action: Action::Rollback,
                    ..
                }
            )
        })
        .await;
        assert!(
            started.elapsed() < HOLD,
            "the rollback waited for the held write"
        );
        let errors: Vec<(Action, Option<String>)> = results
            .iter()
            .filter_map(|e| match e {
                Event::ActionResult { action, error, .. } => Some((*action, error.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            errors,
            vec![
                (thirty, Some("stopped by a rollback".to_string())),
                (Action::Rollback, None)
            ]
        );
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT)
                .await
                .as_deref(),
            Some("0")
        );
        // the held PATCH reaches the server once released, conditional on what it had read:
        // the rollback's weight stays
        tokio::time::sleep(HOLD.saturating_sub(started.elapsed()) + Duration::from_secs(1)).await;
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT)
                .await
                .as_deref(),
            Some("0")
        );
        task.abort();
    });
}

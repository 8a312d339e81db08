//! A write that the API server takes long to answer never holds up the cockpit: the watches and
//! the heartbeat go on, the action shows as in flight, a second action is refused, and a
//! rollback stops the slow write and runs at once. In a real terminal, the cockpit keeps drawing
//! frames (counted from its frame log), answers `?`, shows the action in flight with its age,
//! then its result.
//!
//! The cockpit talks plain HTTP to `kubectl proxy` (which talks to the real API server) through
//! a small proxy on loopback that holds the first PATCH it sees for a while: the only part that
//! is not the real thing is the delay.

use crate::support::cluster::*;
use crate::support::kubectl_proxy::{chunk_proxy, kubeconfig_at, KubectlProxy, Verdict};
use crate::support::tmux::Tmux;
use crate::support::{alice, runtime, scratch};
use canary_cockpit::app::{Action, Effect, Event};
use canary_cockpit::model::Weight;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HOLD: Duration = Duration::from_secs(10);

/// Passes everything to `upstream`; a chunk that starts a PATCH request is held for [`HOLD`],
/// the first `holds` times. Returns the address and how many PATCHes came.
async fn patch_holding_proxy(upstream: SocketAddr, holds: usize) -> (SocketAddr, Arc<AtomicUsize>) {
    let held = Arc::new(AtomicUsize::new(0));
    let held_ = held.clone();
    let (addr, _) = chunk_proxy(upstream, move |chunk, _| {
        if chunk.starts_with(b"PATCH ") && held_.fetch_add(1, Ordering::SeqCst) < holds {
            Verdict::Hold(HOLD)
        } else {
            Verdict::Pass
        }
    })
    .await;
    (addr, held)
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

/// Frames drawn so far, from the cockpit's frame log (one debug line a frame).
fn frames(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("frame drawn"))
        .count()
}

/// The patch-holding proxy on a thread of its own, so that it answers while the test waits on
/// the terminal; it stops with the test.
fn proxy_thread(upstream: SocketAddr) -> (SocketAddr, Arc<AtomicUsize>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        runtime().block_on(async {
            tx.send(patch_holding_proxy(upstream, 1).await)
                .expect("the test waits for the proxy");
            std::future::pending::<()>().await
        })
    });
    rx.recv().expect("the proxy started")
}

/// The real cockpit in a terminal while its write is held for 10 s: it keeps drawing frames,
/// answers `?` with the help, shows the action in flight with its age, then its result.
#[test]
fn the_cockpit_draws_answers_and_shows_the_action_in_flight_during_a_slow_write() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "slow-screen", "20", &[]));
    let dir = scratch("slow-screen");
    let kubectl = KubectlProxy::start(&cp.kubeconfig);
    let (addr, held) = proxy_thread(kubectl.addr);
    let through = dir.join("kubeconfig");
    kubeconfig_at(addr, &ns, &through);
    let log = dir.join("canary.log");
    let command = format!(
        "CANARY_LOG=info,canary_cockpit::tui=debug USER=smoke {} --log-file {} watch \
         ingress/shop -n {ns} --kubeconfig {}; echo $? > {}",
        env!("CARGO_BIN_EXE_canary"),
        log.display(),
        through.display(),
        dir.join("exit-status").display()
    );
    let t = Tmux::start("slow-screen", &command, dir.clone());
    t.wait_for("the release", |s| {
        s.contains("shop-v1-a") && s.contains("20 %")
    });

    t.keys(&["w"]);
    t.wait_for("the weight prompt", |s| s.contains("weight (0"));
    t.keys(&["3", "0", "Enter"]);
    let started = Instant::now();
    t.wait_for("the action in flight", |s| {
        s.contains("⧗ set weight 30 % in flight · ")
    });
    assert_eq!(held.load(Ordering::SeqCst), 1, "the PATCH is held");
    let before = frames(&log);

    // the cockpit answers keys meanwhile
    t.keys(&["?"]);
    t.wait_for("the help overlay", |s| {
        s.contains("automatic rollback stays armed")
    });
    t.keys(&["Escape"]);
    // still in flight, and its age goes on
    let s = t.wait_for(
        "the help closed and the action in flight for 2 s or more",
        |s| {
            !s.contains("automatic rollback stays armed")
                && ["2", "3", "4", "5", "6", "7", "8", "9"]
                    .iter()
                    .any(|n| s.contains(&format!("⧗ set weight 30 % in flight · {n} s")))
        },
    );
    assert!(!s.contains("set weight 30 % ok"), "{s}");
    let during = frames(&log) - before;
    assert!(
        during >= 3,
        "{during} frames while the write was held (the help, its closing, the age)"
    );

    // then the result, once the PATCH is let through
    let s = t.wait_for("the result", |s| {
        s.contains("set weight 30 % ok") && !s.contains("in flight")
    });
    assert!(started.elapsed() >= HOLD, "the write was held: {s}");
    let held_frames = frames(&log) - before;
    eprintln!("frames drawn while the write was held: {held_frames}");
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
            .as_deref(),
        Some("30")
    );
    t.keys(&["q"]);
}

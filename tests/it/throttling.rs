//! Every wait is bounded and said: an API server that answers 429 Too Many Requests has its
//! `Retry-After` honoured up to 30 s, each wait told on stderr, and a verb gives up at its
//! deadline (`--request-timeout`) with exit 1.
//!
//! The cockpit talks plain HTTP to `kubectl proxy` (which talks to the real API server) through a
//! small proxy on loopback that answers the first requests with 429 in the server's place.

use crate::support::cluster::*;
use crate::support::kubectl_proxy::{
    chunk_proxy, kubeconfig_at, starts_request, KubectlProxy, Verdict,
};
use crate::support::{runtime, scratch};
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The API server's own 429 answer, with `Retry-After: secs`.
fn too_many(secs: u64) -> Vec<u8> {
    let body = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too many requests, please try again later","reason":"TooManyRequests","code":429}"#;
    format!(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: {secs}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `canary` with `args` in `dir`; killed (and the test failed) if it has not ended after `limit`:
/// what is under test is that it ends on its own.
async fn bounded(dir: &Path, args: Vec<String>, limit: Duration) -> Output {
    let dir = dir.to_path_buf();
    let (pid_tx, pid_rx) = std::sync::mpsc::channel();
    let run = tokio::task::spawn_blocking(move || {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_canary"))
            .env("XDG_STATE_HOME", dir.join("state"))
            .env_remove("KUBECONFIG")
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run canary");
        let _ = pid_tx.send(child.id());
        child.wait_with_output().expect("its output")
    });
    match tokio::time::timeout(limit, run).await {
        Ok(out) => out.expect("the run"),
        Err(_) => {
            if let Ok(pid) = pid_rx.try_recv() {
                let _ = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status();
            }
            panic!("canary did not give up within {limit:?}")
        }
    }
}

/// Answers the first `n` requests with 429 and `Retry-After: secs`, then passes them all;
/// returns the address and the number of requests answered so.
async fn throttling_proxy(
    upstream: std::net::SocketAddr,
    n: usize,
    secs: u64,
) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let answered = Arc::new(AtomicUsize::new(0));
    let a = answered.clone();
    let (addr, _) = chunk_proxy(upstream, move |chunk, _| {
        if starts_request(chunk) && a.load(Ordering::SeqCst) < n {
            a.fetch_add(1, Ordering::SeqCst);
            Verdict::Answer(too_many(secs))
        } else {
            Verdict::Pass
        }
    })
    .await;
    (addr, answered)
}

#[test]
fn a_short_retry_after_is_waited_for_and_said() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "throttled", "20", &[]));
    let dir = scratch("short");
    let kubectl = KubectlProxy::start(&cp.kubeconfig);
    let out = rt.block_on(async {
        let (addr, answered) = throttling_proxy(kubectl.addr, 2, 2).await;
        let through = dir.join("kubeconfig");
        kubeconfig_at(addr, &ns, &through);
        let args = [
            "status",
            "ingress/shop",
            "--kubeconfig",
            through.to_str().unwrap(),
        ];
        let out = bounded(
            &dir,
            args.iter().map(|a| a.to_string()).collect(),
            Duration::from_secs(60),
        )
        .await;
        assert_eq!(answered.load(Ordering::SeqCst), 2, "two requests got a 429");
        out
    });
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let waits = err
        .lines()
        .filter(|l| {
            *l == "note: the API server asked to wait 2 s (429 Too Many Requests); retrying in 2 s"
        })
        .count();
    assert_eq!(waits, 2, "{err}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("weight canary 20 % / primary 80 %"),
        "{table}"
    );
}

#[test]
fn a_verb_gives_up_at_its_deadline_when_told_to_wait_an_hour() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "throttled-hour", "20", &[]));
    let dir = scratch("hour");
    let kubectl = KubectlProxy::start(&cp.kubeconfig);
    let out = rt.block_on(async {
        let (addr, _) = throttling_proxy(kubectl.addr, usize::MAX, 3600).await;
        let through = dir.join("kubeconfig");
        kubeconfig_at(addr, &ns, &through);
        let args = [
            "status",
            "ingress/shop",
            "--request-timeout",
            "5s",
            "--kubeconfig",
            through.to_str().unwrap(),
        ];
        // a bound far below the hour asked for, far above the deadline
        bounded(
            &dir,
            args.iter().map(|a| a.to_string()).collect(),
            Duration::from_secs(30),
        )
        .await
    });
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "note: the API server asked to wait 3600 s (429 Too Many Requests); retrying in 30 s"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "the API server still answered 429 Too Many Requests at the request timeout (5 s, \
             --request-timeout); it asked to wait 3600 s"
        ),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// In the cockpit: a write the API server answers with 429 and `Retry-After: 3600` is retried
/// after 30 s, and the wait is told in the event log, in the cockpit's own words, while the
/// watches go on.
#[test]
fn the_cockpit_tells_a_429_wait_in_its_event_log_and_retries_after_30_s() {
    use canary_cockpit::app::{Action, Effect, Event};
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "throttled-cockpit", "20", &[]));
    let dir = scratch("cockpit");
    let kubectl = KubectlProxy::start(&cp.kubeconfig);
    rt.block_on(async {
        // the first write (a PATCH) gets the 429; every other request passes
        let answered = Arc::new(AtomicUsize::new(0));
        let a = answered.clone();
        let (addr, _) = chunk_proxy(kubectl.addr, move |chunk, _| {
            if chunk.starts_with(b"PATCH ") && a.fetch_add(1, Ordering::SeqCst) == 0 {
                Verdict::Answer(too_many(3600))
            } else {
                Verdict::Pass
            }
        })
        .await;
        let through = dir.join("kubeconfig");
        kubeconfig_at(addr, &ns, &through);
        let (cluster, seen) = read_release(&through, &ns, "ingress/shop").await;
        let Live {
            mut rx,
            effects,
            task,
        } = live_cockpit(
            cluster,
            seen,
            canary_cockpit::live::executor::Options {
                // room for the 30 s wait (the default gives a write 30 s in all)
                timeout: Duration::from_secs(90),
                ..Default::default()
            },
        );
        until(&mut rx, "the first heartbeat", |e| {
            matches!(e, Event::Heartbeat { .. })
        })
        .await;
        effects
            .send(Effect::Act {
                action: Action::SetWeight {
                    weight: canary_cockpit::model::Weight::clamped(30),
                },
                actor: crate::support::alice(),
            })
            .unwrap();
        let told = until(
            &mut rx,
            "the wait told",
            |e| matches!(e, Event::Note { text, .. } if text.contains("429")),
        )
        .await;
        let Some(Event::Note { author, text, .. }) = told.last() else {
            panic!("{told:?}")
        };
        assert_eq!(author, "cluster");
        assert_eq!(
            text,
            "the API server asked to wait 3600 s (429 Too Many Requests); retrying in 30 s"
        );
        // the write lands once the 30 s are over
        let done = until_within(&mut rx, 60, "the write's result", |e| {
            matches!(e, Event::ActionResult { .. })
        })
        .await;
        assert!(
            matches!(done.last(), Some(Event::ActionResult { error: None, .. })),
            "{done:?}"
        );
        assert_eq!(
            answered.load(Ordering::SeqCst),
            2,
            "one 429, then the write"
        );
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT)
                .await
                .as_deref(),
            Some("30")
        );
        task.abort();
    });
}

//! The board across two contexts: both listed, one lost mid-session (its rows greyed with since
//! when) while the other's keep changing, then found again (listed anew, its rows back). Context
//! `b` reaches the control plane through the fault proxy, which cuts it off and lets it back.

use crate::support::cluster::*;
use crate::support::fault_proxy::{upstream_of, FaultProxy};
use crate::support::{runtime, wait_until};
use canary_cockpit::board::{Board, Update};
use canary_cockpit::live::board::Scope;
use canary_cockpit::model::wall_clock;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

/// A kubeconfig of two contexts for the restricted user: `a` straight to the API server, `b`
/// through `proxy`.
fn two_contexts(restricted: &Path, proxy: std::net::SocketAddr, out: &Path) {
    let text = std::fs::read_to_string(restricted).unwrap();
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .unwrap()
            .trim()
            .to_string()
    };
    let (server, ca, token) = (
        value("server:"),
        value("certificate-authority-data:"),
        value("token:"),
    );
    let yaml = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\n\
         - name: b\n  cluster:\n    server: https://{proxy}\n    certificate-authority-data: {ca}\n\
         users:\n- name: u\n  user:\n    token: {token}\ncontexts:\n- name: a\n  context:\n    cluster: a\n    user: u\n\
         - name: b\n  context:\n    cluster: b\n    user: u\ncurrent-context: a\n"
    );
    std::fs::write(out, yaml).unwrap();
}

async fn connect(kubeconfig: &Path, context: &str) -> canary_cockpit::cluster::Cluster {
    canary_cockpit::cluster::connect(&canary_cockpit::cli::ConnectArgs {
        namespace: None,
        context: Some(context.to_string()),
        kubeconfig: Some(kubeconfig.to_path_buf()),
        request_timeout: Some(Duration::from_secs(5)),
    })
    .await
    .expect("connect")
}

/// Applies every update that has arrived.
fn drain(board: &mut Board, rx: &mut mpsc::Receiver<Update>) {
    while let Ok(u) = rx.try_recv() {
        board.apply(u);
    }
}

fn weight(board: &Board, context: &str) -> Option<u8> {
    board
        .entries
        .iter()
        .find(|e| e.key().context == context)
        .and_then(|e| e.row().facts.weight)
}

#[test]
fn two_contexts_one_lost_and_found_again() {
    let rt = runtime();
    let cp = control_plane();
    rt.block_on(async {
        let admin = client(&cp.kubeconfig).await;
        let ns = shop(&admin, "board-ctx", "10", &[]).await;
        crate::board_cluster::grant(&admin, &ns, &[]).await;
        let proxy = FaultProxy::start(upstream_of(&cp.kubeconfig)).await;
        let dir = crate::support::scratch("board-contexts");
        let kubeconfig = dir.join("kubeconfig");
        two_contexts(&cp.restricted_kubeconfig, proxy.addr, &kubeconfig);
        let (tx, mut rx) = mpsc::channel(4096);
        let mut board = Board::new(&["a".to_string(), "b".to_string()], false, wall_clock());
        let mut tasks = Vec::new();
        for context in ["a", "b"] {
            let scope = Scope {
                cluster: connect(&kubeconfig, context).await,
                namespaces: vec![ns.clone()],
            };
            tasks.push(tokio::spawn(canary_cockpit::live::board::run(
                scope,
                tx.clone(),
            )));
        }
        let board = &mut board;
        wait_until("both contexts listed", Duration::from_secs(20), || {
            drain(board, &mut rx);
            let ok = weight(board, "a") == Some(10) && weight(board, "b") == Some(10);
            std::future::ready(ok)
        })
        .await;
        assert_eq!(board.entries.len(), 2, "one release in each context");
        // b is cut off
        proxy.break_connections();
        wait_until("b unreachable", Duration::from_secs(30), || {
            drain(board, &mut rx);
            std::future::ready(board.context("b").and_then(|c| c.unreachable_line()))
        })
        .await;
        let line = board
            .context("b")
            .and_then(|c| c.unreachable_line())
            .unwrap();
        assert!(line.starts_with("context b unreachable since "), "{line}");
        // a's rows keep changing; b's stay as last seen
        set_annotation(&admin, &ns, "shop-canary", WEIGHT, "40").await;
        wait_until("a's weight moves", Duration::from_secs(20), || {
            drain(board, &mut rx);
            std::future::ready(weight(board, "a") == Some(40))
        })
        .await;
        assert_eq!(weight(board, "b"), Some(10), "b's row as last seen");
        assert!(board.context("a").is_some_and(|c| c.unreachable.is_none()));
        // b is back: listed anew, its row current
        proxy.restore();
        wait_until("b back and relisted", Duration::from_secs(30), || {
            drain(board, &mut rx);
            let back = board.context("b").is_some_and(|c| c.unreachable.is_none());
            std::future::ready(back && weight(board, "b") == Some(40))
        })
        .await;
        for t in tasks {
            t.abort();
        }
    });
}

//! The board in a real terminal (tmux): it lists the releases, `/` filters, enter opens the
//! selected release's cockpit, esc comes back to the board with the filter and the selection as
//! they were, q quits cleanly.

use crate::support::cluster::*;
use crate::support::tmux::Tmux;
use crate::support::{runtime, scratch};
use crate::tmux_smoke::wait_for_file;
use serde_json::json;

#[test]
fn the_board_opens_a_release_and_comes_back_with_the_selection_kept() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "board-tmux", "20", &[]));
    rt.block_on(async {
        service(&client, &ns, "cart-primary", "cart", "v1").await;
        service(&client, &ns, "cart-canary", "cart", "v2").await;
        running_pod(
            &client,
            &ns,
            "cart-v1-a",
            ("cart", "v1", "cart:1.0"),
            true,
            0,
        )
        .await;
        running_pod(
            &client,
            &ns,
            "cart-v2-a",
            ("cart", "v2", "cart:2.0"),
            true,
            0,
        )
        .await;
        for name in ["cart", "cart-b"] {
            create_custom(
                &client,
                &ns,
                &virtual_services(),
                json!({"metadata": {"name": name}, "spec": {"http": [{"route": [
                    {"destination": {"host": "cart-primary"}, "weight": 75},
                    {"destination": {"host": "cart-canary"}, "weight": 25}]}]}}),
            )
            .await;
        }
        crate::board_cluster::grant(&client, &ns, &[]).await;
    });
    let dir = scratch("board-tmux");
    let bin = env!("CARGO_BIN_EXE_canary");
    let status = dir.join("exit-status");
    let command = format!(
        "XDG_STATE_HOME={} {bin} --log-file {} board --readonly -n {ns} --kubeconfig {}; echo $? > {}",
        dir.join("state").display(),
        dir.join("board.log").display(),
        cp.restricted_kubeconfig.display(),
        status.display()
    );
    let t = Tmux::start("board", &command, dir.clone());
    let s = t.wait_for("the board", |s| {
        s.contains("ingress/shop")
            && s.contains("virtualservice/cart-b")
            && s.contains("3 releases")
    });
    assert!(s.contains("listing every namespace is forbidden"), "{s}");
    // filter to the carts, select the second one
    t.keys(&["/", "c", "a", "r", "t", "Enter"]);
    t.wait_for("the filter", |s| {
        s.contains("filter \"cart\"") && !s.contains("ingress/shop")
    });
    t.keys(&["j"]);
    let before = t.wait_for("the second cart selected", |s| {
        s.lines()
            .any(|l| l.starts_with("▶") && l.contains("virtualservice/cart-b"))
    });
    // into its cockpit
    t.keys(&["Enter"]);
    t.wait_for("the cockpit of cart-b", |s| {
        s.contains("cart-v1-a") && s.contains("RO")
    });
    // and back: the filter and the selection as they were
    t.keys(&["Escape"]);
    let after = t.wait_for("the board again", |s| s.contains("canary board"));
    assert!(after.contains("filter \"cart\""), "{after}");
    let selected = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("▶"))
            .map(|l| l.split_whitespace().nth(2).unwrap_or_default().to_string())
    };
    assert_eq!(selected(&after), selected(&before), "{after}");
    assert_eq!(
        selected(&after).as_deref(),
        Some("virtualservice/cart-b"),
        "{after}"
    );
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&status).trim(), "0");
}

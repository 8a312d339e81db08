//! The config file through the real binary: a verb reads only the sections it uses, and a config
//! error is exit 2 (a usage error) whichever verb meets it.

use crate::support::cluster::*;
use crate::support::{runtime, scratch};
use std::path::Path;
use std::process::Output;

fn with_config(dir: &Path, config: &str, args: &[&str]) -> Output {
    let path = dir.join("canary.toml");
    std::fs::write(&path, config).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_canary"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("CANARY_CONFIG", &path)
        .env_remove("KUBECONFIG")
        .args(args)
        .output()
        .expect("run canary")
}

fn said(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_bad_section_stops_only_the_verbs_that_use_it_with_exit_2() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "config", "20", &[]));
    let dir = scratch("sections");
    let kc = cp.kubeconfig.to_str().unwrap();
    let status = ["status", "ingress/shop", "-n", &ns, "--kubeconfig", kc];
    let bad_alert = "[alerts.pager]\ntype = \"pagerduty\"\nurl = \"https://example.com/x\"\n";

    let out = with_config(&dir, bad_alert, &status);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = with_config(&dir, bad_alert, &["alert", "test"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("alerts.pager.type"), "{}", said(&out));
    let rollback = [
        "rollback",
        "ingress/shop",
        "--yes",
        "--alert",
        "pager",
        "-n",
        &ns,
        "--kubeconfig",
        kc,
    ];
    let out = with_config(&dir, bad_alert, &rollback);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
            .as_deref(),
        Some("20"),
        "nothing was written"
    );

    // the section status uses, or a file that is not the cockpit's: exit 2, not 1
    let both = "[prometheus.canary-test]\nurl = \"http://p:9090\"\nservice = \"m/p:9090\"\n";
    let out = with_config(&dir, both, &status);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("not both"), "{}", said(&out));
    let out = with_config(&dir, "[promethues]\n", &status);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("promethues"), "{}", said(&out));
}

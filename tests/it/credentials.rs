//! Credentials in the operator's words, against the real control plane: a token the API server
//! refuses, an exec plugin that fails, one that is not there; the details in the log file.

use crate::support::cluster::*;
use crate::support::kubeconfig::{exec_user, kubeconfig_with};
use crate::support::{runtime, scratch};
use std::path::Path;
use std::process::Output;

/// The real binary in `dir` with `args`, `dir` first on PATH, its log in `dir/canary.log`.
fn canary_with_path(dir: &Path, args: &[&str]) -> Output {
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::process::Command::new(env!("CARGO_BIN_EXE_canary"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("PATH", path)
        .env_remove("KUBECONFIG")
        .arg("--log-file")
        .arg(dir.join("canary.log"))
        .args(args)
        .output()
        .expect("run canary")
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("canary.log")).unwrap_or_default()
}

#[test]
fn a_refused_token_is_said_with_the_kubeconfig_user() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "unauthorized", "20", &[]));
    let dir = scratch("401");
    let kc = dir.join("kubeconfig");
    kubeconfig_with(
        &cp.kubeconfig,
        &kc,
        &ns,
        "u",
        "    token: not-a-token-the-server-knows",
    );
    let out = canary_with_path(
        &dir,
        &[
            "status",
            "ingress/shop",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err,
        "error: the API server refused the credentials of kubeconfig user 'u' (401 Unauthorized): \
         the token may have expired\n"
    );
    assert!(log(&dir).contains("401 Unauthorized"), "{}", log(&dir));
}

#[test]
fn a_failing_exec_plugin_is_named_with_the_first_line_it_said() {
    let cp = control_plane();
    let dir = scratch("exec-fails");
    let plugin = dir.join("aws");
    std::fs::write(
        &plugin,
        "#!/bin/sh\necho 'Error loading SSO Token: Token for canary does not exist' >&2\n\
         echo 'run aws sso login' >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let kc = dir.join("kubeconfig");
    kubeconfig_with(&cp.kubeconfig, &kc, "default", "u", &exec_user("aws"));
    let out = canary_with_path(
        &dir,
        &[
            "status",
            "ingress/shop",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err,
        "error: the kubeconfig's exec plugin `aws` failed (exit 1): Error loading SSO Token: \
         Token for canary does not exist\n"
    );
    // the whole of it in the log file
    let log = log(&dir);
    assert!(log.contains("run aws sso login"), "{log}");
}

#[test]
fn a_missing_exec_plugin_is_named() {
    let cp = control_plane();
    let dir = scratch("exec-missing");
    let kc = dir.join("kubeconfig");
    kubeconfig_with(
        &cp.kubeconfig,
        &kc,
        "default",
        "u",
        &exec_user("aws-canary-test-missing"),
    );
    let out = canary_with_path(
        &dir,
        &[
            "status",
            "ingress/shop",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err,
        "error: the kubeconfig's exec plugin `aws-canary-test-missing` was not found on PATH\n"
    );
}

/// Kubernetes 1.20 serves no SelfSubjectReview: the kubeconfig's user entry, marked as such.
#[test]
fn who_acts_falls_back_to_the_kubeconfig_user_where_the_server_does_not_say() {
    let cp = control_plane();
    let rt = runtime();
    let (cluster, id) = rt.block_on(async {
        let cluster = canary_cockpit::cluster::connect(&connect_args(&cp.kubeconfig, "default"))
            .await
            .expect("connect");
        let id = canary_cockpit::cluster::identity::who(&cluster).await;
        (cluster, id)
    });
    assert_eq!(cluster.user, "canary-admin");
    assert_eq!(id.user, "canary-admin");
    assert!(id.groups.is_empty());
    assert_eq!(id.seen, Err("it serves no SelfSubjectReview".to_string()));
    assert_eq!(id.actor().as_deref(), Some("kubeconfig user canary-admin"));
}

/// The plugin runs at connect, then again before the first request (its token expires within a
/// minute): failing then is said the same way.
#[test]
fn an_exec_plugin_that_fails_when_run_again_is_named() {
    let cp = control_plane();
    let dir = scratch("exec-fails-later");
    let plugin = dir.join("aws");
    let token = std::env::var("CANARY_TEST_ADMIN_TOKEN").expect("CANARY_TEST_ADMIN_TOKEN");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\nif [ -e \"{ran}\" ]; then echo 'the session expired' >&2; exit 2; fi\n\
             touch \"{ran}\"\nexp=$(date -u -d @$(( $(date +%s) + 20 )) +%Y-%m-%dT%H:%M:%SZ)\n\
             printf '{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\
             \"status\":{{\"token\":\"{token}\",\"expirationTimestamp\":\"%s\"}}}}\\n' \"$exp\"\n",
            ran = dir.join("ran").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let kc = dir.join("kubeconfig");
    kubeconfig_with(&cp.kubeconfig, &kc, "default", "u", &exec_user("aws"));
    let out = canary_with_path(
        &dir,
        &[
            "status",
            "ingress/shop",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(dir.join("ran").exists(), "the plugin ran at connect");
    assert_eq!(
        err,
        "error: the kubeconfig's exec plugin `aws` failed (exit 2): the session expired\n"
    );
}

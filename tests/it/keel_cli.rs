//! `canary keel approvals|approve|reject` through the real binary, against a stand-in for Keel's
//! approvals API on loopback (support/keel_stand_in.rs) and the real control plane (who votes,
//! the Secret with Keel's credentials).

use crate::support::cluster::*;
use crate::support::keel_stand_in::{approval, KeelStandIn};
use crate::support::{runtime, scratch};
use k8s_openapi::api::core::v1::Secret;
use std::path::Path;
use std::process::{Command, Output};

const PASSWORD: &str = "s3cret-keel-password";

/// The binary with `args` and `env`, its config, state and log under `dir`.
fn canary(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canary"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("KUBECONFIG")
        .env_remove("CANARY_CONFIG")
        .env_remove("CANARY_KEEL_URL")
        .env_remove("CANARY_KEEL_USER")
        .env_remove("CANARY_KEEL_PASSWORD")
        .envs(env.iter().copied())
        .arg("--log-file")
        .arg(dir.join("canary.log"))
        .args(args)
        .output()
        .expect("run canary")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Keel's admin Secret in `ns`, with `password`.
async fn keel_secret(client: &kube::Client, ns: &str, password: &str) {
    let api: kube::Api<Secret> = kube::Api::namespaced(client.clone(), ns);
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "keel-admin"},
        "stringData": {"BASIC_AUTH_USER": "admin", "BASIC_AUTH_PASSWORD": password}
    }))
    .unwrap();
    api.create(&Default::default(), &secret)
        .await
        .expect("create the Keel secret");
}

#[test]
fn approvals_are_listed_approved_and_rejected_with_credentials_from_env_or_secret() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(namespace(&client, "keel"));
    rt.block_on(keel_secret(&client, &ns, PASSWORD));
    let keel = KeelStandIn::start(
        "admin",
        PASSWORD,
        vec![
            approval(&ns, "frontend", "1.4.2", "1.5.0", 2),
            approval(&ns, "worker", "2.0", "2.1", 1),
            approval("elsewhere", "api", "3.0", "3.1", 1),
        ],
    );
    let dir = scratch("keel-cli");
    let kc = cp.kubeconfig.to_str().unwrap();
    let url = keel.url();
    let env = [
        ("CANARY_KEEL_USER", "admin"),
        ("CANARY_KEEL_PASSWORD", PASSWORD),
    ];
    let frontend = format!("deployment/{ns}/frontend:1.5.0");

    // the namespace's approvals only
    let out = canary(
        &dir,
        &env,
        &[
            "keel",
            "approvals",
            "--keel-url",
            &url,
            "-n",
            &ns,
            "--kubeconfig",
            kc,
        ],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains(&format!(
            "{frontend}  1.4.2 → 1.5.0 · 0/2 votes · deadline 14:00"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("deployment/{ns}/worker:2.1")),
        "{stdout}"
    );
    assert!(!stdout.contains("elsewhere"), "{stdout}");

    // approve, credentials from the environment: the voter is who the cluster says
    let out = canary(
        &dir,
        &env,
        &[
            "keel",
            "approve",
            &frontend,
            "--keel-url",
            &url,
            "--kubeconfig",
            kc,
        ],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let voter = keel.approval(&frontend)["voters"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !voter.is_empty() && !voter.contains("kubeconfig user"),
        "{voter}"
    );
    assert!(
        stdout.contains(&format!("approved {frontend} as {voter}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("Keel: 1/2 approvals for 1.5.0, deadline 14:00"),
        "{stdout}"
    );

    // approve again, credentials from the Secret the config names, the URL from the config
    let config = dir.join("keel.toml");
    std::fs::write(
        &config,
        format!("[keel]\nurl = \"{url}\"\nsecret = \"{ns}/keel-admin\"\n"),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let out = canary(
        &dir,
        &[],
        &[
            "keel",
            "approve",
            &frontend,
            "--config",
            cfg,
            "--kubeconfig",
            kc,
        ],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("Keel: 2/2 approvals for 1.5.0"), "{stdout}");
    assert_eq!(keel.approval(&frontend)["votesReceived"], 2);

    // reject
    let worker = format!("deployment/{ns}/worker:2.1");
    let out = canary(
        &dir,
        &[],
        &[
            "keel",
            "reject",
            &worker,
            "--config",
            cfg,
            "--kubeconfig",
            kc,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    assert_eq!(keel.approval(&worker)["rejected"], true);
    let posts: Vec<_> = keel
        .seen()
        .into_iter()
        .filter(|s| s.method == "POST")
        .collect();
    assert_eq!(posts.len(), 3, "{posts:?}");
    assert!(posts
        .iter()
        .all(|p| p.path == "/v1/approvals" && p.authorized));
    assert_eq!(posts[2].body["action"], "reject");
    assert_eq!(posts[2].body["voter"], voter.as_str());

    // an approval already decided: 404, said in words
    let out = canary(
        &dir,
        &[],
        &[
            "keel",
            "approve",
            &worker,
            "--config",
            cfg,
            "--kubeconfig",
            kc,
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Keel has no approval {worker} (404): it was already decided or archived"
        )),
        "{stderr}"
    );

    // no secret, no Authorization header in the log
    let log = std::fs::read_to_string(dir.join("canary.log")).unwrap_or_default();
    assert!(!log.contains(PASSWORD), "{log}");
    assert!(!log.contains(keel.authorization()), "{log}");
    assert!(!log.to_ascii_lowercase().contains("authorization"), "{log}");
}

#[test]
fn wrong_credentials_and_no_url_are_said_in_words() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(namespace(&client, "keel-refused"));
    rt.block_on(keel_secret(&client, &ns, "not-the-password"));
    let keel = KeelStandIn::start(
        "admin",
        PASSWORD,
        vec![approval(&ns, "frontend", "1", "2", 1)],
    );
    let dir = scratch("keel-refused");
    let kc = cp.kubeconfig.to_str().unwrap();
    let config = dir.join("keel.toml");
    std::fs::write(
        &config,
        format!(
            "[keel]\nurl = \"{}\"\nsecret = \"{ns}/keel-admin\"\n",
            keel.url()
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let out = canary(
        &dir,
        &[],
        &["keel", "approvals", "--config", cfg, "--kubeconfig", kc],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "Keel refused the credentials from secret {ns}/keel-admin"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-password"), "{stderr}");
    assert!(keel.seen().iter().all(|s| !s.authorized));

    // no URL anywhere: exit 2, naming --keel-url
    let out = canary(&dir, &[], &["keel", "approvals", "--kubeconfig", kc]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--keel-url"), "{stderr}");
    let log = std::fs::read_to_string(dir.join("canary.log")).unwrap_or_default();
    assert!(!log.contains("not-the-password"), "{log}");
}

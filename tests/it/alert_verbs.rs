//! `--alert` on the verbs, through the real binary against the real control plane, with a real
//! receiver on loopback: a rollback tells a webhook from `CANARY_ALERT_WEBHOOK_URL`; a pause of a
//! Flagger Canary tells the Canary's own AlertProviders (`--alert flagger`), and a user who may
//! not read a provider's Secret gets one note while the verb and the other providers go on; a
//! bad sink or config entry stops the verb with exit 2 before anything is written or sent.

use crate::alert_flagger::{
    alert_provider, canaries, canary_with_alerts, grant_flagger, secret, until_granted,
    RESTRICTED_USER,
};
use crate::support::alert_receiver::{AlertReceiver, Received};
use crate::support::cluster::*;
use crate::support::{runtime, scratch, wait_until};
use canary_cockpit::alert::SinkKind;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::PostParams;
use kube::{Api, Client};
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The path after the webhook route: the token the URL carries.
const WEBHOOK_TOKEN: &str = "verbs-hook-s3cr3t";
/// The path after the Slack route, as Slack's `/services/T/B/token`.
const SLACK_TOKEN: &str = "T0VERBS/B0VERBS/xoxb-s3cr3t";
/// The path after the Discord route, as Discord's `/api/webhooks/ID/token`.
const DISCORD_TOKEN: &str = "1234/discord-s3cr3t";
/// The OS user the verbs run as.
const OS_USER: &str = "alice";
/// The user of `scripts/control-plane.sh`'s first kubeconfig.
const ADMIN_USER: &str = "canary-admin";

/// What the binary did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn both(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }

    /// Fails unless none of `secrets` is in stdout or stderr.
    fn keeps(&self, secrets: &[&str]) {
        for s in secrets {
            assert!(!self.stdout.contains(s), "{s:?} in stdout: {}", self.both());
            assert!(!self.stderr.contains(s), "{s:?} in stderr: {}", self.both());
        }
    }
}

/// The real binary with `args` in namespace `ns` of the cluster `kubeconfig` names, as user
/// `alice`, with `env` and no other alert URL, config file or kubeconfig from the environment.
/// It runs off the runtime's thread, so that the receiver answers meanwhile.
async fn verb(kubeconfig: &Path, ns: &str, args: &[&str], env: &[(&str, String)]) -> Run {
    let dir = std::env::temp_dir().join("canary-alert-verbs");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canary"));
    cmd.env("XDG_STATE_HOME", dir.join("state"))
        // a directory without a config file: the default config is empty
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .env("HOME", dir.join("home"))
        .env("USER", OS_USER)
        .env("RUST_BACKTRACE", "1")
        .env_remove("LOGNAME")
        .env_remove("USERNAME")
        .env_remove("KUBECONFIG")
        .env_remove("CANARY_CONFIG")
        .env_remove("CANARY_KEEP_SESSIONS");
    for kind in SinkKind::ALL {
        cmd.env_remove(kind.env_var());
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args)
        .args(["-n", ns, "--kubeconfig"])
        .arg(kubeconfig);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("the binary's thread")
        .expect("run canary");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The shop release at 40 % with its Deployments (shop-v1 ×2, shop-v2 ×1).
async fn shop_at_40(client: &Client, prefix: &str) -> String {
    let ns = shop(client, prefix, "40", &[]).await;
    shop_deployments(client, &ns).await;
    ns
}

#[test]
fn a_rollback_tells_the_webhook_once_and_never_prints_its_url() {
    let cp = control_plane();
    runtime().block_on(async {
        let client = client(&cp.kubeconfig).await;
        let ns = shop_at_40(&client, "alert-verb-rollback").await;
        let receiver = AlertReceiver::start().await;
        let url = receiver.url(&format!("webhook/{WEBHOOK_TOKEN}"));
        let run = verb(
            &cp.kubeconfig,
            &ns,
            &["rollback", "ingress/shop", "--yes", "--alert", "webhook"],
            &[("CANARY_ALERT_WEBHOOK_URL", url.clone())],
        )
        .await;
        assert_eq!(run.code, Some(0), "{}", run.both());
        // the rollback itself happened
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT)
                .await
                .as_deref(),
            Some("0")
        );
        assert_eq!(deployment_replicas(&client, &ns, "shop-v2").await, 0);

        let got = receiver.settled("webhook").await;
        assert_eq!(got.len(), 1, "{got:#?}\n{}", run.both());
        let r = &got[0];
        assert!(r.problems.is_empty(), "{:?}: {}", r.problems, r.body);
        assert_eq!(r.status, Some(200));
        let b = &r.body;
        assert_eq!(b["event"], "operator_rollback", "{b}");
        assert_eq!(b["severity"], "warn", "{b}");
        assert_eq!(b["release"], "shop", "{b}");
        assert_eq!(b["namespace"], ns.as_str(), "{b}");
        assert_eq!(b["phase"], "RolledBack", "{b}");
        // the release as it was before the rollback
        assert_eq!(b["weight"], 40, "{b}");
        assert_eq!(
            b["actor"],
            format!("{OS_USER} (kubeconfig user {ADMIN_USER})").as_str(),
            "{b}"
        );
        let reason = b["reason"].as_str().unwrap_or_default();
        assert!(reason.contains(ADMIN_USER), "{b}");
        assert_eq!(b["metrics"]["primary"]["name"], "shop", "{b}");
        assert_eq!(b["metrics"]["primary"]["image"], "shop:1.0", "{b}");
        assert_eq!(b["metrics"]["canary"]["name"], "shop-canary", "{b}");
        assert_eq!(b["metrics"]["canary"]["image"], "shop:2.0", "{b}");
        assert_eq!(b["session"], serde_json::Value::Null, "{b}");

        let told: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.contains("alert "))
            .collect();
        assert_eq!(
            told,
            ["alert operator_rollback to webhook: delivered (HTTP 200)"],
            "{}",
            run.both()
        );
        assert!(!run.stderr.contains("warning"), "{}", run.both());
        run.keeps(&[WEBHOOK_TOKEN, &url, "/webhook/"]);
    });
}

/// Pods of the Flagger release as its Deployments would make them.
async fn podinfo_pods(client: &Client, ns: &str) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    for (name, version, deployment, image) in [
        ("podinfo-primary-1", "v1", "podinfo-primary", "podinfo:6.0"),
        ("podinfo-1", "v2", "podinfo", "podinfo:6.1"),
    ] {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": name, "labels": {"app": "podinfo", "version": version, "deployment": deployment}},
            "spec": {"automountServiceAccountToken": false, "containers": [{"name": "app", "image": image}]}
        }))
        .expect("a pod");
        pods.create(&PostParams::default(), &pod)
            .await
            .expect("create pod");
    }
}

/// A Flagger release `podinfo` at 10 %, progressing, whose Canary alerts two providers: `on-call`
/// (Slack, `#releases`), its URL the receiver's /slack in the Secret `slack-url`, and `chat`
/// (Discord), its URL the receiver's /discord inline.
async fn flagger_release_with_alerts(
    client: &Client,
    prefix: &str,
    receiver: &AlertReceiver,
) -> String {
    let ns = namespace(client, prefix).await;
    secret(
        client,
        &ns,
        "slack-url",
        json!({"address": receiver.url(&format!("slack/{SLACK_TOKEN}"))}),
    )
    .await;
    alert_provider(
        client,
        &ns,
        "on-call",
        json!({"type": "slack", "channel": "#releases", "secretRef": {"name": "slack-url"}}),
    )
    .await;
    alert_provider(
        client,
        &ns,
        "chat",
        json!({"type": "discord", "address": receiver.url(&format!("discord/{DISCORD_TOKEN}"))}),
    )
    .await;
    canary_with_alerts(
        client,
        &ns,
        json!([
            {"name": "on-call", "providerRef": {"name": "on-call"}},
            {"name": "chat", "severity": "info", "providerRef": {"name": "chat"}}
        ]),
    )
    .await;
    podinfo_pods(client, &ns).await;
    patch_custom_status(
        client,
        &ns,
        &canaries(),
        "podinfo",
        json!({"phase": "Progressing", "canaryWeight": 10, "failedChecks": 0, "iterations": 1,
               "conditions": [{"type": "Promoted", "status": "Unknown", "reason": "Progressing",
                               "message": "New revision detected, progressing canary analysis."}]}),
    )
    .await;
    ns
}

async fn suspended(client: &Client, ns: &str) -> serde_json::Value {
    custom_field(client, ns, &canaries(), "podinfo", &["spec", "suspend"]).await
}

/// Fails unless `r` is a valid, answered Slack message about the pause of podinfo in #releases.
fn slack_pause(r: &Received) {
    assert!(r.problems.is_empty(), "{:?}: {}", r.problems, r.body);
    assert_eq!(r.status, Some(200));
    assert_eq!(r.body["channel"], "#releases", "{}", r.body);
    let text = r.body["text"].as_str().unwrap_or_default();
    assert!(text.contains("paused"), "{}", r.body);
    assert!(text.contains("podinfo"), "{}", r.body);
    assert!(
        r.body["blocks"].as_array().is_some_and(|b| !b.is_empty()),
        "{}",
        r.body
    );
}

#[test]
fn a_pause_tells_the_canarys_own_alert_providers() {
    let cp = control_plane();
    runtime().block_on(async {
        let client = client(&cp.kubeconfig).await;
        let receiver = AlertReceiver::start().await;
        let ns = flagger_release_with_alerts(&client, "alert-verb-pause", &receiver).await;
        assert_eq!(suspended(&client, &ns).await, serde_json::Value::Null);

        let run = verb(
            &cp.kubeconfig,
            &ns,
            &["pause", "canary/podinfo", "--alert", "flagger"],
            &[],
        )
        .await;
        assert_eq!(run.code, Some(0), "{}", run.both());
        assert_eq!(suspended(&client, &ns).await, true);
        // the verb says what it wrote: the Canary's spec.suspend, no annotation
        assert_eq!(
            run.stdout,
            "canary/podinfo: progression paused (canary/podinfo spec.suspend: true)\n"
        );
        let annotations = custom_field(
            &client,
            &ns,
            &canaries(),
            "podinfo",
            &["metadata", "annotations"],
        )
        .await;
        assert!(
            annotations.get(canary_cockpit::provider::PAUSED).is_none(),
            "{annotations}"
        );

        let slack = receiver.settled("slack").await;
        assert_eq!(slack.len(), 1, "{slack:#?}\n{}", run.both());
        slack_pause(&slack[0]);
        let discord = receiver.requests_to("discord");
        assert_eq!(discord.len(), 1, "{discord:#?}\n{}", run.both());
        assert!(discord[0].problems.is_empty(), "{:?}", discord[0].problems);
        assert_eq!(receiver.requests().len(), 2, "{:#?}", receiver.requests());

        for line in [
            format!("alert paused to flagger/{ns}/on-call: delivered (HTTP 200)"),
            format!("alert paused to flagger/{ns}/chat: delivered (HTTP 204)"),
        ] {
            assert!(
                run.stderr.lines().any(|l| l == line),
                "{line:?} missing: {}",
                run.both()
            );
        }
        assert!(!run.stderr.contains("note:"), "{}", run.both());
        assert!(!run.stderr.contains("warning"), "{}", run.both());
        run.keeps(&[SLACK_TOKEN, DISCORD_TOKEN, "xoxb", "/slack/", "/discord/"]);

        // paused already: nothing done, nothing told
        let again = verb(
            &cp.kubeconfig,
            &ns,
            &["pause", "canary/podinfo", "--alert", "flagger"],
            &[],
        )
        .await;
        assert_eq!(again.code, Some(0), "{}", again.both());
        assert!(again.stdout.contains("already paused"), "{}", again.both());
        assert_eq!(receiver.settled("slack").await.len(), 1);
    });
}

/// Lets the restricted user pause a Flagger release in `ns`: patch canaries, and read the
/// Deployments and pods the release is read from.
async fn grant_pause(client: &Client, ns: &str) {
    let role: Role = serde_json::from_value(json!({
        "metadata": {"name": "canary-pauser"},
        "rules": [
            {"apiGroups": ["flagger.app"], "resources": ["canaries"], "verbs": ["patch"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
        ]
    }))
    .expect("a role");
    Api::<Role>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &role)
        .await
        .expect("create role");
    let binding: RoleBinding = serde_json::from_value(json!({
        "metadata": {"name": "canary-pauser"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "canary-pauser"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": RESTRICTED_USER}]
    }))
    .expect("a role binding");
    Api::<RoleBinding>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &binding)
        .await
        .expect("create role binding");
}

/// Waits until the restricted user may list Deployments in `ns`.
async fn until_deployments(restricted: &Client, ns: &str) {
    let api: Api<Deployment> = Api::namespaced(restricted.clone(), ns);
    wait_until(
        &format!("the restricted user may list deployments in {ns}"),
        Duration::from_secs(10),
        || async { api.list(&Default::default()).await.map(drop) },
    )
    .await;
}

#[test]
fn a_user_who_may_not_read_the_secret_gets_one_note_and_the_pause_goes_on() {
    let cp = control_plane();
    runtime().block_on(async {
        let client = client(&cp.kubeconfig).await;
        let receiver = AlertReceiver::start().await;
        let ns = flagger_release_with_alerts(&client, "alert-verb-rbac", &receiver).await;
        grant_pause(&client, &ns).await;
        grant_flagger(&client, &ns, &["canaries", "alertproviders"]).await;
        let restricted = crate::support::cluster::client(&cp.restricted_kubeconfig).await;
        until_granted(&restricted, &ns).await;
        until_deployments(&restricted, &ns).await;
        // the user may indeed not read the Secret
        let denied = Api::<k8s_openapi::api::core::v1::Secret>::namespaced(restricted, &ns)
            .get("slack-url")
            .await;
        assert!(
            matches!(&denied, Err(kube::Error::Api(s)) if s.code == 403),
            "{denied:?}"
        );

        let run = verb(
            &cp.restricted_kubeconfig,
            &ns,
            &["pause", "canary/podinfo", "--alert", "flagger"],
            &[],
        )
        .await;
        assert_eq!(run.code, Some(0), "{}", run.both());
        assert_eq!(suspended(&client, &ns).await, true);

        let notes: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("note:"))
            .collect();
        assert_eq!(notes.len(), 1, "{}", run.both());
        for part in [
            format!("alert provider {ns}/on-call"),
            format!("Secret {ns}/slack-url"),
            format!("{RESTRICTED_USER} may not get secrets"),
            "its alerts are not sent".to_string(),
        ] {
            assert!(notes[0].contains(&part), "{part:?} not in {}", notes[0]);
        }
        // nothing for the provider whose Secret is unread; the other still told
        assert!(receiver.settled("slack").await.is_empty());
        let discord = receiver.requests_to("discord");
        assert_eq!(discord.len(), 1, "{discord:#?}\n{}", run.both());
        assert!(discord[0].problems.is_empty(), "{:?}", discord[0].problems);
        let body = discord[0].body.to_string();
        assert!(body.contains(RESTRICTED_USER), "{body}");
        assert!(
            run.stderr
                .lines()
                .any(|l| l == format!("alert paused to flagger/{ns}/chat: delivered (HTTP 204)")),
            "{}",
            run.both()
        );
        assert!(!run.stderr.contains("on-call: delivered"), "{}", run.both());
        run.keeps(&[SLACK_TOKEN, DISCORD_TOKEN, "/slack/", "/discord/"]);
    });
}

#[test]
fn a_bad_sink_or_config_entry_is_exit_2_with_nothing_written_or_sent() {
    let cp = control_plane();
    let dir = scratch("alert-verbs-config");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[alerts.ops]\ntype = \"pagerduty\"\nurl = \"https://events.pagerduty.example/x\"\n",
    )
    .expect("write the config");
    let config = config.to_str().expect("a UTF-8 path").to_string();
    runtime().block_on(async {
        let client = client(&cp.kubeconfig).await;
        let ns = shop_at_40(&client, "alert-verb-bad").await;
        let receiver = AlertReceiver::start().await;
        let webhook = (
            "CANARY_ALERT_WEBHOOK_URL",
            receiver.url(&format!("webhook/{WEBHOOK_TOKEN}")),
        );
        let unchanged = |run: &Run| {
            assert_eq!(run.code, Some(2), "{}", run.both());
            assert!(run.stdout.is_empty(), "{}", run.both());
            assert!(
                run.stderr.starts_with("error:") && run.stderr.lines().count() == 1,
                "{}",
                run.both()
            );
        };

        // a usable webhook beside it: still nothing sent
        let run = verb(
            &cp.kubeconfig,
            &ns,
            &[
                "rollback",
                "ingress/shop",
                "--yes",
                "--alert",
                "webhook",
                "--alert",
                "slack",
            ],
            std::slice::from_ref(&webhook),
        )
        .await;
        unchanged(&run);
        assert!(
            run.stderr.contains("CANARY_ALERT_SLACK_URL"),
            "{}",
            run.both()
        );

        for alert in ["webhook", "ops"] {
            let run = verb(
                &cp.kubeconfig,
                &ns,
                &[
                    "rollback",
                    "ingress/shop",
                    "--yes",
                    "--alert",
                    alert,
                    "--config",
                    &config,
                ],
                std::slice::from_ref(&webhook),
            )
            .await;
            unchanged(&run);
            for part in [config.as_str(), "alerts.ops.type", "pagerduty"] {
                assert!(run.stderr.contains(part), "{part:?}: {}", run.both());
            }
        }

        // an empty variable is as good as none
        let run = verb(
            &cp.kubeconfig,
            &ns,
            &["pause", "ingress/shop", "--alert", "slack"],
            &[("CANARY_ALERT_SLACK_URL", " ".to_string())],
        )
        .await;
        unchanged(&run);
        assert!(
            run.stderr.contains("CANARY_ALERT_SLACK_URL"),
            "{}",
            run.both()
        );

        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT)
                .await
                .as_deref(),
            Some("40")
        );
        assert_eq!(
            annotation(
                &client,
                &ns,
                "shop-canary",
                canary_cockpit::provider::PAUSED
            )
            .await,
            None
        );
        assert_eq!(deployment_replicas(&client, &ns, "shop-v2").await, 1);
        assert!(
            receiver.settled("webhook").await.is_empty() && receiver.requests().is_empty(),
            "{:#?}",
            receiver.requests()
        );
    });
}

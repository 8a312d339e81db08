//! `canary wait` through the real binary against the real control plane, for each kind of
//! release: the test plays the controllers (Flagger's and Argo's status fields, the cockpit's
//! own annotations through the verbs) while the wait follows, and reads its lines as they come.

use crate::cluster_argo::{argo_release, controller_status};
use crate::cluster_flagger::flagger_release;
use crate::support::cluster::*;
use crate::support::runtime;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a line the wait must print may take to come (the watches, a busy machine).
const PATIENCE: Duration = Duration::from_secs(60);

fn canaries() -> kube::api::ApiResource {
    custom("flagger.app", "v1beta1", "Canary", "canaries")
}

/// A running `canary wait`, its stdout read line by line as it comes.
struct Waiting {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Waiting {
    fn start(kubeconfig: &Path, ns: &str, args: &[&str]) -> Waiting {
        let dir = std::env::temp_dir().join("canary-wait-tests");
        let mut child = Command::new(env!("CARGO_BIN_EXE_canary"))
            .env("XDG_STATE_HOME", dir.join("state"))
            .env_remove("KUBECONFIG")
            .arg("--log-file")
            .arg(dir.join("canary.log"))
            .arg("wait")
            .args(args)
            .args(["-n", ns, "--kubeconfig"])
            .arg(kubeconfig)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start canary wait");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Waiting {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for the next line that holds every one of `parts`.
    fn line(&mut self, parts: &[&str]) -> String {
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if parts.iter().all(|p| line.contains(p)) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {parts:?} within {PATIENCE:?}; lines so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// The exit code, every line of stdout and stderr.
    fn finish(mut self) -> (i32, Vec<String>, String) {
        let status = self.child.wait().expect("wait for canary wait");
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            self.seen.push(line);
        }
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        (status.code().unwrap_or(-1), self.seen, err)
    }
}

async fn flagger(client: &kube::Client, ns: &str, status: serde_json::Value) {
    patch_custom_status(client, ns, &canaries(), "podinfo", status).await;
}

#[test]
fn flagger_promotion_as_json_lines() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(flagger_release(&client, "wait-flagger-json", None));
    rt.block_on(flagger(
        &client,
        &ns,
        json!({"lastAppliedSpec": "spec-2", "lastPromotedSpec": "spec-1"}),
    ));
    let mut w = Waiting::start(
        &cp.kubeconfig,
        &ns,
        &["canary/podinfo", "-o", "json", "--timeout", "120s"],
    );
    w.line(&[r#""kind":"change""#, r#""weight":10"#]);
    rt.block_on(flagger(
        &client,
        &ns,
        json!({"canaryWeight": 30, "failedChecks": 0}),
    ));
    w.line(&[r#""weight":30"#]);
    rt.block_on(flagger(
        &client,
        &ns,
        json!({"phase": "Succeeded", "canaryWeight": 0, "lastPromotedSpec": "spec-2"}),
    ));
    let (code, lines, err) = w.finish();
    assert_eq!(code, 0, "{lines:?} {err}");
    let objects: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"note"), "{kinds:?}");
    assert_eq!(&kinds[kinds.len() - 2..], ["end", "summary"], "{kinds:?}");
    let changes: Vec<&serde_json::Value> =
        objects.iter().filter(|o| o["kind"] == "change").collect();
    assert_eq!(changes[0]["phase"], "Progressing");
    assert_eq!(changes[0]["release"], "spec-2");
    assert_eq!(changes[0]["step"], json!([1, 5]));
    assert!(changes[0]["checks"]
        .as_str()
        .is_some_and(|c| c.starts_with("failed checks 1/5")));
    assert!(changes.iter().any(|c| c["weight"] == 30));
    let last = changes.last().unwrap();
    assert_eq!(
        (&last["phase"], &last["weight"]),
        (&json!("Succeeded"), &json!(0))
    );
    let end = &objects[objects.len() - 2];
    assert_eq!(
        (&end["outcome"], &end["exit"]),
        (&json!("promoted"), &json!(0))
    );
    let summary = &objects[objects.len() - 1]["summary"];
    assert_eq!(summary["release"], "podinfo");
    assert_eq!(summary["source"]["kind"], "cluster");
    assert!(summary["event_count"].as_u64().unwrap() >= 3, "{summary}");
}

#[test]
fn flagger_rollback_gate_and_the_end_after_a_gate() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(flagger_release(&client, "wait-flagger", None));
    // a rollback: exit 3, and the post-mortem after it
    let mut w = Waiting::start(
        &cp.kubeconfig,
        &ns,
        &["canary/podinfo", "--timeout", "120s"],
    );
    w.line(&["Progressing", "weight 10 %", "step 1/5"]);
    rt.block_on(flagger(
        &client,
        &ns,
        json!({"phase": "Failed", "canaryWeight": 0}),
    ));
    let (code, lines, err) = w.finish();
    assert_eq!(code, 3, "{lines:?} {err}");
    let text = lines.join("\n");
    assert!(
        text.contains("rolled-back: the release rolled-back"),
        "{text}"
    );
    assert!(text.contains("Post-mortem: podinfo"), "{text}");

    // Flagger waits at the promotion gate: a person must act, exit 4 with who and how
    rt.block_on(flagger(
        &client,
        &ns,
        json!({"phase": "WaitingPromotion", "canaryWeight": 50, "lastAppliedSpec": "spec-3", "lastPromotedSpec": "spec-2"}),
    ));
    let w = Waiting::start(
        &cp.kubeconfig,
        &ns,
        &["canary/podinfo", "--timeout", "120s"],
    );
    let (code, lines, err) = w.finish();
    assert_eq!(code, 4, "{lines:?} {err}");
    let text = lines.join("\n");
    assert!(
        text.contains("waits at the confirm-promotion gate"),
        "{text}"
    );
    assert!(
        text.contains(&format!("`canary rollback canary/podinfo -n {ns} --yes`")),
        "{text}"
    );

    // --for ended: the gate is no end, the promotion is
    let mut w = Waiting::start(
        &cp.kubeconfig,
        &ns,
        &["canary/podinfo", "--for", "ended", "--timeout", "120s"],
    );
    w.line(&["WaitingPromotion", "weight 50 %"]);
    rt.block_on(flagger(
        &client,
        &ns,
        json!({"phase": "Promoting", "canaryWeight": 50}),
    ));
    w.line(&["Promoting"]);
    rt.block_on(flagger(
        &client,
        &ns,
        json!({"phase": "Succeeded", "canaryWeight": 0, "lastPromotedSpec": "spec-3"}),
    ));
    let (code, lines, err) = w.finish();
    assert_eq!(code, 0, "{lines:?} {err}");
}

/// flagger #830: a wait that starts after the previous release succeeded ends with the next
/// one, not at once, and not at a success of the previous spec.
#[test]
fn flagger_waits_for_the_new_spec_to_be_applied_and_promoted() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(flagger_release(&client, "wait-flagger-next", None));
    rt.block_on(flagger(
        &client,
        &ns,
        json!({"phase": "Succeeded", "canaryWeight": 0, "lastAppliedSpec": "spec-1", "lastPromotedSpec": "spec-1"}),
    ));
    let mut w = Waiting::start(
        &cp.kubeconfig,
        &ns,
        &["canary/podinfo", "--timeout", "120s"],
    );
    w.line(&["the next release (the last one, spec-1, promoted)"]);
    w.line(&["Succeeded", "weight 0 %"]);
    // Flagger applies the new spec
    rt.block_on(flagger(
        &client,
        &ns,
        json!({"phase": "Progressing", "canaryWeight": 10, "lastAppliedSpec": "spec-2"}),
    ));
    w.line(&["following the release spec-2"]);
    w.line(&["Progressing", "weight 10 %"]);
    // a success that is still the old spec's (promoted spec-1, applied spec-2): no end
    rt.block_on(flagger(
        &client,
        &ns,
        json!({"phase": "Succeeded", "canaryWeight": 20}),
    ));
    w.line(&["Succeeded", "weight 20 %"]);
    rt.block_on(flagger(
        &client,
        &ns,
        json!({"phase": "Succeeded", "canaryWeight": 0, "lastPromotedSpec": "spec-2"}),
    ));
    w.line(&["Succeeded", "weight 0 %"]);
    let (code, lines, err) = w.finish();
    assert_eq!(code, 0, "{lines:?} {err}");
    assert!(lines
        .iter()
        .any(|l| l.contains("promoted: the release promoted")));
}

#[test]
fn argo_pause_promotion_and_abort() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    // paused at an indefinite pause step: exit 4, naming the step and the command
    let ns = rt.block_on(argo_release(&client, "wait-argo"));
    let w = Waiting::start(&cp.kubeconfig, &ns, &["rollout/shop", "--timeout", "120s"]);
    let (code, lines, err) = w.finish();
    assert_eq!(code, 4, "{lines:?} {err}");
    let text = lines.join("\n");
    assert!(
        text.contains("pause step 2/5 waits until promoted"),
        "{text}"
    );
    assert!(
        text.contains(&format!("`canary promote rollout/shop -n {ns} --yes`")),
        "{text}"
    );

    // under way: promoted once the stable hash is the current one and the rollout Healthy
    rt.block_on(controller_status(
        &client,
        &ns,
        json!({"currentStepIndex": 2, "phase": "Progressing", "message": null, "pauseConditions": null}),
    ));
    let mut w = Waiting::start(&cp.kubeconfig, &ns, &["rollout/shop", "--timeout", "120s"]);
    w.line(&["Progressing", "step 3/5"]);
    rt.block_on(controller_status(
        &client,
        &ns,
        json!({"currentStepIndex": 5, "stableRS": "bbb", "phase": "Healthy"}),
    ));
    let (code, lines, err) = w.finish();
    assert_eq!(code, 0, "{lines:?} {err}");

    // the next release aborted: exit 3
    rt.block_on(controller_status(
        &client,
        &ns,
        json!({"currentStepIndex": 0, "currentPodHash": "ccc", "phase": "Progressing"}),
    ));
    let mut w = Waiting::start(&cp.kubeconfig, &ns, &["rollout/shop", "--timeout", "120s"]);
    w.line(&["waiting up to", "the release under way (ccc)"]);
    rt.block_on(controller_status(
        &client,
        &ns,
        json!({"abort": true, "abortedAt": "2026-01-01T00:00:00Z", "phase": "Degraded"}),
    ));
    let (code, lines, err) = w.finish();
    assert_eq!(code, 3, "{lines:?} {err}");
}

#[test]
fn a_release_the_cockpit_drives_pause_rollback_and_promotion() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "wait-nginx", "10", &[]));
    // a pause written by the cockpit: exit 4; with --for ended the wait goes on to the rollback
    let out = canary_at(&cp.kubeconfig, &ns, &["pause", "ingress/shop"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let w = Waiting::start(&cp.kubeconfig, &ns, &["ingress/shop", "--timeout", "120s"]);
    let (code, lines, err) = w.finish();
    assert_eq!(code, 4, "{lines:?} {err}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("`canary resume ingress/shop -n {ns}`"))),
        "{lines:?}"
    );
    let mut w = Waiting::start(
        &cp.kubeconfig,
        &ns,
        &["ingress/shop", "--for", "ended", "--timeout", "120s"],
    );
    w.line(&["Paused", "weight 10 %"]);
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["rollback", "ingress/shop", "--yes", "--keep-canary"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (code, lines, err) = w.finish();
    assert_eq!(code, 3, "{lines:?} {err}");

    // the next release: a weight above 0 starts it, the promotion's end ends the wait
    let mut w = Waiting::start(
        &cp.kubeconfig,
        &ns,
        &["ingress/shop", "--image", "shop:2.0", "--timeout", "120s"],
    );
    w.line(&["waiting up to", "the release whose canary runs shop:2.0"]);
    let out = canary_at(&cp.kubeconfig, &ns, &["resume", "ingress/shop"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = canary_at(&cp.kubeconfig, &ns, &["set-weight", "ingress/shop", "40"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    w.line(&["following the release shop:2.0"]);
    // the end of the cockpit's promotion, as its last stage writes it
    rt.block_on(set_annotation(&client, &ns, "shop-canary", WEIGHT, "0"));
    rt.block_on(set_annotation(
        &client,
        &ns,
        "shop-canary",
        "canary-cockpit.io/outcome",
        "promoted",
    ));
    let (code, lines, err) = w.finish();
    assert_eq!(code, 0, "{lines:?} {err}");
}

#[test]
fn timeout_and_a_forbidden_user() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(flagger_release(&client, "wait-limits", None));
    let w = Waiting::start(&cp.kubeconfig, &ns, &["canary/podinfo", "--timeout", "2s"]);
    let (code, lines, err) = w.finish();
    assert_eq!(code, 5, "{lines:?} {err}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("timeout: the release did not end within 00:02")),
        "{lines:?}"
    );
    let w = Waiting::start(&cp.restricted_kubeconfig, &ns, &["canary/podinfo"]);
    let (code, lines, err) = w.finish();
    assert_eq!(code, 1, "{lines:?} {err}");
    assert!(err.contains("cannot get canaries"), "{err}");
    assert!(lines.is_empty(), "{lines:?}");
}

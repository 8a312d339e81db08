//! A vote from the real cockpit in a real terminal (tmux) against the stand-in for Keel's
//! approvals API (support/keel_stand_in.rs) and the real control plane: `a` asks to confirm,
//! naming the version and the votes; `y` posts the vote as the Kubernetes user; the line moves to
//! 2/2; the recording holds the vote, and neither it nor the log holds the password or the
//! Authorization header.

use crate::support::cluster::*;
use crate::support::keel_stand_in::{approval, KeelStandIn};
use crate::support::tmux::Tmux;
use crate::support::{runtime, scratch, wait_until_sync};
use k8s_openapi::api::apps::v1::Deployment;
use std::time::Duration;

const PASSWORD: &str = "cockpit-keel-vote-s3cret";

#[test]
fn a_in_the_cockpit_approves_through_keel_and_is_recorded() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "keel-vote", "10", &[]));
    rt.block_on(async {
        deployment(&client, &ns, "shop-v2", ("shop", "v2", "shop:2.0"), 1).await;
        let api: kube::Api<Deployment> = kube::Api::namespaced(client.clone(), &ns);
        let patch = serde_json::json!({"metadata": {"annotations": {
            "keel.sh/policy": "minor", "keel.sh/approvals": "2"}}});
        api.patch(
            "shop-v2",
            &Default::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
        .expect("annotate for Keel");
    });
    let mut pending = approval(&ns, "shop-v2", "2.0", "2.1", 2);
    pending["votesReceived"] = 1.into();
    pending["voters"] = serde_json::json!(["bob"]);
    let keel = KeelStandIn::start("admin", PASSWORD, vec![pending]);
    let identifier = format!("deployment/{ns}/shop-v2:2.1");

    let dir = scratch("keel-vote");
    let log = dir.join("canary.log");
    let recording = dir.join("vote.jsonl");
    let command = format!(
        "CANARY_KEEL_USER=admin CANARY_KEEL_PASSWORD={PASSWORD} CANARY_LOG=debug USER=smoke \
         XDG_STATE_HOME={} {} --log-file {} watch ingress/shop -n {ns} --kubeconfig {} \
         --keel-url {} --record {}; echo $? > {}",
        dir.join("state").display(),
        env!("CARGO_BIN_EXE_canary"),
        log.display(),
        cp.kubeconfig.display(),
        keel.url(),
        recording.display(),
        dir.join("exit-status").display()
    );
    let t = Tmux::start("keel-vote", &command, dir.clone());
    t.wait_for("the Keel line at 1/2", |s| {
        s.contains("Keel: 1/2 approvals for 2.1")
    });
    t.keys(&["a"]);
    let asked = t.wait_for("the confirmation", |s| s.contains("Approve in Keel?"));
    // the modal's text, its lines joined
    let words: Vec<&str> = asked
        .lines()
        .filter_map(|l| l.split('║').nth(1))
        .flat_map(str::split_whitespace)
        .collect();
    assert!(
        words.join(" ").contains(&format!(
            "approve 2.1 for deployment/{ns}/shop-v2? votes 1/2"
        )),
        "{asked}"
    );
    t.keys(&["y"]);
    let screen = t.wait_for("Keel's answer", |s| s.contains("approved 2.1 as"));
    assert!(screen.contains("votes 2/2"), "{screen}");

    // the stand-in received the vote, with the credentials and the voter the cockpit named
    let posts: Vec<_> = keel
        .seen()
        .into_iter()
        .filter(|s| s.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let post = &posts[0];
    assert!(post.authorized, "{post:?}");
    assert_eq!(post.body["identifier"], identifier.as_str());
    assert_eq!(post.body["action"], "approve");
    let voter = post.body["voter"].as_str().unwrap_or_default().to_string();
    assert!(
        !voter.is_empty() && !voter.contains("kubeconfig user"),
        "the user's name: {post:?}"
    );
    assert!(
        screen.contains(&format!("approved 2.1 as {voter}")),
        "the voter named: {voter}\n{screen}"
    );
    assert_eq!(keel.approval(&identifier)["votesReceived"], 2);
    // the line leaves the gauge at 2/2: no pending approval is left
    let lines: Vec<&str> = screen.lines().collect();
    assert!(!lines[2].contains("Keel:"), "{screen}");

    t.keys(&["q"]);
    wait_until_sync("the cockpit quits", Duration::from_secs(15), || {
        std::fs::read_to_string(t.status_file())
            .map_err(|e| e.to_string())
            .and_then(|s| {
                if s.trim().is_empty() {
                    Err("empty".to_string())
                } else {
                    Ok(s)
                }
            })
    });
    let recorded = std::fs::read_to_string(&recording).expect("the recording");
    let voted: Vec<serde_json::Value> = recorded
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["event"].clone())
        .filter(|v| v["type"] == "keel_voted")
        .collect();
    assert_eq!(voted.len(), 1, "{recorded}");
    let v = &voted[0];
    assert_eq!(v["identifier"], identifier.as_str());
    assert_eq!(v["vote"], "approve");
    assert_eq!(v["actor"]["kind"], "operator");
    assert_eq!(v["approval"]["votesReceived"], 2);
    assert!(v.get("error").is_none(), "{v}");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    for text in [&recorded, &logged] {
        assert!(!text.contains(PASSWORD));
        assert!(!text.contains(keel.authorization()));
    }
    assert!(logged.contains("keel vote"), "the log tells the vote");

    // the post-mortem lists the vote
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_canary"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .arg("--log-file")
        .arg(dir.join("replay.log"))
        .args(["replay", "--summary"])
        .arg(&recording)
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(summary.contains("Keel votes"), "{summary}");
    assert!(
        summary.contains(&format!("approved 2.1 ({identifier})  votes 2/2")),
        "{summary}"
    );
}

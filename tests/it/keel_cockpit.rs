//! The cockpit's Keel line against a stand-in for Keel's approvals API (support/keel_stand_in.rs)
//! and the real control plane: the release's workloads found by their `keel.sh/approvals`
//! annotation, the credentials read from the Secret the config names, the line at 1/2 votes, then
//! 2/2 once `canary keel approve` voted; no secret in the recording.

use crate::support::cluster::*;
use crate::support::keel_stand_in::{approval, KeelStandIn};
use crate::support::{draw, rows, runtime, scratch};
use canary_cockpit::app::{App, AppConfig, Event};
use canary_cockpit::config::KeelEntry;
use canary_cockpit::keel::{poll, setup};
use canary_cockpit::record::{Header, Recorder, SessionSource, Tap};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use std::time::Duration;

const PASSWORD: &str = "cockpit-keel-s3cret";

/// Keel's next word about the approvals, within one poll and some.
async fn next_approvals(rx: &mut tokio::sync::mpsc::Receiver<Event>) -> Event {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("the Keel task said nothing within 60 s")
            .expect("the Keel task ended");
        match ev {
            Event::KeelApprovals { .. } => return ev,
            Event::Note { text, .. } => panic!("the Keel task said: {text}"),
            _ => {}
        }
    }
}

#[test]
fn the_cockpit_line_goes_from_one_to_two_votes() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "keel-cockpit", "10", &[]));
    rt.block_on(async {
        deployment(&client, &ns, "shop-v2", ("shop", "v2", "shop:2.0"), 1).await;
        deployment(&client, &ns, "other", ("other", "v1", "other:1"), 1).await;
        let api: kube::Api<Deployment> = kube::Api::namespaced(client.clone(), &ns);
        for name in ["shop-v2", "other"] {
            let patch = serde_json::json!({"metadata": {"annotations": {
                "keel.sh/policy": "minor", "keel.sh/approvals": "2"}}});
            api.patch(name, &Default::default(), &kube::api::Patch::Merge(&patch))
                .await
                .expect("annotate for Keel");
        }
        let secrets: kube::Api<Secret> = kube::Api::namespaced(client.clone(), &ns);
        let secret: Secret = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "keel-admin"},
            "stringData": {"BASIC_AUTH_USER": "admin", "BASIC_AUTH_PASSWORD": PASSWORD}
        }))
        .unwrap();
        secrets.create(&Default::default(), &secret).await.unwrap();
    });
    let mut pending = approval(&ns, "shop-v2", "2.0", "2.1", 2);
    pending["votesReceived"] = 1.into();
    pending["voters"] = serde_json::json!(["alice"]);
    let keel = KeelStandIn::start(
        "admin",
        PASSWORD,
        vec![pending, approval(&ns, "other", "1", "2", 1)],
    );
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "ingress/shop"));

    // the release's workload, not the namespace's other one
    let workloads = rt
        .block_on(poll::workloads(&cluster, &seen.selectors))
        .unwrap();
    assert_eq!(workloads, ["shop-v2"]);

    // without a URL: one note naming --keel-url, and no task
    let dir = scratch("keel-cockpit");
    let empty = dir.join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let said = canary_cockpit::commands::keel::beside(&rt, &cluster, &seen, None, Some(&empty));
    assert!(said.poll.is_none());
    assert_eq!(said.notes.len(), 1, "{:?}", said.notes);
    assert!(said.notes[0].contains("--keel-url"), "{:?}", said.notes);
    assert!(
        said.notes[0].contains("deployment/shop-v2"),
        "{:?}",
        said.notes
    );

    let entry = KeelEntry {
        url: Some(keel.url()),
        secret: Some(format!("{ns}/keel-admin")),
    };
    let client_keel = rt
        .block_on(setup::connect(Some(&cluster), None, &entry))
        .expect("Keel's client");
    let header = Header::new(
        SessionSource::cluster("test", &ns, "nginx", "ingress/shop"),
        canary_cockpit::model::wall_clock(),
        "shop",
    );
    let recording = dir.join("keel.jsonl");
    let mut tap = Tap::new(Some(Recorder::create(&recording, &header).unwrap()));
    let mut app = App::new(AppConfig::default());
    tap.feed(
        &mut app,
        Event::ReleaseObserved {
            at: header.started_at,
            release: seen.snapshot.clone(),
        },
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let task = rt.spawn(poll::run(client_keel, ns.clone(), workloads, tx));

    let first = rt.block_on(next_approvals(&mut rx));
    tap.feed(&mut app, first);
    let lines = rows(draw(&app, 100, 30).backend().buffer());
    let screen = lines.join("\n");
    // on the gauge's bar, under the header and the gauge's top border
    assert!(
        lines[2].contains("Keel: 1/2 approvals for 2.1, deadline 14:00"),
        "{screen}"
    );
    assert!(
        !screen.contains("for 2,"),
        "only the release's workloads: {screen}"
    );

    // the second vote, from the command line
    let kc = cp.kubeconfig.to_str().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_canary"))
        .env("CANARY_KEEL_USER", "admin")
        .env("CANARY_KEEL_PASSWORD", PASSWORD)
        .env("XDG_STATE_HOME", dir.join("state"))
        .arg("--log-file")
        .arg(dir.join("canary.log"))
        .args(["keel", "approve", &format!("deployment/{ns}/shop-v2:2.1")])
        .args(["--keel-url", &keel.url(), "--kubeconfig", kc])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let second = rt.block_on(next_approvals(&mut rx));
    tap.feed(&mut app, second);
    let lines = rows(draw(&app, 100, 30).backend().buffer());
    assert!(
        lines[2].contains("█") && !lines[2].contains("Keel:"),
        "{}",
        lines.join("\n")
    );
    assert!(
        app.log
            .since(0)
            .any(|e| e.text.starts_with("Keel: 2/2 approvals for 2.1")),
        "the event log keeps the count"
    );
    task.abort();
    tap.finish().unwrap();
    let recorded = std::fs::read_to_string(&recording).unwrap();
    assert!(recorded.contains("keel_approvals"), "{recorded}");
    assert!(!recorded.contains(PASSWORD), "{recorded}");
    assert!(!recorded.contains(keel.authorization()), "{recorded}");
    // the task asked Keel with the Secret's credentials, every time
    let gets: Vec<_> = keel
        .seen()
        .into_iter()
        .filter(|s| s.method == "GET")
        .collect();
    assert!(
        gets.len() >= 2 && gets.iter().all(|s| s.authorized),
        "{gets:?}"
    );
}

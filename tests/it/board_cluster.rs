//! The release board against the real control plane: what waits for a human, what fails, the
//! JSON and its exit codes, a viewer's board, and actions on several releases at once. The
//! test's user may list only the test's own namespaces, so the board falls back to the
//! namespaces given with `-n`, and says so once.

use crate::cluster_argo::argo_release;
use crate::cluster_flagger::flagger_release;
use crate::support::cluster::*;
use crate::support::runtime;
use canary_cockpit::app::Action;
use canary_cockpit::board::{Key, Update};
use canary_cockpit::cluster::Cluster;
use canary_cockpit::live::board::Scope;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{Api, PostParams};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const RESTRICTED_USER: &str = "canary-restricted";

fn canaries() -> kube::api::ApiResource {
    custom("flagger.app", "v1beta1", "Canary", "canaries")
}

/// Lets the restricted user read everything in `ns`, and `patch` the `writable` resources.
pub(crate) async fn grant(client: &kube::Client, ns: &str, writable: &[(&str, &str)]) {
    let mut rules =
        vec![json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]})];
    for (group, resource) in writable {
        rules.push(
            json!({"apiGroups": [group], "resources": [resource], "verbs": ["patch", "update"]}),
        );
    }
    let role: Role =
        serde_json::from_value(json!({"metadata": {"name": "board"}, "rules": rules})).unwrap();
    Api::<Role>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &role)
        .await
        .expect("create role");
    let binding: RoleBinding = serde_json::from_value(json!({
        "metadata": {"name": "board"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "board"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": RESTRICTED_USER}]
    }))
    .unwrap();
    Api::<RoleBinding>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &binding)
        .await
        .expect("create role binding");
}

/// Three releases waiting for a human, in three namespaces: an Argo rollout at an indefinite
/// pause step, a Flagger canary in WaitingPromotion, an nginx release paused by the cockpit.
async fn three_waiting(client: &kube::Client, writable: &[(&str, &str)]) -> [String; 3] {
    let argo = argo_release(client, "board-argo").await;
    let flagger = flagger_release(client, "board-flagger", None).await;
    patch_custom_status(
        client,
        &flagger,
        &canaries(),
        "podinfo",
        json!({"phase": "WaitingPromotion", "canaryWeight": 50}),
    )
    .await;
    let nginx = shop(
        client,
        "board-nginx",
        "30",
        &[(canary_cockpit::provider::PAUSED, "true")],
    )
    .await;
    for ns in [&argo, &flagger, &nginx] {
        grant(client, ns, writable).await;
    }
    [argo, flagger, nginx]
}

fn board_json(kubeconfig: &Path, namespaces: &[String]) -> (i32, Value) {
    let mut args = vec![
        "board",
        "-o",
        "json",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
    ];
    for ns in namespaces {
        args.extend(["-n", ns.as_str()]);
    }
    let out = canary(&args);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

fn release<'a>(doc: &'a Value, ns: &str, target: &str) -> &'a Value {
    doc["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["namespace"] == ns && r["target"] == target)
        .unwrap_or_else(|| panic!("no {ns}/{target} in {doc:#}"))
}

#[test]
fn what_waits_for_a_human_what_fails_and_the_exit_codes() {
    let rt = runtime();
    let cp = control_plane();
    let client = rt.block_on(client(&cp.kubeconfig));
    // a viewer: reads everything in the three namespaces, writes nothing
    let [argo, flagger, nginx] = rt.block_on(three_waiting(&client, &[]));
    let namespaces = [argo.clone(), flagger.clone(), nginx.clone()];
    let (code, doc) = board_json(&cp.restricted_kubeconfig, &namespaces);
    assert_eq!(code, 4, "waiting for a human: {doc:#}");
    let notes = doc["contexts"][0]["notes"].to_string();
    assert!(
        notes.contains("listing every namespace is forbidden"),
        "{doc:#}"
    );
    // said once, not once per kind
    assert_eq!(notes.matches("forbidden").count(), 1, "{notes}");
    let r = release(&doc, &argo, "rollout/shop");
    assert_eq!(r["attention"], "waiting", "{r:#}");
    assert!(
        r["reason"].as_str().unwrap().contains("pause step 2/5"),
        "{r:#}"
    );
    assert_eq!(r["step"], "2/5", "{r:#}");
    let r = release(&doc, &flagger, "canary/podinfo");
    assert_eq!(r["attention"], "waiting", "{r:#}");
    assert!(
        r["reason"].as_str().unwrap().contains("confirm-promotion"),
        "{r:#}"
    );
    assert_eq!(r["weight"], 50, "{r:#}");
    let r = release(&doc, &nginx, "ingress/shop");
    assert_eq!(
        r["reason"], "waiting for a human: paused by the cockpit",
        "{r:#}"
    );
    // the viewer's actions are unavailable, with the reason
    let pause = r["actions"]["resume"].as_str().unwrap();
    assert!(
        pause.starts_with("unavailable:") && pause.contains("may not patch ingresses"),
        "{r:#}"
    );
    // the Flagger canary fails: 3 wins over 4
    rt.block_on(patch_custom_status(
        &client,
        &flagger,
        &canaries(),
        "podinfo",
        json!({"phase": "Failed", "canaryWeight": 0, "failedChecks": 5,
               "conditions": [{"type": "Promoted", "status": "False", "reason": "Failed",
                               "message": "Canary analysis failed, Deployment scaled to zero."}]}),
    ));
    let (code, doc) = board_json(&cp.restricted_kubeconfig, &namespaces);
    assert_eq!(code, 3, "failing: {doc:#}");
    let r = release(&doc, &flagger, "canary/podinfo");
    assert_eq!(r["attention"], "failing", "{r:#}");
    assert!(r["reason"].as_str().unwrap().contains("Failed"), "{r:#}");
    // nothing needs a human: exit 0
    let (code, doc) = board_json(&cp.restricted_kubeconfig, std::slice::from_ref(&nginx));
    assert_eq!(code, 4, "{doc:#}");
    let calm = rt.block_on(shop(&client, "board-calm", "0", &[]));
    rt.block_on(grant(&client, &calm, &[]));
    let (code, doc) = board_json(&cp.restricted_kubeconfig, std::slice::from_ref(&calm));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(release(&doc, &calm, "ingress/shop")["attention"], "ok");
}

async fn connect_restricted(kubeconfig: &Path) -> Cluster {
    canary_cockpit::cluster::connect(&canary_cockpit::cli::ConnectArgs {
        namespace: None,
        context: None,
        kubeconfig: Some(kubeconfig.to_path_buf()),
        request_timeout: None,
    })
    .await
    .expect("connect")
}

#[test]
fn three_releases_of_three_systems_in_one_confirmation_each_with_its_result() {
    let rt = runtime();
    let cp = control_plane();
    let client = rt.block_on(client(&cp.kubeconfig));
    // the user may patch Rollouts and Ingresses, not Canaries: Flagger's row fails
    let writable = [
        ("argoproj.io", "rollouts"),
        ("networking.k8s.io", "ingresses"),
    ];
    let [argo, flagger, nginx] = rt.block_on(three_waiting(&client, &writable));
    // the nginx release is paused already: resume it first so that all three can be paused
    rt.block_on(set_annotation(
        &client,
        &nginx,
        "shop-canary",
        canary_cockpit::provider::PAUSED,
        "false",
    ));
    // and the rollout goes on past its pause step
    rt.block_on(crate::cluster_argo::controller_status(
        &client,
        &argo,
        json!({"currentStepIndex": 2, "phase": "Progressing", "message": null, "pauseConditions": null}),
    ));
    let cluster = rt.block_on(connect_restricted(&cp.restricted_kubeconfig));
    let scope = Scope {
        cluster: cluster.clone(),
        namespaces: vec![argo.clone(), flagger.clone(), nginx.clone()],
    };
    let (facts, _) = rt
        .block_on(canary_cockpit::live::board_lists::snapshot(&scope))
        .expect("a board");
    let context = cluster.context.clone();
    let mut board = canary_cockpit::board::Board::new(
        std::slice::from_ref(&context),
        false,
        canary_cockpit::model::wall_clock(),
    );
    for kind in ["rollout", "canary", "ingress"] {
        let of_kind = facts
            .iter()
            .filter(|f| f.key.target.starts_with(kind))
            .cloned()
            .collect();
        board.apply(Update::Releases {
            context: context.clone(),
            kind,
            facts: of_kind,
            at: canary_cockpit::model::wall_clock(),
        });
    }
    let key = |ns: &str, target: &str| Key {
        context: context.clone(),
        namespace: ns.to_string(),
        target: target.to_string(),
    };
    let keys = [
        key(&argo, "rollout/shop"),
        key(&flagger, "canary/podinfo"),
        key(&nginx, "ingress/shop"),
    ];
    board.marked = keys.iter().cloned().collect();
    let planned = board.plan(Action::Pause, &keys);
    // the confirmation says what each one gets
    assert!(
        planned[0].plan.as_ref().unwrap().contains("spec.paused"),
        "{planned:?}"
    );
    let flagger_plan = planned[1].plan.as_ref().map_err(|e| e.clone());
    assert!(
        flagger_plan
            .as_ref()
            .is_err_and(|e| e.contains("may not patch canaries")),
        "{planned:?}"
    );
    // the executor is asked for all three, the refusal included, as if RBAC had not been read
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let clusters: BTreeMap<String, Cluster> = [(context.clone(), cluster)].into_iter().collect();
    let results = rt.block_on(async {
        canary_cockpit::live::board_act::spawn(
            &clusters,
            Action::Pause,
            keys.to_vec(),
            &canary_cockpit::live::executor::Options::default(),
            &tx,
        );
        let mut results = BTreeMap::new();
        while results.len() < 3 {
            match rx.recv().await {
                Some(Update::Result { key, result }) => {
                    results.insert(key.target.clone(), result);
                }
                other => panic!("{other:?}"),
            }
        }
        results
    });
    assert!(results["rollout/shop"].is_ok(), "{results:?}");
    assert!(results["ingress/shop"].is_ok(), "{results:?}");
    let refused = results["canary/podinfo"].as_ref().unwrap_err();
    assert!(
        refused.contains("forbidden") || refused.contains("may not"),
        "{refused}"
    );
    // what was written, read back from the API server
    let rollout = rt.block_on(get_custom(
        &client,
        &argo,
        &crate::cluster_argo::rollouts(),
        "shop",
    ));
    assert_eq!(rollout["spec"]["paused"], true, "{rollout:#}");
    let paused = rt.block_on(annotation(
        &client,
        &nginx,
        "shop-canary",
        canary_cockpit::provider::PAUSED,
    ));
    assert_eq!(paused.as_deref(), Some("true"));
    let canary = rt.block_on(get_custom(&client, &flagger, &canaries(), "podinfo"));
    assert_ne!(canary["spec"]["suspend"], true, "{canary:#}");
    // each row shows its own result
    for (target, result) in results {
        let k = keys.iter().find(|k| k.target == target).unwrap().clone();
        board.apply(Update::Result { key: k, result });
    }
    assert_eq!(board.results.len(), 3);
}

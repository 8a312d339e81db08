//! Credentials that expire: a kubeconfig whose exec plugin hands out tokens that expire after 20 s
//! (as EKS, GKE and AKS plugins do, only sooner) keeps a live watch going past each expiry, and
//! every new request carries a fresh token: kube-rs runs the plugin again when the token it holds
//! is within 60 s of its `expirationTimestamp`.
//!
//! The tokens are real: one ServiceAccount per 20-second window, each bound to cluster-admin, whose
//! legacy token the plugin hands out during its window. A window's ServiceAccount is deleted 10 s
//! after the window ends, which revokes its token: a cockpit that used an expired token would be
//! answered 401. The API server's audit log shows which tokens were used.

use crate::support::audit;
use crate::support::cluster::*;
use crate::support::kubeconfig::{exec_user, kubeconfig_with};
use crate::support::{alice, runtime, scratch};
use canary_cockpit::app::{Action, Effect, Event};
use canary_cockpit::live::executor::Options;
use canary_cockpit::model::Weight;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::api::{Api, DeleteParams, PostParams};
use kube::Client;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long each token lives.
const WINDOW: u64 = 20;
/// Windows the 60 s test spans, with one to spare.
const WINDOWS: usize = 4;
/// How long the watch runs.
const WATCH: Duration = Duration::from_secs(60);

/// ServiceAccount `rot-K` of `ns`, bound to cluster-admin; its legacy token once the
/// controller-manager has made it.
async fn token_of(client: &Client, ns: &str, k: usize) -> String {
    let name = format!("rot-{k}");
    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
    let sa: ServiceAccount = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    sas.create(&PostParams::default(), &sa)
        .await
        .expect("create the ServiceAccount");
    let bindings: Api<ClusterRoleBinding> = Api::all(client.clone());
    let binding: ClusterRoleBinding = serde_json::from_value(json!({
        "metadata": {"name": format!("{ns}-{name}")},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]
    }))
    .unwrap();
    bindings
        .create(&PostParams::default(), &binding)
        .await
        .expect("bind it");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    for _ in 0..100 {
        let secret = sas
            .get(&name)
            .await
            .ok()
            .and_then(|sa| sa.secrets)
            .and_then(|s| s.into_iter().find_map(|r| r.name));
        if let Some(secret) = secret {
            if let Ok(s) = secrets.get(&secret).await {
                if let Some(token) = s.data.and_then(|mut d| d.remove("token")) {
                    return String::from_utf8(token.0).expect("a UTF-8 token");
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no token for serviceaccount {ns}/{name}");
}

fn epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The plugin: the token of the current window, expiring when the window ends; each run counted.
fn plugin(dir: &Path, start: u64) -> std::path::PathBuf {
    let path = dir.join("rotating-token");
    let script = format!(
        r#"#!/bin/sh
now=$(date +%s)
k=$(( (now - {start}) / {WINDOW} ))
exp=$(date -u -d "@$(( {start} + (k + 1) * {WINDOW} ))" +%Y-%m-%dT%H:%M:%SZ)
echo "$now $k" >> "{dir}/runs"
printf '{{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{{"token":"%s","expirationTimestamp":"%s"}}}}\n' "$(cat "{dir}/token-$k")" "$exp"
"#,
        dir = dir.display()
    );
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The usernames of the cockpit's requests in `log` (audit lines), and how many of its requests
/// were answered 401.
fn audited(log: &str) -> (Vec<String>, usize) {
    let (mut users, mut refused) = (Vec::new(), 0);
    for line in log.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if !v["userAgent"]
            .as_str()
            .is_some_and(|a| a.starts_with("canary-cockpit/"))
        {
            continue;
        }
        if v["responseStatus"]["code"] == 401 {
            refused += 1;
        }
        if let Some(u) = v["user"]["username"].as_str() {
            if !users.iter().any(|x| x == u) {
                users.push(u.to_string());
            }
        }
    }
    (users, refused)
}

#[test]
fn a_watch_outlives_its_tokens_and_each_request_carries_a_fresh_one() {
    let cp = control_plane();
    let rt = runtime();
    let admin = rt.block_on(client(&cp.kubeconfig));
    let dir = scratch("rotating");
    let ns = rt.block_on(async {
        let ns = shop(&admin, "rotating", "10", &[]).await;
        for k in 0..WINDOWS {
            let token = token_of(&admin, &ns, k).await;
            std::fs::write(dir.join(format!("token-{k}")), token).unwrap();
        }
        ns
    });
    let from = rt.block_on(audit::mark(&admin));
    let start = epoch();
    let command = plugin(&dir, start);
    let kc = dir.join("kubeconfig");
    kubeconfig_with(
        &cp.kubeconfig,
        &kc,
        &ns,
        "rotating",
        &exec_user(command.to_str().unwrap()),
    );

    rt.block_on(async {
        let (cluster, seen) = read_release(&kc, &ns, "ingress/shop").await;
        let Live {
            mut rx,
            effects,
            task,
        } = live(cluster, seen, Options::default());
        let sas: Api<ServiceAccount> = Api::namespaced(admin.clone(), &ns);
        let mut events = Vec::new();
        let mut revoked = 0;
        let mut written = 0u8;
        let mut moved = false;
        let until = tokio::time::Instant::now() + WATCH;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => break,
                ev = rx.recv() => events.push(ev.expect("the source runs")),
                _ = tick.tick() => {
                    let elapsed = epoch() - start;
                    // each window's token revoked 10 s after it expired
                    while revoked < WINDOWS && elapsed >= (revoked as u64 + 1) * WINDOW + 10 {
                        sas.delete(&format!("rot-{revoked}"), &DeleteParams::default())
                            .await
                            .expect("revoke the token");
                        revoked += 1;
                    }
                    // a write in the second and in the third window, each with a token of its own
                    let due = [25, 45].iter().filter(|&&t| elapsed >= t).count() as u8;
                    if due > written {
                        written = due;
                        effects
                            .send(Effect::Act {
                                action: Action::SetWeight { weight: Weight::clamped(10 + 10 * written) },
                                actor: alice(),
                            })
                            .unwrap();
                    }
                    // someone else writes near the end: the watch opened with the first token,
                    // revoked since, still brings it
                    if elapsed >= 52 && !moved {
                        moved = true;
                        set_annotation(&admin, &ns, "shop-canary", WEIGHT, "42").await;
                    }
                }
            }
        }
        task.abort();

        let errors: Vec<&Event> = events
            .iter()
            .filter(|e| {
                matches!(e, Event::SourceError { .. } | Event::ActionResult { error: Some(_), .. })
            })
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let results = events
            .iter()
            .filter(|e| matches!(e, Event::ActionResult { error: None, .. }))
            .count();
        assert_eq!(results, 2, "{events:#?}");
        let seen_42 = events.iter().any(|e| {
            matches!(e, Event::ReleaseObserved { release, .. } if release.weight == Weight::clamped(42))
        });
        assert!(seen_42, "the last change did not come through the watch: {events:#?}");
        // the watches stayed up: once they had listed, every second was a heartbeat, never a
        // tick of a source that is down
        let up = events
            .iter()
            .position(|e| matches!(e, Event::Heartbeat { .. }))
            .expect("a heartbeat");
        let down: Vec<&Event> = events[up..]
            .iter()
            .filter(|e| matches!(e, Event::Tick { .. }))
            .collect();
        assert!(down.is_empty(), "{down:?}");
    });

    // the plugin ran again as its tokens expired, and the server saw each window's token
    let runs = std::fs::read_to_string(dir.join("runs")).unwrap_or_default();
    let windows: std::collections::BTreeSet<&str> =
        runs.lines().filter_map(|l| l.split(' ').nth(1)).collect();
    assert!(windows.len() >= 3, "plugin runs: {runs}");
    // everything the cockpit asked lies before a mark taken now
    rt.block_on(audit::mark(&admin));
    let (users, refused) = audited(&audit::since(from));
    assert_eq!(refused, 0, "the cockpit was answered 401");
    let rotated: Vec<&String> = users
        .iter()
        .filter(|u| u.starts_with(&format!("system:serviceaccount:{ns}:rot-")))
        .collect();
    assert!(rotated.len() >= 3, "users in the audit log: {users:?}");
}

//! ingress-nginx releases against the real control plane: reading, `canary status`, `canary
//! set-weight`, a write race (409), an RBAC denial (403), bad values in the cluster and on the
//! command line.

use crate::support::cluster::*;
use crate::support::{alice, audit, runtime, scratch, wait_until};
use canary_cockpit::cluster::{self, ClusterError};
use canary_cockpit::live::release;
use canary_cockpit::model::Target;
use canary_cockpit::model::{PodStatus, Weight};
use canary_cockpit::provider::common::write;
use std::time::Duration;

#[test]
fn a_release_reads_with_its_versions_pods_and_bypass_rules() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(
        &client,
        "read",
        "20",
        &[("nginx.ingress.kubernetes.io/canary-by-header", "X-Canary")],
    ));
    let cluster = rt
        .block_on(cluster::connect(&connect_args(&cp.kubeconfig, &ns)))
        .unwrap();
    for name in ["shop", "shop-canary"] {
        let target: Target = format!("ingress/{name}").parse().unwrap();
        let seen = rt.block_on(release::read(&cluster, &target)).unwrap();
        let s = &seen.snapshot;
        assert_eq!((s.name.as_str(), s.weight), ("shop", Weight::clamped(20)));
        assert_eq!(
            (s.primary.name.as_str(), s.primary.image.as_str()),
            ("shop", "shop:1.0")
        );
        assert_eq!(
            (s.canary.name.as_str(), s.canary.image.as_str()),
            ("shop-canary", "shop:2.0")
        );
        let primary: Vec<_> = seen
            .pods
            .primary
            .iter()
            .map(|p| (p.name.as_str(), p.ready, p.restarts))
            .collect();
        assert_eq!(primary, [("shop-v1-a", true, 0), ("shop-v1-b", true, 2)]);
        assert_eq!(seen.pods.canary.len(), 1);
        assert_eq!(seen.pods.canary[0].status, PodStatus::Running);
        assert!(!seen.pods.canary[0].ready);
        assert_eq!(seen.bypass(), ["canary-by-header=X-Canary"]);
    }
}

#[test]
fn status_prints_the_json_contract() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "status", "20", &[]));
    let out = canary_at(
        &cp.kubeconfig,
        &ns,
        &["status", "ingress/shop-canary", "-o", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["target"], "ingress/shop-canary");
    assert_eq!(v["namespace"], ns.as_str());
    assert_eq!(v["provider"], "ingress-nginx");
    assert_eq!(v["phase"], "progressing");
    // the canary Ingress says which is the canary
    assert_eq!(v["canary_by"], "definition");
    assert_eq!(
        v["weight"],
        serde_json::json!({"canary": 20, "primary": 80})
    );
    let versions = v["versions"].as_array().unwrap();
    assert_eq!(versions[0]["role"], "primary");
    assert_eq!(versions[0]["image"], "shop:1.0");
    assert_eq!(versions[0]["pods"].as_array().unwrap().len(), 2);
    assert_eq!(versions[1]["role"], "canary");
    assert_eq!(
        versions[1]["pods"][0],
        serde_json::json!({"name": "shop-v2-a", "ready": false, "phase": "Running", "restarts": 0,
            "cpu_millicores": null, "memory_bytes": null})
    );

    let table = canary_at(&cp.kubeconfig, &ns, &["status", "ingress/shop"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("weight canary 20 % / primary 80 %"), "{text}");
    assert!(
        text.contains("canary shop-canary (shop:2.0)  0/1 ready"),
        "{text}"
    );
}

#[test]
fn set_weight_writes_the_canary_annotation_in_its_total() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "setw", "20", &[]));
    let out = canary_at(&cp.kubeconfig, &ns, &["set-weight", "ingress/shop", "35"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ingress/shop: canary weight 20 % → 35 %\n"
    );
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
            .as_deref(),
        Some("35")
    );

    // a total of 1000: 35 % is 350
    let ns = rt.block_on(shop(
        &client,
        "setw-total",
        "125",
        &[("nginx.ingress.kubernetes.io/canary-weight-total", "1000")],
    ));
    let out = canary_at(&cp.kubeconfig, &ns, &["set-weight", "ingress/shop", "35%"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
            .as_deref(),
        Some("350")
    );

    // bad weights never reach the cluster
    for bad in ["abc", "101", "-1"] {
        let out = canary_at(&cp.kubeconfig, &ns, &["set-weight", "ingress/shop", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
            .as_deref(),
        Some("350")
    );
}

#[test]
fn a_write_after_someone_else_changed_the_release_is_refused() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "race", "20", &[]));
    let (cluster, seen) = rt.block_on(read_release(&cp.kubeconfig, &ns, "ingress/shop"));
    // another operator moves the weight after we read it
    let (other, theirs) = rt.block_on(read_release(&cp.kubeconfig, &ns, "ingress/shop"));
    rt.block_on(write::set_weight(
        &other,
        &theirs.route,
        Weight::clamped(50),
        None,
    ))
    .unwrap();
    let err = rt
        .block_on(write::set_weight(
            &cluster,
            &seen.route,
            Weight::clamped(30),
            None,
        ))
        .unwrap_err();
    assert!(matches!(err, ClusterError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("nothing was written"), "{err}");
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
            .as_deref(),
        Some("50")
    );
}

#[test]
fn rbac_denial_and_bad_objects_give_one_clear_line() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "deny", "abc", &[]));
    let out = canary_at(&cp.restricted_kubeconfig, &ns, &["status", "ingress/shop"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: forbidden:"), "{err}");
    assert!(
        err.contains(&format!("cannot list ingresses in namespace {ns}")),
        "{err}"
    );

    // the canary's weight annotation is not a number: said, not guessed
    let out = canary_at(&cp.kubeconfig, &ns, &["status", "ingress/shop"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("canary-weight is 'abc', not a whole number"),
        "{err}"
    );

    let out = canary_at(&cp.kubeconfig, &ns, &["status", "ingress/nope"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("ingress/nope not found"), "{err}");

    let out = canary_at(&cp.kubeconfig, &ns, &["status", "deployment/shop"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The cockpit's requests in `ns` after `mark` in the API server's audit log: `(verb, path)`
/// once per request, the controller-manager's own left out.
fn requests_in(ns: &str, mark: audit::Mark) -> Vec<(String, String)> {
    let text = audit::since(mark);
    let mut seen = std::collections::HashSet::new();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["objectRef"]["namespace"] == ns)
        .filter(|e| {
            !e["userAgent"]
                .as_str()
                .unwrap_or("")
                .starts_with("kube-controller-manager")
        })
        .filter(|e| seen.insert(e["auditID"].as_str().unwrap_or("").to_string()))
        .map(|e| {
            let uri = e["requestURI"].as_str().unwrap_or("");
            let path = uri.split('?').next().unwrap_or("").to_string();
            let watch = uri.contains("watch=true") || uri.contains("watch=1");
            let verb = if watch {
                "watch"
            } else {
                e["verb"].as_str().unwrap_or("")
            };
            (verb.to_string(), path)
        })
        .collect()
}

#[test]
fn requests_at_startup_and_none_in_steady_state() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "requests", "20", &[]));

    // canary status: one list each of Ingresses, Services, the pods of both versions (they
    // share the label app=shop) and their PodMetrics (metrics.k8s.io), and one more of the
    // Services where no Prometheus is named: the look for one (none with --no-prometheus)
    for (flags, lists) in [(&[][..], 5), (&["--no-prometheus"][..], 4)] {
        let before = rt.block_on(audit::mark(&client));
        let mut args = vec!["status", "ingress/shop"];
        args.extend(flags);
        let out = canary_at(&cp.kubeconfig, &ns, &args);
        assert_eq!(out.status.code(), Some(0));
        rt.block_on(audit::mark(&client));
        let status = requests_in(&ns, before);
        let verbs: Vec<&str> = status.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(verbs, vec!["list"; lists], "{flags:?} {status:?}");
        let pod_metrics = format!("/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods");
        assert_eq!(
            status
                .iter()
                .filter(|(_, path)| *path == pod_metrics)
                .count(),
            1,
            "{status:?}"
        );
    }

    // the live source: the same read (without the look for Prometheus), then watches of the
    // Ingresses and the release's pods from the resourceVersions of those lists, and list+watch
    // of the pods' Warning events
    let count =
        |reqs: &[(String, String)], verb: &str| reqs.iter().filter(|(v, _)| v == verb).count();
    let before = rt.block_on(audit::mark(&client));
    let (startup, steady, all, mut rx) = rt.block_on(async {
        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "ingress/shop").await;
        let Live {
            rx,
            effects: _effects,
            task,
        } = live(
            cluster,
            seen,
            canary_cockpit::live::executor::Options::default(),
        );
        wait_until(
            "the source's four lists",
            Duration::from_secs(10),
            || async {
                let startup = requests_in(&ns, before);
                (count(&startup, "list") >= 4).then_some(()).ok_or(startup)
            },
        )
        .await;
        let startup = requests_in(&ns, before);
        let steady_from = audit::mark(&client).await;
        // the passage of time is the point: ten quiet seconds bring no request
        tokio::time::sleep(Duration::from_secs(10)).await;
        audit::mark(&client).await;
        let steady = requests_in(&ns, steady_from);
        task.abort();
        // the API server logs a quiet watch once it ends: wait for the three to close
        wait_until("the three watches end", Duration::from_secs(10), || async {
            let all = requests_in(&ns, before);
            (count(&all, "watch") >= 3).then_some(()).ok_or(all)
        })
        .await;
        (startup, steady, requests_in(&ns, before), rx)
    });
    // one list per kind: the first read's Ingresses, Services and pods, then the events
    assert_eq!(count(&startup, "list"), 4, "{startup:?}");
    let mut listed: Vec<&str> = startup
        .iter()
        .filter(|(v, _)| v == "list")
        .filter_map(|(_, path)| path.rsplit('/').next())
        .collect();
    listed.sort_unstable();
    assert_eq!(
        listed,
        ["events", "ingresses", "pods", "services"],
        "{startup:?}"
    );
    assert_eq!(
        count(&steady, "list") + count(&steady, "get"),
        0,
        "polling: {steady:?}"
    );
    // three watch streams, opened once each: no reconnects, no re-lists
    assert_eq!(
        (count(&all, "list"), count(&all, "watch")),
        (4, 3),
        "{all:?}"
    );
    // the source kept the cockpit informed meanwhile: a heartbeat a second, no errors
    let mut heartbeats = 0;
    while let Ok(ev) = rx.try_recv() {
        assert!(
            !matches!(ev, canary_cockpit::app::Event::SourceError { .. }),
            "{ev:?}"
        );
        heartbeats += usize::from(matches!(ev, canary_cockpit::app::Event::Heartbeat { .. }));
    }
    assert!(heartbeats >= 9, "{heartbeats} heartbeats in over 10 s");
}

#[test]
fn rollback_moves_the_traffic_then_scales_the_canary_to_zero() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    for keep in [false, true] {
        let ns = rt.block_on(async {
            let ns = shop(&client, "rollback", "40", &[]).await;
            shop_deployments(&client, &ns).await;
            ns
        });
        let out = canary_at(&cp.kubeconfig, &ns, &["rollback", "ingress/shop"]);
        assert_eq!(out.status.code(), Some(2), "no --yes, no change");
        assert_eq!(
            rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
                .as_deref(),
            Some("40")
        );

        let mut args = vec!["rollback", "ingress/shop", "--yes"];
        if keep {
            args.push("--keep-canary");
        }
        let out = canary_at(&cp.kubeconfig, &ns, &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
                .as_deref(),
            Some("0")
        );
        let replicas = |name: &str| rt.block_on(deployment_replicas(&client, &ns, name));
        assert_eq!(replicas("shop-v1"), 2, "the primary is untouched");
        if keep {
            assert_eq!(replicas("shop-v2"), 1);
            assert!(stdout.contains("canary pods kept"), "{stdout}");
        } else {
            assert_eq!(replicas("shop-v2"), 0);
            assert!(
                stdout.contains("deployment/shop-v2 scaled to 0"),
                "{stdout}"
            );
        }
    }
}

/// Every event that arrives within `secs`.
async fn collect_for(
    rx: &mut tokio::sync::mpsc::Receiver<canary_cockpit::app::Event>,
    secs: u64,
) -> Vec<canary_cockpit::app::Event> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        seen.push(ev);
    }
    seen
}

#[test]
fn a_dropped_watch_turns_stale_then_recovers_with_what_it_missed() {
    use crate::support::fault_proxy::{kubeconfig_through, upstream_of, FaultProxy};
    use canary_cockpit::app::{App, AppConfig, Event};
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "faults", "20", &[]));
    let dir = scratch("faults");
    rt.block_on(async {
        let proxy = FaultProxy::start(upstream_of(&cp.kubeconfig)).await;
        let through = dir.join("kubeconfig");
        kubeconfig_through(&cp.kubeconfig, proxy.addr, &through);
        let (cluster, seen) = read_release(&through, &ns, "ingress/shop").await;
        let mut app = App::new(AppConfig {
            refresh_ms: 1000,
            ..AppConfig::default()
        });
        app.update(Event::ReleaseObserved {
            at: canary_cockpit::model::Millis(0).max(app.now),
            release: seen.snapshot.clone(),
        });
        let Live {
            mut rx,
            effects: _effects_tx,
            task,
        } = live(
            cluster,
            seen,
            canary_cockpit::live::executor::Options::default(),
        );
        let feed = |app: &mut App, events: Vec<Event>| {
            for ev in events {
                app.update(ev);
            }
        };
        feed(
            &mut app,
            until_within(&mut rx, 10, "heartbeat", |e| {
                matches!(e, Event::Heartbeat { .. })
            })
            .await,
        );
        assert!(!app.is_stale());

        // the network drops every connection and refuses new ones
        proxy.break_connections();
        let events = until_within(
            &mut rx,
            15,
            "watch error",
            |e| matches!(e, Event::SourceError { source, .. } if source == "watch"),
        )
        .await;
        // said in the operator's words, the library's chain of errors left to the log file
        let said = events
            .iter()
            .find_map(|e| match e {
                Event::SourceError {
                    source, message, ..
                } if source == "watch" => Some(message.clone()),
                _ => None,
            })
            .unwrap_or_default();
        assert!(
            said.starts_with("lost the API server at https://127.0.0.1:")
                && said.ends_with("; retrying; the data is stale")
                && !said.contains("ServiceError")
                && !said.contains("client error"),
            "{said}"
        );
        feed(&mut app, events);
        // meanwhile someone moves the weight; the cockpit cannot see it yet
        set_annotation(&client, &ns, "shop-canary", WEIGHT, "45").await;
        // no heartbeat while a watch is down: ticks move the clock, the data ages into stale
        let events = collect_for(&mut rx, 5).await;
        assert!(
            !events.iter().any(|e| matches!(e, Event::Heartbeat { .. })),
            "{events:?}"
        );
        feed(&mut app, events);
        assert!(app.is_stale(), "data age {:?}", app.data_age_ms());
        let footer = |app: &App| app.footer_message().map(|(_, t)| t.to_string());
        assert!(
            footer(&app).is_some_and(|t| t.starts_with("watch: lost the API server")),
            "{:?}",
            footer(&app)
        );

        // the network comes back: the watches reconnect, relist, and bring the missed change
        proxy.restore();
        let events = until_within(&mut rx, 40, "the missed change", |e| {
            matches!(e, Event::ReleaseObserved { release, .. } if release.weight.percent() == 45)
        })
        .await;
        feed(&mut app, events);
        feed(
            &mut app,
            until_within(&mut rx, 10, "heartbeat", |e| {
                matches!(e, Event::Heartbeat { .. })
            })
            .await,
        );
        assert!(!app.is_stale());
        // the footer's error ends with the outage
        assert_eq!(footer(&app), None);
        assert_eq!(app.weight().percent(), 45);
        // the recovery is told with the outage's length
        assert!(
            app.log
                .iter()
                .any(|e| e.text.starts_with("API server back after")
                    && e.text.ends_with("; relisted")),
            "{:?}",
            app.log.iter().map(|e| e.text.clone()).collect::<Vec<_>>()
        );
        task.abort();
    });
}

/// The patch requests for the namespace's Ingresses since `mark` in the audit log.
fn ingress_patches(ns: &str, mark: audit::Mark) -> usize {
    requests_in(ns, mark)
        .iter()
        .filter(|(verb, path)| verb == "patch" && path.contains("/ingresses/"))
        .count()
}

#[test]
fn actions_during_an_outage_or_a_slow_server_are_neither_lost_nor_doubled() {
    use crate::support::fault_proxy::{kubeconfig_through, upstream_of, FaultProxy};
    use canary_cockpit::app::{Action, Effect, Event};
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "fault-acts", "20", &[]));
    let dir = scratch("fault-acts");
    rt.block_on(async {
        let proxy = FaultProxy::start(upstream_of(&cp.kubeconfig)).await;
        let through = dir.join("kubeconfig");
        kubeconfig_through(&cp.kubeconfig, proxy.addr, &through);
        let (cluster, seen) = read_release(&through, &ns, "ingress/shop").await;
        let Live { mut rx, effects, task } = live(cluster, seen, canary_cockpit::live::executor::Options::default());
        until_within(&mut rx, 10, "heartbeat", |e| matches!(e, Event::Heartbeat { .. })).await;
        let act = |weight: u8| Effect::Act {
            action: Action::SetWeight {
                weight: Weight::clamped(weight),
            },
            actor: alice(),
        };
        let results = |events: &[Event]| {
            events
                .iter()
                .filter_map(|e| match e {
                    Event::ActionResult { error, .. } => Some(error.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };

        // the server is unreachable: the write fails once, says so, and is not retried
        proxy.break_connections();
        let before = audit::mark(&client).await;
        effects.send(act(50)).unwrap();
        let events = until_within(&mut rx, 60, "the failed write", |e| {
            matches!(e, Event::ActionResult { .. })
        })
        .await;
        assert!(
            matches!(results(&events).as_slice(), [Some(err)] if err.contains("cannot patch ingresses")),
            "{events:?}"
        );
        proxy.restore();
        // back up: a fresh list, and still no write
        until_within(&mut rx, 40, "the relist", |e| matches!(e, Event::Heartbeat { .. })).await;
        let later = collect_for(&mut rx, 3).await;
        assert!(results(&later).is_empty(), "a retried action: {later:?}");
        audit::mark(&client).await;
        assert_eq!(ingress_patches(&ns, before), 0);
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT).await.as_deref(),
            Some("20")
        );

        // a slow server: the write lands once, its result comes late, nothing is doubled
        proxy.slow_down(700);
        let before = audit::mark(&client).await;
        effects.send(act(40)).unwrap();
        let events = until_within(&mut rx, 60, "the slow write", |e| {
            matches!(e, Event::ActionResult { .. })
        })
        .await;
        assert_eq!(results(&events), [None], "{events:?}");
        proxy.restore();
        let later = collect_for(&mut rx, 3).await;
        assert!(results(&later).is_empty(), "{later:?}");
        audit::mark(&client).await;
        assert_eq!(ingress_patches(&ns, before), 1);
        assert_eq!(
            annotation(&client, &ns, "shop-canary", WEIGHT).await.as_deref(),
            Some("40")
        );
        task.abort();
    });
}

//! The real binary in a real terminal (tmux): start the demo, press keys, read the screen, quit.
//! tmux answers crossterm's terminal queries, which a bare pty does not. `scripts/test.sh` installs it.

use crate::support::tmux::Tmux;
use crate::support::{runtime, scratch, wait_until_sync};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub(crate) fn wait_for_file(path: &Path) -> String {
    wait_until_sync(
        &format!("the cockpit exits and its status is in {}", path.display()),
        Duration::from_secs(10),
        || {
            let s = std::fs::read_to_string(path).unwrap_or_default();
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        },
    )
}

#[test]
fn demo_starts_takes_keys_and_quits_cleanly() {
    let dir = scratch("demo");
    let bin = env!("CARGO_BIN_EXE_canary");
    let log = dir.join("canary.log");
    let status = dir.join("exit-status");
    let command = format!(
        "env -u NO_COLOR XDG_STATE_HOME={} {bin} --log-file {} demo --seed 5; echo $? > {}",
        dir.join("state").display(),
        log.display(),
        status.display()
    );
    let t = Tmux::start("keys", &command, dir.clone());

    t.wait_for("the cockpit", |s| {
        s.contains("frontend") && s.contains("v1") && s.contains("v2")
    });

    t.keys(&["?"]);
    t.wait_for("the help overlay", |s| {
        s.contains("automatic rollback stays armed")
    });
    t.keys(&["Escape"]);
    t.wait_for("the help to close", |s| {
        !s.contains("automatic rollback stays armed")
    });

    t.keys(&["p"]);
    t.wait_for("the paused phase", |s| s.contains("Paused"));

    t.keys(&["w"]);
    t.wait_for("the weight prompt", |s| s.contains("weight (0"));
    t.keys(&["a", "b", "c", "Enter"]);
    t.wait_for("the inline error", |s| s.contains("not a whole number"));
    t.keys(&["BSpace", "BSpace", "BSpace", "3", "0", "Enter"]);
    let s = t.wait_for("the new weight", |s| s.contains("weight 0→30"));
    assert!(!s.contains("not a whole number"), "the prompt closed:\n{s}");

    t.keys(&["q"]);
    let code = wait_for_file(&t.status_file());
    assert_eq!(code, "0", "the cockpit exits cleanly");
    // the terminal is back to the shell: no alternate screen left behind
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        log_text.contains("demo starts"),
        "logs go to the file: {log_text}"
    );
}

#[test]
fn h_adds_a_testers_route_and_h_again_removes_it() {
    let dir = scratch("route");
    let bin = env!("CARGO_BIN_EXE_canary");
    let status = dir.join("exit-status");
    let command = format!(
        "env -u NO_COLOR XDG_STATE_HOME={} {bin} --log-file {} demo --seed 5 --speed 0.25; echo $? > {}",
        dir.join("state").display(),
        dir.join("canary.log").display(),
        status.display()
    );
    let t = Tmux::start("route", &command, dir.clone());
    t.wait_for("the cockpit", |s| {
        s.contains("frontend") && s.contains("v2")
    });
    t.keys(&["h"]);
    t.wait_for("the route prompt", |s| s.contains("testers' route h:"));
    t.keys(&["-l", "header X-Canary"]);
    t.keys(&["Enter"]);
    t.wait_for("the inline error", |s| {
        s.contains("header N=V, header N~RE or cookie N")
    });
    t.keys(&["-l", "=always"]);
    t.keys(&["Enter"]);
    let s = t.wait_for("the rule on the gauge", |s| {
        s.contains("testers: header X-Canary=always → canary")
    });
    assert!(
        s.contains("route header X-Canary=always to the canary ok"),
        "{s}"
    );
    t.keys(&["h"]);
    t.wait_for("the confirmation", |s| {
        s.contains("Remove the testers' routes")
    });
    t.keys(&["y"]);
    // the confirmation covers the gauge until `y` is taken: wait for the clear's result first
    let s = t.wait_for("the routes cleared", |s| {
        s.contains("clear the cockpit's routes ok")
    });
    assert!(!s.contains("testers: header"), "{s}");
    assert!(!s.contains("y confirm"), "{s}");
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&t.status_file()), "0");
}

/// Waits until the recording reads back whole: `canary replay FILE --summary` exits 0 with no
/// warning (the cockpit finishes the file as it quits).
fn replays_cleanly(file: &Path) -> String {
    wait_until_sync(
        "the recording reads back whole",
        Duration::from_secs(15),
        || {
            let out = Command::new(env!("CARGO_BIN_EXE_canary"))
                .args(["replay", &file.display().to_string(), "--summary"])
                .output()
                .expect("run canary replay");
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            if out.status.success() && !stderr.contains("warning") {
                Ok(String::from_utf8_lossy(&out.stdout).into_owned())
            } else {
                Err(stderr)
            }
        },
    )
}

/// Waits until the cockpit has opened its recording `file`: from then on, a hangup must leave
/// it whole.
fn recording_opened(file: &Path) {
    wait_until_sync(
        &format!("the recording {} is opened", file.display()),
        Duration::from_secs(10),
        || file.exists(),
    );
}

#[test]
fn closing_the_terminal_finishes_the_recording() {
    let dir = scratch("hangup");
    let bin = env!("CARGO_BIN_EXE_canary");
    let file = dir.join("hangup.jsonl.zst");
    let command = format!(
        "XDG_STATE_HOME={} {bin} --log-file {} demo --seed 5 --record {}",
        dir.join("state").display(),
        dir.join("canary.log").display(),
        file.display()
    );
    let t = Tmux::start("hangup", &command, dir.clone());
    t.wait_for("the cockpit", |s| {
        s.contains("frontend") && s.contains("v2")
    });
    recording_opened(&file);
    // the terminal goes away, as when an ssh connection drops: the cockpit gets SIGHUP
    let ok = Command::new("tmux")
        .args(["-L", &t.socket, "kill-session", "-t", "smoke"])
        .status()
        .expect("tmux kill-session");
    assert!(ok.success());
    let summary = replays_cleanly(&file);
    assert!(summary.contains("Post-mortem: frontend"), "{summary}");
    let log = std::fs::read_to_string(dir.join("canary.log")).unwrap_or_default();
    assert!(log.contains("SIGTERM or SIGHUP: quitting"), "{log}");
}

#[test]
fn closing_the_terminal_of_a_live_session_finishes_its_recording() {
    use crate::support::cluster::*;
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "hangup", "20", &[]));
    let dir = scratch("hangup-live");
    let bin = env!("CARGO_BIN_EXE_canary");
    let file = dir.join("live.jsonl.zst");
    let command = format!(
        "USER=smoke {bin} --log-file {} watch ingress/shop -n {ns} --kubeconfig {} --record {}",
        dir.join("watch.log").display(),
        cp.kubeconfig.display(),
        file.display()
    );
    let t = Tmux::start("hangup-live", &command, dir.clone());
    t.wait_for("the release", |s| {
        s.contains("shop-v1-a") && s.contains("20 %")
    });
    recording_opened(&file);
    let ok = Command::new("tmux")
        .args(["-L", &t.socket, "kill-session", "-t", "smoke"])
        .status()
        .expect("tmux kill-session");
    assert!(ok.success());
    let summary = replays_cleanly(&file);
    assert!(summary.contains("Post-mortem: shop"), "{summary}");
}

#[test]
fn sigterm_quits_and_restores_the_terminal() {
    let dir = scratch("sigterm");
    let bin = env!("CARGO_BIN_EXE_canary");
    let log = dir.join("sigterm-test.log");
    let status = dir.join("exit-status");
    // the pane stays after the command so the restored screen can be read
    let command = format!(
        "XDG_STATE_HOME={} {bin} --log-file {} demo --seed 9; echo \"exit=$?\" > {}; echo restored-shell; sleep 30",
        dir.join("state").display(),
        log.display(),
        status.display()
    );
    let t = Tmux::start("sigterm", &command, dir.clone());
    t.wait_for("the cockpit", |s| s.contains("frontend"));
    let killed = Command::new("pkill")
        // anchored so that only the cockpit matches, not the shell that started it
        .args([
            "-TERM",
            "-f",
            &format!("^{bin} --log-file {}", log.display()),
        ])
        .status()
        .expect("pkill");
    assert!(
        killed.success(),
        "the cockpit process was found and signalled"
    );
    assert_eq!(wait_for_file(&t.status_file()), "exit=0");
    let screen = t.wait_for("the shell after exit", |s| s.contains("restored-shell"));
    assert!(
        !screen.contains("weight ◆"),
        "the alternate screen is gone after SIGTERM:\n{screen}"
    );
}

#[test]
fn a_demo_session_is_recorded_and_replays_with_its_note() {
    let dir = scratch("record");
    let bin = env!("CARGO_BIN_EXE_canary");
    let state = dir.join("state");
    let status = dir.join("exit-status");
    let command = format!(
        "XDG_STATE_HOME={} USER=smoke {bin} --log-file {} demo --seed 3 --speed 4; echo $? > {}",
        state.display(),
        dir.join("demo.log").display(),
        status.display()
    );
    let t = Tmux::start("record", &command, dir.clone());
    t.wait_for("the cockpit", |s| s.contains("frontend"));
    t.keys(&["m"]);
    t.wait_for("the note prompt", |s| s.contains("note:"));
    t.keys(&["Enter"]);
    t.wait_for("the empty-note error", |s| {
        s.contains("a note needs some text")
    });
    t.keys(&["-l", "customer reports 500s"]);
    t.keys(&["Enter"]);
    t.wait_for("the note in the log", |s| {
        s.contains("note by smoke: customer reports 500s")
    });
    t.wait_for("the first failed check", |s| s.contains("check failed"));
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&status), "0");
    drop(t);

    let sessions: Vec<_> = std::fs::read_dir(state.join("canary-cockpit/sessions"))
        .expect("the session was recorded in the state directory")
        .collect();
    assert_eq!(sessions.len(), 1, "{sessions:?}");

    let status = dir.join("replay-status");
    let command = format!(
        "XDG_STATE_HOME={} {bin} --log-file {} replay --last; echo $? > {}",
        state.display(),
        dir.join("replay.log").display(),
        status.display()
    );
    let t = Tmux::start("replay", &command, dir.clone());
    t.wait_for("the replay with its timeline", |s| {
        s.contains("frontend") && s.contains("playing 1×")
    });
    t.keys(&["Space"]);
    t.wait_for("the pause", |s| s.contains("paused 1×"));
    // the first marker after the start is the operator's note
    t.keys(&["n"]);
    t.wait_for("the note, replayed", |s| {
        s.contains("note by smoke: customer reports 500s")
    });
    t.keys(&["P"]);
    t.wait_for("the refusal", |s| s.contains("replay is read-only"));
    t.keys(&["G"]);
    t.wait_for("the end of the recording", |s| s.contains("check failed"));
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&status), "0");
}

/// The cockpit on a live ingress-nginx release: a change made by someone else reaches the screen
/// through the watch, and `w` writes the weight to the cluster.
#[test]
fn watch_shows_cluster_changes_and_writes_the_weight() {
    use crate::support::cluster::*;
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let weight = WEIGHT;
    let ns = rt.block_on(shop(&client, "watch", "20", &[]));
    let dir = scratch("watch");
    let bin = env!("CARGO_BIN_EXE_canary");
    let status = dir.join("exit-status");
    let recording = dir.join("watch.jsonl");
    let command = format!(
        "USER=smoke {bin} --log-file {} watch ingress/shop -n {ns} --kubeconfig {} --record {}; echo $? > {}",
        dir.join("watch.log").display(),
        cp.kubeconfig.display(),
        recording.display(),
        status.display()
    );
    let t = Tmux::start("watch", &command, dir.clone());
    t.wait_for("the release", |s| {
        s.contains("shop-v1-a") && s.contains("shop-v2-a") && s.contains("20 %")
    });

    // someone else moves the weight: the watch brings it to the screen
    rt.block_on(set_annotation(&client, &ns, "shop-canary", weight, "45"));
    t.wait_for("the weight change", |s| s.contains("weight 20→45"));

    // the operator sets 30 %
    t.keys(&["w"]);
    t.wait_for("the weight prompt", |s| s.contains("weight (0"));
    t.keys(&["3", "0", "Enter"]);
    t.wait_for("the write and its echo", |s| {
        s.contains("smoke (kubeconfig user canary-admin): set weight 30 % ok")
            && s.contains("weight 45→30")
    });
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", weight))
            .as_deref(),
        Some("30")
    );

    // + steps by the default 10 %
    t.keys(&["+"]);
    t.wait_for("the step", |s| s.contains("weight 30→40"));
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", weight))
            .as_deref(),
        Some("40")
    );

    // roll back: the traffic returns at once; with no canary Deployment the second stage fails
    // and says why
    t.keys(&["R"]);
    t.wait_for("the confirmation", |s| s.contains("Roll back shop?"));
    t.keys(&["y"]);
    t.wait_for("the rollback stages", |s| {
        s.contains("note by cockpit: rollback: ingress/shop-canary")
            && s.contains("roll back failed: no single")
            && s.contains("weight 40→0")
    });
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", weight))
            .as_deref(),
        Some("0")
    );
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&status), "0");

    // the session was recorded with who acted: the API server (Kubernetes 1.20) does not say
    // who it sees, so the kubeconfig's user entry, marked as such
    let rec = canary_cockpit::record::read(&recording).unwrap();
    assert!(rec.events.iter().any(|(_, e)| matches!(e,
        canary_cockpit::app::Event::ActionResult { actor: canary_cockpit::app::Actor::Operator { user, kube_user }, error: None, .. }
            if user == "smoke" && kube_user.as_deref() == Some("kubeconfig user canary-admin"))));
    assert!(rec.events.iter().any(|(_, e)| matches!(e,
        canary_cockpit::app::Event::Note { text, .. }
            if text == "the API server does not say who it sees (it serves no SelfSubjectReview): \
                        actions are recorded as kubeconfig user canary-admin")));
}

/// `canary watch` without a target: the list of the namespace's releases across providers,
/// `enter` opens one, `esc` returns, `:` opens another by its target; `--readonly` refuses
/// every write and says RO.
#[test]
fn watch_without_a_target_lists_opens_and_switches_releases_read_only() {
    use crate::support::cluster::*;
    use serde_json::json;
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "picker", "20", &[]));
    rt.block_on(async {
        service(&client, &ns, "cart-primary", "cart", "v1").await;
        service(&client, &ns, "cart-canary", "cart", "v2").await;
        running_pod(
            &client,
            &ns,
            "cart-v1-a",
            ("cart", "v1", "cart:1.0"),
            true,
            0,
        )
        .await;
        running_pod(
            &client,
            &ns,
            "cart-v2-a",
            ("cart", "v2", "cart:2.0"),
            true,
            0,
        )
        .await;
        create_custom(
            &client,
            &ns,
            &virtual_services(),
            json!({"metadata": {"name": "cart"}, "spec": {"http": [{"route": [
                {"destination": {"host": "cart-primary"}, "weight": 75},
                {"destination": {"host": "cart-canary"}, "weight": 25}]}]}}),
        )
        .await;
        // a VirtualService without a split is no release
        create_custom(
            &client,
            &ns,
            &virtual_services(),
            json!({"metadata": {"name": "static"}, "spec": {"http": [{"route": [
                {"destination": {"host": "cart-primary"}}]}]}}),
        )
        .await;
    });
    let dir = scratch("picker");
    let bin = env!("CARGO_BIN_EXE_canary");
    let status = dir.join("exit-status");
    let command = format!(
        "XDG_STATE_HOME={} {bin} --log-file {} watch --readonly -n {ns} --kubeconfig {}; echo $? > {}",
        dir.join("state").display(),
        dir.join("watch.log").display(),
        cp.kubeconfig.display(),
        status.display()
    );
    let t = Tmux::start("picker", &command, dir.clone());
    let s = t.wait_for("the release list", |s| {
        s.contains("ingress/shop") && s.contains("virtualservice/cart") && s.contains("2 releases")
    });
    assert!(s.contains("ingress-nginx") && s.contains("istio"), "{s}");
    assert!(s.contains("25 %") && s.contains("20 %"), "{s}");
    assert!(!s.contains("virtualservice/static"), "{s}");

    // enter opens the selected (first) release
    t.keys(&["Enter"]);
    t.wait_for("the nginx release", |s| {
        s.contains("shop-v1-a") && s.contains("RO")
    });
    // read-only: the key says why and nothing is written
    t.keys(&["+"]);
    t.wait_for("the refusal", |s| s.contains("read-only cockpit"));
    assert_eq!(
        rt.block_on(annotation(&client, &ns, "shop-canary", WEIGHT))
            .as_deref(),
        Some("20")
    );

    // esc returns to the list, which keeps its selection
    t.keys(&["Escape"]);
    t.wait_for("the list again", |s| s.contains("releases in namespace"));
    // a bad target typed after : is refused where it was typed
    t.keys(&[":"]);
    t.keys(&["d", "e", "p", "l", "o", "y", "/", "x", "Enter"]);
    t.wait_for("the inline error", |s| s.contains("unknown kind"));
    for _ in 0..8 {
        t.keys(&["BSpace"]);
    }
    t.keys(&["v", "s", "/", "c", "a", "r", "t", "Enter"]);
    t.wait_for("the istio release", |s| {
        s.contains("cart-v2-a") && s.contains("istio")
    });

    // : from inside the cockpit opens another release directly
    t.keys(&[":"]);
    t.keys(&["i", "n", "g", "/", "s", "h", "o", "p", "Enter"]);
    t.wait_for("the nginx release again", |s| s.contains("shop-v2-a"));
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&status), "0");

    // each session starts with what the operator picked, and how
    use canary_cockpit::app::{Event, PickedFrom};
    let sessions = dir.join("state/canary-cockpit/sessions");
    let mut picks = Vec::new();
    for file in std::fs::read_dir(&sessions).expect("the sessions were recorded") {
        let rec = canary_cockpit::record::read(file.unwrap().path()).unwrap();
        match rec.events.first() {
            Some((
                _,
                Event::ReleasePicked {
                    namespace,
                    target,
                    from,
                    ..
                },
            )) => {
                assert_eq!(namespace, &ns);
                picks.push((target.to_string(), *from));
            }
            other => panic!("the session starts with {other:?}"),
        }
    }
    picks.sort_by(|a, b| (&a.0, a.1 == PickedFrom::List).cmp(&(&b.0, b.1 == PickedFrom::List)));
    let want = [
        ("ingress/shop".to_string(), PickedFrom::Typed),
        ("ingress/shop".to_string(), PickedFrom::List),
        ("virtualservice/cart".to_string(), PickedFrom::Typed),
    ];
    assert_eq!(picks, want);
}

/// `canary watch` with no Prometheus named: a Service found in the release's namespace is used
/// and said in the event log; with `--no-prometheus` the panels say how to name one.
#[test]
fn watch_says_where_its_metrics_come_from() {
    use crate::support::cluster::*;
    use crate::support::netns::{service_at, Netns};
    let cp = control_plane();
    let netns = Netns::new();
    let _prom = crate::support::prometheus::Prometheus::start_in("watch", &[], &netns);
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(async {
        let ns = shop(&client, "watch-prom", "20", &[]).await;
        let labels = serde_json::json!({"app.kubernetes.io/name": "prometheus"});
        service_at(&client, &ns, "prometheus", labels, &netns.inner_addr, 9090).await;
        ns
    });
    let dir = scratch("watch-prom");
    let bin = env!("CARGO_BIN_EXE_canary");
    let status = dir.join("exit-status");
    let run = |label: &str, flags: &str, recording: &Path| {
        let _ = std::fs::remove_file(&status);
        let command = format!(
            "{bin} --log-file {} watch ingress/shop -n {ns} --kubeconfig {} --record {} {flags}; echo $? > {}",
            dir.join("watch.log").display(),
            cp.kubeconfig.display(),
            recording.display(),
            status.display()
        );
        Tmux::start(label, &command, dir.clone())
    };

    let off = dir.join("off.jsonl");
    let t = run("prom-off", "--no-prometheus", &off);
    let screen = t.wait_for("the release", |s| s.contains("shop-v1-a"));
    assert_eq!(
        screen.matches("no Prometheus: --prometheus URL").count(),
        2,
        "{screen}"
    );
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&status), "0");
    drop(t);

    let found = dir.join("found.jsonl");
    let t = run("prom-found", "", &found);
    let screen = t.wait_for("the release", |s| s.contains("shop-v1-a"));
    assert!(!screen.contains("no Prometheus:"), "{screen}");
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&status), "0");
    let notes = |path: &Path| -> Vec<String> {
        let rec = canary_cockpit::record::read(path).unwrap();
        rec.events
            .iter()
            .filter_map(|(_, e)| match e {
                canary_cockpit::app::Event::Note { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    };
    let said = notes(&found);
    let want = format!("metrics from {ns}/prometheus:9090 (found)");
    assert!(said.contains(&want), "{said:#?}");
    assert!(!notes(&off).iter().any(|n| n.starts_with("metrics from")));
}

//! Hostile text through the real binary. One fixture puts escape sequences (OSC 0 retitles the
//! window, OSC 52 writes the clipboard, CSI 2J clears the screen), BEL, the C1 CSI U+009B and the
//! bidi override U+202E into a container image, a pod's waiting reason, the canary Ingress's
//! annotations, a Warning event, a kubeconfig context name, a recording's header and notes, and a
//! webhook's 500 answer. `status` (table, JSON, YAML), `sessions`, `replay --summary` (text and
//! JSON), `alert test` and the replay TUI (in tmux) run on it: no output, on stdout, on stderr,
//! in the log or on the screen, holds a control or bidi character; the text is shown instead
//! (`␛]0;title␇`), the JSON and YAML parse back to the original, and the webhook's secret path
//! is nowhere.

use crate::support::alert_receiver::AlertReceiver;
use crate::support::cluster::*;
use crate::support::{runtime, scratch};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Everything at once: window title, clipboard, clear screen, a bell, C1 CSI, a bidi override.
pub(crate) const EVIL: &str =
    "\u{1b}]0;title\u{7}\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\u{7}\u{9b}31m\u{202e}";

/// The hostile part as the hygiene shows it in one field.
pub(crate) const SHOWN: &str = "␛]0;title␇␛]52;c;aGk=␇␛[2J␇\\u{9b}31m\\u{202e}";

/// Fails with the offending character and its place unless `bytes` is free of the C0 controls
/// but `\t` and `\n`, DEL, the C1 controls and the bidi controls.
#[track_caller]
pub(crate) fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for (i, b) in bytes.iter().enumerate() {
        assert!(
            !matches!(b, 0x00..=0x08 | 0x0b..=0x1f | 0x7f),
            "{what}: byte {b:#04x} at {i}:\n{text}"
        );
    }
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}');
    if let Some(c) = text
        .chars()
        .find(|&c| ('\u{80}'..='\u{9f}').contains(&c) || bidi(c))
    {
        panic!("{what}: {c:?} in:\n{text}");
    }
}

#[track_caller]
fn assert_all_clean(what: &str, out: &Output) {
    assert_clean(&format!("{what} stdout"), &out.stdout);
    assert_clean(&format!("{what} stderr"), &out.stderr);
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The binary with `args`, its state and config in `dir`, `env` added.
fn canary(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canary"));
    cmd.env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("KUBECONFIG")
        .env_remove("CANARY_CONFIG")
        .env_remove("CANARY_KEEP_SESSIONS")
        .envs(env.iter().copied())
        .args(args);
    cmd.output().expect("run canary")
}

/// The test kubeconfig with its context renamed to a hostile name, and that name.
pub(crate) fn hostile_kubeconfig(cp: &ControlPlane, dir: &Path) -> (PathBuf, String) {
    let context = format!("canary-test{EVIL}");
    let yaml = std::fs::read_to_string(&cp.kubeconfig).expect("read the test kubeconfig");
    // JSON's escapes are YAML's in a double-quoted scalar, which allows no raw C1 control
    let quoted = canary_cockpit::hygiene::escape_json(&serde_json::to_string(&context).unwrap())
        .into_owned();
    let renamed = yaml
        .replace(
            "- name: canary-test\n  context:",
            &format!("- name: {quoted}\n  context:"),
        )
        .replace(
            "current-context: canary-test",
            &format!("current-context: {quoted}"),
        );
    assert_ne!(renamed, yaml, "the context was renamed");
    let path = dir.join("kubeconfig");
    std::fs::write(&path, renamed).unwrap();
    (path, context)
}

/// A shop release whose primary image, canary waiting reason, canary annotations and one
/// Warning event carry [`EVIL`].
pub(crate) async fn hostile_shop(client: &kube::Client) -> String {
    use k8s_openapi::api::core::v1::Pod;
    let ns = namespace(client, "hostile").await;
    service(client, &ns, "shop", "shop", "v1").await;
    service(client, &ns, "shop-canary", "shop", "v2").await;
    let image = format!("shop:1.0{EVIL}");
    running_pod(client, &ns, "shop-v1-a", ("shop", "v1", &image), true, 0).await;
    let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "shop-v2-a", "labels": {"app": "shop", "version": "v2"}},
        "spec": {"automountServiceAccountToken": false,
                 "containers": [{"name": "app", "image": "shop:2.0"}]}
    }))
    .unwrap();
    api.create(&PostParams::default(), &pod).await.unwrap();
    let status = json!({"status": {"phase": "Pending", "containerStatuses": [{
        "name": "app", "image": "shop:2.0", "imageID": "", "ready": false, "restartCount": 3,
        "state": {"waiting": {"reason": format!("Crash{EVIL}"), "message": EVIL}}}]}});
    api.patch_status("shop-v2-a", &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
    let header = format!("X-Canary{EVIL}");
    shop_ingresses(
        client,
        &ns,
        "20",
        &[
            ("nginx.ingress.kubernetes.io/canary-by-header", &header),
            ("nginx.ingress.kubernetes.io/canary-by-header-value", EVIL),
        ],
    )
    .await;
    warning_event(client, &ns, "shop-v2-a.evil", "shop-v2-a", "BackOff", EVIL).await;
    ns
}

/// `canary wait`'s lines, its end and its post-mortem, as text and as JSON lines: the hostile
/// image and context are shown, never sent, and JSON gives the cluster's own text back.
#[test]
fn wait_shows_hostile_cluster_text_and_never_sends_it() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(hostile_shop(&client));
    let dir = scratch("wait");
    let (kubeconfig, _) = hostile_kubeconfig(&cp, &dir);
    let kc = kubeconfig.to_str().unwrap();
    let wait = |extra: &[&str]| {
        let mut args = vec!["wait", "ingress/shop", "-n", &ns, "--kubeconfig", kc];
        args.extend_from_slice(&["--timeout", "1s"]);
        args.extend_from_slice(extra);
        let out = canary(&dir, &[], &args);
        assert_eq!(out.status.code(), Some(5), "{extra:?}: {}", stderr(&out));
        assert_all_clean(&format!("wait {extra:?}"), &out);
        out
    };
    let text = stdout(&wait(&[]));
    assert!(text.contains(&format!("shop:1.0{SHOWN}")), "{text}");
    let lines = stdout(&wait(&["-o", "json"]));
    let objects: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = &objects.last().unwrap()["summary"];
    assert_eq!(
        summary["versions"]["primary"]["image"],
        format!("shop:1.0{EVIL}")
    );
    assert!(
        summary["source"]["context"]
            .as_str()
            .is_some_and(|c| c.ends_with(EVIL)),
        "{summary}"
    );
}

#[test]
fn status_shows_hostile_cluster_text_and_never_sends_it() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(hostile_shop(&client));
    let dir = scratch("status");
    let (kubeconfig, context) = hostile_kubeconfig(&cp, &dir);
    let kc = kubeconfig.to_str().unwrap();
    let status = |extra: &[&str]| {
        let mut args = vec!["status", "ingress/shop", "-n", &ns, "--kubeconfig", kc];
        args.extend_from_slice(extra);
        let out = canary(&dir, &[], &args);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {}", stderr(&out));
        assert_all_clean(&format!("status {extra:?}"), &out);
        out
    };

    let table = stdout(&status(&[]));
    assert!(table.contains(&format!("shop:1.0{SHOWN}")), "{table}");
    assert!(table.contains(&format!("Crash{SHOWN}")), "{table}");
    assert!(table.contains(&format!("X-Canary{SHOWN}")), "{table}");

    // JSON and YAML escape what they must and parse back to the cluster's own text
    let json: Value = serde_json::from_slice(&status(&["-o", "json"]).stdout).unwrap();
    let yaml: Value = serde_saphyr::from_str(&stdout(&status(&["-o", "yaml"]))).unwrap();
    for v in [&json, &yaml] {
        assert_eq!(v["versions"][0]["image"], format!("shop:1.0{EVIL}"));
        assert_eq!(v["versions"][1]["pods"][0]["phase"], format!("Crash{EVIL}"));
        let routes = v["routes"].to_string();
        assert!(routes.contains("X-Canary\\u001b]0;title"), "{routes}");
    }

    // a context that does not exist is named in the error, shown
    let missing = format!("{context}-missing");
    let args = [
        "status",
        "ingress/shop",
        "-n",
        &ns,
        "--kubeconfig",
        kc,
        "--context",
        &missing,
    ];
    let out = canary(&dir, &[], &args);
    assert_ne!(out.status.code(), Some(0));
    assert_all_clean("status --context", &out);
    let said = stderr(&out);
    assert!(
        said.contains("canary-test") && said.contains("-missing"),
        "{said}"
    );

    // a kubeconfig YAML refuses (a raw C1 control in a plain scalar): the parser's complaint,
    // clean, without the lines of the file it would quote (the token is on one of them)
    let yaml = std::fs::read_to_string(&cp.kubeconfig).unwrap();
    let broken = dir.join("broken-kubeconfig");
    std::fs::write(
        &broken,
        yaml.replace("current-context: canary-test", "current-context: a\u{9b}b"),
    )
    .unwrap();
    let args = [
        "status",
        "ingress/shop",
        "-n",
        &ns,
        "--kubeconfig",
        broken.to_str().unwrap(),
    ];
    let out = canary(&dir, &[], &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_all_clean("status with a broken kubeconfig", &out);
    let token = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: "))
        .expect("a token");
    assert!(
        !stderr(&out).contains(token),
        "the token leaked: {}",
        stderr(&out)
    );

    let log = std::fs::read(dir.join("state/canary-cockpit/canary.log")).expect("the log");
    assert_clean("the log", &log);
    assert!(!String::from_utf8_lossy(&log).contains(token));
}

/// The shipped recording, as plain JSON Lines, with [`EVIL`] in its header (release, context,
/// namespace, target), the canary's name and image, every note, an alert's delivery error, and
/// a line of an event type no reader knows.
pub(crate) fn hostile_recording(dir: &Path) -> PathBuf {
    let shipped = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/faulty-v2-rollback.jsonl.zst"
    );
    let bytes = zstd::decode_all(std::fs::File::open(shipped).unwrap()).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let q = |s: &str| serde_json::to_string(s).unwrap();
    let source = json!({"kind": "cluster", "context": format!("prod{EVIL}"),
        "namespace": format!("shop{EVIL}"), "provider": "ingress-nginx",
        "target": format!("ingress/shop{EVIL}")});
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut header: Value = serde_json::from_str(&lines[0]).unwrap();
    header["source"] = source;
    header["release"] = json!(format!("frontend{EVIL}"));
    lines[0] = header.to_string();
    let mut text = lines
        .join("\n")
        .replace(
            "\"name\":\"v2\"",
            &format!("\"name\":{}", q(&format!("v2{EVIL}"))),
        )
        .replace(
            "registry.example.com/shop/frontend:1.5.0",
            q(&format!("frontend:1.5.0{EVIL}")).trim_matches('"'),
        )
        .replace(
            "\"author\":\"oncall\"",
            &format!("\"author\":{}", q(&format!("oncall{EVIL}"))),
        )
        .replace(
            "\"text\":\"paged by on-call: checkout errors rising\"",
            &format!("\"text\":{}", q(&format!("paged{EVIL}"))),
        );
    let t = 1_795_460_760_000_i64;
    let delivery = json!({"t": t, "event": {"type": "alert_delivered", "delivery": {
        "at": t, "sink": format!("hook{EVIL}"), "event": "automatic_rollback", "attempts": 4,
        "outcome": {"status": "failed", "http": 500, "error": format!("boom{EVIL}")}}}});
    let unknown = json!({"t": t, "event": {"type": format!("St{EVIL}"), "at": t}});
    text.push_str(&format!("\n{delivery}\n{unknown}\n"));
    let path = dir.join("state/canary-cockpit/sessions/20260101T000000Z-hostile.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn recordings_with_hostile_text_are_listed_and_summarized_cleanly() {
    let dir = scratch("replay");
    let rec = hostile_recording(&dir);
    let rec = rec.to_str().unwrap();
    // a second file from a newer cockpit, whose version names itself hostilely
    let bad = dir.join("state/canary-cockpit/sessions/20260102T000000Z-bad.jsonl");
    let header = json!({"format": "canary-cockpit-session", "version": format!("2.0{EVIL}"),
        "cockpit": EVIL, "source": {"kind": "demo", "scenario": "x", "seed": 1},
        "started_at": 0, "release": EVIL});
    std::fs::write(&bad, format!("{header}\n")).unwrap();

    let out = canary(&dir, &[], &["sessions"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_all_clean("sessions", &out);
    let listed = stdout(&out);
    assert!(listed.contains(&format!("frontend{SHOWN}")), "{listed}");
    assert!(listed.contains(&format!("cluster prod{SHOWN}")), "{listed}");
    assert!(listed.contains("unreadable"), "{listed}");

    let out = canary(&dir, &[], &["replay", rec, "--summary"]);
    // the unknown line is skipped and said
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_all_clean("replay --summary", &out);
    let text = stdout(&out);
    for shown in [
        "frontend",
        "oncall",
        "paged",
        "boom",
        "v2",
        "frontend:1.5.0",
    ] {
        assert!(text.contains(&format!("{shown}{SHOWN}")), "{shown}: {text}");
    }
    assert!(stderr(&out).contains("St␛]0;title␇"), "{}", stderr(&out));

    let out = canary(&dir, &[], &["replay", rec, "--summary", "-o", "json"]);
    assert_all_clean("replay --summary -o json", &out);
    let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["release"], format!("frontend{EVIL}"));
    let bad = bad.to_str().unwrap();
    let out = canary(&dir, &[], &["replay", bad, "--summary"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_all_clean("replay of a newer format", &out);
    assert!(stderr(&out).contains("2.0␛]0;title␇"), "{}", stderr(&out));
}

#[test]
fn a_webhooks_hostile_500_is_told_short_clean_and_without_its_path() {
    let rt = runtime();
    let rx = rt.block_on(AlertReceiver::start());
    let dir = scratch("alert");
    let secret = "/webhook/s3cr3t-hook-path-0123456789";
    let query = "token=abcdefghijklmnopq";
    let url = format!("http://{}{secret}?{query}", rx.addr);
    let config = dir.join("canary.toml");
    std::fs::write(
        &config,
        format!("[alerts.hook]\ntype = \"webhook\"\nurl = \"{url}\"\n"),
    )
    .unwrap();
    let body = format!(
        "{EVIL} no route for {secret}?{query} ({url}) {}",
        "x".repeat(5000)
    );
    rx.fail_with("webhook", 10, &body);
    let config = config.to_str().unwrap().to_string();
    let out = rt.block_on(async {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            canary(&dir, &[("CANARY_CONFIG", &config)], &["alert", "test"])
        })
        .await
        .unwrap()
    });
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_all_clean("alert test", &out);
    let said = stdout(&out);
    assert!(
        said.contains(&format!("HTTP 500: {SHOWN} no route for …")),
        "{said}"
    );
    assert_eq!(said.matches("after 4 attempts").count(), 1, "{said}");
    // the body is cut: 300 characters of it at most
    assert!(
        said.chars().count() < 400,
        "{} characters: {said}",
        said.chars().count()
    );
    let log = std::fs::read(dir.join("state/canary-cockpit/canary.log")).expect("the log");
    assert_clean("the log", &log);
    let log = String::from_utf8_lossy(&log);
    for leak in ["s3cr3t", "abcdefghijklmnopq"] {
        assert!(
            !said.contains(leak) && !stderr(&out).contains(leak),
            "{leak}"
        );
        assert!(!log.contains(leak), "{leak} in the log:\n{log}");
    }
    assert_eq!(rx.requests_to("webhook").len(), 4);
}

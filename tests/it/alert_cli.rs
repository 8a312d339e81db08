//! Alerts through the real binary: the demo's faulty-v2 rollback reaches Discord with the error
//! colour and the versions' numbers, the recording holds no URL or token, the post-mortem lists
//! the alerts with their deliveries; bad configuration is exit 2 with nothing sent; and
//! `canary alert test` says per sink what the service answered.

use crate::support::alert_receiver::AlertReceiver;
use crate::support::runtime;
use canary_cockpit::alert::payload::ERROR_COLOR;
use canary_cockpit::app::{App, AppConfig, Effect};
use canary_cockpit::record;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TOKEN: &str = "tok-5ecret-e2e";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("canary-alert-cli")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary with `env` set and every CANARY_ALERT_* variable of this process removed, on
/// a blocking thread so that the receiver keeps answering on the runtime.
fn canary(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    env: &[(&str, String)],
    args: &[&str],
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_canary"));
    cmd.env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("CANARY_CONFIG")
        .args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("CANARY_ALERT_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    rt.block_on(async move {
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    })
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_demo_rollback_reaches_discord_and_the_recording_keeps_no_url() {
    let rt = runtime();
    let rx = rt.block_on(AlertReceiver::start());
    let dir = scratch("demo");
    let file = dir.join("s.jsonl");
    let url = format!("{}/1234567/{TOKEN}", rx.url("/discord"));
    let out = canary(
        &rt,
        &dir,
        &[("CANARY_ALERT_DISCORD_URL", url.clone())],
        &[
            "demo",
            "--headless",
            "--speed",
            "max",
            "--seed",
            "7",
            "--alert",
            "discord",
            "--record",
            file.to_str().unwrap(),
        ],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(3),
        "rolled back: {stdout}\n{stderr}"
    );
    let got = rx.requests_to("/discord");
    assert!(!got.is_empty(), "nothing reached Discord: {stderr}");
    for r in &got {
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.status, Some(204));
    }
    let rollback = got
        .iter()
        .find(|r| r.body["embeds"][0]["color"] == ERROR_COLOR)
        .unwrap_or_else(|| panic!("no message in the error colour: {got:?}"));
    let embed = &rollback.body["embeds"][0];
    let all = embed.to_string();
    assert!(all.contains("automatic rollback"), "{all}");
    let fields: Vec<String> = embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} = {}", f["name"], f["value"]))
        .collect();
    let joined = fields.join("\n");
    assert!(joined.contains("v1") && joined.contains("v2"), "{joined}");
    assert!(joined.contains("% 5xx"), "the versions' numbers: {joined}");
    assert!(
        stderr.contains("alert automatic_rollback to discord: delivered (HTTP 204)"),
        "{stderr}"
    );

    // no URL or token in the recording, the output or the log
    let bytes = std::fs::read(&file).unwrap();
    let recorded = String::from_utf8_lossy(&bytes);
    assert!(
        !recorded.contains(TOKEN) && !recorded.contains("1234567"),
        "the recording holds the URL"
    );
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    let rec = record::read(&file).unwrap();
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
    let kinds: Vec<&str> = recorded
        .lines()
        .filter_map(|l| l.split("\"type\":\"").nth(1))
        .filter_map(|t| t.split('"').next())
        .filter(|t| t.starts_with("alert_"))
        .collect();
    assert!(
        kinds.contains(&"alert_raised") && kinds.contains(&"alert_delivered"),
        "{kinds:?}"
    );

    // replay raises nothing again: the recorded alerts come back without effects
    let mut app = App::new(rec.header.replay_config(AppConfig::default()));
    let mut sent = 0;
    for (_, event) in rec.events.iter().cloned() {
        sent += app
            .update(event)
            .iter()
            .filter(|e| matches!(e, Effect::Alert { .. }))
            .count();
    }
    assert_eq!(sent, 0, "replay sends no alert");
    assert!(app
        .log
        .iter()
        .any(|e| e.text.starts_with("ALERT frontend: automatic rollback")));

    // the post-mortem lists the alerts and what became of them
    let out = canary(
        &rt,
        &dir,
        &[],
        &["replay", file.to_str().unwrap(), "--summary", "-o", "json"],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let alerts = summary["alerts"].as_array().unwrap();
    let rolled = alerts
        .iter()
        .find(|a| a["event"] == "automatic_rollback")
        .unwrap_or_else(|| panic!("{alerts:?}"));
    assert_eq!(rolled["severity"], "error");
    assert_eq!(rolled["deliveries"][0]["sink"], "discord");
    assert_eq!(rolled["deliveries"][0]["delivered"], true);
    let out = canary(
        &rt,
        &dir,
        &[],
        &["replay", file.to_str().unwrap(), "--summary"],
    );
    let (summary_text, _) = text(&out);
    assert!(
        summary_text.contains("Alerts") && summary_text.contains("discord: delivered"),
        "{summary_text}"
    );
    assert_eq!(
        rx.requests_to("/discord").len(),
        got.len(),
        "reading the recording sent nothing"
    );
}

#[test]
fn bad_alert_configuration_is_exit_2_and_nothing_is_sent() {
    let rt = runtime();
    let rx = rt.block_on(AlertReceiver::start());
    let dir = scratch("bad");
    let good = ("CANARY_ALERT_DISCORD_URL", rx.url("/discord/1/t"));
    let config = dir.join("canary.toml");
    let cases: [(&str, &str); 3] = [
        (
            "[alerts.ops]\ntype = \"pagerduty\"\nurl = \"https://events.example/x\"\n",
            "alerts.ops.type",
        ),
        (
            "[alerts.ops]\ntype = \"slack\"\nurl = \"ftp://hooks.example/x\"\n",
            "alerts.ops.url",
        ),
        (
            "[alerts.ops]\ntype = \"slack\"\nurl_env = \"OPS_SLACK_URL\"\n",
            "OPS_SLACK_URL",
        ),
    ];
    for (toml, named) in cases {
        std::fs::write(&config, toml).unwrap();
        let out = canary(
            &rt,
            &dir,
            std::slice::from_ref(&good),
            &[
                "demo",
                "--headless",
                "--speed",
                "max",
                "--config",
                config.to_str().unwrap(),
                "--alert",
                "discord",
                "--alert",
                "ops",
            ],
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{toml}: {stdout}\n{stderr}");
        assert!(stderr.contains(named), "{toml}: {stderr}");
        if named.starts_with("alerts.") {
            assert!(
                stderr.contains(config.to_str().unwrap()),
                "names the file: {stderr}"
            );
        }
        assert!(stdout.is_empty(), "the demo did not start: {stdout}");
    }
    let out = canary(&rt, &dir, &[], &["demo", "--headless", "--alert", "slack"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("CANARY_ALERT_SLACK_URL"), "{stderr}");
    let out = canary(&rt, &dir, &[], &["demo", "--headless", "--alert", "pager"]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(rx.requests().is_empty(), "nothing was sent");
}

#[test]
fn alert_test_says_per_sink_what_the_service_answered() {
    let rt = runtime();
    let rx = rt.block_on(AlertReceiver::start());
    let dir = scratch("test");
    let config = dir.join("canary.toml");
    std::fs::write(
        &config,
        "[alerts.team]\ntype = \"slack\"\nurl_env = \"TEAM_SLACK_URL\"\nmin_severity = \"error\"\n",
    )
    .unwrap();
    let env = [
        ("CANARY_ALERT_WEBHOOK_URL", rx.url("/webhook/hook-token")),
        (
            "TEAM_SLACK_URL",
            rx.url(&format!("/slack/T000/B000/{TOKEN}")),
        ),
        ("CANARY_CONFIG", config.to_str().unwrap().to_string()),
    ];
    let out = canary(&rt, &dir, &env, &["alert", "test"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("team") && stdout.contains("webhook"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("delivered").count(), 2, "{stdout}");
    // a test message goes to a sink whatever its minimum severity
    assert_eq!(rx.requests_to("/slack").len(), 1);
    assert_eq!(rx.requests_to("/webhook")[0].body["event"], "test");

    rx.refuse("/slack", 1);
    let out = canary(&rt, &dir, &env, &["alert", "test", "team"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("HTTP 400") && stdout.contains("invalid_blocks"),
        "{stdout}"
    );
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    assert_eq!(
        rx.requests_to("/slack").len(),
        2,
        "a refusal is not retried"
    );
}

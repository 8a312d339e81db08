//! Fitting into the shell and kubectl: completions and the manual page generated from the clap
//! definitions, `--version` naming the commit, and the binary run as `kubectl canary` through a
//! real kubectl on PATH.

use crate::support::scratch;
use std::process::{Command, Output};

fn canary(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canary"))
        .args(args)
        .output()
        .expect("run canary")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn completions_and_the_manual_follow_the_commands() {
    for (shell, mark) in [
        ("bash", "_canary()"),
        ("zsh", "#compdef canary"),
        ("fish", "complete -c canary"),
    ] {
        let out = canary(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let text = stdout(&out);
        assert!(text.contains(mark), "{shell}: {text}");
        // fish spells a long flag `-l alert`
        let alert = if shell == "fish" {
            "-l alert"
        } else {
            "--alert"
        };
        for word in ["watch", "replay", "route", alert] {
            assert!(text.contains(word), "{shell} lacks {word}");
        }
    }
    let out = canary(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
    let out = canary(&["man"]);
    assert!(out.status.success());
    let man = stdout(&out);
    assert!(man.contains(".TH canary 1"), "{man}");
    assert!(
        man.contains("terminal cockpit for canary releases") && man.contains("watch"),
        "{man}"
    );
}

#[test]
fn the_version_names_the_commit() {
    let out = canary(&["--version"]);
    let text = stdout(&out);
    assert!(
        text.starts_with(concat!("canary ", env!("CARGO_PKG_VERSION"), " (commit ")),
        "{text}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if let Some(head) = head {
        assert!(text.contains(&head), "{text} does not name {head}");
    }
}

#[test]
fn kubectl_runs_it_as_a_plugin() {
    let dir = scratch("kubectl-plugin");
    let plugin = dir.join("kubectl-canary");
    let _ = std::fs::remove_file(&plugin);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_canary"), &plugin).unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let kubectl = |args: &[&str]| {
        Command::new("kubectl")
            .args(args)
            .env("PATH", &path)
            .env("KUBECONFIG", dir.join("no-kubeconfig"))
            .output()
            .expect("kubectl is required: ./scripts/test.sh installs it")
    };
    let out = kubectl(&["canary", "--version"]);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).starts_with("canary "), "{}", stdout(&out));
    let out = kubectl(&["canary", "scenarios"]);
    assert!(stdout(&out).contains("faulty-v2"), "{out:?}");
    let out = kubectl(&["plugin", "list"]);
    let listed = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert!(listed.contains("kubectl-canary"), "{listed}");
}

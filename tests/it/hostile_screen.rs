//! Hostile text on the screen: the replay TUI of a recording and a live `canary watch` whose
//! names, images, notes and Warning events carry escape sequences and bidi controls, in a real
//! terminal (tmux). What tmux shows (`capture-pane -e`, its colours taken out) holds no control
//! or bidi character, and no OSC sequence reached tmux: the pane keeps its title.

use crate::hostile_text::{
    assert_clean, hostile_kubeconfig, hostile_recording, hostile_shop, EVIL, SHOWN,
};
use crate::support::cluster::*;
use crate::support::{runtime, scratch};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of its own running one command in a 120×40 pane.
struct Tmux(String);

impl Tmux {
    fn start(label: &str, command: &str) -> Tmux {
        let socket = format!("canary-hostile-{label}-{}", std::process::id());
        let ok = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "120", "-y", "40", "-s", "hostile", command])
            .status()
            .expect("tmux is required: run ./scripts/test.sh, which installs it");
        assert!(ok.success(), "tmux new-session failed");
        Tmux(socket)
    }

    fn tmux(&self, args: &[&str]) -> Vec<u8> {
        let out = Command::new("tmux")
            .args(["-L", &self.0])
            .args(args)
            .output()
            .expect("run tmux");
        out.stdout
    }

    /// The screen with its attributes (`-e`), the SGR sequences of its colours taken out.
    fn screen(&self) -> Vec<u8> {
        let raw = self.tmux(&["capture-pane", "-p", "-e", "-t", "hostile"]);
        without_sgr(&raw)
    }

    fn title(&self) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", "hostile", "#{pane_title}"]);
        String::from_utf8_lossy(&out).trim().to_string()
    }

    /// Waits until the screen shows `needle`; panics with the screen after 20 s.
    fn wait_for(&self, needle: &str) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if String::from_utf8_lossy(&s).contains(needle) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} on the screen:\n{}",
                String::from_utf8_lossy(&s)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// `bytes` without the `ESC [ … m` sequences tmux writes for colours and emphasis.
fn without_sgr(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'[') {
            let end = bytes[i + 2..]
                .iter()
                .position(|b| !(b.is_ascii_digit() || *b == b';' || *b == b':'));
            if let Some(e) = end.filter(|&e| bytes[i + 2 + e] == b'm') {
                i += 2 + e + 1;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The shell command that runs the binary with its state in `dir`.
fn command(dir: &Path, args: &str) -> String {
    format!(
        "env -u NO_COLOR XDG_STATE_HOME={} {} {args}; sleep 30",
        dir.join("state").display(),
        env!("CARGO_BIN_EXE_canary"),
    )
}

#[test]
fn the_replay_screen_shows_hostile_text_and_sends_none_of_it() {
    let dir = scratch("replay");
    let rec = hostile_recording(&dir);
    let t = Tmux::start(
        "replay",
        &command(&dir, &format!("replay {}", rec.display())),
    );
    let before = t.title();
    // the canary's name in the gauge's title, shown
    let screen = t.wait_for("canary v2␛]0;title␇");
    assert_clean("the replay screen", &screen);
    t.tmux(&["send-keys", "-t", "hostile", "G"]);
    // the end: the delivery error of an alert in the event log
    let screen = t.wait_for("boom␛]0;title␇");
    assert_clean("the replay screen at its end", &screen);
    assert_eq!(t.title(), before, "an OSC sequence reached the terminal");
    assert_ne!(t.title(), "title");
}

#[test]
fn a_live_watch_shows_hostile_cluster_text_and_sends_none_of_it() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(hostile_shop(&client));
    let dir = scratch("watch");
    let (kubeconfig, _) = hostile_kubeconfig(&cp, &dir);
    let args = format!(
        "watch ingress/shop -n {ns} --kubeconfig {} --no-prometheus --no-record",
        kubeconfig.display()
    );
    let t = Tmux::start("watch", &command(&dir, &args));
    let before = t.title();
    t.wait_for(&format!("Crash{}", &SHOWN[..10]));
    // a Warning event that arrives while the cockpit watches goes to the event log
    let message = format!("evt-marker{EVIL}");
    rt.block_on(warning_event(
        &client,
        &ns,
        "shop-v2-a.live",
        "shop-v2-a",
        "BackOff",
        &message,
    ));
    let screen = t.wait_for("evt-marker␛]0;title␇");
    assert_clean("the live screen", &screen);
    assert_eq!(t.title(), before, "an OSC sequence reached the terminal");
    assert_ne!(t.title(), "title");
}

//! The real binary in a real terminal: tmux runs it (it answers crossterm's terminal queries,
//! which a bare pty does not), `send-keys` types, `capture-pane` reads the screen.

use super::wait_until_sync;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// A tmux server of the test's own running one command in a 120×40 window.
pub struct Tmux {
    pub socket: String,
    dir: PathBuf,
}

impl Tmux {
    pub fn start(label: &str, command: &str, dir: PathBuf) -> Tmux {
        let version = Command::new("tmux").arg("-V").output();
        assert!(
            version.is_ok_and(|o| o.status.success()),
            "tmux is required for the smoke test: run ./scripts/test.sh, which installs it"
        );
        let socket = format!("canary-{label}-{}", std::process::id());
        let ok = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
                "-s",
                "smoke",
            ])
            .arg(command)
            .status()
            .expect("start tmux");
        assert!(ok.success(), "tmux new-session failed");
        Tmux { socket, dir }
    }

    pub fn keys(&self, keys: &[&str]) {
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "smoke"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(ok.success());
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "smoke"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen satisfies `pred`; panics with the screen after 15 s.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        wait_until_sync(what, Duration::from_secs(15), || {
            let s = self.screen();
            if pred(&s) {
                Ok(s)
            } else {
                Err(format!("screen:\n{s}"))
            }
        })
    }

    pub fn status_file(&self) -> PathBuf {
        self.dir.join("exit-status")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

//! What the integration tests share. Here: a harness that builds `App` states purely through
//! `App::update`, on a fixed virtual clock, so every screen is the same on every run; keys,
//! screens as text, scratch directories, a runtime, the real binary, and an HTTP client that
//! speaks to the gate server as Flagger's webhooks do. In the submodules: the real control plane
//! (`cluster`), a fault-injecting proxy in front of it (`fault_proxy`), `kubectl proxy` and a
//! proxy that judges each request behind it (`kubectl_proxy`), kubeconfigs with users of a test's
//! own (`kubeconfig`), a real Prometheus (`prometheus`) and network namespaces the API server
//! reaches it in (`netns`), the API server's audit log (`audit`), and waiting for a condition
//! rather than for a fixed time (`wait`).
//!
//! `Harness` plays the part of the source: it sends observations and metrics, and performs every
//! effect the app returns through the one executor on a stand-in release (`stand_in`), which
//! answers the way a cluster would (the weight changes, a rollback scales the canary to 0).

pub mod alert_receiver;
pub mod audit;
pub mod cluster;
pub mod fault_proxy;
pub mod keel_stand_in;
pub mod kubeconfig;
pub mod kubectl_proxy;
pub mod metrics_stand_in;
pub mod netns;
pub mod prometheus;
pub mod stand_in;
pub mod tmux;
pub mod two_services;
pub mod wait;

pub use wait::{wait_until, wait_until_sync};

use canary_cockpit::app::{Actor, App, AppConfig, Effect, Event};
use canary_cockpit::model::{
    AnalysisSettings, MetricsSample, Millis, Plan, Pod, PodSet, PodStatus, ReleaseSnapshot,
    Version, VersionSample, Weight,
};
use canary_cockpit::perform::Executor;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The session starts at 2026-01-01T00:00:00Z on the virtual clock.
pub const T0: Millis = Millis(1_767_225_600_000);
/// Metrics arrive every two seconds.
pub const SAMPLE_MS: i64 = 2000;

pub fn settings() -> AnalysisSettings {
    AnalysisSettings {
        interval_secs: 10,
        threshold: 5,
        min_success_rate: 99.0,
        max_p99_ms: 500.0,
        min_requests: 20,
        max_4xx_rate: None,
        max_memory_growth: None,
        ..AnalysisSettings::default()
    }
}

pub fn plan() -> Plan {
    Plan::linear(Weight::clamped(10), Weight::clamped(50)).expect("valid plan")
}

pub fn config(color: bool) -> AppConfig {
    AppConfig {
        user: "alice".to_string(),
        kube_user: None,
        color,
        read_only: false,
        no_writes: false,
        switchable: false,
        queries: Vec::new(),
        refresh_ms: 2000,
        raise_alerts: true,
        record_judgements: true,
        no_metrics_source: false,
        confirm_within_ms: canary_cockpit::app::CONFIRM_WITHIN_MS,
    }
}

fn pod(name: &str, status: PodStatus, ready: bool, restarts: u32, created_at: Millis) -> Pod {
    Pod {
        name: name.to_string(),
        status,
        ready,
        restarts,
        created_at,
        resources: Default::default(),
    }
}

/// How the canary behaves in the next samples.
#[derive(Clone, Copy, Debug)]
pub struct CanaryHealth {
    /// Share of 5xx responses.
    pub error_rate: f64,
    pub p99_ms: f64,
}

pub const HEALTHY: CanaryHealth = CanaryHealth {
    error_rate: 0.002,
    p99_ms: 180.0,
};
pub const FAULTY: CanaryHealth = CanaryHealth {
    error_rate: 0.12,
    p99_ms: 640.0,
};

pub struct Harness {
    pub app: App,
    pub release: ReleaseSnapshot,
    pub pods: PodSet,
    pub canary: CanaryHealth,
    /// Alerts the app asked to send.
    pub alerts: Vec<canary_cockpit::model::Alert>,
    /// Offset of the virtual clock from `T0`, in milliseconds.
    pub t: i64,
    rng: u64,
    /// The one executor, acting on the stand-in release.
    executor: Executor<std::convert::Infallible>,
}

impl Harness {
    /// A cockpit driving `frontend` in namespace `demo`: primary v1 with 4 pods, canary v2 with 2.
    /// Nothing is observed yet.
    pub fn new(color: bool) -> Self {
        let app = App::driving(config(color), settings(), plan());
        let old = T0.plus_ms(-3 * 86_400_000);
        let fresh = T0.plus_ms(-45_000);
        let primary = ["x8k2p", "m4q7d", "b9t3w", "z2n6c"]
            .iter()
            .map(|s| {
                pod(
                    &format!("frontend-v1-6d4f8b7c9-{s}"),
                    PodStatus::Running,
                    true,
                    0,
                    old,
                )
            })
            .collect();
        let canary = ["r7j5v", "h3c8n"]
            .iter()
            .map(|s| {
                pod(
                    &format!("frontend-v2-7c9f8b6d4-{s}"),
                    PodStatus::Running,
                    true,
                    0,
                    fresh,
                )
            })
            .collect();
        Self {
            app,
            release: ReleaseSnapshot {
                name: "frontend".to_string(),
                namespace: "demo".to_string(),
                source: "demo:faulty-v2".to_string(),
                primary: Version {
                    name: "v1".to_string(),
                    image: "registry.local/frontend:1.4.2".to_string(),
                },
                canary: Version {
                    name: "v2".to_string(),
                    image: "registry.local/frontend:1.5.0".to_string(),
                },
                weight: Weight::ZERO,
                canary_replicas: 2,
                phase: None,
                plan: None,
                paused: None,
                controller: None,
                rules: Vec::new(),
                refusals: Vec::new(),
            },
            pods: PodSet { primary, canary },
            canary: HEALTHY,
            alerts: Vec::new(),
            t: 0,
            rng: 0x9e37_79b9_7f4a_7c15,
            executor: Executor::default(),
        }
    }

    pub fn now(&self) -> Millis {
        T0.plus_ms(self.t)
    }

    /// Feeds one event and performs the effects it returns through the one executor, on the
    /// stand-in release ([`stand_in::StandIn`]); then reports the release as it is.
    pub fn send(&mut self, event: Event) {
        let effects = self.app.update(event);
        for effect in effects {
            match effect {
                Effect::Alert { alert } => self.alerts.push(*alert),
                // the harness plays a release without Flagger's gates
                Effect::PublishGates { .. } => {}
                effect => {
                    let mut world = stand_in::StandIn {
                        release: &mut self.release,
                        pods: &mut self.pods,
                        now: T0.plus_ms(self.t),
                    };
                    for ev in self.executor.perform(&mut world, effect) {
                        self.send(ev);
                    }
                    self.observe();
                }
            }
        }
    }

    /// Reports the release and its pods as they are now.
    pub fn observe(&mut self) {
        let at = self.now();
        self.send(Event::ReleaseObserved {
            at,
            release: self.release.clone(),
        });
        self.send(Event::PodsObserved {
            at,
            pods: self.pods.clone(),
        });
    }

    /// A deterministic jitter in `[-1, 1)`.
    fn jitter(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        ((self.rng >> 11) % 2000) as f64 / 1000.0 - 1.0
    }

    fn sample(&mut self) -> MetricsSample {
        let period = SAMPLE_MS as f64 / 1000.0;
        let total = 100.0 + 4.0 * self.jitter();
        let share = f64::from(self.release.weight.percent()) / 100.0;
        let canary_up = self.release.canary_replicas > 0 && share > 0.0;
        let side = |rps: f64, errors: f64, p99: f64| {
            let rps = (rps * 10.0).round() / 10.0;
            let requests = (rps * period).round();
            VersionSample {
                rps,
                requests,
                errors: (requests * errors).round(),
                p99_ms: (requests > 0.0).then_some(p99.round()),
                // 2 % 4xx; p50 and p95 at fixed shares of the p99
                errors_4xx: Some((requests * 0.02).round()),
                p50_ms: (requests > 0.0).then_some((p99 * 0.4).round()),
                p95_ms: (requests > 0.0).then_some((p99 * 0.7).round()),
            }
        };
        let primary_p99 = 120.0 + 15.0 * self.jitter();
        let canary_p99 = self.canary.p99_ms + 30.0 * self.jitter();
        let primary = side(total * (1.0 - share), 0.005, primary_p99);
        let canary = if canary_up {
            side(total * share, self.canary.error_rate, canary_p99)
        } else {
            VersionSample::default()
        };
        MetricsSample {
            at: self.now(),
            period_ms: SAMPLE_MS,
            primary,
            canary,
        }
    }

    /// Moves the clock to `secs` after `T0`, sampling metrics every two seconds and reporting the
    /// pods every ten.
    pub fn run_until(&mut self, secs: i64) {
        while self.t + SAMPLE_MS <= secs * 1000 {
            self.t += SAMPLE_MS;
            if self.t % 10_000 == 0 {
                let at = self.now();
                self.send(Event::PodsObserved {
                    at,
                    pods: self.pods.clone(),
                });
            }
            let sample = self.sample();
            self.send(Event::MetricsSampled { sample });
        }
    }

    /// Time passes with no data at all (a source that went quiet).
    pub fn silence(&mut self, secs: i64) {
        self.t += secs * 1000;
        let at = self.now();
        self.send(Event::Tick { at });
    }

    pub fn key(&mut self, key: KeyCode) {
        self.send(code(key));
    }

    pub fn chars(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// The second canary pod starts crash-looping.
    pub fn crash_canary_pod(&mut self, restarts: u32) {
        if let Some(p) = self.pods.canary.get_mut(1) {
            p.status = PodStatus::CrashLoopBackOff;
            p.ready = false;
            p.restarts = restarts;
        }
    }
}

/// Before anything is observed.
pub fn waiting(color: bool) -> Harness {
    Harness::new(color)
}

/// The release and its pods have just been observed; no metrics yet.
pub fn just_observed(color: bool) -> Harness {
    let mut h = Harness::new(color);
    h.observe();
    h
}

/// Sixty seconds in: three passing checks took the canary to 30 %, then v2 went bad (12 % errors,
/// p99 ~640 ms, one pod crash-looping) and three checks failed. 30 samples of metrics.
pub fn mid_release(color: bool) -> Harness {
    let mut h = just_observed(color);
    h.run_until(32);
    h.canary = FAULTY;
    h.run_until(38);
    h.crash_canary_pod(3);
    h.run_until(60);
    h
}

/// The fifth failed check rolled v2 back automatically; twenty seconds later.
pub fn rolled_back(color: bool) -> Harness {
    let mut h = mid_release(color);
    h.run_until(80);
    h.pods.canary.clear();
    h.run_until(100);
    h
}

/// A press of `key`, no modifiers.
pub fn code(key: KeyCode) -> Event {
    Event::Key(KeyEvent::new(key, KeyModifiers::NONE))
}

/// A press of the character key `c`.
pub fn key(c: char) -> Event {
    code(KeyCode::Char(c))
}

/// alice at the keyboard, with no Kubernetes user known.
pub fn alice() -> Actor {
    Actor::Operator {
        user: "alice".into(),
        kube_user: None,
    }
}

/// Draws `app` into a `width` × `height` test terminal.
pub fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| canary_cockpit::ui::render(app, frame))
        .expect("draw");
    terminal
}

/// What `app` draws at `width` × `height`.
pub fn screen(app: &App, width: u16, height: u16) -> Buffer {
    draw(app, width, height).backend().buffer().clone()
}

/// Rows of a buffer as strings (one char per cell).
pub fn rows(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect()
        })
        .collect()
}

/// Cell positions where `needle` starts.
pub fn find(buf: &Buffer, needle: &str) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    for (y, row) in rows(buf).iter().enumerate() {
        let cells: Vec<char> = row.chars().collect();
        let n: Vec<char> = needle.chars().collect();
        for x in 0..cells.len().saturating_sub(n.len() - 1) {
            if cells[x..x + n.len()] == n[..] {
                out.push((x as u16, y as u16));
            }
        }
    }
    out
}

/// A buffer as text: its rows, each ending in a newline.
pub fn text(buf: &Buffer) -> String {
    rows(buf).into_iter().map(|row| row + "\n").collect()
}

/// A fresh, empty directory for one test, named after the calling file and `name`: tests in
/// different files may use the same name side by side.
#[track_caller]
pub fn scratch(name: &str) -> PathBuf {
    let file = Path::new(std::panic::Location::caller().file())
        .file_stem()
        .expect("a source file")
        .to_string_lossy()
        .into_owned();
    let dir = std::env::temp_dir().join(format!("canary-{file}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A runtime for a test's async parts (one thread: the tests drive it with `block_on`).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Runs the real binary with `args`, its state (sessions, logs) inside `dir`, and none of the
/// environment that would change what it does (KUBECONFIG, CANARY_KEEP_SESSIONS).
pub fn canary_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_canary"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("RUST_BACKTRACE", "1")
        .env_remove("KUBECONFIG")
        .env_remove("CANARY_KEEP_SESSIONS")
        .args(args)
        .output()
        .expect("run canary")
}

/// Nothing the gate server does should take anywhere near this long.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// An answer of the gate server as the client saw it.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

/// Sends `raw` on a fresh connection and reads the answer until the server closes.
pub async fn exchange(addr: SocketAddr, raw: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    timeout(PATIENCE, stream.write_all(raw))
        .await
        .expect("the server takes the request in time")
        .expect("send the request");
    let mut bytes = Vec::new();
    timeout(PATIENCE, stream.read_to_end(&mut bytes))
        .await
        .expect("the server answers and closes in time")
        .expect("read the answer");
    let text = String::from_utf8(bytes).expect("a UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("an answer with a head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    assert!(head.starts_with("HTTP/1.1 "), "status line: {head}");
    let answer = Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    };
    assert_eq!(
        answer.header("Content-Length"),
        Some(answer.body.len().to_string()),
        "Content-Length matches the body: {answer:?}"
    );
    assert_eq!(answer.header("Connection").as_deref(), Some("close"));
    answer
}

/// A request as Flagger's webhook client sends it.
pub fn request(method: &str, path: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: cockpit\r\nUser-Agent: Go-http-client/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// POSTs `body` to `path` of the gate server at `addr`; the status code answered.
pub async fn post(addr: SocketAddr, path: &str, body: &str) -> u16 {
    exchange(addr, &request("POST", path, body)).await.status
}

//! `--alert` for the commands: the names resolved before anything starts (a bad entry, URL or
//! variable stops the command with exit 2 and nothing is sent), the release's Flagger
//! AlertProviders joined once the release is known, the outcomes told after a verb, and
//! `canary alert test`.

use crate::alert::setup::Resolved;
use crate::alert::{Notifier, Settings, Sink, SinkKind};
use crate::app::Actor;
use crate::hygiene::field;
use crate::live::Observed;
use crate::model::{Alert, AlertEvent, Delivery, Phase, Severity, VersionNumbers};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use super::RunError;

/// How long a verb waits for its alert before it exits: every attempt and backoff of one delivery.
pub const VERB_GRACE: Duration = Duration::from_secs(30);

/// How long a headless demo waits for its alerts at the end.
pub const HEADLESS_GRACE: Duration = Duration::from_secs(10);

/// A runtime on a thread of its own for the alerts of a runner that does not run one (the
/// headless demo, which paces itself with sleeps).
pub struct Background {
    runtime: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    pub fn start() -> Result<Background, RunError> {
        let runtime = super::runtime()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("alerts".to_string())
            .spawn(move || {
                // the thread drives the runtime's timers and sockets until told to stop
                let _ = runtime.block_on(stopped);
            })
            .map_err(RunError::Runtime)?;
        Ok(Background {
            runtime: handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// A notifier whose deliveries run on this thread.
    pub fn notifier(&self, sinks: Vec<Sink>, session: Option<&Path>) -> Result<Notifier, RunError> {
        if sinks.is_empty() {
            return Ok(Notifier::none());
        }
        let _inside = self.runtime.enter();
        notifier(sinks, session)
    }

    /// Gives pending deliveries up to `grace`, then stops the thread; returns the outcomes not
    /// yet taken.
    pub fn finish(mut self, notifier: Notifier, grace: Duration) -> Vec<Delivery> {
        let outcomes = self.runtime.block_on(notifier.finish(grace));
        self.stop_thread();
        outcomes
    }

    fn stop_thread(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// Reads the environment for sink URLs.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Resolves `--alert` names with the config file (the explicit one, else the default) for a
/// kubeconfig context (`None`: the demo).
pub fn resolve(
    names: &[String],
    config: Option<&Path>,
    context: Option<&str>,
) -> Result<Resolved, RunError> {
    if names.is_empty() {
        return Ok(Resolved::default());
    }
    let entries = config_alerts(config)?;
    let path = config
        .map(Path::to_path_buf)
        .or_else(crate::config::default_path);
    crate::alert::resolve(names, &entries, path.as_deref(), context, &env_var)
        .map_err(|e| RunError::Usage(e.to_string()))
}

/// The config file's `[alerts]`, every entry checked: a bad one is a usage error (exit 2).
fn config_alerts(
    config: Option<&Path>,
) -> Result<std::collections::BTreeMap<String, crate::alert::SinkEntry>, RunError> {
    crate::config::load(config)
        .and_then(|file| file.alerts())
        .map_err(RunError::from)
}

/// Starts the notifier on `runtime` for `sinks`; `session` names the recording.
pub fn start(
    runtime: &tokio::runtime::Runtime,
    sinks: Vec<Sink>,
    session: Option<&Path>,
) -> Result<Notifier, RunError> {
    if sinks.is_empty() {
        return Ok(Notifier::none());
    }
    let _inside = runtime.enter();
    notifier(sinks, session)
}

/// Starts a notifier on the runtime entered.
fn notifier(sinks: Vec<Sink>, session: Option<&Path>) -> Result<Notifier, RunError> {
    let settings = Settings {
        session: session
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned()),
        ..Settings::default()
    };
    Notifier::start(sinks, settings).map_err(RunError::Usage)
}

/// The release's own AlertProviders when `--alert flagger` was given; what could not be used is
/// told in `notes`.
pub fn flagger_sinks(
    runtime: &tokio::runtime::Runtime,
    cluster: &crate::cluster::Cluster,
    observed: &Observed,
    resolved: &mut Resolved,
) {
    if !resolved.flagger {
        return;
    }
    let (sinks, notes) = runtime
        .block_on(crate::provider::of(&observed.route).alert_sinks(cluster, &observed.route));
    for sink in sinks {
        if !resolved.sinks.iter().any(|s| s.name == sink.name) {
            resolved.sinks.push(sink);
        }
    }
    resolved.notes.extend(notes);
}

/// The line that says where alerts go: `alerts to discord, flagger/shop/on-call`.
pub fn describe(sinks: &[Sink]) -> Option<String> {
    (!sinks.is_empty()).then(|| {
        let names: Vec<String> = sinks
            .iter()
            .map(|s| format!("{} ({}, {})", s.name, s.kind, s.url.redacted()))
            .collect();
        format!("alerts go to {}", names.join(", "))
    })
}

/// An alert about a release a verb acted on, with the release as read before the action.
pub fn verb_alert(
    observed: &Observed,
    event: AlertEvent,
    severity: Severity,
    phase: Phase,
    actor: &Actor,
    reason: String,
) -> Alert {
    let r = &observed.snapshot;
    Alert {
        at: crate::model::wall_clock(),
        event,
        severity,
        release: r.name.clone(),
        namespace: r.namespace.clone(),
        provider: r.source.clone(),
        phase,
        weight: r.weight,
        actor: Some(actor.to_string()),
        reason,
        primary: VersionNumbers::new(&r.primary.name, &r.primary.image, None),
        canary: VersionNumbers::new(&r.canary.name, &r.canary.image, None),
        judge: None,
    }
}

/// Sends one alert from a verb and waits for its outcomes; tells each on stderr. The verb's own
/// result does not depend on them.
pub fn send_and_tell(runtime: &tokio::runtime::Runtime, notifier: Notifier, alert: &Alert) {
    if notifier.is_empty() {
        return;
    }
    notifier.send(alert);
    let outcomes = runtime.block_on(notifier.finish(VERB_GRACE));
    tell(&outcomes);
}

/// The outcomes left when the cockpit quit: fed to the app (so they are recorded), then told
/// on stderr.
pub fn record_late(tap: &mut crate::record::Tap, app: &mut crate::app::App, late: &[Delivery]) {
    for delivery in late {
        let event = crate::app::Event::AlertDelivered {
            delivery: delivery.clone(),
        };
        let _ = tap.feed(app, event);
    }
    tell(late);
}

/// One stderr line per outcome.
pub fn tell(outcomes: &[Delivery]) {
    for d in outcomes {
        let warn = if d.outcome.is_delivered() {
            ""
        } else {
            "warning: "
        };
        crate::stdout::error_line(&format!(
            "{warn}alert {} to {}: {}",
            d.event,
            field(&d.sink),
            field(&d.outcome.to_string())
        ));
    }
}

/// `canary alert test [NAME…]`.
pub fn test(names: Vec<String>, config: Option<&Path>) -> Result<ExitCode, RunError> {
    let names = if names.is_empty() {
        let mut all: Vec<String> = config_alerts(config)?.into_keys().collect();
        all.extend(
            SinkKind::ALL
                .into_iter()
                .filter(|k| env_var(&k.env_var()).is_some_and(|v| !v.trim().is_empty()))
                .map(|k| k.name().to_string()),
        );
        all
    } else {
        names
    };
    if names.is_empty() {
        return Err(RunError::Usage(
            "no alert sinks: add [alerts.NAME] to the config file or set CANARY_ALERT_<TYPE>_URL (see docs/alerts.md)".to_string(),
        ));
    }
    if names.iter().any(|n| n == crate::alert::setup::FLAGGER) {
        return Err(RunError::Usage(
            "alert test: `flagger` names a release's AlertProviders; test them with an action on the release and --alert flagger".to_string(),
        ));
    }
    let resolved = resolve(&names, config, None)?;
    let runtime = super::runtime()?;
    let policy = crate::alert::Policy::default();
    let client = crate::alert::deliver::client(&policy).map_err(RunError::Usage)?;
    let alert = test_alert();
    let mut all_delivered = true;
    for sink in &resolved.sinks {
        let (outcome, _attempts) = runtime.block_on(crate::alert::deliver::deliver(
            &client, sink, &alert, None, &policy,
        ));
        all_delivered &= outcome.is_delivered();
        // a failure says its attempts itself ("(after 4 attempts)")
        super::verbs::print(&format!(
            "{:<20} {:<8} {}\n",
            field(&sink.name),
            sink.kind,
            field(&outcome.to_string())
        ))?;
    }
    Ok(if all_delivered {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_ERROR)
    })
}

fn test_alert() -> Alert {
    Alert {
        at: crate::model::wall_clock(),
        event: AlertEvent::Test,
        severity: Severity::Info,
        release: "canary-cockpit".to_string(),
        namespace: "test".to_string(),
        provider: "canary alert test".to_string(),
        phase: Phase::Progressing,
        weight: crate::model::Weight::ZERO,
        actor: Some(crate::paths::os_user()),
        reason: "a test message from canary cockpit: alerts reach this channel".to_string(),
        primary: VersionNumbers::new("v1", "", None),
        canary: VersionNumbers::new("v2", "", None),
        judge: None,
    }
}

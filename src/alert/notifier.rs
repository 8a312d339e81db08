//! The notifier: alerts leave the cockpit through a bounded queue and are delivered by one task
//! per sink, so a sink that is down or hangs delays nobody, least of all the UI. Identical alerts
//! within a window are sent once. Every delivery's outcome comes back as a [`Delivery`]: to the
//! cockpit's event channel once one is connected, else kept until taken.

use super::deliver::{self, Policy};
use super::sink::Sink;
use crate::app::{Effect, Event};
use crate::model::{Alert, Delivery, DeliveryOutcome, Millis};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Alerts waiting for a sink's task, per sink; more are dropped and reported.
pub const QUEUE: usize = 64;
/// Identical alerts (event, release, reason) within this window are sent once.
pub const DEDUP_WINDOW: Duration = Duration::from_secs(600);
/// How long pending alerts get when the cockpit quits.
pub const GRACE: Duration = Duration::from_secs(3);

/// Settings of a notifier.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub policy: Policy,
    /// The recording's file name, for the webhook body's `session`.
    pub session: Option<String>,
}

struct Job {
    id: u64,
    alert: Alert,
    queued: Instant,
}

#[derive(Default)]
struct Shared {
    /// The cockpit's event channel, once connected.
    events: Option<mpsc::Sender<Event>>,
    /// Outcomes not yet handed over.
    kept: Vec<Delivery>,
    /// Deliveries under way: id → (sink, alert).
    pending: BTreeMap<u64, (String, Alert, Instant)>,
    /// When each identical alert was last sent, per sink.
    sent: HashMap<(String, String), Instant>,
    next_id: u64,
}

/// Sends alerts to sinks in the background. Dropping it stops every delivery; [`Notifier::finish`]
/// gives them a grace first.
pub struct Notifier {
    handle: Handle,
    tasks: Vec<JoinHandle<()>>,
}

/// What queues alerts and connects the outcomes to the cockpit; cheap to clone.
#[derive(Clone)]
pub struct Handle {
    sinks: Vec<(Sink, mpsc::Sender<Job>)>,
    shared: Arc<Mutex<Shared>>,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // a worker that panicked leaves the data as it was; the outcomes are still worth reporting
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The instant of an outcome: the alert's own instant plus the real time since it was queued, so
/// that a demo's virtual clock and a live cluster's wall clock both read right.
fn at(alert: &Alert, queued: Instant) -> Millis {
    let ms = i64::try_from(queued.elapsed().as_millis()).unwrap_or(i64::MAX);
    alert.at.plus_ms(ms)
}

impl Notifier {
    /// A notifier without sinks: every alert stays in the cockpit's event log.
    pub fn none() -> Notifier {
        Notifier {
            handle: Handle {
                sinks: Vec::new(),
                shared: Arc::default(),
            },
            tasks: Vec::new(),
        }
    }

    /// Starts one delivery task per sink on the current tokio runtime.
    pub fn start(sinks: Vec<Sink>, settings: Settings) -> Result<Notifier, String> {
        let client = deliver::client(&settings.policy)?;
        let shared: Arc<Mutex<Shared>> = Arc::default();
        let mut senders = Vec::new();
        let mut tasks = Vec::new();
        for sink in sinks {
            let (tx, rx) = mpsc::channel(QUEUE);
            let task = tokio::spawn(work(
                sink.clone(),
                rx,
                client.clone(),
                settings.clone(),
                shared.clone(),
            ));
            senders.push((sink, tx));
            tasks.push(task);
        }
        Ok(Notifier {
            handle: Handle {
                sinks: senders,
                shared,
            },
            tasks,
        })
    }

    /// The handle the cockpit's tasks queue alerts with.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    pub fn sinks(&self) -> impl Iterator<Item = &Sink> {
        self.handle.sinks.iter().map(|(s, _)| s)
    }

    pub fn is_empty(&self) -> bool {
        self.handle.sinks.is_empty()
    }

    /// See [`Handle::send`].
    pub fn send(&self, alert: &Alert) {
        self.handle.send(alert);
    }

    /// The outcomes kept since the last call (none reach here while a channel is connected and
    /// has room).
    pub fn take_outcomes(&self) -> Vec<Delivery> {
        std::mem::take(&mut lock(&self.handle.shared).kept)
    }

    /// Whether deliveries are still under way.
    pub fn busy(&self) -> bool {
        !lock(&self.handle.shared).pending.is_empty()
    }

    /// Stops taking alerts, gives pending deliveries up to `grace`, then stops them. Returns every
    /// outcome not yet handed over, the pending ones as [`DeliveryOutcome::Undelivered`].
    pub async fn finish(mut self, grace: Duration) -> Vec<Delivery> {
        let shared = self.handle.shared.clone();
        lock(&shared).events = None;
        self.handle.sinks.clear();
        let deadline = Instant::now() + grace;
        while !lock(&shared).pending.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for task in &self.tasks {
            task.abort();
        }
        let mut shared = lock(&shared);
        let pending = std::mem::take(&mut shared.pending);
        let mut out = std::mem::take(&mut shared.kept);
        for (_, (sink, alert, queued)) in pending {
            out.push(Delivery {
                at: at(&alert, queued),
                sink,
                event: alert.event,
                attempts: 0,
                outcome: DeliveryOutcome::Undelivered,
            });
        }
        out
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Handle {
    /// Queues `alert` for every sink that takes it. Never waits: a full queue drops the alert for
    /// that sink and reports it.
    pub fn send(&self, alert: &Alert) {
        let now = Instant::now();
        for (sink, queue) in &self.sinks {
            if !sink.takes(alert.event, alert.severity) {
                continue;
            }
            let mut shared = lock(&self.shared);
            let key = (sink.name.clone(), identity(alert));
            if shared
                .sent
                .get(&key)
                .is_some_and(|t| now.duration_since(*t) < DEDUP_WINDOW)
            {
                tracing::info!(sink = %sink.name, event = %alert.event, "alert: same as one sent within the window, not sent again");
                continue;
            }
            shared.sent.insert(key, now);
            shared.next_id += 1;
            let id = shared.next_id;
            let job = Job {
                id,
                alert: alert.clone(),
                queued: now,
            };
            match queue.try_send(job) {
                Ok(()) => {
                    shared
                        .pending
                        .insert(id, (sink.name.clone(), alert.clone(), now));
                }
                Err(e) => {
                    let reason = match e {
                        mpsc::error::TrySendError::Full(_) => {
                            format!("{QUEUE} alerts already wait for this sink")
                        }
                        mpsc::error::TrySendError::Closed(_) => "the sink's task ended".into(),
                    };
                    let delivery = Delivery {
                        at: alert.at,
                        sink: sink.name.clone(),
                        event: alert.event,
                        attempts: 0,
                        outcome: DeliveryOutcome::Dropped { reason },
                    };
                    report(&mut shared, delivery);
                }
            }
        }
    }

    /// From now on, outcomes go to the cockpit's event channel (those kept so far first).
    pub fn connect(&self, events: mpsc::Sender<Event>) {
        let mut shared = lock(&self.shared);
        shared.events = Some(events);
        for d in std::mem::take(&mut shared.kept) {
            report(&mut shared, d);
        }
    }

    /// The outcomes kept since the last call, for a runner without a channel (headless).
    pub fn take_outcomes(&self) -> Vec<Delivery> {
        std::mem::take(&mut lock(&self.shared).kept)
    }

    /// Outcomes are kept again: the cockpit's channel is let go, so that it can close.
    pub fn disconnect(&self) {
        lock(&self.shared).events = None;
    }

    /// Wraps a cockpit's source: `Effect::Alert` goes to the sinks, every other effect to the
    /// source, and the outcomes come back on the cockpit's channel while the source runs.
    pub fn beside<F, Fut>(
        self,
        source: F,
    ) -> impl FnOnce(
        mpsc::Sender<Event>,
        mpsc::UnboundedReceiver<Effect>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>>
    where
        F: FnOnce(mpsc::Sender<Event>, mpsc::UnboundedReceiver<Effect>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        move |events, mut effects| {
            self.connect(events.clone());
            let (to_source, from_here) = mpsc::unbounded_channel();
            let inner = source(events, from_here);
            let handle = self;
            Box::pin(async move {
                let forward = async {
                    while let Some(effect) = effects.recv().await {
                        match effect {
                            Effect::Alert { alert } => handle.send(&alert),
                            other => {
                                if to_source.send(other).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                };
                tokio::select! {
                    () = inner => {}
                    () = forward => {}
                }
                handle.disconnect();
            })
        }
    }
}

fn identity(alert: &Alert) -> String {
    let (event, ns, release, reason) = alert.identity();
    format!("{event}\u{1f}{ns}\u{1f}{release}\u{1f}{reason}")
}

fn report(shared: &mut Shared, delivery: Delivery) {
    if let Some(events) = &shared.events {
        match events.try_send(Event::AlertDelivered { delivery }) {
            Ok(()) => return,
            Err(
                mpsc::error::TrySendError::Full(Event::AlertDelivered { delivery })
                | mpsc::error::TrySendError::Closed(Event::AlertDelivered { delivery }),
            ) => {
                shared.kept.push(delivery);
                return;
            }
            Err(_) => return,
        }
    }
    shared.kept.push(delivery);
}

async fn work(
    sink: Sink,
    mut jobs: mpsc::Receiver<Job>,
    client: reqwest::Client,
    settings: Settings,
    shared: Arc<Mutex<Shared>>,
) {
    while let Some(job) = jobs.recv().await {
        let (outcome, attempts) = deliver::deliver(
            &client,
            &sink,
            &job.alert,
            settings.session.as_deref(),
            &settings.policy,
        )
        .await;
        match &outcome {
            DeliveryOutcome::Delivered { .. } => {
                tracing::info!(sink = %sink.name, url = %sink.url, event = %job.alert.event, attempts, "alert delivered")
            }
            other => {
                tracing::warn!(sink = %sink.name, url = %sink.url, event = %job.alert.event, attempts, outcome = %other, "alert not delivered")
            }
        }
        let delivery = Delivery {
            at: at(&job.alert, job.queued),
            sink: sink.name.clone(),
            event: job.alert.event,
            attempts,
            outcome,
        };
        let mut shared = lock(&shared);
        shared.pending.remove(&job.id);
        report(&mut shared, delivery);
    }
}

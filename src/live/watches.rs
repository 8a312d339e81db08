//! The watches that follow one live release: the objects its provider names, its pods, and the
//! namespace's Warning events about pods. Each is one list and then a watch from that list's
//! resourceVersion ([`crate::cluster::follow`]); the routing objects and pods start from the lists
//! the release was first read from, so opening a release lists each kind once. The set keeps
//! compact pod rows, not pods.

use crate::cluster::follow::{follow, Update};
use crate::cluster::listing::{Query, Wire};
use crate::cluster::pods::{PodRow, PodWire};
use crate::cluster::selector::pod_queries;
use crate::cluster::Cluster;
use crate::provider::{self, Context};
use k8s_openapi::api::core::v1::Event as KubeEvent;
use kube::api::DynamicObject;
use kube::Resource as _;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::release::{self, Observed};

/// An item of one of the watches.
pub struct Change {
    pub watch: usize,
    pub item: Item,
}

pub enum Item {
    /// The watch is (re)starting its list; it proves nothing about the connection yet.
    Restarting,
    /// The list is complete: the set holds the whole picture.
    Listed,
    /// An object was added, changed or deleted.
    Changed,
    /// A Warning event about a pod of the namespace.
    Warning { pod: String, text: String },
    /// The watch failed: the cause in the operator's words, and the library's whole message for
    /// the log file.
    Failed { words: String, detail: String },
}

/// What the followers send, by kind.
enum Payload {
    Route(Box<Update<DynamicObject>>),
    Pods(Update<PodRow>),
    Events(Update<Warning>),
}

struct Sent {
    watch: usize,
    payload: Payload,
}

/// The watches (the routing object(s), the pods, the pods' Warning events) and what they hold.
pub struct WatchSet {
    /// What each watch the provider names holds, in its order, by object name.
    routes: Vec<BTreeMap<String, DynamicObject>>,
    pods: Vec<BTreeMap<String, PodRow>>,
    /// Warning events already seen (name and count): the list that starts the watch is history.
    known: HashSet<String>,
    rx: mpsc::Receiver<Sent>,
    tasks: Vec<JoinHandle<()>>,
    /// The set is only complete once every watch has listed: no release from half a list.
    pub listed: Vec<bool>,
    /// A failing watch stays failing until it has listed again.
    pub failing: Vec<bool>,
}

impl Drop for WatchSet {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl WatchSet {
    /// Starts the watches of `latest`. Right after the release's first read they start from the
    /// lists it made (kept in `cluster.reads`); otherwise (after an outage) each lists again.
    pub fn start(cluster: &Cluster, latest: &Observed) -> WatchSet {
        let (tx, rx) = mpsc::channel::<Sent>(256);
        let mut tasks = Vec::new();
        let client = || cluster.client.clone();
        let watched = provider::of(&latest.route).watches(&latest.route);
        let mut routes = Vec::new();
        for (i, w) in watched.iter().enumerate() {
            let query = w.resource.query(cluster, w.version, w.name.as_deref());
            let seed = cluster.reads.take_objects(&query);
            let wrap = move |u| Sent {
                watch: i,
                payload: Payload::Route(Box::new(u)),
            };
            tasks.push(tokio::spawn(follow::<DynamicObject, _, _>(
                client(),
                query,
                seed,
                tx.clone(),
                wrap,
            )));
            routes.push(BTreeMap::new());
        }
        let first_pods = routes.len();
        let mut pods = Vec::new();
        for (i, labels) in pod_queries(&latest.selectors).into_iter().enumerate() {
            let query = release::pod_query(cluster, &labels);
            let seed = cluster.reads.take_pods(&query);
            let wrap = move |u| Sent {
                watch: first_pods + i,
                payload: Payload::Pods(u),
            };
            tasks.push(tokio::spawn(follow::<PodWire, _, _>(
                client(),
                query,
                seed,
                tx.clone(),
                wrap,
            )));
            pods.push(BTreeMap::new());
        }
        cluster.reads.disarm();
        let watches = first_pods + pods.len();
        let events = Query {
            path: KubeEvent::url_path(&(), Some(&cluster.namespace)),
            labels: None,
            fields: Some("type=Warning,involvedObject.kind=Pod".to_string()),
        };
        let wrap = move |u| Sent {
            watch: watches,
            payload: Payload::Events(u),
        };
        tasks.push(tokio::spawn(follow::<WarningWire, _, _>(
            client(),
            events,
            None,
            tx,
            wrap,
        )));
        WatchSet {
            routes,
            pods,
            known: HashSet::new(),
            rx,
            tasks,
            listed: vec![false; watches + 1],
            failing: vec![false; watches + 1],
        }
    }

    pub fn failing(&self) -> bool {
        self.failing.iter().any(|f| *f)
    }

    /// The next change worth telling, with what the watches hold brought up to date; `None` when
    /// every follower has ended.
    pub async fn next(&mut self) -> Option<Change> {
        loop {
            let Sent { watch, payload } = self.rx.recv().await?;
            let item = match payload {
                Payload::Route(u) => match self.routes.get_mut(watch) {
                    Some(held) => apply(held, *u, |o| o.name().to_string()),
                    None => continue,
                },
                Payload::Pods(u) => {
                    let at = watch.checked_sub(self.routes.len());
                    match at.and_then(|i| self.pods.get_mut(i)) {
                        Some(held) => apply(held, u, |p| p.pod.name.clone()),
                        None => continue,
                    }
                }
                Payload::Events(u) => match self.warning(u) {
                    Some(item) => item,
                    None => continue,
                },
            };
            return Some(Change { watch, item });
        }
    }

    /// A Warning event that happened while the cockpit watches, once per name and count.
    fn warning(&mut self, u: Update<Warning>) -> Option<Item> {
        match u {
            Update::Listed(all) => {
                self.known = all.into_iter().map(|w| w.key).collect();
                Some(Item::Listed)
            }
            // a repeated event comes back with a higher count: say it again
            Update::Upsert(w) => self.known.insert(w.key).then_some(Item::Warning {
                pod: w.pod,
                text: w.text,
            }),
            Update::Removed(_) => None,
            Update::Restarting => Some(Item::Restarting),
            Update::Failed { words, detail } => Some(Item::Failed { words, detail }),
        }
    }

    /// The release from what the watches hold; `None` until the routing object is there.
    pub fn rebuild(
        &self,
        latest: &Observed,
        gates: Option<(String, bool)>,
    ) -> Option<Result<Observed, String>> {
        let ns = &latest.snapshot.namespace;
        let lists: Vec<Vec<DynamicObject>> = self
            .routes
            .iter()
            .map(|held| held.values().cloned().collect())
            .collect();
        let ctx = Context {
            selectors: Some(latest.selectors.clone()),
            gates,
            ..Context::of(ns)
        };
        let route = match provider::of(&latest.route).rebuild(&latest.route, &lists, &ctx)? {
            Ok(route) => route,
            Err(e) => return Some(Err(e.to_string())),
        };
        let pods: Vec<&PodRow> = self.pods.iter().flat_map(|held| held.values()).collect();
        let sides = release::sides(latest, &route);
        let mut next = release::assemble(&latest.target, ns, route, sides, &pods);
        // the operator's stepping plan is the cockpit's, not the cluster's; a controller's own
        // steps come with the route
        if next.route.plan.is_none() {
            next.snapshot.plan.clone_from(&latest.snapshot.plan);
        }
        Some(Ok(next))
    }
}

/// Brings what one watch holds up to date.
fn apply<K>(held: &mut BTreeMap<String, K>, u: Update<K>, name: impl Fn(&K) -> String) -> Item {
    match u {
        Update::Restarting => Item::Restarting,
        Update::Listed(all) => {
            *held = all.into_iter().map(|k| (name(&k), k)).collect();
            Item::Listed
        }
        Update::Upsert(k) => {
            held.insert(name(&k), k);
            Item::Changed
        }
        Update::Removed(n) => {
            held.remove(&n);
            Item::Changed
        }
        Update::Failed { words, detail } => Item::Failed { words, detail },
    }
}

/// The fields of a Warning event the cockpit tells.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct WarningWire {
    metadata: EventMeta,
    involved_object: Involved,
    reason: Option<String>,
    message: Option<String>,
    count: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct EventMeta {
    name: String,
    resource_version: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Involved {
    name: String,
}

/// A Warning event as the loop tells it: its key (name and count), its pod and its text.
struct Warning {
    key: String,
    pod: String,
    text: String,
}

impl Wire for WarningWire {
    type Kept = Warning;

    fn name(&self) -> &str {
        &self.metadata.name
    }

    fn resource_version(&self) -> Option<&str> {
        self.metadata.resource_version.as_deref()
    }

    fn keep(self) -> Warning {
        let count = self.count.unwrap_or(1);
        let pod = self.involved_object.name;
        let reason = self.reason.as_deref().unwrap_or("Warning");
        let message = self.message.as_deref().unwrap_or_default();
        let text = if count > 1 {
            format!("pod {pod}: {reason}: {message} (×{count})")
        } else {
            format!("pod {pod}: {reason}: {message}")
        };
        Warning {
            key: format!("{}/{count}", self.metadata.name),
            pod,
            text,
        }
    }
}

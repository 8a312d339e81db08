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
use std::collections::BTreeMap;

use super::seen::Seen;
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
    /// Warning events already seen (name and count), bounded: the list that starts the watch is
    /// history.
    known: Seen,
    /// That history as the last list of the events' watch had it, for the cockpit to show what
    /// happened before it opened.
    pub earlier: Vec<Earlier>,
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
            known: Seen::default(),
            earlier: Vec::new(),
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
                self.earlier = all
                    .iter()
                    .map(|w| Earlier {
                        pod: w.pod.clone(),
                        text: w.text.clone(),
                        when: w.when.clone(),
                    })
                    .collect();
                self.known.replace(all.into_iter().map(|w| w.key));
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

/// A Warning event that was there before the cockpit opened the release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Earlier {
    pub pod: String,
    pub text: String,
    /// When it last happened (RFC 3339, as the API server wrote it), if it says.
    pub when: Option<String>,
}

/// How many of the earlier Warning events the cockpit shows when it opens a release.
pub const EARLIER_SHOWN: usize = 10;

/// The last [`EARLIER_SHOWN`] of `all` about the pods `ours` says are the release's, oldest
/// first, each as the line the event log shows: marked as earlier than the session.
pub fn earlier_lines(all: &[Earlier], ours: impl Fn(&str) -> bool) -> Vec<String> {
    let mut mine: Vec<&Earlier> = all.iter().filter(|e| ours(&e.pod)).collect();
    // RFC 3339 times of one server sort as text; an event without one counts as the oldest
    mine.sort_by(|a, b| a.when.cmp(&b.when));
    let skip = mine.len().saturating_sub(EARLIER_SHOWN);
    mine[skip..]
        .iter()
        .map(|e| match e.when.as_deref().and_then(utc) {
            Some(t) => format!("earlier than this session ({t}): {}", e.text),
            None => format!("earlier than this session: {}", e.text),
        })
        .collect()
}

/// `2026-01-01T14:02:11Z` (or with fractions) as `2026-01-01 14:02:11 UTC`.
fn utc(t: &str) -> Option<String> {
    let date = t.get(..10)?;
    let time = t.get(11..19)?;
    let well_formed = t.as_bytes().get(10) == Some(&b'T')
        && date.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        && time.bytes().all(|b| b.is_ascii_digit() || b == b':');
    well_formed.then(|| format!("{date} {time} UTC"))
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
    last_timestamp: Option<String>,
    event_time: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct EventMeta {
    name: String,
    resource_version: Option<String>,
    creation_timestamp: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Involved {
    name: String,
}

/// A Warning event as the loop tells it: its key (name and count), its pod, its text and when it
/// last happened.
struct Warning {
    key: String,
    pod: String,
    text: String,
    when: Option<String>,
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
        let when = self
            .last_timestamp
            .or(self.event_time)
            .or(self.metadata.creation_timestamp);
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
            when,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn earlier(pod: &str, i: u32, when: Option<&str>) -> Earlier {
        Earlier {
            pod: pod.to_string(),
            text: format!("pod {pod}: BackOff: {i}"),
            when: when.map(str::to_string),
        }
    }

    #[test]
    fn the_last_ten_of_the_release_oldest_first_marked_as_earlier() {
        let mut all: Vec<Earlier> = (0..12)
            .rev()
            .map(|i| earlier("a", i, Some(&format!("2026-01-01T00:00:{i:02}.123456Z"))))
            .collect();
        all.push(earlier("b", 99, Some("2026-01-01T00:01:00Z")));
        all.push(earlier("a", 100, None));
        let lines = earlier_lines(&all, |p| p == "a");
        assert_eq!(lines.len(), EARLIER_SHOWN);
        assert_eq!(
            lines[0],
            "earlier than this session (2026-01-01 00:00:02 UTC): pod a: BackOff: 2"
        );
        assert_eq!(
            lines[9],
            "earlier than this session (2026-01-01 00:00:11 UTC): pod a: BackOff: 11"
        );
        // without a time it counts as the oldest, and says no time
        let lines = earlier_lines(&all[12..], |_| true);
        assert_eq!(
            lines,
            [
                "earlier than this session: pod a: BackOff: 100",
                "earlier than this session (2026-01-01 00:01:00 UTC): pod b: BackOff: 99"
            ]
        );
        assert_eq!(utc("yesterday"), None);
    }
}

//! The watches that follow one live release: the objects its provider names (kube-runtime
//! reflectors, reconnecting with backoff and relisting after 410 Gone), its pods, and the
//! namespace's Warning events about pods.

use crate::cluster::dynamic::Resource;
use crate::cluster::selector::pod_queries;
use crate::cluster::Cluster;
use crate::provider::{self, Context};
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Event as KubeEvent, Pod as KubePod};
use kube::api::DynamicObject;
use kube::runtime::reflector::{self, store::Writer, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Api;
use std::sync::Arc;

use super::release::{self, Observed};

/// An item of one of the watches.
pub struct Change {
    pub watch: usize,
    pub item: Item,
}

pub enum Item {
    /// The watch is (re)starting its list; it proves nothing about the connection yet.
    Restarting,
    /// The list is complete: the store holds the whole picture.
    Listed,
    /// An object was added, changed or deleted.
    Changed,
    /// A Warning event about a pod of the namespace.
    Warning { pod: String, text: String },
    /// The watch failed: the cause in the operator's words, and the library's whole message for
    /// the log file.
    Failed { words: String, detail: String },
}

fn failed(e: &watcher::Error) -> Item {
    Item::Failed {
        words: crate::cluster::words::cause_in_words(e),
        detail: e.to_string(),
    }
}

fn change<K>(watch: usize) -> impl Fn(Result<watcher::Event<K>, watcher::Error>) -> Change {
    move |r| Change {
        watch,
        item: match r {
            Ok(watcher::Event::Init) => Item::Restarting,
            Ok(watcher::Event::InitDone) => Item::Listed,
            Ok(_) => Item::Changed,
            Err(e) => failed(&e),
        },
    }
}

pub type Changes = futures_util::stream::SelectAll<
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Change> + Send>>,
>;

/// The watches (the routing object(s), the pods, the pods' Warning events) and their stores.
pub struct WatchSet {
    /// One store per watch the provider names, in its order.
    routes: Vec<Store<DynamicObject>>,
    pods: Vec<Store<KubePod>>,
    pub changes: Changes,
    /// The stores are only complete once every watch has listed: no release from half a list.
    pub listed: Vec<bool>,
    /// A failing watch stays failing until it has listed again.
    pub failing: Vec<bool>,
}

/// A reflector over custom objects of `resource` (by name when `name` is given).
fn dynamic_watch(
    cluster: &Cluster,
    resource: Resource,
    version: &str,
    name: Option<&str>,
    watch: usize,
) -> (
    Store<DynamicObject>,
    impl futures_util::Stream<Item = Change> + Send,
) {
    let writer = Writer::<DynamicObject>::new(resource.api_resource(version));
    let store = writer.as_reader();
    let config = match name {
        Some(n) => watcher::Config::default().fields(&format!("metadata.name={n}")),
        None => watcher::Config::default(),
    };
    let stream = reflector::reflector(
        writer,
        watcher(resource.api(cluster, version), config).default_backoff(),
    )
    .map(change(watch));
    (store, stream)
}

impl WatchSet {
    pub fn start(cluster: &Cluster, latest: &Observed) -> WatchSet {
        let mut changes = Changes::new();
        let mut routes = Vec::new();
        for (i, w) in provider::watches(&latest.route).into_iter().enumerate() {
            let (store, stream) =
                dynamic_watch(cluster, w.resource, w.version, w.name.as_deref(), i);
            changes.push(stream.boxed());
            routes.push(store);
        }
        let first_pods = routes.len();
        let mut pods = Vec::new();
        for (i, query) in pod_queries(&latest.selectors).into_iter().enumerate() {
            let (store, writer) = reflector::store::<KubePod>();
            let stream = reflector::reflector(
                writer,
                watcher(
                    Api::<KubePod>::namespaced(cluster.client.clone(), &cluster.namespace),
                    watcher::Config::default().labels(&query.to_string()),
                )
                .default_backoff(),
            )
            .map(change(first_pods + i));
            changes.push(stream.boxed());
            pods.push(store);
        }
        let watches = first_pods + pods.len();
        changes.push(warnings(cluster, watches).boxed());
        WatchSet {
            routes,
            pods,
            changes,
            listed: vec![false; watches + 1],
            failing: vec![false; watches + 1],
        }
    }

    pub fn failing(&self) -> bool {
        self.failing.iter().any(|f| *f)
    }

    /// The release from the stores; `None` until the routing store has its object.
    pub fn rebuild(
        &self,
        latest: &Observed,
        gates: Option<(String, bool)>,
    ) -> Option<Result<Observed, String>> {
        let ns = &latest.snapshot.namespace;
        let lists: Vec<Vec<DynamicObject>> = self.routes.iter().map(|s| owned(s.state())).collect();
        let ctx = Context {
            selectors: Some(latest.selectors.clone()),
            gates,
            ..Context::of(ns)
        };
        let route = match provider::rebuild(&latest.route, &lists, &ctx)? {
            Ok(route) => route,
            Err(e) => return Some(Err(e.to_string())),
        };
        let pods: Vec<KubePod> = self.pods.iter().flat_map(|s| owned(s.state())).collect();
        let mut next =
            release::assemble(&latest.target, ns, route, latest.selectors.clone(), &pods);
        // the operator's stepping plan is the cockpit's, not the cluster's; a controller's own
        // steps come with the route
        if next.route.plan.is_none() {
            next.snapshot.plan.clone_from(&latest.snapshot.plan);
        }
        Some(Ok(next))
    }
}

fn owned<K: Clone>(items: Vec<Arc<K>>) -> Vec<K> {
    items.iter().map(|k| K::clone(k)).collect()
}

/// Warning events of the namespace's pods (the loop keeps those of the release's pods). Only events
/// that happen while the cockpit watches: the list that starts the watch is history.
fn warnings(cluster: &Cluster, watch: usize) -> impl futures_util::Stream<Item = Change> + Send {
    let api = Api::<KubeEvent>::namespaced(cluster.client.clone(), &cluster.namespace);
    let config = watcher::Config::default().fields("type=Warning,involvedObject.kind=Pod");
    let mut listing = false;
    let mut known: std::collections::HashSet<String> = std::collections::HashSet::new();
    watcher(api, config).default_backoff().filter_map(move |r| {
        let out = match r {
            Ok(watcher::Event::Init) => {
                listing = true;
                Some(Item::Restarting)
            }
            Ok(watcher::Event::InitApply(e)) => {
                known.insert(event_key(&e));
                None
            }
            Ok(watcher::Event::InitDone) => {
                listing = false;
                Some(Item::Listed)
            }
            Ok(watcher::Event::Apply(e)) if !listing => {
                // a repeated event comes back with a higher count: say it again
                let pod = e.involved_object.name.clone().unwrap_or_default();
                known.insert(event_key(&e)).then(|| Item::Warning {
                    text: warning_text(&pod, &e),
                    pod,
                })
            }
            Ok(_) => None,
            Err(e) => Some(failed(&e)),
        };
        futures_util::future::ready(out.map(|item| Change { watch, item }))
    })
}

fn event_key(e: &KubeEvent) -> String {
    format!(
        "{}/{}",
        e.metadata.name.as_deref().unwrap_or_default(),
        e.count.unwrap_or(1)
    )
}

fn warning_text(pod: &str, e: &KubeEvent) -> String {
    let reason = e.reason.as_deref().unwrap_or("Warning");
    let message = e.message.as_deref().unwrap_or_default();
    match e.count {
        Some(n) if n > 1 => format!("pod {pod}: {reason}: {message} (×{n})"),
        _ => format!("pod {pod}: {reason}: {message}"),
    }
}

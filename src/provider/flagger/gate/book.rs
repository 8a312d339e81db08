//! The gate book: how the gates of each canary stand, as the server answers Flagger from them.
//!
//! Nothing here touches the network or the clock. Each canary's gates have one writer:
//!
//! - a canary a cockpit has open is handed over to it ([`GateBook::hand_over`]): the cockpit owns
//!   its gates and publishes them here through the [`Handover`]; a change asked through the load
//!   tester's paths (`/gate/open`, …) goes to the cockpit as a [`GateRequest`] instead of being
//!   written;
//! - every other canary's gates are the server's own (`canary gate serve`, or a release no
//!   cockpit has open): the load tester's paths set them here directly.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

pub use crate::model::{GateChange, GateState, Gates};

/// Canaries are told apart by namespace and name.
type Key = (String, String);

fn key(namespace: &str, name: &str) -> Key {
    (namespace.to_owned(), name.to_owned())
}

/// A change to a handed-over canary's gates, asked of the server: its owner decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateRequest {
    pub namespace: String,
    pub name: String,
    pub change: GateChange,
    /// The path that asked, such as "/gate/open".
    pub path: String,
}

/// The cockpit that owns a canary's gates.
#[derive(Debug)]
struct Owner {
    /// Tells this owner from a later one of the same canary.
    id: u64,
    requests: mpsc::UnboundedSender<GateRequest>,
}

#[derive(Debug, Default)]
struct Book {
    gates: HashMap<Key, Gates>,
    owners: HashMap<Key, Owner>,
}

#[derive(Debug)]
struct Shared {
    book: Mutex<Book>,
    /// Moves on at every write, so that a request handed to an owner can wait for its change.
    written: watch::Sender<u64>,
    owners: AtomicU64,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            book: Mutex::default(),
            written: watch::Sender::new(0),
            owners: AtomicU64::new(0),
        }
    }
}

/// Gates per canary, shared between the HTTP server and the cockpit (cheap to clone: an Arc
/// inside; a poisoned lock is recovered, never a panic).
#[derive(Clone, Debug, Default)]
pub struct GateBook {
    inner: Arc<Shared>,
}

/// What became of a change asked through the server.
#[derive(Debug)]
pub(super) enum Asked {
    /// The server owns the canary's gates: written.
    Written,
    /// Sent to the cockpit that owns them; published once it applied it.
    Sent(Pending),
}

/// A change sent to a canary's owner, not yet seen published.
#[derive(Debug)]
pub(super) struct Pending {
    book: GateBook,
    key: Key,
    change: GateChange,
    written: watch::Receiver<u64>,
}

impl Pending {
    /// Waits until the book shows the change, at most `within`; whether it does.
    pub(super) async fn published(mut self, within: Duration) -> bool {
        let shows = |book: &GateBook, key: &Key, change| {
            let gates = book.get(key);
            gates.with(change) == gates
        };
        let wait = async {
            loop {
                if shows(&self.book, &self.key, self.change) {
                    return true;
                }
                if self.written.changed().await.is_err() {
                    return false;
                }
            }
        };
        tokio::time::timeout(within, wait).await.unwrap_or(false)
    }
}

/// A canary's gates handed over to the cockpit that has it open: the server sends it the
/// changes asked of it, and it publishes how the gates stand. Dropping it hands the gates back
/// to the server, as published.
#[derive(Debug)]
pub struct Handover {
    book: GateBook,
    key: Key,
    id: u64,
    requests: mpsc::UnboundedReceiver<GateRequest>,
}

impl Handover {
    pub fn namespace(&self) -> &str {
        &self.key.0
    }

    pub fn name(&self) -> &str {
        &self.key.1
    }

    /// The gates as published now.
    pub fn gates(&self) -> Gates {
        self.book.get(&self.key)
    }

    /// The next change asked through the server; `None` once the book is gone.
    pub async fn next_request(&mut self) -> Option<GateRequest> {
        self.requests.recv().await
    }

    /// Publishes how the canary's gates stand: the server answers Flagger from them.
    pub fn publish(&self, gates: Gates) {
        self.book.update(&self.key, |g| *g = gates);
    }
}

impl Drop for Handover {
    fn drop(&mut self) {
        let mut book = self.book.lock();
        if book.owners.get(&self.key).is_some_and(|o| o.id == self.id) {
            book.owners.remove(&self.key);
        }
    }
}

impl GateBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every mutation leaves the map consistent, so the data behind a poisoned lock is still good.
    fn lock(&self) -> MutexGuard<'_, Book> {
        self.inner
            .book
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, key: &Key) -> Gates {
        self.lock().gates.get(key).copied().unwrap_or_default()
    }

    /// Applies `change` to a canary's gates; canaries back at the defaults are forgotten, so
    /// closing gates of names that never existed leaves nothing behind.
    fn update(&self, key: &Key, change: impl FnOnce(&mut Gates)) {
        {
            let mut book = self.lock();
            let mut gates = book.gates.get(key).copied().unwrap_or_default();
            change(&mut gates);
            if gates.is_closed() {
                book.gates.remove(key);
            } else {
                book.gates.insert(key.clone(), gates);
            }
        }
        self.inner.written.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// How the gates of the canary `namespace/name` stand; closed unless someone opened them.
    pub fn gates(&self, namespace: &str, name: &str) -> Gates {
        self.get(&key(namespace, name))
    }

    /// The gate of the canary `namespace/name`; closed unless someone opened it.
    pub fn gate(&self, namespace: &str, name: &str) -> GateState {
        self.gates(namespace, name).gate
    }

    /// Sets the gate of a canary the server owns.
    pub fn set_gate(&self, namespace: &str, name: &str, state: GateState) {
        self.update(&key(namespace, name), |g| g.gate = state);
    }

    /// Whether the canary `namespace/name` should be rolled back now; false unless someone asked.
    pub fn rollback(&self, namespace: &str, name: &str) -> bool {
        self.gates(namespace, name).rollback
    }

    /// Sets the rollback gate of a canary the server owns.
    pub fn set_rollback(&self, namespace: &str, name: &str, open: bool) {
        self.update(&key(namespace, name), |g| g.rollback = open);
    }

    /// The weight of a canary the server owns, as last observed: a gate opened for one step
    /// closes once the weight differs from its `from_weight` (see [`Gates::observe_weight`]).
    /// Returns true when it closed the gate.
    pub fn observe_weight(&self, namespace: &str, name: &str, weight: u8) -> bool {
        let mut closed = false;
        self.update(&key(namespace, name), |g| closed = g.observe_weight(weight));
        closed
    }

    /// Hands the gates of `namespace/name` over to a cockpit until the [`Handover`] is dropped;
    /// a later hand-over of the same canary replaces this one.
    pub fn hand_over(&self, namespace: &str, name: &str) -> Handover {
        let (tx, requests) = mpsc::unbounded_channel();
        let id = self.inner.owners.fetch_add(1, Ordering::Relaxed);
        let key = key(namespace, name);
        self.lock()
            .owners
            .insert(key.clone(), Owner { id, requests: tx });
        Handover {
            book: self.clone(),
            key,
            id,
            requests,
        }
    }

    /// A change asked through the load tester's paths: sent to the canary's owner when a
    /// cockpit has it, else written.
    pub(super) fn ask(&self, namespace: &str, name: &str, change: GateChange, path: &str) -> Asked {
        let key = key(namespace, name);
        {
            let mut book = self.lock();
            if let Some(owner) = book.owners.get(&key) {
                // subscribed before sending, so the publication cannot be missed
                let written = self.inner.written.subscribe();
                let request = GateRequest {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                    change,
                    path: path.to_owned(),
                };
                if owner.requests.send(request).is_ok() {
                    return Asked::Sent(Pending {
                        book: self.clone(),
                        key,
                        change,
                        written,
                    });
                }
                // the owner went away without handing back: the server owns the gates again
                book.owners.remove(&key);
            }
        }
        self.update(&key, |g| g.apply(change));
        Asked::Written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_canaries_are_closed_and_not_rolling_back() {
        let book = GateBook::new();
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);
        assert!(!book.rollback("demo", "frontend"));
        assert!(!book.gate("demo", "frontend").is_open());
    }

    #[test]
    fn gates_open_and_close() {
        let book = GateBook::new();
        book.set_gate("demo", "frontend", GateState::Open);
        assert_eq!(book.gate("demo", "frontend"), GateState::Open);
        assert!(book.gate("demo", "frontend").is_open());
        book.set_gate("demo", "frontend", GateState::Closed);
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);
        assert!(!book.gate("demo", "frontend").is_open());
    }

    #[test]
    fn a_fully_open_gate_ignores_weight_changes() {
        let book = GateBook::new();
        book.set_gate("demo", "frontend", GateState::Open);
        assert!(!book.observe_weight("demo", "frontend", 10));
        assert!(!book.observe_weight("demo", "frontend", 20));
        assert_eq!(book.gate("demo", "frontend"), GateState::Open);
    }

    #[test]
    fn a_closed_gate_stays_closed_on_weight_changes() {
        let book = GateBook::new();
        assert!(!book.observe_weight("demo", "frontend", 10));
        assert!(!book.observe_weight("demo", "frontend", 20));
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);
    }

    #[test]
    fn open_for_step_stays_open_while_the_weight_is_unchanged() {
        let book = GateBook::new();
        let step = GateState::OpenForStep {
            from_weight: Some(10),
        };
        book.set_gate("demo", "frontend", step);
        assert!(!book.observe_weight("demo", "frontend", 10));
        assert!(!book.observe_weight("demo", "frontend", 10));
        assert_eq!(book.gate("demo", "frontend"), step);
        assert!(book.gate("demo", "frontend").is_open());
    }

    #[test]
    fn open_for_step_closes_once_the_weight_moves() {
        let book = GateBook::new();
        book.set_gate(
            "demo",
            "frontend",
            GateState::OpenForStep {
                from_weight: Some(10),
            },
        );
        assert!(book.observe_weight("demo", "frontend", 20));
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);
        // Already closed: a further change closes nothing.
        assert!(!book.observe_weight("demo", "frontend", 30));
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);
    }

    #[test]
    fn open_for_step_closes_when_the_weight_moves_back_down() {
        let book = GateBook::new();
        book.set_gate(
            "demo",
            "frontend",
            GateState::OpenForStep {
                from_weight: Some(50),
            },
        );
        assert!(book.observe_weight("demo", "frontend", 0));
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);
    }

    #[test]
    fn open_for_step_without_a_weight_closes_on_the_first_observation() {
        let book = GateBook::new();
        book.set_gate(
            "demo",
            "frontend",
            GateState::OpenForStep { from_weight: None },
        );
        assert!(book.gate("demo", "frontend").is_open());
        assert!(book.observe_weight("demo", "frontend", 0));
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);
    }

    #[test]
    fn weights_of_other_canaries_do_not_close_a_step() {
        let book = GateBook::new();
        let step = GateState::OpenForStep {
            from_weight: Some(10),
        };
        book.set_gate("demo", "frontend", step);
        assert!(!book.observe_weight("demo", "backend", 20));
        assert!(!book.observe_weight("other", "frontend", 20));
        assert_eq!(book.gate("demo", "frontend"), step);
    }

    #[test]
    fn the_rollback_gate_is_independent_of_the_gate() {
        let book = GateBook::new();
        book.set_rollback("demo", "frontend", true);
        assert!(book.rollback("demo", "frontend"));
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);

        book.set_gate("demo", "frontend", GateState::Open);
        book.set_rollback("demo", "frontend", false);
        assert!(!book.rollback("demo", "frontend"));
        assert_eq!(book.gate("demo", "frontend"), GateState::Open);

        book.set_rollback("demo", "frontend", true);
        book.set_gate("demo", "frontend", GateState::Closed);
        assert!(book.rollback("demo", "frontend"));
        // Closing a one-step gate through a weight change leaves the rollback gate alone.
        book.set_gate(
            "demo",
            "frontend",
            GateState::OpenForStep {
                from_weight: Some(10),
            },
        );
        assert!(book.observe_weight("demo", "frontend", 20));
        assert!(book.rollback("demo", "frontend"));
    }

    #[test]
    fn namespaces_isolate_canaries() {
        let book = GateBook::new();
        book.set_gate("team-a", "frontend", GateState::Open);
        book.set_rollback("team-b", "frontend", true);
        assert_eq!(book.gate("team-a", "frontend"), GateState::Open);
        assert_eq!(book.gate("team-b", "frontend"), GateState::Closed);
        assert_eq!(book.gate("team-a", "backend"), GateState::Closed);
        assert!(!book.rollback("team-a", "frontend"));
        assert!(book.rollback("team-b", "frontend"));
    }

    #[test]
    fn names_are_not_confused_across_the_namespace_boundary() {
        let book = GateBook::new();
        book.set_gate("a", "b/c", GateState::Open);
        assert_eq!(book.gate("a/b", "c"), GateState::Closed);
    }

    #[test]
    fn clones_share_the_same_gates() {
        let book = GateBook::new();
        let cockpit = book.clone();
        cockpit.set_gate("demo", "frontend", GateState::Open);
        assert_eq!(book.gate("demo", "frontend"), GateState::Open);
        book.set_rollback("demo", "frontend", true);
        assert!(cockpit.rollback("demo", "frontend"));
    }

    #[test]
    fn closing_everything_forgets_the_canary() {
        let book = GateBook::new();
        book.set_gate("demo", "frontend", GateState::Open);
        book.set_rollback("demo", "frontend", true);
        assert_eq!(book.lock().gates.len(), 1);
        book.set_gate("demo", "frontend", GateState::Closed);
        assert_eq!(book.lock().gates.len(), 1);
        book.set_rollback("demo", "frontend", false);
        assert!(book.lock().gates.is_empty());
        // Closing gates that were never open stores nothing.
        book.set_gate("demo", "ghost", GateState::Closed);
        book.set_rollback("demo", "ghost", false);
        assert!(!book.observe_weight("demo", "ghost", 10));
        assert!(book.lock().gates.is_empty());
    }

    #[test]
    fn a_poisoned_lock_is_recovered() {
        let book = GateBook::new();
        book.set_gate("demo", "frontend", GateState::Open);
        let poisoner = book.clone();
        let result = std::thread::spawn(move || {
            let _guard = poisoner.inner.book.lock();
            panic!("a panic while holding the lock");
        })
        .join();
        assert!(result.is_err());
        assert!(book.inner.book.is_poisoned());
        assert_eq!(book.gate("demo", "frontend"), GateState::Open);
        book.set_gate("demo", "frontend", GateState::Closed);
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);
    }

    fn runtime() -> tokio::runtime::Runtime {
        match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("a runtime for the test: {e}"),
        }
    }

    #[test]
    fn changes_to_canaries_nobody_owns_are_written() {
        let book = GateBook::new();
        let asked = book.ask(
            "demo",
            "frontend",
            GateChange::Rollback(true),
            "/rollback/open",
        );
        assert!(matches!(asked, Asked::Written));
        assert!(book.rollback("demo", "frontend"));
    }

    #[test]
    fn a_handed_over_canary_gets_requests_instead_of_writes() {
        let book = GateBook::new();
        book.set_gate("demo", "frontend", GateState::Open);
        let mut handover = book.hand_over("demo", "frontend");
        assert_eq!(handover.gates().gate, GateState::Open);
        assert_eq!(
            (handover.namespace(), handover.name()),
            ("demo", "frontend")
        );

        let close = GateChange::Gate(GateState::Closed);
        let Asked::Sent(pending) = book.ask("demo", "frontend", close, "/gate/close") else {
            panic!("the owner decides");
        };
        assert_eq!(
            book.gate("demo", "frontend"),
            GateState::Open,
            "not written"
        );
        let rt = runtime();
        let request = rt.block_on(handover.next_request());
        assert_eq!(
            request,
            Some(GateRequest {
                namespace: "demo".into(),
                name: "frontend".into(),
                change: close,
                path: "/gate/close".into(),
            })
        );
        // the owner publishes; the request sees it
        handover.publish(Gates::CLOSED);
        assert!(rt.block_on(pending.published(Duration::from_secs(5))));
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);

        // other canaries stay the server's
        assert!(matches!(
            book.ask(
                "demo",
                "backend",
                GateChange::Rollback(true),
                "/rollback/open"
            ),
            Asked::Written
        ));
        assert!(book.rollback("demo", "backend"));
    }

    #[test]
    fn a_request_the_owner_does_not_publish_gives_up() {
        let book = GateBook::new();
        let _handover = book.hand_over("demo", "frontend");
        let open = GateChange::Gate(GateState::Open);
        let Asked::Sent(pending) = book.ask("demo", "frontend", open, "/gate/open") else {
            panic!("the owner decides");
        };
        assert!(!runtime().block_on(pending.published(Duration::from_millis(20))));
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);
    }

    #[test]
    fn dropping_the_handover_gives_the_gates_back_to_the_server() {
        let book = GateBook::new();
        let first = book.hand_over("demo", "frontend");
        let second = book.hand_over("demo", "frontend");
        // the replaced owner leaving does not end the current one
        drop(first);
        let open = GateChange::Gate(GateState::Open);
        assert!(matches!(
            book.ask("demo", "frontend", open, "/gate/open"),
            Asked::Sent(_)
        ));
        second.publish(Gates::CLOSED.with(GateChange::Rollback(true)));
        drop(second);
        assert!(book.lock().owners.is_empty());
        assert!(matches!(
            book.ask("demo", "frontend", open, "/gate/open"),
            Asked::Written
        ));
        assert_eq!(
            book.gates("demo", "frontend"),
            Gates {
                gate: GateState::Open,
                rollback: true
            },
            "the published gates stay"
        );
    }
}

//! The gate book: which canaries may go ahead and which should roll back, kept in memory.
//!
//! Nothing here touches the network or the clock. The HTTP server reads and writes the book on
//! behalf of Flagger and of tools that speak the load tester's protocol; the cockpit writes it when
//! the operator approves a step, and reports every observed traffic weight so a gate opened for a
//! single step closes once Flagger has taken that step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Whether Flagger may go ahead with the canary it asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum GateState {
    Closed,
    /// Open until the canary's weight moves away from `from_weight` (one traffic step).
    OpenForStep {
        from_weight: Option<u8>,
    },
    Open,
}

impl GateState {
    /// Whether a check against this gate is approved right now.
    pub fn is_open(self) -> bool {
        !matches!(self, GateState::Closed)
    }
}

/// The gates of one canary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Gates {
    gate: GateState,
    rollback: bool,
}

impl Gates {
    const DEFAULT: Gates = Gates {
        gate: GateState::Closed,
        rollback: false,
    };
}

/// Canaries are told apart by namespace and name.
type Key = (String, String);

fn key(namespace: &str, name: &str) -> Key {
    (namespace.to_owned(), name.to_owned())
}

/// Gates per canary, shared between the HTTP server and the cockpit (cheap to clone: Arc<Mutex<..>> inside; a poisoned lock is recovered, never a panic).
#[derive(Clone, Debug, Default)]
pub struct GateBook {
    inner: Arc<Mutex<HashMap<Key, Gates>>>,
}

impl GateBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every mutation leaves the map consistent, so the data behind a poisoned lock is still good.
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Gates>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, namespace: &str, name: &str) -> Gates {
        self.lock()
            .get(&key(namespace, name))
            .copied()
            .unwrap_or(Gates::DEFAULT)
    }

    /// Applies `change` to a canary's gates; canaries back at the defaults are forgotten, so
    /// closing gates of names that never existed leaves nothing behind.
    fn update(&self, namespace: &str, name: &str, change: impl FnOnce(&mut Gates)) {
        let mut map = self.lock();
        let k = key(namespace, name);
        let mut gates = map.get(&k).copied().unwrap_or(Gates::DEFAULT);
        change(&mut gates);
        if gates == Gates::DEFAULT {
            map.remove(&k);
        } else {
            map.insert(k, gates);
        }
    }

    /// The gate of the canary `namespace/name`; closed unless someone opened it.
    pub fn gate(&self, namespace: &str, name: &str) -> GateState {
        self.get(namespace, name).gate
    }

    pub fn set_gate(&self, namespace: &str, name: &str, state: GateState) {
        self.update(namespace, name, |g| g.gate = state);
    }

    /// Whether the canary `namespace/name` should be rolled back now; false unless someone asked.
    pub fn rollback(&self, namespace: &str, name: &str) -> bool {
        self.get(namespace, name).rollback
    }

    pub fn set_rollback(&self, namespace: &str, name: &str, open: bool) {
        self.update(namespace, name, |g| g.rollback = open);
    }

    /// The canary's weight as last observed: a gate opened for one step closes once the weight differs from its `from_weight` (a `None` from_weight closes on the first observation). Returns true when it closed the gate.
    pub fn observe_weight(&self, namespace: &str, name: &str, weight: u8) -> bool {
        let mut closed = false;
        self.update(namespace, name, |g| {
            if let GateState::OpenForStep { from_weight } = g.gate {
                if from_weight != Some(weight) {
                    g.gate = GateState::Closed;
                    closed = true;
                }
            }
        });
        closed
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
        assert_eq!(book.lock().len(), 1);
        book.set_gate("demo", "frontend", GateState::Closed);
        assert_eq!(book.lock().len(), 1);
        book.set_rollback("demo", "frontend", false);
        assert!(book.lock().is_empty());
        // Closing gates that were never open stores nothing.
        book.set_gate("demo", "ghost", GateState::Closed);
        book.set_rollback("demo", "ghost", false);
        assert!(!book.observe_weight("demo", "ghost", 10));
        assert!(book.lock().is_empty());
    }

    #[test]
    fn a_poisoned_lock_is_recovered() {
        let book = GateBook::new();
        book.set_gate("demo", "frontend", GateState::Open);
        let poisoner = book.clone();
        let result = std::thread::spawn(move || {
            let _guard = poisoner.inner.lock();
            panic!("a panic while holding the lock");
        })
        .join();
        assert!(result.is_err());
        assert!(book.inner.is_poisoned());
        assert_eq!(book.gate("demo", "frontend"), GateState::Open);
        book.set_gate("demo", "frontend", GateState::Closed);
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);
    }

    #[test]
    fn gate_states_serialize_with_a_state_tag() {
        let json = |s: GateState| serde_json::to_value(s).ok();
        assert_eq!(
            json(GateState::Closed),
            Some(serde_json::json!({"state": "closed"}))
        );
        assert_eq!(
            json(GateState::Open),
            Some(serde_json::json!({"state": "open"}))
        );
        let step = GateState::OpenForStep {
            from_weight: Some(20),
        };
        assert_eq!(
            json(step),
            Some(serde_json::json!({"state": "open-for-step", "from_weight": 20}))
        );
        let back: Result<GateState, _> = serde_json::from_value(
            serde_json::json!({"state": "open-for-step", "from_weight": 20}),
        );
        assert_eq!(back.ok(), Some(step));
    }
}

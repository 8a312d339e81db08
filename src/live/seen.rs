//! The Warning events a live watch has already told, bounded: a namespace that produces events
//! all night must not grow the cockpit with them.

use std::collections::{HashSet, VecDeque};

/// How many keys are kept. An event is told again only if it comes back after this many newer
/// ones, which the API server's one-hour event lifetime makes rare.
pub const KEPT: usize = 4096;

/// Keys (an event's name and count) in the order they were first seen, at most [`KEPT`].
#[derive(Debug, Default)]
pub struct Seen {
    keys: HashSet<String>,
    order: VecDeque<String>,
}

impl Seen {
    /// The set after a list: its keys are history, the newest kept.
    pub fn replace(&mut self, keys: impl IntoIterator<Item = String>) {
        self.keys.clear();
        self.order.clear();
        for key in keys {
            self.insert(key);
        }
    }

    /// Whether `key` is new; it is remembered, and the oldest key is forgotten past [`KEPT`].
    pub fn insert(&mut self, key: String) -> bool {
        if self.keys.contains(&key) {
            return false;
        }
        if self.order.len() == KEPT {
            if let Some(old) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
        self.keys.insert(key.clone());
        self.order.push_back(key);
        true
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_new_once() {
        let mut seen = Seen::default();
        assert!(seen.insert("e/1".into()));
        assert!(!seen.insert("e/1".into()));
        assert!(seen.insert("e/2".into()));
    }

    #[test]
    fn a_night_of_events_keeps_at_most_the_newest() {
        let mut seen = Seen::default();
        for i in 0..3 * KEPT {
            assert!(seen.insert(format!("e{i}/1")));
        }
        assert_eq!(seen.len(), KEPT);
        // the newest are still known, the oldest forgotten
        assert!(!seen.insert(format!("e{}/1", 3 * KEPT - 1)));
        assert!(seen.insert("e0/1".into()));
        assert_eq!(seen.len(), KEPT);
    }

    #[test]
    fn a_list_replaces_the_history() {
        let mut seen = Seen::default();
        seen.insert("old/1".into());
        seen.replace(["a/1".to_string(), "b/1".to_string()]);
        assert!(seen.insert("old/1".into()));
        assert!(!seen.insert("a/1".into()));
        assert!(!seen.is_empty());
    }
}

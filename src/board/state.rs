//! The board as the operator sees it: the entries, their order, the selection (kept on the same
//! release whatever moves), the marks, the confirmation of an action and each row's result, and
//! how each context stands.

use crate::app::Action;
use crate::model::{Millis, TimeOfDay};
use std::collections::{BTreeMap, BTreeSet};

use super::entry::{Entry, Facts, Key, Row};
use super::view::{self, Counts};

/// How one context of the board stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextState {
    pub name: String,
    /// Since when its API server has not answered, and what it said.
    pub unreachable: Option<(Millis, String)>,
}

impl ContextState {
    /// `context b unreachable since 14:03`, while it is.
    pub fn unreachable_line(&self) -> Option<String> {
        self.unreachable.as_ref().map(|(since, _)| {
            let hm: String = TimeOfDay(*since).to_string().chars().take(5).collect();
            format!("context {} unreachable since {hm}", self.name)
        })
    }
}

/// One release of a confirmation and what the action writes to it, or why it cannot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub key: Key,
    pub plan: Result<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum BoardMode {
    #[default]
    List,
    /// `/`: the filter as typed so far.
    Filter,
    /// An action on these releases, waiting for `y`.
    Confirm { action: Action, items: Vec<Planned> },
}

/// The result of an action on one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowResult {
    Running(Action),
    Done(String),
    Failed(String),
}

#[derive(Clone, Debug, Default)]
pub struct Board {
    pub entries: Vec<Entry>,
    /// Indices into `entries` the board shows, in order.
    pub shown: Vec<usize>,
    pub selected: usize,
    /// The first row drawn (the table scrolls to keep the selection in view).
    pub offset: usize,
    pub filter: String,
    pub attention_only: bool,
    pub marked: BTreeSet<Key>,
    pub results: BTreeMap<Key, RowResult>,
    pub mode: BoardMode,
    pub contexts: Vec<ContextState>,
    /// The latest message: (is it a warning, its words).
    pub status: Option<(bool, String)>,
    /// Why no action can be taken from this board, when none can (`--readonly`).
    pub read_only: Option<String>,
    pub color: bool,
    pub now: Millis,
    /// The first list of every watch has arrived.
    pub listed: bool,
    pub counts: Counts,
    /// The widest context, namespace, target and phase shown, in characters: prepared with the
    /// order, never per frame.
    pub widths: [usize; 4],
}

impl Board {
    pub fn new(contexts: &[String], color: bool, now: Millis) -> Board {
        Board {
            contexts: contexts
                .iter()
                .map(|name| ContextState {
                    name: name.clone(),
                    unreachable: None,
                })
                .collect(),
            color,
            now,
            ..Board::default()
        }
    }

    /// The CONTEXT column is shown: more than one context.
    pub fn many_contexts(&self) -> bool {
        self.contexts.len() > 1
    }

    pub fn context(&self, name: &str) -> Option<&ContextState> {
        self.contexts.iter().find(|c| c.name == name)
    }

    /// The selected entry.
    pub fn current(&self) -> Option<&Entry> {
        self.shown.get(self.selected).map(|&i| &self.entries[i])
    }

    /// Every release of `kind` (a target prefix: `rollout`) in `context`, as now observed: they
    /// replace the ones the board held.
    pub fn replace(&mut self, context: &str, kind: &str, facts: Vec<Facts>, now: Millis) {
        self.now = now;
        let keep = self.current().map(|e| e.key().clone());
        let of_kind =
            |k: &Key| k.context == context && k.target.split('/').next().is_some_and(|p| p == kind);
        self.entries.retain(|e| !of_kind(e.key()));
        self.entries.extend(
            facts
                .into_iter()
                .map(|f| Entry::Release(Box::new(Row::new(f, now)))),
        );
        let live: BTreeSet<&Key> = self.entries.iter().map(Entry::key).collect();
        self.marked.retain(|k| live.contains(k));
        self.reorder(keep);
    }

    /// The clock moved: ages and the attention that depends on time.
    pub fn tick(&mut self, now: Millis) {
        self.now = now;
        let keep = self.current().map(|e| e.key().clone());
        view::refresh(&mut self.entries, now);
        self.reorder(keep);
    }

    /// Sorts and filters again, the selection on `keep` when it is still shown.
    pub fn reorder(&mut self, keep: Option<Key>) {
        self.shown = view::order(&self.entries, &self.filter, self.attention_only);
        self.counts = Counts::of(&self.entries);
        let mut widths = [0; 4];
        for &i in &self.shown {
            let e = &self.entries[i];
            let k = e.key();
            let cells = [&k.context, &k.namespace, &k.target, &e.row().facts.phase];
            for (w, c) in widths.iter_mut().zip(cells) {
                *w = (*w).max(c.chars().count());
            }
        }
        self.widths = widths;
        if let Some(k) = keep {
            if let Some(i) = self.shown.iter().position(|&i| self.entries[i].key() == &k) {
                self.selected = i;
            }
        }
        self.selected = self.selected.min(self.shown.len().saturating_sub(1));
    }

    pub fn unreachable(&mut self, context: &str, since: Millis, why: String) {
        if let Some(c) = self.contexts.iter_mut().find(|c| c.name == context) {
            if c.unreachable.is_none() {
                c.unreachable = Some((since, crate::hygiene::short(&why, 120)));
            }
        }
    }

    pub fn reachable(&mut self, context: &str) {
        if let Some(c) = self.contexts.iter_mut().find(|c| c.name == context) {
            c.unreachable = None;
        }
    }

    pub fn say(&mut self, warn: bool, text: &str) {
        self.status = Some((warn, crate::hygiene::short(text, 400)));
    }

    /// The releases an action applies to: the marked ones, else the selected one.
    pub fn targets(&self) -> Vec<Key> {
        if self.marked.is_empty() {
            self.current()
                .map(|e| vec![e.key().clone()])
                .unwrap_or_default()
        } else {
            self.marked.iter().cloned().collect()
        }
    }

    /// What `action` would write to each of `keys`, or why not.
    pub fn plan(&self, action: Action, keys: &[Key]) -> Vec<Planned> {
        keys.iter()
            .map(|k| {
                let plan = match (&self.read_only, self.entry(k)) {
                    (Some(why), _) => Err(why.clone()),
                    (None, None) => Err("no longer on the board".to_string()),
                    (None, Some(e)) => e
                        .row()
                        .facts
                        .plans
                        .iter()
                        .find(|p| p.action == action)
                        .map_or_else(
                            || Err(format!("{action} is not offered here")),
                            |p| p.plan.clone(),
                        ),
                };
                Planned {
                    key: k.clone(),
                    plan,
                }
            })
            .collect()
    }

    pub fn entry(&self, key: &Key) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key() == key)
    }

    /// An action started on the row of `key`.
    pub fn running(&mut self, key: Key, action: Action) {
        self.results.insert(key, RowResult::Running(action));
    }

    /// The result of an action on the row of `key`.
    pub fn result(&mut self, key: Key, result: Result<String, String>) {
        let r = match result {
            Ok(t) => RowResult::Done(crate::hygiene::short(&t, 200)),
            Err(t) => RowResult::Failed(crate::hygiene::short(&t, 200)),
        };
        self.results.insert(key, r);
    }
}

//! What each key does on the board: move, filter (`/`), attention only (`!`), mark (space), open
//! (enter), act (`p` pause, `r` resume, `P` promote, `R` roll back: each asks to confirm,
//! listing every release and what will be written to it), quit (`q`).

use crate::app::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::entry::Key;
use super::state::{Board, BoardMode};

/// What the operator chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Open the release's cockpit.
    Open(Key),
    /// Perform `action` on each release (confirmed, and each one writable).
    Act(Action, Vec<Key>),
    Quit,
}

/// The keys of the board, for the footer and the help: `(keys, what)`.
pub const HINTS: [(&str, &str); 9] = [
    ("enter", "open"),
    ("/", "filter"),
    ("!", "attention only"),
    ("space", "mark"),
    ("p", "pause"),
    ("r", "resume"),
    ("P", "promote"),
    ("R", "roll back"),
    ("q", "quit"),
];

/// Rows a page key moves.
const PAGE: usize = 10;

impl Board {
    pub fn key(&mut self, key: KeyEvent) -> Option<Outcome> {
        if key.kind != KeyEventKind::Press {
            return None;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Some(Outcome::Quit);
        }
        match std::mem::take(&mut self.mode) {
            BoardMode::List => self.list_key(key),
            BoardMode::Filter => {
                self.filter_key(key);
                None
            }
            BoardMode::Confirm { action, items } => self.confirm_key(key, action, items),
        }
    }

    fn keep(&self) -> Option<Key> {
        self.current().map(|e| e.key().clone())
    }

    fn filter_key(&mut self, key: KeyEvent) {
        let keep = self.keep();
        match key.code {
            KeyCode::Enter => return,
            KeyCode::Esc => self.filter.clear(),
            KeyCode::Backspace => {
                self.filter.pop();
                self.mode = BoardMode::Filter;
            }
            KeyCode::Char(c) if !c.is_control() && self.filter.chars().count() < 80 => {
                self.filter.push(c);
                self.mode = BoardMode::Filter;
            }
            _ => self.mode = BoardMode::Filter,
        }
        self.reorder(keep);
    }

    fn confirm_key(
        &mut self,
        key: KeyEvent,
        action: Action,
        items: Vec<super::state::Planned>,
    ) -> Option<Outcome> {
        match key.code {
            KeyCode::Char('y') | KeyCode::Enter => {
                let (go, refused): (Vec<_>, Vec<_>) =
                    items.into_iter().partition(|p| p.plan.is_ok());
                for p in refused {
                    let why = p.plan.err().unwrap_or_default();
                    self.result(p.key, Err(format!("{action} refused: {why}")));
                }
                self.marked.clear();
                if go.is_empty() {
                    return None;
                }
                let keys: Vec<Key> = go.into_iter().map(|p| p.key).collect();
                for k in &keys {
                    self.running(k.clone(), action);
                }
                Some(Outcome::Act(action, keys))
            }
            KeyCode::Char('n') | KeyCode::Esc | KeyCode::Char('q') => {
                self.say(false, &format!("{action}: cancelled, nothing written"));
                None
            }
            _ => {
                self.mode = BoardMode::Confirm { action, items };
                None
            }
        }
    }

    fn act(&mut self, action: Action) {
        let keys = self.targets();
        if keys.is_empty() {
            self.say(true, "no release selected");
            return;
        }
        let items = self.plan(action, &keys);
        self.mode = BoardMode::Confirm { action, items };
    }

    fn list_key(&mut self, key: KeyEvent) -> Option<Outcome> {
        let last = self.shown.len().saturating_sub(1);
        match key.code {
            KeyCode::Char('q') => return Some(Outcome::Quit),
            KeyCode::Esc if !self.marked.is_empty() => self.marked.clear(),
            KeyCode::Esc if !self.filter.is_empty() => {
                let keep = self.keep();
                self.filter.clear();
                self.reorder(keep);
            }
            KeyCode::Esc => return Some(Outcome::Quit),
            KeyCode::Down | KeyCode::Char('j') => self.selected = (self.selected + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::PageDown => self.selected = (self.selected + PAGE).min(last),
            KeyCode::PageUp => self.selected = self.selected.saturating_sub(PAGE),
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.selected = last,
            KeyCode::Enter => match self.current() {
                Some(e) => return Some(Outcome::Open(e.key().clone())),
                None => self.say(true, "no release selected"),
            },
            KeyCode::Char('/') => self.mode = BoardMode::Filter,
            KeyCode::Char('!') => {
                let keep = self.keep();
                self.attention_only = !self.attention_only;
                self.reorder(keep);
            }
            KeyCode::Char(' ') => {
                if let Some(k) = self.keep() {
                    if !self.marked.remove(&k) {
                        self.marked.insert(k);
                    }
                    self.selected = (self.selected + 1).min(last);
                }
            }
            KeyCode::Char('p') => self.act(Action::Pause),
            KeyCode::Char('r') => self.act(Action::Resume),
            KeyCode::Char('P') => self.act(Action::Promote),
            KeyCode::Char('R') => self.act(Action::Rollback),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::attention::tests::facts;
    use crate::board::entry::ActionPlan;
    use crate::board::state::RowResult;
    use crate::model::Millis;

    fn press(b: &mut Board, code: KeyCode) -> Option<Outcome> {
        b.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn board() -> Board {
        let mut b = Board::new(&["a".to_string()], false, Millis(0));
        let mut all = Vec::new();
        for name in ["one", "two", "three"] {
            let mut f = facts(&format!("rollout/{name}"));
            f.plans = vec![ActionPlan {
                action: Action::Pause,
                plan: if name == "two" {
                    Err("the user may not patch rollouts".to_string())
                } else {
                    Ok(format!("rollout/{name} spec.paused: true"))
                },
            }];
            all.push(f);
        }
        b.replace("a", "rollout", all, Millis(1000));
        b
    }

    #[test]
    fn marked_rows_share_one_confirmation() {
        let mut b = board();
        // three marked (space moves down)
        for _ in 0..3 {
            press(&mut b, KeyCode::Char(' '));
        }
        assert_eq!(b.marked.len(), 3);
        assert_eq!(press(&mut b, KeyCode::Char('p')), None);
        let BoardMode::Confirm { items, .. } = &b.mode else {
            panic!("no confirmation: {:?}", b.mode)
        };
        assert_eq!(items.len(), 3);
        assert!(items.iter().any(|p| p.plan.is_err()));
        let out = press(&mut b, KeyCode::Char('y'));
        let Some(Outcome::Act(Action::Pause, keys)) = out else {
            panic!("{out:?}")
        };
        assert_eq!(keys.len(), 2, "the refused row is not acted on");
        let two = b.entries[1].key().clone();
        assert!(
            matches!(b.results.get(&two), Some(RowResult::Failed(w)) if w.contains("may not patch"))
        );
        assert!(b.marked.is_empty());
    }

    #[test]
    fn the_selection_and_filter_survive_new_facts() {
        let mut b = board();
        press(&mut b, KeyCode::Char('/'));
        for c in "/t".chars() {
            press(&mut b, KeyCode::Char(c));
        }
        press(&mut b, KeyCode::Enter);
        assert_eq!(b.filter, "/t");
        assert_eq!(b.shown.len(), 2, "two and three start with t");
        press(&mut b, KeyCode::Down);
        let chosen = b.current().map(|e| e.key().clone());
        // the same releases observed again, in another order
        let mut again: Vec<_> = b.entries.iter().map(|e| e.row().facts.clone()).collect();
        again.reverse();
        b.replace("a", "rollout", again, Millis(2000));
        assert_eq!(b.current().map(|e| e.key().clone()), chosen);
        assert_eq!(b.filter, "/t");
        let open = press(&mut b, KeyCode::Enter);
        assert_eq!(open, chosen.map(Outcome::Open));
    }

    #[test]
    fn cancel_writes_nothing_and_read_only_refuses_all() {
        let mut b = board();
        b.read_only = Some("the board is read-only (--readonly)".to_string());
        press(&mut b, KeyCode::Char('p'));
        assert_eq!(press(&mut b, KeyCode::Char('y')), None);
        let k = b.current().map(|e| e.key().clone()).unwrap();
        assert!(matches!(b.results.get(&k), Some(RowResult::Failed(w)) if w.contains("read-only")));
        press(&mut b, KeyCode::Char('r'));
        assert_eq!(press(&mut b, KeyCode::Esc), None);
        assert_eq!(b.mode, BoardMode::List);
    }
}

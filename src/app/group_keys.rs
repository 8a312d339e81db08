//! The group cockpit's keys: `Tab` opens the selected member's full cockpit and comes back;
//! `j`/`k` select a member (the bands scroll to it); `+` steps every member, `p` pauses or
//! resumes all, `P` promotes in order and `R` rolls back in reverse order, both after `y`.

use super::group::GroupApp;
use super::{Effect, Event, LogKind};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A group action waiting for its `y`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupConfirm {
    Promote,
    Rollback,
}

impl GroupConfirm {
    pub fn question(self, app: &GroupApp) -> String {
        let mut names: Vec<&str> = app.members.iter().map(|m| m.name.as_str()).collect();
        match self {
            GroupConfirm::Promote => {
                format!("promote the group in order: {}? y/n", names.join(", then "))
            }
            GroupConfirm::Rollback => {
                names.reverse();
                format!("roll the group back: {}? y/n", names.join(", then "))
            }
        }
    }
}

impl GroupApp {
    /// A key on the group cockpit; with a member focused, every key but `Tab` is its own.
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<(usize, Effect)> {
        if key.kind != KeyEventKind::Press {
            return Vec::new();
        }
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        if ctrl_c {
            self.should_quit = true;
            return Vec::new();
        }
        if key.code == KeyCode::Tab {
            self.focus = match self.focus {
                Some(_) => None,
                None => Some(self.selected),
            };
            return Vec::new();
        }
        if let Some(i) = self.focus {
            let effects = self.update(i, Event::Key(key));
            if self.members.get(i).is_some_and(|m| m.app.should_quit) {
                self.should_quit = true;
            }
            return effects;
        }
        if let Some(what) = self.confirm.take() {
            if key.code != KeyCode::Char('y') {
                self.say("cancelled".to_string());
                return Vec::new();
            }
            let operator = self.members.first().map(|m| m.app.operator().to_string());
            let who = operator.unwrap_or_default();
            let step = match what {
                GroupConfirm::Promote => self.plan.promote(),
                GroupConfirm::Rollback => self.plan.rollback(&format!("rollback by {who}")),
            };
            return self.perform(step);
        }
        let result = match key.code {
            KeyCode::Char('q') => {
                self.should_quit = true;
                return Vec::new();
            }
            KeyCode::Char('j') | KeyCode::Down => {
                self.select(1);
                return Vec::new();
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.select(-1);
                return Vec::new();
            }
            KeyCode::Char('P') | KeyCode::Char('R') if self.plan.phase.is_final() => {
                Err(format!("the group is {}", self.plan.phase))
            }
            KeyCode::Char('P') => {
                self.confirm = Some(GroupConfirm::Promote);
                return Vec::new();
            }
            KeyCode::Char('R') => {
                self.confirm = Some(GroupConfirm::Rollback);
                return Vec::new();
            }
            KeyCode::Char('h') => return self.route_key(),
            KeyCode::Char('p') => {
                let pause = self.plan.phase == crate::group::GroupPhase::Progressing;
                self.plan.pause(pause)
            }
            KeyCode::Char('+') | KeyCode::Char('=') => match self.next_weight() {
                Some(w) => self.plan.set_weight(w),
                None => Err("every member is at its max weight: P promotes".to_string()),
            },
            _ => return Vec::new(),
        };
        match result {
            Ok(step) => self.perform(step),
            Err(why) => {
                self.say(why);
                Vec::new()
            }
        }
    }

    /// The next step above the highest weight among the members the cockpit weighs.
    fn next_weight(&self) -> Option<crate::model::Weight> {
        let m = self
            .members
            .iter()
            .zip(&self.plan.members)
            .filter(|(_, p)| !p.owns_weight)
            .max_by_key(|(m, _)| m.app.weight())?;
        m.0.app.plan()?.next_above(m.0.app.weight())
    }

    fn select(&mut self, by: isize) {
        let last = self.members.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(by).min(last);
    }

    fn say(&mut self, text: String) {
        self.log.push(self.now, LogKind::Info, text.clone());
        self.status = Some(text);
    }
}

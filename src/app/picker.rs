//! The release list of `canary watch` without a target (k9s style): every release the cluster's
//! providers hold, one line each; `enter` opens one, `/` filters, `:` opens one by its target.
//! Pure like `App::update`: keys in, an outcome out; the listing itself is done by the caller.
//! The target the operator opens is parsed here, once, and leaves as a [`Target`].

use super::event::PickedFrom;
use super::keymap::{self, Command};
use super::mode::{Level, Prompt, Status};
use crate::model::Target;
use crossterm::event::{KeyEvent, KeyEventKind};

/// One release as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub namespace: String,
    /// `ingress/shop`, `virtualservice/cart`, …
    pub target: String,
    pub provider: String,
    pub phase: String,
    /// The canary's weight in percent; `None` when the release could not be read.
    pub weight: Option<u8>,
    /// Why the release could not be read, or what else the operator should know.
    pub note: String,
}

/// A release the operator chose to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pick {
    pub namespace: String,
    pub target: Target,
    pub from: PickedFrom,
}

/// What the operator chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Open this release.
    Open(Pick),
    /// List the releases again.
    Reload,
    Quit,
}

#[derive(Clone, Debug, Default)]
pub enum PickerMode {
    #[default]
    List,
    Filter(Prompt),
    Goto(Prompt),
}

#[derive(Clone, Debug, Default)]
pub struct Picker {
    /// Where the list comes from, for the title: `namespace prod`, `all namespaces`.
    pub scope: String,
    /// The namespace a typed target opens in.
    pub namespace: String,
    pub all: Vec<Listed>,
    pub filter: String,
    /// Indices into `all` of the rows the filter keeps, in order.
    pub rows: Vec<usize>,
    pub selected: usize,
    pub mode: PickerMode,
    pub status: Option<Status>,
    pub color: bool,
    /// The list is being read.
    pub loading: bool,
}

impl Picker {
    pub fn new(scope: String, namespace: String, color: bool) -> Self {
        Picker {
            scope,
            namespace,
            color,
            loading: true,
            ..Picker::default()
        }
    }

    /// The releases as listed; the selection stays on the same release when it is still there.
    pub fn set_releases(&mut self, mut releases: Vec<Listed>) {
        let keep = self
            .current()
            .map(|l| (l.namespace.clone(), l.target.clone()));
        releases.sort_by(|a, b| (&a.namespace, &a.target).cmp(&(&b.namespace, &b.target)));
        self.all = releases;
        self.loading = false;
        self.refilter();
        if let Some((ns, target)) = keep {
            if let Some(i) = self
                .rows
                .iter()
                .position(|&r| self.all[r].namespace == ns && self.all[r].target == target)
            {
                self.selected = i;
            }
        }
        let n = self.all.len();
        self.say(
            Level::Info,
            match n {
                0 => "no releases found: ingress-nginx canary pairs, VirtualServices and HTTPRoutes with two weighted backends are listed".to_string(),
                1 => "1 release".to_string(),
                n => format!("{n} releases"),
            },
        );
    }

    pub fn set_error(&mut self, message: String) {
        self.loading = false;
        self.say(Level::Error, message);
    }

    pub fn say(&mut self, level: Level, text: String) {
        let text = crate::hygiene::field(&text).into_owned();
        self.status = Some(Status { level, text });
    }

    pub fn current(&self) -> Option<&Listed> {
        self.rows.get(self.selected).map(|&i| &self.all[i])
    }

    fn refilter(&mut self) {
        let f = self.filter.to_lowercase();
        self.rows = (0..self.all.len())
            .filter(|&i| {
                let l = &self.all[i];
                f.is_empty()
                    || [&l.namespace, &l.target, &l.provider, &l.phase]
                        .iter()
                        .any(|s| s.to_lowercase().contains(&f))
            })
            .collect();
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    pub fn key(&mut self, key: KeyEvent) -> Option<Choice> {
        if key.kind != KeyEventKind::Press {
            return None;
        }
        match std::mem::take(&mut self.mode) {
            PickerMode::List => self.list_key(key),
            PickerMode::Filter(prompt) => self.filter_key(prompt, key),
            PickerMode::Goto(prompt) => self.goto_key(prompt, key),
        }
    }

    fn list_key(&mut self, key: KeyEvent) -> Option<Choice> {
        match keymap::lookup(keymap::PICKER, &key)? {
            Command::Quit => return Some(Choice::Quit),
            Command::Reload => {
                self.loading = true;
                return Some(Choice::Reload);
            }
            Command::Open => match self.current() {
                Some(l) if l.weight.is_some() => match l.target.parse::<Target>() {
                    Ok(target) => {
                        return Some(Choice::Open(Pick {
                            namespace: l.namespace.clone(),
                            target,
                            from: PickedFrom::List,
                        }))
                    }
                    Err(e) => {
                        let why = format!("{} cannot be opened: {e}", l.target);
                        self.say(Level::Error, why);
                    }
                },
                Some(l) => {
                    let why = format!("{} cannot be opened: {}", l.target, l.note);
                    self.say(Level::Warn, why);
                }
                None => self.say(Level::Warn, "no release selected".to_string()),
            },
            Command::ScrollDown => {
                self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1));
            }
            Command::ScrollUp => self.selected = self.selected.saturating_sub(1),
            Command::Filter => {
                self.mode = PickerMode::Filter(Prompt {
                    input: self.filter.clone().into(),
                    ..Prompt::default()
                })
            }
            Command::Goto => self.mode = PickerMode::Goto(Prompt::default()),
            Command::Close => {
                self.filter.clear();
                self.refilter();
            }
            _ => {}
        }
        None
    }

    fn filter_key(&mut self, mut prompt: Prompt, key: KeyEvent) -> Option<Choice> {
        match keymap::lookup(keymap::PROMPT, &key) {
            Some(Command::Quit) => return Some(Choice::Quit),
            Some(Command::Cancel) => {
                self.filter.clear();
                self.refilter();
                return None;
            }
            Some(Command::Submit) => return None,
            _ => {}
        }
        if let Some(req) = super::keys::input_request(&key) {
            prompt.input.handle(req);
        }
        self.filter = prompt.input.value().to_string();
        self.refilter();
        self.mode = PickerMode::Filter(prompt);
        None
    }

    fn goto_key(&mut self, mut prompt: Prompt, key: KeyEvent) -> Option<Choice> {
        match keymap::lookup(keymap::PROMPT, &key) {
            Some(Command::Quit) => return Some(Choice::Quit),
            Some(Command::Cancel) => return None,
            Some(Command::Submit) => {
                let text = prompt.input.value().trim().to_string();
                match text.parse::<Target>() {
                    Ok(target) => {
                        return Some(Choice::Open(Pick {
                            namespace: self.namespace.clone(),
                            target,
                            from: PickedFrom::Typed,
                        }))
                    }
                    Err(e) => {
                        prompt.error = Some(e.to_string());
                        self.mode = PickerMode::Goto(prompt);
                        return None;
                    }
                }
            }
            _ => {}
        }
        if let Some(req) = super::keys::input_request(&key) {
            prompt.input.handle(req);
        }
        prompt.error = None;
        self.mode = PickerMode::Goto(prompt);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn open(namespace: &str, target: &str, from: PickedFrom) -> Option<Choice> {
        Some(Choice::Open(Pick {
            namespace: namespace.to_string(),
            target: target.parse().unwrap(),
            from,
        }))
    }

    fn listed(ns: &str, target: &str, weight: Option<u8>) -> Listed {
        Listed {
            namespace: ns.to_string(),
            target: target.to_string(),
            provider: "istio".to_string(),
            phase: "progressing".to_string(),
            weight,
            note: if weight.is_none() {
                "no canary".to_string()
            } else {
                String::new()
            },
        }
    }

    #[test]
    fn the_list_filters_moves_and_opens() {
        let mut p = Picker::new("namespace prod".into(), "prod".into(), false);
        p.set_releases(vec![
            listed("prod", "vs/cart", Some(10)),
            listed("prod", "ingress/shop", Some(20)),
            listed("prod", "httproute/bad", None),
        ]);
        // sorted by namespace and target
        assert_eq!(
            p.current().map(|l| l.target.as_str()),
            Some("httproute/bad")
        );
        // an unreadable release says why instead of opening
        assert_eq!(p.key(key(KeyCode::Enter)), None);
        assert!(p
            .status
            .as_ref()
            .is_some_and(|s| s.text.contains("no canary")));
        p.key(key(KeyCode::Down));
        assert_eq!(
            p.key(key(KeyCode::Enter)),
            open("prod", "ingress/shop", PickedFrom::List)
        );
        p.key(key(KeyCode::Char('/')));
        for c in "cart".chars() {
            p.key(key(KeyCode::Char(c)));
        }
        assert_eq!(p.rows.len(), 1);
        p.key(key(KeyCode::Enter));
        assert_eq!(
            p.key(key(KeyCode::Enter)),
            open("prod", "vs/cart", PickedFrom::List)
        );
        p.key(key(KeyCode::Esc));
        assert_eq!(p.rows.len(), 3);
    }

    #[test]
    fn a_typed_target_is_checked_before_it_opens() {
        let mut p = Picker::new("namespace prod".into(), "prod".into(), false);
        p.set_releases(Vec::new());
        p.key(key(KeyCode::Char(':')));
        for c in "deploy/x".chars() {
            p.key(key(KeyCode::Char(c)));
        }
        assert_eq!(p.key(key(KeyCode::Enter)), None);
        match &p.mode {
            PickerMode::Goto(prompt) => {
                assert!(prompt
                    .error
                    .as_deref()
                    .is_some_and(|e| e.contains("unknown kind")));
                assert_eq!(prompt.input.value(), "deploy/x", "the typed text is kept");
            }
            other => panic!("{other:?}"),
        }
        for _ in 0.."deploy/x".len() {
            p.key(key(KeyCode::Backspace));
        }
        for c in "vs/shop".chars() {
            p.key(key(KeyCode::Char(c)));
        }
        assert_eq!(
            p.key(key(KeyCode::Enter)),
            open("prod", "virtualservice/shop", PickedFrom::Typed)
        );
        assert_eq!(p.key(key(KeyCode::Char('q'))), Some(Choice::Quit));
    }

    #[test]
    fn a_listed_target_that_does_not_parse_says_why_instead_of_opening() {
        let mut p = Picker::new("namespace prod".into(), "prod".into(), false);
        p.set_releases(vec![listed("prod", "deployment/shop", Some(10))]);
        assert_eq!(p.key(key(KeyCode::Enter)), None);
        let status = p.status.as_ref().map(|s| (s.level, s.text.as_str()));
        assert!(
            matches!(status, Some((Level::Error, text)) if text.starts_with("deployment/shop cannot be opened: unknown kind")),
            "{status:?}"
        );
    }
}

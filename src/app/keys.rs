//! Key handling: the key table maps a press to a command; the mode decides what the command does.

use super::keymap::{self, Command};
use super::{Action, App, Confirm, Effect, Event, Level, Mode, Panel, Prompt, PromptKind};
use crate::model::{Capability, Phase, Weight};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::InputRequest;

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind != KeyEventKind::Press {
            return Vec::new();
        }
        match std::mem::take(&mut self.mode) {
            Mode::Normal => self.normal_key(key),
            Mode::Help => {
                match keymap::lookup(keymap::HELP, &key) {
                    Some(Command::Quit) => self.should_quit = true,
                    Some(_) => {}
                    None => self.mode = Mode::Help,
                }
                Vec::new()
            }
            Mode::Inspect => {
                match keymap::lookup(keymap::HELP, &key) {
                    Some(Command::Quit) => self.should_quit = true,
                    Some(_) => {}
                    None if key.code == KeyCode::Char('i') => {}
                    None => self.mode = Mode::Inspect,
                }
                Vec::new()
            }
            Mode::Judge => {
                self.judge_key(key);
                Vec::new()
            }
            Mode::Confirm(what) => self.confirm_key(what, key),
            Mode::Prompt(prompt) => self.prompt_key(prompt, key),
        }
    }

    fn normal_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(command) = keymap::lookup(keymap::NORMAL, &key) else {
            return Vec::new();
        };
        match command {
            Command::Quit => self.should_quit = true,
            Command::Help => self.mode = Mode::Help,
            Command::Inspect if self.config.queries.is_empty() => self.set_status(
                Level::Info,
                "no metrics queries: the cockpit reads Prometheus with --prometheus URL or --prometheus-service",
            ),
            Command::Inspect => self.mode = Mode::Inspect,
            Command::Judge if self.judging.report.is_none() => self.set_status(
                Level::Info,
                "no judge yet: it judges the canary from the first metrics sample on",
            ),
            Command::Judge => {
                self.judging.scroll = 0;
                self.mode = Mode::Judge;
            }
            Command::CycleLatency => {
                self.latency = self.latency.next();
                let text = format!("latency shows {}", self.latency.label());
                self.set_status(Level::Info, text);
            }
            Command::FocusNext => self.focus = self.focus.next(),
            Command::ScrollDown => self.scroll(1),
            Command::ScrollUp => self.scroll(-1),
            Command::Close if !self.pod_filter.is_empty() => {
                self.pod_filter.clear();
                self.rebuild_rows();
                self.set_status(Level::Info, "pod filter cleared");
            }
            Command::Close if self.config.switchable => self.exit = Some(super::Exit::Back),
            Command::Goto if self.config.switchable => {
                self.mode = Mode::Prompt(Prompt {
                    kind: Some(PromptKind::Goto),
                    ..Prompt::default()
                })
            }
            Command::Filter => {
                self.mode = Mode::Prompt(Prompt {
                    kind: Some(PromptKind::Filter),
                    input: self.pod_filter.clone().into(),
                    error: None,
                })
            }
            Command::Note => {
                if self.config.read_only {
                    self.set_status(Level::Warn, "replay is read-only: notes are written live");
                } else {
                    self.mode = Mode::Prompt(Prompt {
                        kind: Some(PromptKind::Note),
                        ..Prompt::default()
                    });
                }
            }
            Command::Route => return self.route_key(),
            Command::KeelApprove => self.keel_ask(crate::model::approval::Vote::Approve),
            Command::KeelReject => self.keel_ask(crate::model::approval::Vote::Reject),
            Command::StepUp => return self.step(true),
            Command::StepDown => return self.step(false),
            Command::SetWeight => {
                if let Err(why) = self.can_act() {
                    self.set_status(Level::Warn, why);
                } else if let Some(why) = self.refused(Capability::SetWeight) {
                    self.set_status(Level::Warn, why);
                } else {
                    self.mode = Mode::Prompt(Prompt {
                        kind: Some(PromptKind::Weight),
                        ..Prompt::default()
                    });
                }
            }
            Command::TogglePause => {
                if let Err(why) = self.can_act() {
                    self.set_status(Level::Warn, why);
                    return Vec::new();
                }
                if let Some(why) = self.refused(Capability::Pause) {
                    self.set_status(Level::Warn, why);
                    return Vec::new();
                }
                let action = if self.paused {
                    Action::Resume
                } else {
                    Action::Pause
                };
                return self.request(action);
            }
            Command::Promote | Command::Rollback => {
                let action = if command == Command::Promote {
                    Capability::Promote
                } else {
                    Capability::Rollback
                };
                if let Err(why) = self.can_act() {
                    self.set_status(Level::Warn, why);
                } else if let Some(why) = self.refused(action) {
                    self.set_status(Level::Warn, why);
                } else {
                    self.mode = Mode::Confirm(if command == Command::Promote {
                        Confirm::Promote
                    } else {
                        Confirm::Rollback
                    });
                }
            }
            // other tables' commands: never found in the normal table
            _ => {}
        }
        Vec::new()
    }

    fn confirm_key(&mut self, what: Confirm, key: KeyEvent) -> Vec<Effect> {
        match keymap::lookup(keymap::CONFIRM, &key) {
            Some(Command::Confirm) => match what {
                Confirm::Promote => self.request(Action::Promote),
                Confirm::Rollback => self.request(Action::Rollback),
                Confirm::ClearRoutes => self.route_request(crate::model::RouteChange::Clear),
                Confirm::Keel(vote) => self.keel_vote(vote),
            },
            Some(Command::Cancel) => {
                self.set_status(Level::Info, "cancelled");
                Vec::new()
            }
            Some(Command::Quit) => {
                self.should_quit = true;
                Vec::new()
            }
            _ => {
                self.mode = Mode::Confirm(what);
                Vec::new()
            }
        }
    }

    fn prompt_key(&mut self, mut prompt: Prompt, key: KeyEvent) -> Vec<Effect> {
        match keymap::lookup(keymap::PROMPT, &key) {
            Some(Command::Quit) => {
                self.should_quit = true;
                return Vec::new();
            }
            Some(Command::Cancel) => {
                if prompt.kind == Some(PromptKind::Filter) {
                    self.pod_filter.clear();
                    self.rebuild_rows();
                }
                return Vec::new();
            }
            Some(Command::Submit) => match prompt.kind {
                Some(PromptKind::Weight) => match Weight::parse_input(prompt.input.value()) {
                    Ok(weight) => return self.request(Action::SetWeight { weight }),
                    Err(e) => {
                        prompt.error = Some(e.to_string());
                        self.mode = Mode::Prompt(prompt);
                        return Vec::new();
                    }
                },
                Some(PromptKind::Note) => {
                    let text = prompt.input.value().trim();
                    if text.is_empty() {
                        prompt.error = Some("a note needs some text (esc cancels)".to_string());
                        self.mode = Mode::Prompt(prompt);
                    } else {
                        let note = Event::Note {
                            at: self.now,
                            author: self.config.user.clone(),
                            text: text.to_string(),
                        };
                        self.produced.push(note.clone());
                        self.update(note);
                        self.set_status(Level::Info, "note added");
                    }
                    return Vec::new();
                }
                Some(PromptKind::Route) => return self.route_submit(prompt),
                Some(PromptKind::Goto) => {
                    let text = prompt.input.value().trim().to_string();
                    match text.parse::<crate::model::Target>() {
                        Ok(target) => self.exit = Some(super::Exit::Open(target)),
                        Err(e) => {
                            prompt.error = Some(e.to_string());
                            self.mode = Mode::Prompt(prompt);
                        }
                    }
                    return Vec::new();
                }
                _ => return Vec::new(),
            },
            _ => {}
        }
        if let Some(req) = input_request(&key) {
            prompt.input.handle(req);
            prompt.error = None;
            if prompt.kind == Some(PromptKind::Filter) {
                self.pod_filter = prompt.input.value().to_string();
                self.pods_scroll = 0;
                self.rebuild_rows();
            }
        }
        self.mode = Mode::Prompt(prompt);
        Vec::new()
    }

    /// Why no action applies right now, if so.
    pub(super) fn can_act(&self) -> Result<(), String> {
        if self.config.read_only {
            return Err("replay is read-only".to_string());
        }
        if self.config.no_writes {
            return Err("read-only cockpit (--readonly): nothing is written".to_string());
        }
        if self.release.is_none() {
            return Err("no release observed yet".to_string());
        }
        if self.phase.is_final() {
            return Err(format!(
                "the release is {}: no further actions apply",
                self.phase
            ));
        }
        match self.phase {
            Phase::Promoting => Err("a promotion is under way".to_string()),
            Phase::RollingBack => Err("a rollback is under way".to_string()),
            _ => Ok(()),
        }
    }

    /// Why the release's traffic system (or its controller) has no lever for `action`, if it
    /// has none.
    pub(super) fn refused(&self, action: Capability) -> Option<String> {
        self.release
            .as_ref()
            .and_then(|r| r.refusal(action))
            .map(str::to_string)
    }

    fn step(&mut self, up: bool) -> Vec<Effect> {
        if let Err(why) = self.can_act() {
            self.set_status(Level::Warn, why);
            return Vec::new();
        }
        let action = if up {
            Capability::StepUp
        } else {
            Capability::StepDown
        };
        if let Some(why) = self.refused(action) {
            self.set_status(Level::Warn, why);
            return Vec::new();
        }
        if up
            && self
                .release
                .as_ref()
                .is_some_and(|r| r.controller.is_some())
        {
            // the controller owns the steps: ask it for the next one
            return self.request(Action::NextStep);
        }
        let weight = self.weight();
        let Some(plan) = self.plan() else {
            self.set_status(Level::Warn, "no progression plan known for this release");
            return Vec::new();
        };
        let target = if up {
            match plan.next_above(weight) {
                Some(next) => next,
                None => {
                    let why = format!(
                        "weight {weight} % is at the plan's max ({} %): P promotes, w sets an exact weight",
                        plan.max()
                    );
                    self.set_status(Level::Warn, why);
                    return Vec::new();
                }
            }
        } else if weight == Weight::ZERO {
            self.set_status(Level::Warn, "the canary weight is already 0 %");
            return Vec::new();
        } else {
            plan.prev_below(weight)
        };
        self.request(Action::SetWeight { weight: target })
    }

    fn request(&mut self, action: Action) -> Vec<Effect> {
        if let Err(why) = self.can_act() {
            self.set_status(Level::Warn, why);
            return Vec::new();
        }
        // one action at a time; a rollback never waits (the executor stops what runs)
        if let Some(line) = self.in_flight_line().filter(|_| action != Action::Rollback) {
            self.set_status(
                Level::Warn,
                format!("{action}: refused, {line}: wait for its result, or roll back"),
            );
            return Vec::new();
        }
        self.set_status(Level::Info, format!("{action}: requested"));
        vec![Effect::Act {
            action,
            actor: self.operator(),
        }]
    }

    fn scroll(&mut self, delta: isize) {
        match self.focus {
            Panel::Pods => {
                let max = self.pod_rows.len().saturating_sub(1);
                self.pods_scroll = self.pods_scroll.saturating_add_signed(delta).min(max);
            }
            Panel::Events => {
                let last = self.log.len().saturating_sub(1);
                let top = self.events_scroll.unwrap_or(last);
                let next = top.saturating_add_signed(delta);
                self.events_scroll = if next >= last { None } else { Some(next) };
            }
        }
    }
}

/// Editing keys for a text prompt.
pub(crate) fn input_request(key: &KeyEvent) -> Option<InputRequest> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('u') => Some(InputRequest::DeleteLine),
            KeyCode::Char('w') => Some(InputRequest::DeletePrevWord),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Char(c) => InputRequest::InsertChar(c),
        KeyCode::Backspace => InputRequest::DeletePrevChar,
        KeyCode::Delete => InputRequest::DeleteNextChar,
        KeyCode::Left => InputRequest::GoToPrevChar,
        KeyCode::Right => InputRequest::GoToNextChar,
        KeyCode::Home => InputRequest::GoToStart,
        KeyCode::End => InputRequest::GoToEnd,
        _ => return None,
    })
}

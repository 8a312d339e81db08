//! `h`: testers' routes. Without a rule of the cockpit's on the release, `h` opens a prompt for
//! one (`header NAME=VALUE`, `header NAME~REGEX`, `cookie NAME`); with one, `h` asks to remove the
//! cockpit's rules. The write itself is an effect; its result comes back as `RouteResult`.

use super::{App, Confirm, Effect, Level, Mode, Prompt, PromptKind};
use crate::model::{RouteChange, RouteRule, RuleOwner};

impl App {
    /// The rules the cockpit wrote on the release, as last observed.
    pub fn cockpit_rules(&self) -> Vec<&RouteRule> {
        self.release
            .as_ref()
            .map(|r| {
                r.rules
                    .iter()
                    .filter(|rule| rule.owner == RuleOwner::Cockpit)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn route_key(&mut self) -> Vec<Effect> {
        if let Err(why) = self.can_act() {
            self.set_status(Level::Warn, why);
            return Vec::new();
        }
        if let Some(why) = self.refused(crate::model::Capability::TestersRoute) {
            self.set_status(Level::Warn, why);
            return Vec::new();
        }
        self.mode = if self.cockpit_rules().is_empty() {
            Mode::Prompt(Prompt {
                kind: Some(PromptKind::Route),
                ..Prompt::default()
            })
        } else {
            Mode::Confirm(Confirm::ClearRoutes)
        };
        Vec::new()
    }

    pub(super) fn route_submit(&mut self, mut prompt: Prompt) -> Vec<Effect> {
        match RouteRule::parse(prompt.input.value()) {
            Ok(rule) => self.route_request(RouteChange::Add { rule }),
            Err(e) => {
                prompt.error = Some(e.to_string());
                self.mode = Mode::Prompt(prompt);
                Vec::new()
            }
        }
    }

    pub(super) fn route_request(&mut self, change: RouteChange) -> Vec<Effect> {
        if let Err(why) = self.can_act() {
            self.set_status(Level::Warn, why);
            return Vec::new();
        }
        self.set_status(Level::Info, format!("{change}: requested"));
        vec![Effect::Route {
            change,
            actor: self.operator(),
        }]
    }
}

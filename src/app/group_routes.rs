//! `h` on a group: the testers' header rule of the release guide (`X-Canary=true`) on every
//! member that can take one, so that a marked request meets the canary frontend and then the
//! canary backend; a member that refuses is named with its reason. With a rule of the
//! cockpit's on any member, `h` removes them on every member, as the group's end does.

use super::group::GroupApp;
use super::{Effect, LogKind};
use crate::model::{Capability, RouteChange, RouteRule, RuleMatch};

/// The header testers mark their requests with.
pub const TESTERS_HEADER: (&str, &str) = ("X-Canary", "true");

impl GroupApp {
    /// Whether any member carries a testers' rule the cockpit wrote.
    pub fn has_cockpit_rules(&self) -> bool {
        self.members
            .iter()
            .any(|m| !m.app.cockpit_rules().is_empty())
    }

    /// `h`: adds the group's rule on every member, or removes the cockpit's rules everywhere.
    pub fn route_key(&mut self) -> Vec<(usize, Effect)> {
        if self.has_cockpit_rules() {
            return self.clear_routes("h");
        }
        let rule = RouteRule::header(TESTERS_HEADER.0, TESTERS_HEADER.1, RuleMatch::Exact);
        let mut out = Vec::new();
        let mut taking = Vec::new();
        let mut refusing = Vec::new();
        for (i, m) in self.members.iter().enumerate() {
            let refusal = m
                .app
                .release
                .as_ref()
                .and_then(|r| r.refusal(Capability::TestersRoute));
            match (refusal, m.app.phase.is_final()) {
                (Some(why), _) => refusing.push(format!("{} refuses: {why}", m.name)),
                (None, true) => refusing.push(format!("{} has ended ({})", m.name, m.app.phase)),
                (None, false) => {
                    taking.push(m.name.clone());
                    out.push((
                        i,
                        Effect::Route {
                            change: RouteChange::Add { rule: rule.clone() },
                            actor: m.app.operator(),
                        },
                    ));
                }
            }
        }
        let (name, value) = TESTERS_HEADER;
        let mut line = if taking.is_empty() {
            format!("{name}={value}: no member can take a testers' route")
        } else {
            format!(
                "{name}={value} reaches the canary on {} (requested)",
                taking.join(" and ")
            )
        };
        if !refusing.is_empty() {
            line.push_str("; ");
            line.push_str(&refusing.join("; "));
        }
        self.log.push(self.now, LogKind::Action, line.clone());
        self.status = Some(line);
        out
    }

    /// Removes the cockpit's testers' rules on every member that has one (`h` again, the
    /// group's end); `why` says which in the log.
    pub fn clear_routes(&mut self, why: &str) -> Vec<(usize, Effect)> {
        let mut out = Vec::new();
        let mut names = Vec::new();
        for (i, m) in self.members.iter().enumerate() {
            if m.app.cockpit_rules().is_empty() {
                continue;
            }
            names.push(m.name.clone());
            out.push((
                i,
                Effect::Route {
                    change: RouteChange::Clear,
                    actor: m.app.operator(),
                },
            ));
        }
        if !names.is_empty() {
            let line = format!("testers' routes removed on {} ({why})", names.join(" and "));
            self.log.push(self.now, LogKind::Action, line);
        }
        out
    }
}

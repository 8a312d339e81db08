//! The simulated release as the world of the one executor ([`crate::perform`]): what each action
//! and testers' route does to it, at once. The demo's release has no controller of its own, so
//! a controller's lever is refused with the reason.

use super::sim::Sim;
use crate::app::{Action, Actor};
use crate::model::{Millis, RouteChange, RuleOwner, Weight};
use crate::perform::{Plan, Pull, RouteJob, Started, World, TIMEOUT};
use std::convert::Infallible;
use std::time::Duration;

impl Sim {
    /// The observations an action or a route changed, told after its result; after an action,
    /// the canary's pods follow the weight first.
    fn done(&mut self, scale: bool) -> Started<Infallible> {
        if scale {
            self.reconcile();
        }
        let mut then = Vec::new();
        self.observe(&mut then);
        Started::Done {
            outcome: Ok(None),
            then,
        }
    }
}

impl World for Sim {
    /// The simulation moves by the action itself.
    type Lever = Action;
    type Running = Infallible;

    fn now(&self) -> Millis {
        Sim::now(self)
    }

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    fn plan(&self, action: Action, _actor: &Actor) -> Result<Plan<Action>, String> {
        match action {
            Action::NextStep | Action::Retry => {
                Err("the demo release has no controller steps: use + or w".to_string())
            }
            _ => Ok(Plan::Pull(action)),
        }
    }

    fn bounded(&self, _lever: &Action) -> bool {
        // it acts at once
        true
    }

    fn pull(&mut self, pull: Pull<Action, Infallible>) -> Started<Infallible> {
        match pull.lever {
            Action::SetWeight { weight } => self.weight = weight,
            // refused by `plan`
            Action::NextStep | Action::Retry => {}
            Action::Pause | Action::Resume => {}
            Action::Promote => self.promote(),
            Action::Rollback => {
                self.weight = Weight::ZERO;
                self.canary_retired = true;
            }
        }
        self.done(true)
    }

    /// A testers' route on the demo's release: one rule per kind and name, the newest wins.
    fn route(&mut self, job: RouteJob) -> Started<Infallible> {
        match job.change {
            RouteChange::Add { rule } => {
                self.rules
                    .retain(|r| (r.kind, &r.name) != (rule.kind, &rule.name));
                self.rules.push(rule);
            }
            RouteChange::Clear => self.rules.retain(|r| r.owner != RuleOwner::Cockpit),
        }
        self.done(false)
    }
}

//! The harness's stand-in release as the world of the one executor (`canary_cockpit::perform`):
//! what each action and testers' route does to it, at once, as a cluster would keep it.

use canary_cockpit::app::{Action, Actor};
use canary_cockpit::model::{
    Millis, PodSet, PodStatus, ReleaseSnapshot, RouteChange, RuleOwner, Weight,
};
use canary_cockpit::perform::{Plan, Pull, RouteJob, Started, World, TIMEOUT};
use std::convert::Infallible;
use std::time::Duration;

/// The release and its pods as the harness keeps them, at the harness's time.
pub struct StandIn<'a> {
    pub release: &'a mut ReleaseSnapshot,
    pub pods: &'a mut PodSet,
    pub now: Millis,
}

/// Done, with nothing more to say: the harness reports the release after each effect.
fn done() -> Started<Infallible> {
    Started::Done {
        outcome: Ok(None),
        then: Vec::new(),
    }
}

impl World for StandIn<'_> {
    type Lever = Action;
    type Running = Infallible;

    fn now(&self) -> Millis {
        self.now
    }

    fn timeout(&self) -> Duration {
        TIMEOUT
    }

    fn plan(&self, action: Action, _actor: &Actor) -> Result<Plan<Action>, String> {
        // the harness plays a release the cockpit drives: it has no controller steps
        if matches!(action, Action::NextStep | Action::Retry) {
            panic!("the cockpit asked a release it drives for a controller's {action}")
        }
        Ok(Plan::Pull(action))
    }

    fn bounded(&self, _lever: &Action) -> bool {
        true
    }

    fn pull(&mut self, pull: Pull<Action, Infallible>) -> Started<Infallible> {
        match pull.lever {
            Action::SetWeight { weight } => self.release.weight = weight,
            // refused by `plan`
            Action::NextStep | Action::Retry => {}
            Action::Pause | Action::Resume => {}
            Action::Promote => {
                self.release.primary = self.release.canary.clone();
                self.release.weight = Weight::ZERO;
                self.release.canary_replicas = 0;
                self.pods.primary = std::mem::take(&mut self.pods.canary);
            }
            Action::Rollback => {
                self.release.weight = Weight::ZERO;
                self.release.canary_replicas = 0;
                for p in &mut self.pods.canary {
                    p.status = PodStatus::Terminating;
                    p.ready = false;
                }
            }
        }
        done()
    }

    /// Testers' routes land on the release as a routing object would keep them.
    fn route(&mut self, job: RouteJob) -> Started<Infallible> {
        match job.change {
            RouteChange::Add { rule } => self.release.rules.push(rule),
            RouteChange::Clear => self.release.rules.retain(|r| r.owner != RuleOwner::Cockpit),
        }
        done()
    }
}

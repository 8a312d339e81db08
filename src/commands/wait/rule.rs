//! Which release `canary wait` waits for, and when it is over: pure, from each read of the
//! release.
//!
//! A release is known by a mark: Flagger's `status.lastAppliedSpec`, Argo Rollouts' current pod
//! template hash, the canary's image elsewhere. The wait takes the release under way at its
//! start; when the release it finds is already over, it waits for the next one (another mark,
//! or a release under way again). Flagger's release is over only once its promoted spec is the
//! applied one (`lastPromotedSpec` = `lastAppliedSpec`), so a success of the previous spec never
//! ends the wait; Argo's, once the stable hash is the current one and the rollout is Healthy.

use crate::cli::WaitFor;
use crate::live::Observed;
use crate::model::hold::Hold;
use crate::model::Phase;
use crate::provider::Routing;

/// How a release ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Promoted,
    RolledBack,
    Failed,
}

impl End {
    pub fn label(self) -> &'static str {
        match self {
            End::Promoted => "promoted",
            End::RolledBack => "rolled-back",
            End::Failed => "failed",
        }
    }
}

/// What one read of the release says, for the wait.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// Which release is shown (empty while unknown).
    pub mark: String,
    /// The release shown is over, and how.
    pub ended: Option<End>,
    /// Who must act, and how, when a person holds the release.
    pub human: Option<String>,
    pub canary_image: String,
    pub primary_image: String,
}

/// Reads what the wait needs from a release; `command` is how the verbs name it
/// (`rollout/shop -n prod`).
pub fn seen(o: &Observed, command: &str) -> Seen {
    let (mark, ended) = match &o.route.routing {
        Routing::Flagger(c) => {
            let applied = &c.last_applied_spec;
            let ended = match c.phase.as_str() {
                // a success counts for the applied spec only once Flagger promoted that spec
                "Succeeded" | "Initialized"
                    if c.last_promoted_spec.is_empty() || c.last_promoted_spec == *applied =>
                {
                    Some(End::Promoted)
                }
                "Failed" => Some(End::RolledBack),
                "Terminating" | "Terminated" => Some(End::Failed),
                _ => None,
            };
            (applied.clone(), ended)
        }
        Routing::Rollout(r) => (
            r.canary_hash.clone().unwrap_or_default(),
            phase_end(o.route.phase),
        ),
        _ => {
            let ended = phase_end(o.route.phase).or(o.route.ended.map(|e| match e {
                crate::provider::Ended::Promoted => End::Promoted,
                crate::provider::Ended::RolledBack => End::RolledBack,
            }));
            (o.snapshot.canary.image.clone(), ended)
        }
    };
    Seen {
        mark,
        ended,
        human: human(o, command),
        canary_image: o.snapshot.canary.image.clone(),
        primary_image: o.snapshot.primary.image.clone(),
    }
}

fn phase_end(phase: Option<Phase>) -> Option<End> {
    match phase? {
        Phase::Promoted => Some(End::Promoted),
        Phase::RolledBack => Some(End::RolledBack),
        Phase::Failed => Some(End::Failed),
        _ => None,
    }
}

/// Who holds the release and what they run to move it, when it waits for a person; a timed
/// pause step moves on by itself.
fn human(o: &Observed, command: &str) -> Option<String> {
    let promote = format!("`canary promote {command} --yes`");
    let rollback = format!("`canary rollback {command} --yes`");
    let controller = o.snapshot.controller.as_deref();
    let system = controller.map_or("the cockpit", |c| c.system());
    match controller.and_then(|c| c.hold.as_ref()) {
        Some(Hold::PauseStep {
            duration: Some(_), ..
        }) => None,
        Some(Hold::PauseStep { index, steps, .. }) => Some(format!(
            "{system} pause step {}/{steps} waits until promoted: {promote} or {rollback}",
            index + 1
        )),
        Some(Hold::Gate { gate }) => Some(format!(
            "{system} waits at the {gate} gate: open it from the cockpit (`canary watch {command} \
             --gate-listen ADDR`, P) or {rollback}"
        )),
        Some(Hold::Paused { field }) => Some(format!(
            "paused on the release ({field}): `canary resume {command}` or {rollback}"
        )),
        Some(Hold::Controller { reason }) => Some(format!(
            "{system} paused the release ({reason}): {promote} or {rollback}"
        )),
        None if o.snapshot.paused == Some(true) => Some(format!(
            "paused on the release (canary-cockpit.io/paused): `canary resume {command}` or \
             {rollback}"
        )),
        None => None,
    }
}

/// Whether `actual` (a pod's image) is `wanted`: the same reference, or the same with the
/// registry and path left out (`shop:1.5.0` for `registry.example.com/team/shop:1.5.0`).
pub fn same_image(actual: &str, wanted: &str) -> bool {
    !wanted.is_empty()
        && (actual == wanted
            || actual
                .strip_suffix(wanted)
                .is_some_and(|r| r.ends_with('/')))
}

/// Where the wait stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stage {
    /// The release shown at the start was over: waiting for another one (`skip` is its mark).
    Next { skip: String },
    /// Following the release with this mark.
    Ours { mark: String },
}

/// How the wait ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The release ended.
    Ended(End),
    /// A person must act: who and how.
    Human(String),
    /// The release with the image waited for was replaced by another before it ended.
    Replaced { by: String },
    /// The timeout passed first.
    Timeout,
}

/// What changed with a read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Waiting,
    /// The release to follow is now this one (`None`: it is the first).
    Follows {
        mark: String,
    },
    Ends(Ending),
}

/// The wait's state: what it waits for and which release.
#[derive(Clone, Debug)]
pub struct Waiter {
    until: WaitFor,
    image: Option<String>,
    stage: Stage,
}

impl Waiter {
    /// The wait as the first read sets it up: the release under way, or the next one when the
    /// release shown is over (with `--image`: until the canary runs it).
    pub fn new(until: WaitFor, image: Option<String>, first: &Seen) -> Waiter {
        let stage = match first.ended {
            Some(_) => Stage::Next {
                skip: first.mark.clone(),
            },
            None => Stage::Ours {
                mark: first.mark.clone(),
            },
        };
        let mut w = Waiter {
            until,
            image,
            stage,
        };
        if w.image.is_some() {
            // not ours until the canary runs the image
            w.stage = Stage::Next {
                skip: first.mark.clone(),
            };
        }
        w
    }

    /// The mark of the release followed, once there is one.
    pub fn following(&self) -> Option<&str> {
        match &self.stage {
            Stage::Ours { mark } => Some(mark),
            Stage::Next { .. } => None,
        }
    }

    /// Takes one read of the release.
    pub fn observe(&mut self, s: &Seen) -> Step {
        let mut step = Step::Waiting;
        if let Some(image) = &self.image {
            // the image waited for already won: the primary runs it, the release promoted
            if same_image(&s.primary_image, image)
                && s.ended == Some(End::Promoted)
                && !same_image(&s.canary_image, image)
            {
                return Step::Ends(Ending::Ended(End::Promoted));
            }
        }
        match &self.stage {
            Stage::Next { skip } => {
                if let Some(image) = &self.image {
                    if !same_image(&s.canary_image, image) {
                        return Step::Waiting;
                    }
                    if s.ended.is_some() && s.mark == *skip && !skip.is_empty() {
                        // the canary runs it, but what ended is the release before it
                        return Step::Waiting;
                    }
                } else {
                    let another = !s.mark.is_empty() && s.mark != *skip;
                    if s.ended.is_some() && !another {
                        return Step::Waiting;
                    }
                }
                self.stage = Stage::Ours {
                    mark: s.mark.clone(),
                };
                step = Step::Follows {
                    mark: s.mark.clone(),
                };
            }
            Stage::Ours { mark } => {
                if !s.mark.is_empty() && s.mark != *mark {
                    if let Some(image) = &self.image {
                        if !same_image(&s.canary_image, image) {
                            return Step::Ends(Ending::Replaced {
                                by: s.canary_image.clone(),
                            });
                        }
                    }
                    // a newer release replaced the one followed: it is the one to wait for now
                    self.stage = Stage::Ours {
                        mark: s.mark.clone(),
                    };
                    step = Step::Follows {
                        mark: s.mark.clone(),
                    };
                }
            }
        }
        if let Some(end) = s.ended {
            return Step::Ends(Ending::Ended(end));
        }
        match &s.human {
            Some(who) if self.until != WaitFor::Ended => Step::Ends(Ending::Human(who.clone())),
            _ => step,
        }
    }

    /// The exit code of an ending: 0 as `--for` asks, 3 the other way, 4 a person must act.
    pub fn exit_code(&self, ending: &Ending) -> u8 {
        match (ending, self.until) {
            (Ending::Ended(End::Promoted), WaitFor::Promoted | WaitFor::Ended) => 0,
            (Ending::Ended(End::RolledBack | End::Failed), WaitFor::RolledBack) => 0,
            (Ending::Ended(_) | Ending::Replaced { .. }, _) => super::EXIT_ENDED_OTHERWISE,
            (Ending::Human(_), _) => super::EXIT_HUMAN,
            (Ending::Timeout, _) => super::EXIT_TIMEOUT,
        }
    }
}

#[cfg(test)]
#[path = "rule_tests.rs"]
mod tests;

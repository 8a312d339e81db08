//! What needs a human on the board, and why: a release waiting for one, failing, stalled, or
//! weighted with no ready canary pod. One reason per release, the most urgent first.

use crate::model::{Hold, Millis, Phase};
use serde::Serialize;

use super::entry::Facts;

/// A release's claim on the operator, most urgent first (the board sorts by it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "reason", rename_all = "snake_case")]
pub enum Attention {
    /// Failed checks, a Degraded, Failed or aborted release.
    Failing(String),
    /// A pause, a gate or a pause step that only a human ends.
    Waiting(String),
    /// No progress for longer than its step interval × 3, and at least 10 minutes.
    Stalled(String),
    /// The canary has weight and no ready pod.
    NoReadyCanary(String),
    /// Its context cannot be reached: what the board shows is as last seen.
    Unreachable(String),
    Fine,
}

/// The shortest time without progress that counts as stalled.
pub const STALL_FLOOR_MS: i64 = 10 * 60 * 1000;

impl Attention {
    /// The word in the ATTENTION column: `waiting`, `failing`.
    pub fn word(&self) -> &'static str {
        match self {
            Attention::Failing(_) => "failing",
            Attention::Waiting(_) => "waiting",
            Attention::Stalled(_) => "stalled",
            Attention::NoReadyCanary(_) => "no pods",
            Attention::Unreachable(_) => "unreachable",
            Attention::Fine => "",
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            Attention::Failing(r)
            | Attention::Waiting(r)
            | Attention::Stalled(r)
            | Attention::NoReadyCanary(r)
            | Attention::Unreachable(r) => r,
            Attention::Fine => "",
        }
    }

    /// The rank the board sorts by, most urgent first.
    pub fn rank(&self) -> u8 {
        match self {
            Attention::Failing(_) => 0,
            Attention::Waiting(_) => 1,
            Attention::Stalled(_) => 2,
            Attention::NoReadyCanary(_) => 3,
            Attention::Unreachable(_) => 4,
            Attention::Fine => 5,
        }
    }

    /// Whether the release needs a look.
    pub fn needs_look(&self) -> bool {
        !matches!(self, Attention::Fine)
    }
}

/// The controller's phase words that mean the release failed.
fn failed_word(phase: &str) -> bool {
    let p = phase.split_whitespace().next().unwrap_or_default();
    matches!(p, "Degraded" | "Failed" | "Aborted")
}

fn waiting(f: &Facts) -> Option<String> {
    match &f.hold {
        Some(Hold::PauseStep {
            index,
            steps,
            duration: None,
        }) => {
            return Some(format!(
                "waiting for a human: pause step {}/{steps} until promoted",
                index + 1
            ))
        }
        Some(Hold::Gate { gate }) => {
            return Some(format!("waiting for a human: held at the {gate} gate"))
        }
        Some(Hold::Paused { field }) => {
            return Some(format!("waiting for a human: paused by hand ({field})"))
        }
        _ => {}
    }
    if f.phase.starts_with("WaitingPromotion") {
        return Some("waiting for a human: WaitingPromotion".to_string());
    }
    if f.cockpit_paused {
        return Some("waiting for a human: paused by the cockpit".to_string());
    }
    None
}

fn failing(f: &Facts) -> Option<String> {
    let failed = f.state == Some(Phase::Failed) || failed_word(&f.phase);
    if !failed {
        return None;
    }
    let message = crate::hygiene::short(&f.message, 80);
    Some(if message.is_empty() {
        format!("failing: {}", f.phase)
    } else {
        format!("failing: {} ({message})", f.phase)
    })
}

/// Whether nothing is expected to move the release: over, paused or held.
fn resting(f: &Facts) -> bool {
    f.state.is_some_and(Phase::is_final)
        || matches!(f.state, Some(Phase::Paused))
        || f.hold.is_some()
        || f.cockpit_paused
        || matches!(f.weight, Some(0 | 100) | None)
}

fn stalled(f: &Facts, now: Millis) -> Option<String> {
    if resting(f) {
        return None;
    }
    let limit = f
        .interval_ms
        .map_or(STALL_FLOOR_MS, |i| i.saturating_mul(3).max(STALL_FLOOR_MS));
    let still = now.since(f.moved);
    (still > limit).then(|| {
        format!(
            "stalled: no progress for {} (limit {})",
            crate::model::Age(still),
            crate::model::Age(limit)
        )
    })
}

fn no_ready_canary(f: &Facts) -> Option<String> {
    let weighted = f.weight.is_some_and(|w| w > 0);
    let final_ = f.state.is_some_and(Phase::is_final);
    match f.ready[1] {
        Some(r) if weighted && !final_ && r.ready == 0 => Some(format!(
            "no ready canary pod while the canary has {}% of the traffic",
            f.weight.unwrap_or_default()
        )),
        _ => None,
    }
}

/// What `f` asks of the operator at `now`.
pub fn attention(f: &Facts, now: Millis) -> Attention {
    if let Some(why) = &f.unreadable {
        return Attention::Failing(format!("unreadable: {}", crate::hygiene::short(why, 80)));
    }
    if let Some(r) = failing(f) {
        return Attention::Failing(r);
    }
    if let Some(r) = waiting(f) {
        return Attention::Waiting(r);
    }
    if let Some(r) = no_ready_canary(f) {
        return Attention::NoReadyCanary(r);
    }
    if let Some(r) = stalled(f, now) {
        return Attention::Stalled(r);
    }
    Attention::Fine
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::board::entry::{Key, Ready};

    pub fn facts(target: &str) -> Facts {
        Facts {
            key: Key {
                context: "a".to_string(),
                namespace: "shop".to_string(),
                target: target.to_string(),
            },
            system: "argo-rollouts".to_string(),
            phase: "Progressing".to_string(),
            state: Some(Phase::Progressing),
            step: Some((2, 5)),
            weight: Some(20),
            ready: [
                Some(Ready {
                    ready: 3,
                    desired: 3,
                }),
                Some(Ready {
                    ready: 1,
                    desired: 1,
                }),
            ],
            metrics: None,
            hold: None,
            cockpit_paused: false,
            message: String::new(),
            since: Millis(0),
            since_seen: false,
            moved: Millis(0),
            interval_ms: None,
            unreadable: None,
            plans: Vec::new(),
        }
    }

    const MIN: i64 = 60_000;

    #[test]
    fn a_progressing_release_is_fine_until_it_stalls() {
        let f = facts("rollout/a");
        assert_eq!(attention(&f, Millis(9 * MIN)), Attention::Fine);
        let a = attention(&f, Millis(11 * MIN));
        assert!(matches!(a, Attention::Stalled(_)), "{a:?}");
        assert!(a.reason().contains("11m"), "{a:?}");
        // a step interval of 5 min: stalled after 15 min, not 10
        let f = Facts {
            interval_ms: Some(5 * MIN),
            ..f
        };
        assert_eq!(attention(&f, Millis(14 * MIN)), Attention::Fine);
        assert!(matches!(
            attention(&f, Millis(16 * MIN)),
            Attention::Stalled(_)
        ));
    }

    #[test]
    fn what_waits_for_a_human() {
        let indefinite = Facts {
            hold: Some(Hold::PauseStep {
                index: 1,
                steps: 4,
                duration: None,
            }),
            ..facts("rollout/a")
        };
        let a = attention(&indefinite, Millis(0));
        assert_eq!(
            a,
            Attention::Waiting("waiting for a human: pause step 2/4 until promoted".to_string())
        );
        // a timed pause step ends by itself
        let timed = Facts {
            hold: Some(Hold::PauseStep {
                index: 1,
                steps: 4,
                duration: Some("30s".to_string()),
            }),
            ..facts("rollout/a")
        };
        assert_eq!(attention(&timed, Millis(0)), Attention::Fine);
        let gate = Facts {
            hold: Some(Hold::Gate {
                gate: "confirm-promotion".to_string(),
            }),
            phase: "WaitingPromotion".to_string(),
            ..facts("canary/a")
        };
        assert!(attention(&gate, Millis(0))
            .reason()
            .contains("confirm-promotion"));
        let cockpit = Facts {
            cockpit_paused: true,
            state: None,
            ..facts("ingress/a")
        };
        assert_eq!(
            attention(&cockpit, Millis(0)).reason(),
            "waiting for a human: paused by the cockpit"
        );
        // a wait never turns into a stall
        assert!(matches!(
            attention(&cockpit, Millis(60 * MIN)),
            Attention::Waiting(_)
        ));
    }

    #[test]
    fn failing_wins_and_names_the_phase() {
        let f = Facts {
            phase: "Degraded".to_string(),
            state: Some(Phase::Failed),
            message: "RolloutAborted: metric error-rate failed".to_string(),
            cockpit_paused: true,
            ..facts("rollout/a")
        };
        let a = attention(&f, Millis(0));
        assert!(matches!(a, Attention::Failing(_)), "{a:?}");
        assert!(a.reason().contains("Degraded"), "{a:?}");
        assert!(a.reason().contains("error-rate"), "{a:?}");
        let flagger = Facts {
            phase: "Failed".to_string(),
            state: None,
            ..facts("canary/a")
        };
        assert!(matches!(
            attention(&flagger, Millis(0)),
            Attention::Failing(_)
        ));
    }

    #[test]
    fn no_ready_canary_only_while_weighted() {
        let mut f = facts("rollout/a");
        f.ready[1] = Some(Ready {
            ready: 0,
            desired: 2,
        });
        assert!(matches!(
            attention(&f, Millis(0)),
            Attention::NoReadyCanary(_)
        ));
        f.weight = Some(0);
        assert_eq!(attention(&f, Millis(0)), Attention::Fine);
    }

    #[test]
    fn the_order_is_urgency() {
        let mut all = [
            Attention::Fine,
            Attention::Stalled(String::new()),
            Attention::Waiting(String::new()),
            Attention::Failing(String::new()),
        ];
        all.sort();
        assert_eq!(all[0].word(), "failing");
        assert_eq!(all[1].word(), "waiting");
        assert_eq!(all[3].word(), "");
    }
}

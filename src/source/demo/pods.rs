//! Simulated pods: creation, readiness delay, crash loops with back-off, termination.

use super::rng::Rng;
use crate::model::{Millis, Pod, PodStatus};

/// How pods of one version behave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PodProfile {
    pub ready_after_ms: i64,
    pub crashloop: bool,
}

#[derive(Clone, Debug)]
pub struct SimPod {
    pub pod: Pod,
    profile: PodProfile,
    /// Next instant the crash loop changes state.
    next_change: Millis,
    terminating_until: Option<Millis>,
}

const CREATING_MS: i64 = 2000;
const CRASH_RUN_MS: i64 = 3000;
const TERMINATE_MS: i64 = 3000;

impl SimPod {
    pub fn new(name: String, now: Millis, profile: PodProfile, already_ready: bool) -> Self {
        let (status, ready) = if already_ready {
            (PodStatus::Running, true)
        } else {
            (PodStatus::ContainerCreating, false)
        };
        Self {
            pod: Pod {
                name,
                status,
                ready,
                restarts: 0,
                created_at: now,
                resources: Default::default(),
            },
            profile,
            next_change: now.plus_ms(CREATING_MS.min(profile.ready_after_ms)),
            terminating_until: None,
        }
    }

    pub fn is_terminating(&self) -> bool {
        self.terminating_until.is_some()
    }

    pub fn terminate(&mut self, now: Millis) {
        if self.terminating_until.is_none() {
            self.terminating_until = Some(now.plus_ms(TERMINATE_MS));
            self.pod.status = PodStatus::Terminating;
            self.pod.ready = false;
        }
    }

    /// Advances the pod to `now`; returns false once a terminating pod is gone.
    pub fn advance(&mut self, now: Millis) -> bool {
        if let Some(until) = self.terminating_until {
            return now < until;
        }
        let age = now.since(self.pod.created_at);
        if !self.profile.crashloop {
            if self.pod.ready {
                return true;
            }
            if age >= self.profile.ready_after_ms {
                self.pod.status = PodStatus::Running;
                self.pod.ready = true;
            } else if age >= CREATING_MS.min(self.profile.ready_after_ms) {
                self.pod.status = PodStatus::Running;
            }
            return true;
        }
        // crash loop: Running a few seconds, Error, back-off (5 s doubling to 40 s), Running again…
        while now >= self.next_change {
            match self.pod.status {
                PodStatus::ContainerCreating | PodStatus::CrashLoopBackOff => {
                    self.pod.status = PodStatus::Running;
                    self.next_change = self.next_change.plus_ms(CRASH_RUN_MS);
                }
                PodStatus::Running => {
                    self.pod.status = PodStatus::Error;
                    self.pod.restarts += 1;
                    self.next_change = self.next_change.plus_ms(1000);
                }
                _ => {
                    self.pod.status = PodStatus::CrashLoopBackOff;
                    let backoff = 5000 * (1i64 << self.pod.restarts.saturating_sub(1).min(3));
                    self.next_change = self.next_change.plus_ms(backoff);
                }
            }
        }
        true
    }
}

/// Pod names like `frontend-v2-7c9f8b6d4-x2k9q`.
pub fn pod_name(rng: &mut Rng, release: &str, version: &str, template_hash: &str) -> String {
    format!("{release}-{version}-{template_hash}-{}", rng.suffix(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_pod_becomes_ready_after_its_delay() {
        let profile = PodProfile {
            ready_after_ms: 6000,
            crashloop: false,
        };
        let mut p = SimPod::new("p".into(), Millis(0), profile, false);
        p.advance(Millis(1000));
        assert_eq!(p.pod.status, PodStatus::ContainerCreating);
        p.advance(Millis(3000));
        assert_eq!(
            (p.pod.status.clone(), p.pod.ready),
            (PodStatus::Running, false)
        );
        p.advance(Millis(6000));
        assert!(p.pod.ready);
    }

    #[test]
    fn crashlooping_pod_restarts_and_never_gets_ready() {
        let profile = PodProfile {
            ready_after_ms: 6000,
            crashloop: true,
        };
        let mut p = SimPod::new("p".into(), Millis(0), profile, false);
        let mut saw_backoff = false;
        for s in 1..120 {
            p.advance(Millis(s * 1000));
            assert!(!p.pod.ready);
            saw_backoff |= p.pod.status == PodStatus::CrashLoopBackOff;
        }
        assert!(saw_backoff);
        assert!(p.pod.restarts >= 3, "restarts {}", p.pod.restarts);
    }
}

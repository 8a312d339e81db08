//! Simulated CPU and memory of the demo's pods, as metrics-server would report them: a steady
//! figure per pod with a slow wobble, and memory that grows with the pod's age where the
//! scenario makes it leak. Deterministic: no draws from the simulation's random numbers, so the
//! traffic of a seed is the same with or without it.

use super::pods::SimPod;
use super::scenario::VersionSpec;
use crate::model::{quantity, Millis, Pod, PodResources, PodUsage, ResourceSample};

/// Seconds between two resource samples (metrics-server's usual resolution).
pub const SAMPLE_MS: i64 = 15_000;

/// How one version's pods use CPU and memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UsageProfile {
    cpu_millicores: f64,
    memory_bytes: f64,
    /// Memory added per minute of a pod's life.
    growth_bytes_per_min: f64,
    pub resources: PodResources,
}

impl UsageProfile {
    pub fn new(spec: &VersionSpec) -> Self {
        const MIB: f64 = 1024.0 * 1024.0;
        Self {
            cpu_millicores: spec.cpu_millicores,
            memory_bytes: spec.memory_mib * MIB,
            growth_bytes_per_min: spec.memory_growth_mib_per_min * MIB,
            resources: PodResources {
                cpu_request_millicores: spec.cpu_request.as_deref().and_then(quantity::millis),
                cpu_limit_millicores: None,
                memory_request_bytes: None,
                memory_limit_bytes: spec.memory_limit.as_deref().and_then(quantity::units),
            },
        }
    }

    /// One pod's usage at `now`.
    pub fn pod(&self, name: &str, created_at: Millis, now: Millis) -> PodUsage {
        let phase = name.bytes().map(f64::from).sum::<f64>();
        let secs = now.0 as f64 / 1000.0;
        let wobble = 1.0 + 0.06 * (secs / 40.0 + phase).sin();
        let age_min = now.since(created_at) as f64 / 60_000.0;
        let memory = self.memory_bytes * (1.0 + 0.02 * (secs / 90.0 + phase).sin())
            + self.growth_bytes_per_min * age_min;
        PodUsage {
            name: name.to_string(),
            cpu_millicores: (self.cpu_millicores * wobble).max(0.0).round() as u64,
            memory_bytes: memory.max(0.0).round() as u64,
        }
    }
}

/// A version's usage when its scenario does not say: a small web service.
pub fn default_cpu() -> f64 {
    120.0
}
pub fn default_memory() -> f64 {
    160.0
}
pub fn default_cpu_request() -> Option<String> {
    Some("250m".to_string())
}
pub fn default_memory_limit() -> Option<String> {
    Some("512Mi".to_string())
}

/// What metrics-server would report of both versions' ready pods at `now`.
pub fn sample(
    now: Millis,
    primary: (&UsageProfile, &[SimPod]),
    canary: (&UsageProfile, &[SimPod]),
) -> ResourceSample {
    let of = |(usage, pods): (&UsageProfile, &[SimPod])| {
        pods.iter()
            .filter(|p| p.pod.ready)
            .map(|p| usage.pod(&p.pod.name, p.pod.created_at, now))
            .collect()
    };
    ResourceSample {
        at: now,
        primary: of(primary),
        canary: of(canary),
    }
}

/// The pods as the cluster lists them: with their spec's request and limit.
pub fn specced(usage: &UsageProfile, pods: &[SimPod]) -> Vec<Pod> {
    pods.iter()
        .map(|p| Pod {
            resources: usage.resources,
            ..p.pod.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaking_pod_grows_with_its_age() {
        let spec: VersionSpec = toml::from_str(
            r#"version = "v2"
image = "i"
error_rate = 0.0
p99_ms = 100.0
memory_mib = 100.0
memory_growth_mib_per_min = 10.0
cpu_request = "250m"
memory_limit = "512Mi"
"#,
        )
        .unwrap();
        let p = UsageProfile::new(&spec);
        assert_eq!(p.resources.cpu_request_millicores, Some(250));
        assert_eq!(p.resources.memory_limit_bytes, Some(512 << 20));
        let young = p.pod("a", Millis(0), Millis(0)).memory_bytes;
        let old = p.pod("a", Millis(0), Millis(600_000)).memory_bytes;
        assert!(old > young + (90 << 20), "{young} → {old}");
        assert!(p.pod("a", Millis(0), Millis(0)).cpu_millicores > 0);
    }
}

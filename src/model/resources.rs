//! CPU and memory per pod and per version, as the resource metrics API (metrics.k8s.io, served by
//! metrics-server) or cAdvisor's series in Prometheus report them. Plain data.

use super::time::Millis;
use serde::{Deserialize, Serialize};

/// One pod's usage at one instant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodUsage {
    pub name: String,
    /// CPU in thousandths of a core.
    pub cpu_millicores: u64,
    /// Working-set memory in bytes.
    pub memory_bytes: u64,
}

/// Usage of both versions' pods, fetched together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSample {
    pub at: Millis,
    pub primary: Vec<PodUsage>,
    pub canary: Vec<PodUsage>,
}

/// What a pod's spec asks for and caps, summed over its containers; `None` where a container
/// sets none (a percentage of it would say nothing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PodResources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_request_millicores: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit_millicores: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_request_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit_bytes: Option<u64>,
}

impl ResourceSample {
    /// The sums over a version's pods: (millicores, bytes).
    pub fn totals(pods: &[PodUsage]) -> (u64, u64) {
        pods.iter().fold((0, 0), |(c, m), p| {
            (c + p.cpu_millicores, m + p.memory_bytes)
        })
    }
}

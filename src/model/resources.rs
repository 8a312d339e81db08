//! CPU and memory per pod and per version, as the resource metrics API (metrics.k8s.io, served by
//! metrics-server) or cAdvisor's series in Prometheus report them. Plain data.

use super::release::Side;
use super::time::Millis;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

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

impl ResourceSample {
    pub fn side(&self, side: Side) -> &[PodUsage] {
        match side {
            Side::Primary => &self.primary,
            Side::Canary => &self.canary,
        }
    }

    /// One pod's usage, by name.
    pub fn pod(&self, side: Side, name: &str) -> Option<&PodUsage> {
        self.side(side).iter().find(|p| p.name == name)
    }

    /// A version's average working-set memory per pod, in bytes; `None` without pods.
    pub fn memory_per_pod(&self, side: Side) -> Option<u64> {
        let pods = self.side(side);
        let (_, mem) = Self::totals(pods);
        (!pods.is_empty()).then(|| mem / pods.len() as u64)
    }
}

impl PodResources {
    pub fn is_empty(&self) -> bool {
        *self == PodResources::default()
    }
}

/// Usage as a whole percentage of a request or limit: `None` when the spec sets none.
pub fn share_of(usage: u64, of: Option<u64>) -> Option<u64> {
    of.filter(|&o| o > 0)
        .map(|o| (u128::from(usage) * 100 / u128::from(o)) as u64)
}

/// The resource samples of the last while, oldest first, bounded like the metrics history.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceHistory {
    samples: VecDeque<ResourceSample>,
    capacity: usize,
}

impl Default for ResourceHistory {
    /// An hour of samples taken every 15 s.
    fn default() -> Self {
        Self::with_capacity(240)
    }
}

/// How much a version's memory per pod grew between two samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryGrowth {
    /// Growth in percent of the first sample's average (negative when it shrank).
    pub percent: f64,
    /// Time between the two samples.
    pub over_ms: i64,
}

impl ResourceHistory {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            samples: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, sample: ResourceSample) {
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    pub fn latest(&self) -> Option<&ResourceSample> {
        self.samples.back()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &ResourceSample> + ExactSizeIterator {
        self.samples.iter()
    }

    /// The last `n` values of a version's average memory per pod, oldest first (samples without
    /// pods of that version are skipped).
    pub fn memory_series(&self, side: Side, n: usize) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .samples
            .iter()
            .rev()
            .filter_map(|s| s.memory_per_pod(side))
            .take(n)
            .collect();
        v.reverse();
        v
    }

    /// Growth of a version's average working-set memory per pod from the first kept sample with
    /// pods of that version to the latest one. `None` with fewer than two such samples, or when
    /// the first one is zero.
    pub fn memory_growth(&self, side: Side) -> Option<MemoryGrowth> {
        let mut with_pods = self
            .samples
            .iter()
            .filter_map(|s| s.memory_per_pod(side).map(|m| (s.at, m)));
        let (first_at, first) = with_pods.next()?;
        let (last_at, last) = with_pods.next_back()?;
        (first > 0).then(|| MemoryGrowth {
            percent: (last as f64 - first as f64) * 100.0 / first as f64,
            over_ms: last_at.since(first_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: i64, canary_mib: &[u64]) -> ResourceSample {
        ResourceSample {
            at: Millis(at),
            primary: vec![PodUsage {
                name: "p".into(),
                cpu_millicores: 100,
                memory_bytes: 100 << 20,
            }],
            canary: canary_mib
                .iter()
                .enumerate()
                .map(|(i, m)| PodUsage {
                    name: format!("c{i}"),
                    cpu_millicores: 50,
                    memory_bytes: m << 20,
                })
                .collect(),
        }
    }

    #[test]
    fn growth_of_memory_per_pod_from_first_to_latest() {
        let mut h = ResourceHistory::with_capacity(3);
        assert_eq!(h.memory_growth(Side::Canary), None);
        h.push(sample(0, &[]));
        h.push(sample(15_000, &[100, 100]));
        assert_eq!(h.memory_growth(Side::Canary), None, "one sample with pods");
        h.push(sample(30_000, &[120, 140]));
        let g = h.memory_growth(Side::Canary).unwrap();
        assert!((g.percent - 30.0).abs() < 1e-9, "{g:?}");
        assert_eq!(g.over_ms, 15_000);
        assert_eq!(h.memory_series(Side::Canary, 8), vec![100 << 20, 130 << 20]);
        h.push(sample(45_000, &[65]));
        assert_eq!(h.iter().len(), 3, "bounded");
        let g = h.memory_growth(Side::Canary).unwrap();
        assert!(
            (g.percent + 35.0).abs() < 1e-9 && g.over_ms == 30_000,
            "{g:?}"
        );
        assert_eq!(h.memory_growth(Side::Primary).unwrap().percent, 0.0);
    }

    #[test]
    fn shares_need_a_request_or_limit() {
        assert_eq!(share_of(250, Some(500)), Some(50));
        assert_eq!(share_of(250, None), None);
        assert_eq!(share_of(250, Some(0)), None);
    }
}

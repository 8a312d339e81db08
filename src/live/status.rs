//! `canary status TARGET`: the release as JSON (a stable contract) or as a table.

use crate::hygiene::field;
use crate::model::{Pod, RouteRule, RuleOwner};
use serde::Serialize;

use crate::provider::{Ended, Route};

use super::release::Observed;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusReport {
    pub target: String,
    pub namespace: String,
    pub provider: String,
    pub phase: String,
    pub weight: WeightReport,
    /// The rule that told which backend is the canary: `annotation`, `name`, `version`,
    /// `newer`, or `definition` where the release's object says it.
    pub canary_by: Option<&'static str>,
    /// Why, in words (`version order (v1 < v2)`); not in the JSON.
    #[serde(skip)]
    pub canary_why: String,
    pub versions: Vec<VersionReport>,
    /// Requests routed to the canary whatever the weight (headers, cookies).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bypass: Vec<String>,
    /// The testers' routes: the same rules as the cockpit reads and writes them, each with its
    /// owner (`cockpit`: `canary route --clear` removes it; `release`: the release's own).
    pub routes: Vec<RouteRule>,
    /// Per-version numbers from Prometheus, when one is configured (null where unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<MetricsReport>,
    /// Where the metrics came from: `monitoring/prometheus-k8s:9090 (found)`,
    /// `URL (--prometheus)`, `NS/SVC:PORT (--prometheus-service)`, `… (config)`; null with none.
    pub metrics_source: Option<String>,
    /// The statistical judge over its window, canary against primary, when metrics are there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judge: Option<crate::model::JudgeReport>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MetricsReport {
    pub primary: VersionMetrics,
    pub canary: VersionMetrics,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VersionMetrics {
    pub rps: Option<f64>,
    pub error_rate: Option<f64>,
    /// Share of 4xx; null without traffic or when the template has no 4xx query.
    pub error_4xx_rate: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

impl VersionMetrics {
    fn of(v: &crate::model::VersionSample) -> Self {
        VersionMetrics {
            rps: Some(v.rps),
            // no traffic is no error rate, not 0 %
            error_rate: v.error_rate(),
            error_4xx_rate: v.error_4xx_rate(),
            p50_ms: v.p50_ms,
            p95_ms: v.p95_ms,
            p99_ms: v.p99_ms,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WeightReport {
    pub canary: u8,
    pub primary: u8,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VersionReport {
    pub role: &'static str,
    pub name: String,
    pub image: String,
    pub pods: Vec<PodReport>,
    /// Sums over the pods the resource metrics reported; null when unknown.
    pub cpu_millicores: Option<u64>,
    pub memory_bytes: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PodReport {
    pub name: String,
    pub ready: bool,
    pub phase: String,
    pub restarts: u32,
    /// This pod's usage; null when unknown.
    pub cpu_millicores: Option<u64>,
    pub memory_bytes: Option<u64>,
    /// Its spec's requests and limits, summed over its containers; absent where unset.
    #[serde(flatten)]
    pub resources: crate::model::PodResources,
}

/// The release's phase: its controller's own word; for a release the cockpit drives, how the
/// cockpit ended it, else paused, else from the weight.
pub fn phase(route: &Route) -> String {
    if let Some(c) = &route.controller {
        return c.phase.clone();
    }
    if let Some(ended) = route.ended {
        return ended.label().to_string();
    }
    if route.paused {
        return "paused".to_string();
    }
    match route.weight.percent() {
        0 => "idle",
        100 => "full",
        _ => "progressing",
    }
    .to_string()
}

/// The release failed or was rolled back: `canary status` exits 3.
pub fn failed(route: &Route) -> bool {
    route.ended == Some(Ended::RolledBack)
        || matches!(
            route.phase,
            Some(crate::model::Phase::RolledBack | crate::model::Phase::Failed)
        )
}

impl StatusReport {
    pub fn new(o: &Observed) -> Self {
        let s = &o.snapshot;
        let pods = |pods: &[Pod]| {
            pods.iter()
                .map(|p| PodReport {
                    name: p.name.clone(),
                    ready: p.ready,
                    phase: p.status.label().to_string(),
                    restarts: p.restarts,
                    cpu_millicores: None,
                    memory_bytes: None,
                    resources: p.resources,
                })
                .collect()
        };
        StatusReport {
            target: o.target.to_string(),
            namespace: s.namespace.clone(),
            provider: s.source.clone(),
            phase: phase(&o.route),
            weight: WeightReport {
                canary: s.weight.percent(),
                primary: s.weight.complement().percent(),
            },
            canary_by: o.route.canary_by.map(|by| by.label()),
            canary_why: o.route.canary_why.clone(),
            versions: vec![
                VersionReport {
                    role: "primary",
                    name: s.primary.name.clone(),
                    image: s.primary.image.clone(),
                    pods: pods(&o.pods.primary),
                    cpu_millicores: None,
                    memory_bytes: None,
                },
                VersionReport {
                    role: "canary",
                    name: s.canary.name.clone(),
                    image: s.canary.image.clone(),
                    pods: pods(&o.pods.canary),
                    cpu_millicores: None,
                    memory_bytes: None,
                },
            ],
            bypass: o.bypass().to_vec(),
            routes: o.route.rules.clone(),
            metrics: None,
            metrics_source: None,
            judge: None,
        }
    }

    pub fn set_metrics(&mut self, s: &crate::model::MetricsSample) {
        self.metrics = Some(MetricsReport {
            primary: VersionMetrics::of(&s.primary),
            canary: VersionMetrics::of(&s.canary),
        });
    }

    /// CPU and memory per pod and their sums per version, from one sample; pods (and versions)
    /// it does not name stay unknown.
    pub fn set_resources(&mut self, s: &crate::model::ResourceSample) {
        for (v, usage) in self.versions.iter_mut().zip([&s.primary, &s.canary]) {
            if !usage.is_empty() {
                let (cpu, mem) = crate::model::ResourceSample::totals(usage);
                v.cpu_millicores = Some(cpu);
                v.memory_bytes = Some(mem);
            }
            for p in &mut v.pods {
                if let Some(u) = usage.iter().find(|u| u.name == p.name) {
                    p.cpu_millicores = Some(u.cpu_millicores);
                    p.memory_bytes = Some(u.memory_bytes);
                }
            }
        }
    }

    /// For people: the release line, then one block per version. Every value from the cluster
    /// passes the text hygiene as one field.
    pub fn to_table(&self) -> String {
        let f = |s: &str| field(s).into_owned();
        let mut out = format!(
            "{}  namespace {}  provider {}  phase {}  weight canary {} % / primary {} %\n",
            f(&self.target),
            f(&self.namespace),
            f(&self.provider),
            f(&self.phase),
            self.weight.canary,
            self.weight.primary
        );
        if let (Some(_), Some(canary)) = (self.canary_by, self.versions.get(1)) {
            out.push_str(&format!(
                "  canary {} decided by {}\n",
                f(&canary.name),
                f(&self.canary_why)
            ));
        }
        for rule in &self.routes {
            let owner = match rule.owner {
                RuleOwner::Cockpit => "the cockpit's",
                RuleOwner::Release => "the release's own",
            };
            let rule = f(&rule.to_string());
            out.push_str(&format!("  route to the canary: {rule} ({owner})\n"));
        }
        // a provider that reads its rules only as text
        if self.routes.is_empty() {
            for rule in &self.bypass {
                out.push_str(&format!("  bypasses the weight: {}\n", f(rule)));
            }
        }
        if let Some(j) = &self.judge {
            out.push_str(&format!("  judge: {} ({})\n", j.summary(), f(&j.reason)));
        }
        for v in &self.versions {
            let ready = v.pods.iter().filter(|p| p.ready).count();
            out.push_str(&format!(
                "\n{} {} ({})  {ready}/{} ready\n",
                v.role,
                f(&v.name),
                if v.image.is_empty() {
                    "no pods".to_string()
                } else {
                    f(&v.image)
                },
                v.pods.len()
            ));
            let rows: Vec<(String, String)> =
                v.pods.iter().map(|p| (f(&p.name), f(&p.phase))).collect();
            let width = rows
                .iter()
                .map(|(name, _)| name.chars().count())
                .max()
                .unwrap_or(4)
                .max(4);
            if !v.pods.is_empty() {
                out.push_str(&format!(
                    "  {:<width$}  READY  STATUS             RESTARTS\n",
                    "NAME"
                ));
            }
            for (p, (name, phase)) in v.pods.iter().zip(&rows) {
                out.push_str(&format!(
                    "  {name:<width$}  {:<5}  {phase:<17}  {}\n",
                    if p.ready { "yes" } else { "no" },
                    p.restarts
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VersionSample;

    #[test]
    fn version_metrics_carry_4xx_and_the_percentiles() {
        let measured = VersionSample {
            rps: 10.0,
            requests: 20.0,
            errors: 1.0,
            p99_ms: Some(480.0),
            errors_4xx: Some(3.0),
            p50_ms: Some(70.0),
            p95_ms: Some(260.0),
        };
        let report = MetricsReport {
            primary: VersionMetrics::of(&measured),
            // a template without a 4xx query or {quantile}
            canary: VersionMetrics::of(&VersionSample {
                errors_4xx: None,
                p50_ms: None,
                p95_ms: None,
                ..measured
            }),
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(
            json["primary"],
            serde_json::json!({"rps": 10.0, "error_rate": 0.05, "error_4xx_rate": 0.15,
                "p50_ms": 70.0, "p95_ms": 260.0, "p99_ms": 480.0})
        );
        assert_eq!(json["canary"]["error_4xx_rate"], serde_json::Value::Null);
        assert_eq!(json["canary"]["p50_ms"], serde_json::Value::Null);
        assert_eq!(json["canary"]["p99_ms"], 480.0);
    }
}

//! How a release's series are found in Prometheus, as its provider tells.

use crate::metrics::templates::Template;

/// How the release's series are found in Prometheus.
pub struct MetricsHints {
    /// The template of its traffic system.
    pub template: Template,
    /// The primary's and the canary's Ingress, `primary|canary`, for ingress-nginx series.
    pub ingresses: Result<String, String>,
    /// The workloads that tell the versions apart in mesh series, when the provider names them.
    pub workloads: Option<(String, String)>,
}

impl MetricsHints {
    /// A template alone: the provider names no Ingresses and no workloads.
    pub fn template(template: Template) -> Self {
        MetricsHints {
            template,
            ingresses: Err("the release has no ingress-nginx Ingresses".to_string()),
            workloads: None,
        }
    }
}

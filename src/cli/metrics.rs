//! The metrics flags: where Prometheus is (`--prometheus`, `--prometheus-service`, found in the
//! cluster unless `--no-prometheus`) and how the queries are shaped.

/// Where Prometheus is and how the queries are shaped (`canary watch`, `canary status`).
#[derive(Clone, Debug, clap::Args)]
pub struct MetricsArgs {
    /// Prometheus's base URL (credentials from CANARY_PROMETHEUS_TOKEN, or
    /// CANARY_PROMETHEUS_USER and CANARY_PROMETHEUS_PASSWORD; never recorded).
    #[arg(long, env = "CANARY_PROMETHEUS_URL", value_name = "URL")]
    pub prometheus: Option<String>,
    /// Prometheus inside the cluster, through the API server's service proxy.
    #[arg(
        long,
        value_name = "NAMESPACE/SERVICE:PORT",
        conflicts_with = "prometheus"
    )]
    pub prometheus_service: Option<String>,
    /// Seconds between refreshes (one request per series each).
    #[arg(long, default_value = "5", value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub metrics_interval: u64,
    /// The rate window of the queries (PromQL duration).
    #[arg(long, default_value = "1m", value_name = "DURATION")]
    pub metrics_window: String,
    /// The query template: ingress-nginx, istio, linkerd, app, or one of the config file's
    /// (default: the context's entry in the config file, else the release's traffic system).
    #[arg(long, value_name = "NAME")]
    pub metrics_template: Option<String>,
    /// The config file (default: $XDG_CONFIG_HOME/canary-cockpit/config.toml).
    #[arg(long, env = "CANARY_CONFIG", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// Do not look for a Prometheus Service in the cluster when none is given by flag,
    /// environment or config file.
    #[arg(long)]
    pub no_prometheus: bool,
    /// Where CPU and memory per pod come from: the resource metrics API (metrics-server),
    /// cAdvisor's series in Prometheus, or nowhere.
    #[arg(long, value_enum, default_value = "metrics-api", value_name = "SOURCE")]
    pub resources_from: ResourcesFrom,
}

/// The source of CPU and memory per pod (`--resources-from`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ResourcesFrom {
    /// `metrics.k8s.io/v1beta1` PodMetrics through the API server.
    #[default]
    MetricsApi,
    /// `container_cpu_usage_seconds_total` and `container_memory_working_set_bytes`.
    Prometheus,
    /// None: the columns stay hidden.
    Off,
}

impl Default for MetricsArgs {
    /// As the command line's defaults.
    fn default() -> Self {
        MetricsArgs {
            prometheus: None,
            prometheus_service: None,
            metrics_interval: 5,
            metrics_window: "1m".to_string(),
            metrics_template: None,
            config: None,
            no_prometheus: false,
            resources_from: ResourcesFrom::MetricsApi,
        }
    }
}

impl MetricsArgs {
    /// Prometheus given on the command line or in the environment (the config file may name one
    /// per context too).
    pub fn wanted(&self) -> bool {
        self.prometheus.is_some() || self.prometheus_service.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::ResourcesFrom;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn watch(args: &[&str]) -> Result<ResourcesFrom, String> {
        let mut argv = vec!["canary", "watch", "ingress/shop"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv).map(|c| c.command) {
            Ok(Some(Command::Watch(w))) => Ok(w.metrics.resources_from),
            Ok(other) => panic!("not a watch: {other:?}"),
            Err(e) => Err(e.kind().to_string()),
        }
    }

    #[test]
    fn resources_come_from_the_metrics_api_unless_told() {
        assert_eq!(watch(&[]), Ok(ResourcesFrom::MetricsApi));
        let from = |v: &str| watch(&["--resources-from", v]);
        assert_eq!(from("prometheus"), Ok(ResourcesFrom::Prometheus));
        assert_eq!(from("off"), Ok(ResourcesFrom::Off));
        assert_eq!(from("metrics-api"), Ok(ResourcesFrom::MetricsApi));
        assert!(from("kubelet").is_err());
    }
}

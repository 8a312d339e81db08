//! The config file (TOML): per-context Prometheus entries and the user's own query templates.
//! Found at `--config PATH`, else `CANARY_CONFIG`, else `$XDG_CONFIG_HOME/canary-cockpit/config.toml`
//! (`~/.config/…`); a missing default file is an empty config. Precedence: command line >
//! environment > file > built-in defaults. An invalid entry is reported with the file and the key.
//!
//! ```toml
//! [prometheus.prod-eu]              # the kubeconfig context
//! url = "https://prometheus.prod-eu.example.com"
//! # service = "monitoring/prometheus-k8s:9090"   (through the API server instead)
//! template = "istio"
//!
//! [[templates]]
//! name = "shop-app"
//! by = "version"
//! requests = 'sum by (version) (rate(shop_requests_total{namespace="{namespace}",version=~"{primary}|{canary}"}[{window}]))'
//! errors = 'sum by (version) (rate(shop_requests_total{namespace="{namespace}",version=~"{primary}|{canary}",code=~"5.."}[{window}]))'
//! # optional: without it 4xx show as "n/a"
//! errors_4xx = 'sum by (version) (rate(shop_requests_total{namespace="{namespace}",version=~"{primary}|{canary}",code=~"4.."}[{window}]))'
//! # {quantile} gives p50, p95 and p99; a query without it is taken as the p99 alone
//! p99_ms = '1000 * histogram_quantile({quantile}, sum by (version, le) (rate(shop_latency_seconds_bucket{namespace="{namespace}"}[{window}])))'
//! ```

use crate::alert::SinkEntry;
use crate::metrics::Template;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where Prometheus is, per kubeconfig context.
    #[serde(default)]
    pub prometheus: BTreeMap<String, PrometheusEntry>,
    /// Query templates beside (or replacing, by name) the built-in ones.
    #[serde(default)]
    pub templates: Vec<Template>,
    /// Named alert sinks for `--alert NAME` (see `alert::setup`).
    #[serde(default)]
    pub alerts: BTreeMap<String, SinkEntry>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusEntry {
    pub url: Option<String>,
    /// `NAMESPACE/SERVICE:PORT` through the API server's service proxy.
    pub service: Option<String>,
    pub template: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// The default file: `$XDG_CONFIG_HOME/canary-cockpit/config.toml`, else `~/.config/…`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("canary-cockpit").join("config.toml"))
}

pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string().trim().replace('\n', " "),
    })?;
    for (i, t) in config.templates.iter().enumerate() {
        if t.name.trim().is_empty() || t.by.trim().is_empty() {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: format!("templates[{i}]: `name` and `by` must not be empty"),
            });
        }
    }
    for (context, entry) in &config.prometheus {
        if entry.url.is_some() && entry.service.is_some() {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: format!("prometheus.{context}: set `url` or `service`, not both"),
            });
        }
    }
    crate::alert::setup::check_entries(&config.alerts, path).map_err(|e| match e {
        crate::alert::SetupError::Entry { key, message, .. } => ConfigError::Invalid {
            path: path.to_path_buf(),
            message: format!("alerts.{key}: {message}"),
        },
        other => ConfigError::Invalid {
            path: path.to_path_buf(),
            message: other.to_string(),
        },
    })?;
    Ok(config)
}

/// The config named on the command line (or `CANARY_CONFIG`), else the default file if present.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => match default_path() {
            Some(p) => (p, false),
            None => return Ok(Config::default()),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(source) => Err(ConfigError::Read { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_and_templates_are_read_and_bad_keys_named() {
        let text = r#"
[prometheus.prod]
url = "http://prom:9090"
template = "mine"

[[templates]]
name = "mine"
by = "version"
requests = "rate(a[{window}])"
errors = "rate(b[{window}])"
p99_ms = "c"
"#;
        let c = parse(text, Path::new("c.toml")).unwrap();
        assert_eq!(
            c.prometheus["prod"].url.as_deref(),
            Some("http://prom:9090")
        );
        assert_eq!(c.templates[0].by, "version");
        let err = parse("[prometheus.prod]\nurll = \"x\"\n", Path::new("c.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("config c.toml:") && msg.contains("urll"),
            "{msg}"
        );
        let err = parse(
            "[[templates]]\nname = \"x\"\nby = \"v\"\nrequests = \"a\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("errors"), "{err}");
        assert!(load(Some(Path::new("/nonexistent/canary.toml"))).is_err());
    }
}

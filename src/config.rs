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
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The config file, read and checked as TOML with known top-level tables. Each section is read
/// and checked when a command uses it, so a bad `[alerts]` entry stops `--alert` and `alert test`
/// but not `canary status`.
#[derive(Clone, Debug, Default)]
pub struct Config {
    path: PathBuf,
    text: String,
}

/// The top-level tables, each left unread.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Tables {
    prometheus: Option<IgnoredAny>,
    templates: Option<IgnoredAny>,
    alerts: Option<IgnoredAny>,
    analysis: Option<IgnoredAny>,
    keel: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct KeelSection {
    #[serde(default)]
    keel: KeelEntry,
}

/// `[keel]`: where Keel's HTTP API is (`url`) and the Secret with its admin's basic auth
/// (`secret = "NAMESPACE/NAME"`, keys `BASIC_AUTH_USER` and `BASIC_AUTH_PASSWORD`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeelEntry {
    pub url: Option<String>,
    pub secret: Option<String>,
}

#[derive(Deserialize)]
struct AnalysisSection {
    #[serde(default)]
    analysis: AnalysisEntry,
}

/// `[analysis]`: how the cockpit's own analysis judges.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalysisEntry {
    judge: Option<crate::model::JudgeKind>,
}

#[derive(Deserialize)]
struct PrometheusSection {
    /// Where Prometheus is, per kubeconfig context.
    #[serde(default)]
    prometheus: BTreeMap<String, PrometheusEntry>,
}

#[derive(Deserialize)]
struct TemplatesSection {
    /// Query templates beside (or replacing, by name) the built-in ones.
    #[serde(default)]
    templates: Vec<Template>,
}

#[derive(Deserialize)]
struct AlertsSection {
    /// Named alert sinks for `--alert NAME` (see `alert::setup`).
    #[serde(default)]
    alerts: BTreeMap<String, SinkEntry>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusEntry {
    pub url: Option<String>,
    /// `NAMESPACE/SERVICE:PORT` through the API server's service proxy.
    pub service: Option<String>,
    pub template: Option<String>,
}

/// A config file that cannot be used: a usage error (exit 2) wherever it stops a command.
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

/// Reads `text` as a config file: TOML, with no top-level table the cockpit does not know.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let config = Config {
        path: path.to_path_buf(),
        text: text.to_string(),
    };
    config.section::<Tables>()?;
    Ok(config)
}

impl Config {
    fn invalid(&self, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone(),
            message,
        }
    }

    /// One section of the file, the others left unread.
    fn section<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str(&self.text)
            .map_err(|e| self.invalid(e.to_string().trim().replace('\n', " ")))
    }

    /// `[prometheus.CONTEXT]`: where Prometheus is, per kubeconfig context.
    pub fn prometheus(&self) -> Result<BTreeMap<String, PrometheusEntry>, ConfigError> {
        let entries = self.section::<PrometheusSection>()?.prometheus;
        for (context, entry) in &entries {
            if entry.url.is_some() && entry.service.is_some() {
                return Err(self.invalid(format!(
                    "prometheus.{context}: set `url` or `service`, not both"
                )));
            }
        }
        Ok(entries)
    }

    /// `[[templates]]`: the user's own query templates.
    pub fn templates(&self) -> Result<Vec<Template>, ConfigError> {
        let templates = self.section::<TemplatesSection>()?.templates;
        for (i, t) in templates.iter().enumerate() {
            if t.name.trim().is_empty() || t.by.trim().is_empty() {
                return Err(
                    self.invalid(format!("templates[{i}]: `name` and `by` must not be empty"))
                );
            }
        }
        Ok(templates)
    }

    /// `[alerts.NAME]`: the named alert sinks, every entry checked.
    pub fn alerts(&self) -> Result<BTreeMap<String, SinkEntry>, ConfigError> {
        let entries = self.section::<AlertsSection>()?.alerts;
        crate::alert::setup::check_entries(&entries, &self.path).map_err(|e| match e {
            crate::alert::SetupError::Entry { key, message, .. } => {
                self.invalid(format!("alerts.{key}: {message}"))
            }
            other => self.invalid(other.to_string()),
        })?;
        Ok(entries)
    }
}

impl Config {
    /// `[analysis] judge`: which judge decides, when the file says.
    pub fn judge(&self) -> Result<Option<crate::model::JudgeKind>, ConfigError> {
        Ok(self.section::<AnalysisSection>()?.analysis.judge)
    }
}

impl Config {
    /// `[keel]`: Keel's URL and the Secret of its basic auth, when the file says.
    pub fn keel(&self) -> Result<KeelEntry, ConfigError> {
        Ok(self.section::<KeelSection>()?.keel)
    }
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
            c.prometheus().unwrap()["prod"].url.as_deref(),
            Some("http://prom:9090")
        );
        assert_eq!(c.templates().unwrap()[0].by, "version");
        let c = parse("[prometheus.prod]\nurll = \"x\"\n", Path::new("c.toml")).unwrap();
        let msg = c.prometheus().unwrap_err().to_string();
        assert!(
            msg.starts_with("config c.toml:") && msg.contains("urll"),
            "{msg}"
        );
        let c = parse(
            "[[templates]]\nname = \"x\"\nby = \"v\"\nrequests = \"a\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let err = c.templates().unwrap_err();
        assert!(err.to_string().contains("errors"), "{err}");
        assert!(load(Some(Path::new("/nonexistent/canary.toml"))).is_err());
    }

    #[test]
    fn each_section_is_checked_when_used() {
        let text = "[prometheus.prod]\nurl = \"http://prom:9090\"\n\n[alerts.ops]\ntype = \"pager\"\nurl = \"https://x/\"\n";
        let c = parse(text, Path::new("c.toml")).unwrap();
        assert!(c.prometheus().is_ok() && c.templates().unwrap().is_empty());
        let err = c.alerts().unwrap_err().to_string();
        assert!(err.contains("alerts.ops.type"), "{err}");
        // a table the cockpit does not know, or TOML that does not parse, is the file's fault
        let err = parse("[promethues.prod]\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("promethues"), "{err}");
        assert!(parse("[alerts\n", Path::new("c.toml")).is_err());
    }
}

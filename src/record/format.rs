//! The recording format: its name and version, the header line and the event lines.
//!
//! Versioning: a reader reads every minor version of its own major version (fields and event types
//! it does not know are ignored or skipped with a warning) and refuses any other major version.
//! Bump the minor version for additions that an older reader can safely ignore; bump the major
//! version when a field changes meaning, type or disappears.

use crate::app::Event;
use crate::model::Millis;
use serde::{Deserialize, Serialize};

use super::redact::redact_url;
use super::RecordError;

/// The value of the header's `format` field: marks a file as ours.
pub const FORMAT_NAME: &str = "canary-cockpit-session";
/// Readers refuse any other major version.
pub const FORMAT_MAJOR: u64 = 1;
/// Written by this cockpit; readers accept any minor version of their major version.
pub const FORMAT_MINOR: u64 = 5;

/// Where the recorded events came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SessionSource {
    /// The built-in simulation: replaying the same scenario and seed gives the same session.
    Demo { scenario: String, seed: u64 },
    /// A live cluster. Names only: never a kubeconfig, token or credential.
    Cluster {
        context: String,
        namespace: String,
        provider: String,
        target: String,
    },
}

impl SessionSource {
    pub fn demo(scenario: impl Into<String>, seed: u64) -> Self {
        SessionSource::Demo {
            scenario: scenario.into(),
            seed,
        }
    }

    /// A cluster source. Each field passes through [`redact_url`], so a context or target that
    /// happens to be a URL loses its user info and query before it reaches the file.
    pub fn cluster(context: &str, namespace: &str, provider: &str, target: &str) -> Self {
        SessionSource::Cluster {
            context: redact_url(context),
            namespace: redact_url(namespace),
            provider: redact_url(provider),
            target: redact_url(target),
        }
    }
}

/// The first line of a recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// `"<major>.<minor>"` of the format the file was written in.
    pub version: String,
    /// The version of the cockpit that wrote the file.
    pub cockpit: String,
    pub source: SessionSource,
    /// When the session started, in milliseconds since the Unix epoch (virtual time in the demo).
    pub started_at: Millis,
    /// The name of the release.
    pub release: String,
    /// Expected time between observations in milliseconds: replay marks data older than three of
    /// these as stale, as the live cockpit did. Absent: the cockpit's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_ms: Option<i64>,
}

impl Header {
    /// A header for the current format version and this cockpit.
    pub fn new(source: SessionSource, started_at: Millis, release: impl Into<String>) -> Self {
        Header {
            format: FORMAT_NAME.to_string(),
            version: format!("{FORMAT_MAJOR}.{FORMAT_MINOR}"),
            cockpit: env!("CARGO_PKG_VERSION").to_string(),
            source,
            started_at,
            release: release.into(),
            refresh_ms: None,
        }
    }

    pub fn with_refresh_ms(mut self, refresh_ms: i64) -> Self {
        self.refresh_ms = Some(refresh_ms);
        self
    }

    /// Whether the file records the alerts it raised (format 1.4 on). Older files are replayed
    /// by raising them again, for the event log only.
    pub fn records_alerts(&self) -> bool {
        self.minor().is_some_and(|minor| minor >= 4)
    }

    /// Whether the file records the statistical judge's reports (`judged`, format 1.5 on). Older
    /// files are replayed by judging their samples again.
    pub fn records_judgements(&self) -> bool {
        self.minor().is_some_and(|minor| minor >= 5)
    }

    fn minor(&self) -> Option<u64> {
        self.version
            .split_once('.')
            .and_then(|(_, minor)| minor.parse::<u64>().ok())
    }

    /// The cockpit of a replay of this file: `config` is the viewer's; read-only, stale data
    /// marked with the recorded refresh interval, alerts shown as recorded.
    pub fn replay_config(&self, config: crate::app::AppConfig) -> crate::app::AppConfig {
        let refresh_ms = self.refresh_ms.unwrap_or(config.refresh_ms);
        crate::app::AppConfig {
            refresh_ms,
            raise_alerts: !self.records_alerts(),
            record_judgements: !self.records_judgements(),
            ..crate::app::AppConfig::replay(config)
        }
    }
}

/// One event line as written: `{"t":<ms>,"event":{"type":...}}`.
#[derive(Serialize)]
pub(crate) struct LineOut<'a> {
    pub t: Millis,
    pub event: &'a Event,
}

/// One event line as read.
#[derive(Deserialize)]
pub(crate) struct LineIn {
    pub t: Millis,
    pub event: Event,
}

/// The two fields every version of the header keeps, read before anything else.
#[derive(Deserialize)]
struct Probe {
    format: Option<String>,
    version: Option<serde_json::Value>,
}

/// Parses and checks the header line. `path` only names the file in errors.
pub(crate) fn parse_header(line: &[u8], path: &std::path::Path) -> Result<Header, RecordError> {
    let not_ours = |reason: String| RecordError::NotARecording {
        path: path.to_path_buf(),
        reason,
    };
    let probe: Probe = serde_json::from_slice(line)
        .map_err(|_| not_ours("its first line is not a recording header".to_string()))?;
    if probe.format.as_deref() != Some(FORMAT_NAME) {
        return Err(not_ours(format!(
            "its first line does not say \"format\":\"{FORMAT_NAME}\""
        )));
    }
    let version = match probe.version {
        Some(serde_json::Value::String(v)) => v,
        Some(other) => {
            return Err(RecordError::UnsupportedFormat {
                found: other.to_string(),
            })
        }
        None => {
            return Err(RecordError::BadHeader {
                path: path.to_path_buf(),
                reason: "no format version".to_string(),
            })
        }
    };
    check_version(&version)?;
    serde_json::from_slice(line).map_err(|e| RecordError::BadHeader {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Accepts `"<FORMAT_MAJOR>.<any minor>"`; refuses newer major versions with an upgrade hint.
pub(crate) fn check_version(version: &str) -> Result<(), RecordError> {
    let unsupported = || RecordError::UnsupportedFormat {
        found: version.chars().take(40).collect(),
    };
    let (major, minor) = version.split_once('.').ok_or_else(unsupported)?;
    let major: u64 = major.parse().map_err(|_| unsupported())?;
    minor.parse::<u64>().map_err(|_| unsupported())?;
    if major > FORMAT_MAJOR {
        Err(RecordError::NewerFormat { found_major: major })
    } else if major < FORMAT_MAJOR {
        Err(unsupported())
    } else {
        Ok(())
    }
}

//! The Prometheus that discovery found, kept per kubeconfig context in the state directory
//! (`prometheus-found.json`, 0600) with the time it was found. At the next start one probe
//! confirms it, and the Services of the monitoring namespaces are listed again only when it stops
//! answering ([`super::prometheus_discovery::discover`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::prometheus_discovery::Candidate;
use crate::model::Millis;

/// The file's name in the state directory.
pub const FILE: &str = "prometheus-found.json";

/// One context's Prometheus, as found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub namespace: String,
    pub service: String,
    pub port: u16,
    pub rank: u8,
    /// When discovery found it, RFC 3339 (UTC).
    pub found_at: String,
}

impl Entry {
    pub fn candidate(&self) -> Candidate {
        Candidate {
            namespace: self.namespace.clone(),
            name: self.service.clone(),
            port: self.port,
            rank: self.rank,
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Found {
    #[serde(default)]
    contexts: BTreeMap<String, Entry>,
}

/// The file of the found Prometheus per context.
#[derive(Clone, Debug)]
pub struct Cache {
    path: PathBuf,
}

impl Cache {
    /// The cache in the state directory (`$XDG_STATE_HOME/canary-cockpit`).
    pub fn in_state_dir() -> Cache {
        Cache::at(crate::paths::state_dir().join(FILE))
    }

    pub fn at(path: impl Into<PathBuf>) -> Cache {
        Cache { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file holds; nothing when it is missing or unreadable (said in the log file).
    fn read(&self) -> Found {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Found::default(),
            Err(e) => {
                tracing::info!(path = %self.path.display(), error = %e, "the found Prometheus cannot be read");
                return Found::default();
            }
        };
        serde_json::from_str(&text).unwrap_or_else(|e| {
            tracing::info!(path = %self.path.display(), error = %e, "the found Prometheus is not readable JSON; discovery looks again");
            Found::default()
        })
    }

    fn write(&self, found: &Found) {
        let written = (|| -> std::io::Result<()> {
            use std::io::Write;
            crate::files::private_parent(&self.path)?;
            let text = serde_json::to_string_pretty(found).map_err(std::io::Error::other)?;
            // written beside, then renamed: a reader never sees half a file
            let tmp = self
                .path
                .with_extension(format!("json.{}", std::process::id()));
            let mut file = crate::files::create_private(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = written {
            tracing::info!(path = %self.path.display(), error = %e, "the found Prometheus cannot be kept");
        }
    }

    /// The Prometheus found for `context`, if one was kept.
    pub fn get(&self, context: &str) -> Option<Entry> {
        self.read().contexts.remove(context)
    }

    /// Keeps `candidate` as the Prometheus of `context`, found at `at`.
    pub fn put(&self, context: &str, candidate: &Candidate, at: Millis) {
        let mut found = self.read();
        let found_at = k8s_openapi::jiff::Timestamp::from_millisecond(at.0)
            .map(|t| t.to_string())
            .unwrap_or_default();
        found.contexts.insert(
            context.to_string(),
            Entry {
                namespace: candidate.namespace.clone(),
                service: candidate.name.clone(),
                port: candidate.port,
                rank: candidate.rank,
                found_at,
            },
        );
        self.write(&found);
    }

    /// Forgets the Prometheus of `context` (it stopped answering).
    pub fn forget(&self, context: &str) {
        let mut found = self.read();
        if found.contexts.remove(context).is_some() {
            self.write(&found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_keeps_its_prometheus_with_the_time_it_was_found() {
        let dir = std::env::temp_dir().join(format!("canary-prom-cache-{}", std::process::id()));
        let cache = Cache::at(dir.join("state").join(FILE));
        assert_eq!(cache.get("prod"), None, "nothing kept yet");
        let c = Candidate {
            namespace: "monitoring".to_string(),
            name: "prometheus-k8s".to_string(),
            port: 9090,
            rank: 0,
        };
        cache.put("prod", &c, Millis(1_767_225_600_000));
        cache.put(
            "staging",
            &Candidate {
                port: 80,
                ..c.clone()
            },
            Millis(0),
        );
        let kept = cache.get("prod").expect("kept");
        assert_eq!(kept.candidate(), c);
        assert_eq!(kept.found_at, "2026-01-01T00:00:00Z");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cache.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        cache.forget("prod");
        assert_eq!(cache.get("prod"), None);
        assert_eq!(cache.get("staging").map(|e| e.port), Some(80));
        // a file that is not the cache's is no error: discovery looks again
        std::fs::write(cache.path(), "not json").unwrap();
        assert_eq!(cache.get("staging"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

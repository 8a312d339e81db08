//! From `--alert NAME` to sinks. NAME is an entry of the config file's `[alerts]` table, or a sink
//! type whose URL is in `CANARY_ALERT_<TYPE>_URL`, or `flagger` (the release's own
//! AlertProviders, resolved by the Flagger provider). Everything is checked before anything is
//! sent: a bad entry names the file and key, a missing variable names the variable.
//!
//! ```toml
//! [alerts.oncall]
//! type = "slack"                       # discord | slack | teams | gchat | rocket | webhook
//! url_env = "ONCALL_SLACK_URL"         # or url = "https://hooks.slack.com/services/…"
//! min_severity = "warn"                # info | warn | error (default info)
//! events = ["automatic_rollback", "operator_rollback", "promotion_stopped"]
//! contexts = ["prod-eu"]               # only on these kubeconfig contexts
//! channel = "#releases"                # Slack, Rocket.Chat
//! username = "canary-cockpit"
//! ```

use super::sink::{SecretUrl, Sink, SinkKind};
use crate::model::{AlertEvent, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The name that stands for the release's own Flagger AlertProviders.
pub const FLAGGER: &str = "flagger";

/// One `[alerts.NAME]` entry of the config file, as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: Option<String>,
    /// The environment variable that holds the URL, so that the file holds no secret.
    pub url_env: Option<String>,
    pub min_severity: Option<String>,
    pub events: Option<Vec<String>>,
    pub contexts: Option<Vec<String>>,
    pub channel: Option<String>,
    pub username: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SetupError {
    #[error("config {}: alerts.{key}: {message}", path.display())]
    Entry {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error(
        "--alert {name}: the environment variable {var} is not set (it holds the webhook URL)"
    )]
    MissingVar { name: String, var: String },
    #[error("--alert {name}: the environment variable {var} {message}")]
    BadVar {
        name: String,
        var: String,
        message: String,
    },
    #[error("--alert {name}: no such sink: not an entry of [alerts] in {config}, nor a type ({types}), nor `flagger`")]
    Unknown {
        name: String,
        config: String,
        types: String,
    },
}

/// What `--alert` names resolve to.
#[derive(Clone, Debug, Default)]
pub struct Resolved {
    pub sinks: Vec<Sink>,
    /// `--alert flagger` was given: the release's AlertProviders join once the release is known.
    pub flagger: bool,
    /// Entries left out, and why (another kubeconfig context), for the event log.
    pub notes: Vec<String>,
}

/// Checks every entry of the config's `[alerts]` table, used or not.
pub fn check_entries(entries: &BTreeMap<String, SinkEntry>, path: &Path) -> Result<(), SetupError> {
    for (name, entry) in entries {
        from_entry(name, entry, path, &|_| None, true)?;
    }
    Ok(())
}

/// Resolves the names of `--alert`. `var` reads the environment; `context` is the kubeconfig
/// context (`None` for the demo, where every entry applies).
pub fn resolve(
    names: &[String],
    entries: &BTreeMap<String, SinkEntry>,
    path: Option<&Path>,
    context: Option<&str>,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolved, SetupError> {
    let mut out = Resolved::default();
    let file = path.map_or_else(|| PathBuf::from("(no config file)"), Path::to_path_buf);
    for name in names {
        let name = name.trim();
        if out.sinks.iter().any(|s| s.name == name) {
            continue;
        }
        if let Some(entry) = entries.get(name) {
            if let (Some(ctx), Some(list)) = (context, &entry.contexts) {
                if !list.iter().any(|c| c == ctx) {
                    out.notes.push(format!(
                        "alert sink {name} is for the contexts {} and this is {ctx}: not used",
                        list.join(", ")
                    ));
                    continue;
                }
            }
            out.sinks.push(from_entry(name, entry, &file, var, false)?);
        } else if let Some(kind) = SinkKind::parse(name).filter(|k| k.name() == name) {
            let env = kind.env_var();
            let value = var(&env).filter(|v| !v.trim().is_empty());
            let Some(value) = value else {
                return Err(SetupError::MissingVar {
                    name: name.to_string(),
                    var: env,
                });
            };
            let url = SecretUrl::parse(&value).map_err(|message| SetupError::BadVar {
                name: name.to_string(),
                var: env.clone(),
                message: format!("does not hold a webhook URL: {message}"),
            })?;
            out.sinks.push(Sink::new(name, kind, url));
        } else if name == FLAGGER {
            out.flagger = true;
        } else {
            return Err(SetupError::Unknown {
                name: name.to_string(),
                config: file.display().to_string(),
                types: SinkKind::ALL.map(SinkKind::name).join(", "),
            });
        }
    }
    Ok(out)
}

/// One entry as a sink. With `only_check`, a variable that is not set is no error: the entry
/// may be meant for another machine.
fn from_entry(
    name: &str,
    entry: &SinkEntry,
    path: &Path,
    var: &dyn Fn(&str) -> Option<String>,
    only_check: bool,
) -> Result<Sink, SetupError> {
    let bad = |key: &str, message: String| SetupError::Entry {
        path: path.to_path_buf(),
        key: format!("{name}.{key}"),
        message,
    };
    let kind = SinkKind::parse(&entry.kind).ok_or_else(|| {
        bad(
            "type",
            format!(
                "unknown sink type {:?}: use one of {}",
                entry.kind,
                SinkKind::ALL.map(SinkKind::name).join(", ")
            ),
        )
    })?;
    let min_severity = match &entry.min_severity {
        Some(s) => Severity::parse(s)
            .ok_or_else(|| bad("min_severity", format!("{s:?}: use info, warn or error")))?,
        None => Severity::Info,
    };
    let events = match &entry.events {
        Some(list) => Some(
            list.iter()
                .map(|e| {
                    AlertEvent::parse(e).ok_or_else(|| {
                        bad(
                            "events",
                            format!(
                                "unknown event {e:?}: use {}",
                                AlertEvent::ALL.map(AlertEvent::name).join(", ")
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let placeholder = || SecretUrl::parse("http://placeholder.invalid/").map_err(|e| bad("url", e));
    let url = match (&entry.url, &entry.url_env) {
        (Some(_), Some(_)) => return Err(bad("url", "set `url` or `url_env`, not both".into())),
        (None, None) => return Err(bad("url", "set `url` or `url_env`".into())),
        (Some(u), None) => SecretUrl::parse(u).map_err(|e| bad("url", e))?,
        (None, Some(v)) => match var(v).filter(|x| !x.trim().is_empty()) {
            Some(value) => SecretUrl::parse(&value).map_err(|e| SetupError::BadVar {
                name: name.to_string(),
                var: v.clone(),
                message: format!("does not hold a webhook URL: {e}"),
            })?,
            None if only_check => placeholder()?,
            None => {
                return Err(SetupError::MissingVar {
                    name: name.to_string(),
                    var: v.clone(),
                })
            }
        },
    };
    Ok(Sink {
        name: name.to_string(),
        kind,
        url,
        min_severity,
        events,
        channel: entry.channel.clone(),
        username: entry.username.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(toml_text: &str) -> BTreeMap<String, SinkEntry> {
        #[derive(Deserialize)]
        struct File {
            alerts: BTreeMap<String, SinkEntry>,
        }
        toml::from_str::<File>(toml_text).unwrap().alerts
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn types_take_their_url_from_the_environment() {
        let var = env(&[(
            "CANARY_ALERT_DISCORD_URL",
            "https://discord.com/api/webhooks/1/t",
        )]);
        let r = resolve(&["discord".into()], &BTreeMap::new(), None, None, &var).unwrap();
        assert_eq!(r.sinks.len(), 1);
        assert_eq!(r.sinks[0].kind, SinkKind::Discord);
        let err = resolve(&["slack".into()], &BTreeMap::new(), None, None, &var).unwrap_err();
        assert!(err.to_string().contains("CANARY_ALERT_SLACK_URL"), "{err}");
        let err = resolve(&["pager".into()], &BTreeMap::new(), None, None, &var).unwrap_err();
        assert!(err.to_string().contains("no such sink"), "{err}");
        let r = resolve(&["flagger".into()], &BTreeMap::new(), None, None, &var).unwrap();
        assert!(r.flagger && r.sinks.is_empty());
    }

    #[test]
    fn entries_are_checked_and_named() {
        let path = Path::new("/etc/c.toml");
        let e = entries("[alerts.ops]\ntype = \"pagerduty\"\nurl = \"https://x/\"\n");
        let err = check_entries(&e, path).unwrap_err().to_string();
        assert!(
            err.contains("/etc/c.toml") && err.contains("alerts.ops.type"),
            "{err}"
        );
        let e = entries("[alerts.ops]\ntype = \"slack\"\nurl = \"ftp://x/\"\n");
        let err = check_entries(&e, path).unwrap_err().to_string();
        assert!(
            err.contains("alerts.ops.url") && err.contains("ftp"),
            "{err}"
        );
        let e = entries("[alerts.ops]\ntype = \"slack\"\nurl_env = \"OPS_URL\"\nmin_severity = \"warn\"\nevents = [\"automatic_rollback\"]\ncontexts = [\"prod\"]\n");
        check_entries(&e, path).unwrap();
        let err = resolve(&["ops".into()], &e, Some(path), Some("prod"), &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("OPS_URL"), "{err}");
        let var = env(&[("OPS_URL", "https://hooks.slack.com/services/T/B/x")]);
        let r = resolve(&["ops".into()], &e, Some(path), Some("prod"), &var).unwrap();
        assert_eq!(r.sinks[0].min_severity, Severity::Warn);
        assert_eq!(r.sinks[0].events, Some(vec![AlertEvent::AutomaticRollback]));
        let r = resolve(&["ops".into()], &e, Some(path), Some("dev"), &var).unwrap();
        assert!(r.sinks.is_empty() && r.notes[0].contains("prod"));
    }
}

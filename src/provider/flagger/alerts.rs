//! Flagger's own alert configuration, for `--alert flagger`: the Canary's `spec.analysis.alerts`,
//! each naming an AlertProvider (flagger.app/v1beta1) by `providerRef` (in its `namespace`, else
//! the Canary's). As Flagger reads them:
//!
//! - the provider's `type` is the sink's kind (`msteams` is Teams);
//! - the webhook URL is `spec.address`, or, when `spec.secretRef` names a Secret, that Secret's
//!   `address` key, which wins;
//! - `channel` and `username` come from the provider's spec;
//! - the alert's `severity` is the sink's minimum: `info` (the default) takes everything, `warn`
//!   warnings and errors, `error` errors only.
//!
//! A provider that cannot be used (not readable, not found, of a type the cockpit does not speak,
//! without a usable URL) is one note naming it and why, never its URL; the others still become
//! sinks and the session goes on.

use super::Canary;
use crate::alert::sink::{SecretUrl, Sink, SinkKind};
use crate::cluster::dynamic::{self, Resource};
use crate::cluster::{Cluster, ClusterError};
use crate::model::Severity;
use k8s_openapi::api::core::v1::Secret;
use kube::api::DynamicObject;
use kube::Api;
use serde::Deserialize;
use serde_json::Value;

pub const ALERT_PROVIDER: Resource = Resource {
    group: "flagger.app",
    kind: "AlertProvider",
    plural: "alertproviders",
    versions: &["v1beta1"],
};

/// The key of the provider's Secret that holds the webhook URL.
const ADDRESS: &str = "address";

/// One entry of the Canary's `spec.analysis.alerts`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AlertRef {
    pub name: String,
    /// `info`, `warn` or `error`; empty means info.
    pub severity: String,
    pub provider_ref: ProviderRef,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ProviderRef {
    pub name: String,
    /// Empty: the Canary's namespace.
    pub namespace: String,
}

/// The entries of `spec.analysis.alerts` as written; an entry that is no alert is the reason.
pub fn refs(value: &Value) -> Vec<Result<AlertRef, String>> {
    let items = match value {
        Value::Null => return Vec::new(),
        Value::Array(items) => items,
        _ => return vec![Err("spec.analysis.alerts is not a list".to_string())],
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let alert: AlertRef = serde_json::from_value(item.clone())
                .map_err(|e| format!("spec.analysis.alerts[{i}] is not an alert ({e})"))?;
            if alert.provider_ref.name.is_empty() {
                return Err(format!(
                    "spec.analysis.alerts[{i}] ({}) names no providerRef.name",
                    alert.name
                ));
            }
            match severity(&alert.severity) {
                Some(_) => Ok(alert),
                None => Err(format!(
                    "spec.analysis.alerts[{i}] ({}) has severity {:?}, not info, warn or error",
                    alert.name, alert.severity
                )),
            }
        })
        .collect()
}

/// Why an alert or its provider gives no sink, as the note the event log shows.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AlertError {
    #[error("canary/{canary}: {what}; that alert is not sent")]
    Entry { canary: String, what: String },
    #[error("alert provider {provider}: {reason}; its alerts are not sent")]
    Provider { provider: String, reason: String },
    #[error("alert provider {provider}: cannot read Secret {secret} ({reason}); its alerts are not sent")]
    Secret {
        provider: String,
        secret: String,
        reason: String,
    },
}

/// An AlertProvider's spec, the fields the cockpit reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ProviderSpec {
    #[serde(rename = "type")]
    kind: String,
    address: String,
    secret_ref: Option<SecretRef>,
    channel: String,
    username: String,
    proxy: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SecretRef {
    name: String,
}

/// The sinks of the Canary's alerts, and a note for each alert or provider left out. One sink per
/// provider: two alerts naming the same provider give it the lower of their severities.
pub async fn alert_sinks(cluster: &Cluster, canary: &Canary) -> (Vec<Sink>, Vec<String>) {
    let mut sinks: Vec<Sink> = Vec::new();
    let mut notes = Vec::new();
    let mut unusable: Vec<String> = Vec::new();
    let home = Some(canary.namespace.as_str())
        .filter(|ns| !ns.is_empty())
        .unwrap_or(&cluster.namespace);
    for entry in &canary.alerts {
        let alert = match entry {
            Ok(alert) => alert,
            Err(what) => {
                let canary = canary.name.clone();
                let what = what.clone();
                notes.push(AlertError::Entry { canary, what }.to_string());
                continue;
            }
        };
        // `refs` let only the severities Flagger knows through
        let severity = severity(&alert.severity).unwrap_or(Severity::Info);
        let namespace = match alert.provider_ref.namespace.as_str() {
            "" => home,
            ns => ns,
        };
        let provider = format!("{namespace}/{}", alert.provider_ref.name);
        let name = format!("flagger/{provider}");
        if let Some(sink) = sinks.iter_mut().find(|s| s.name == name) {
            sink.min_severity = sink.min_severity.min(severity);
            continue;
        }
        if unusable.contains(&name) {
            continue;
        }
        match provider_sink(cluster, namespace, &alert.provider_ref.name).await {
            Ok((mut sink, more)) => {
                sink.name = name;
                sink.min_severity = severity;
                sinks.push(sink);
                notes.extend(more);
            }
            Err(e) => {
                unusable.push(name);
                notes.push(e.to_string());
            }
        }
    }
    (sinks, notes)
}

/// Flagger's severities; empty is its default, info.
fn severity(text: &str) -> Option<Severity> {
    match text.trim() {
        "" => Some(Severity::Info),
        t => Severity::parse(t),
    }
}

/// A failed call in words that name who may not do what, without the server's whole message.
fn reason(e: &ClusterError) -> String {
    match e {
        ClusterError::Forbidden {
            user,
            verb,
            resource,
            namespace,
            ..
        } => {
            let who = if user.is_empty() { "the user" } else { user };
            format!("forbidden: {who} may not {verb} {resource} in namespace {namespace}")
        }
        ClusterError::NotFound { .. } => "not found".to_string(),
        other => other.to_string(),
    }
}

/// The sink of the AlertProvider `namespace/name` (its name and severity still to set), and notes
/// on what of it the cockpit does not use.
async fn provider_sink(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
) -> Result<(Sink, Vec<String>), AlertError> {
    let at = Cluster {
        namespace: namespace.to_string(),
        ..cluster.clone()
    };
    let provider = format!("{namespace}/{name}");
    let unusable = |reason: String| AlertError::Provider {
        provider: provider.clone(),
        reason,
    };
    let obj = match dynamic::get(&at, ALERT_PROVIDER, name).await {
        Ok((obj, _)) => obj,
        Err(ClusterError::NotFound { .. }) => {
            return Err(unusable(format!(
                "no such AlertProvider in namespace {namespace}"
            )))
        }
        Err(e) => return Err(unusable(format!("cannot read it ({})", reason(&e)))),
    };
    let spec = spec_of(&obj).map_err(&unusable)?;
    kind_of(&spec).map_err(&unusable)?;
    let mut notes = Vec::new();
    let from_secret = match &spec.secret_ref {
        Some(r) => {
            let secret_name = format!("{namespace}/{}", r.name);
            let api: Api<Secret> = Api::namespaced(at.client.clone(), namespace);
            let secret = api.get(&r.name).await.map_err(|e| AlertError::Secret {
                provider: provider.clone(),
                secret: secret_name.clone(),
                reason: reason(&dynamic::call(&at, "get", "secrets", &r.name).error(e)),
            })?;
            let (address, token) = secret_address(&secret, &secret_name).map_err(&unusable)?;
            if token {
                notes.push(format!(
                    "alert provider {provider}: the token in Secret {secret_name} is not sent \
                     (the cockpit posts to the webhook URL alone)"
                ));
            }
            Some((address, secret_name))
        }
        None => None,
    };
    let sink = sink_of(&spec, from_secret).map_err(&unusable)?;
    if !spec.proxy.is_empty() {
        notes.push(format!(
            "alert provider {provider}: its proxy is not used (the cockpit posts directly)"
        ));
    }
    Ok((sink, notes))
}

fn spec_of(obj: &DynamicObject) -> Result<ProviderSpec, String> {
    match obj.data.get("spec") {
        None | Some(Value::Null) => Err("it has no spec".to_string()),
        Some(spec) => serde_json::from_value(spec.clone())
            .map_err(|e| format!("its spec is not an AlertProvider spec ({e})")),
    }
}

/// The webhook URL in the Secret's `address` key, and whether it also holds a `token`.
fn secret_address(secret: &Secret, name: &str) -> Result<(String, bool), String> {
    let data = secret.data.as_ref();
    let bytes = data
        .and_then(|d| d.get(ADDRESS))
        .ok_or_else(|| format!("Secret {name} has no key {ADDRESS}"))?;
    let address = String::from_utf8(bytes.0.clone())
        .map_err(|_| format!("the {ADDRESS} in Secret {name} is not text"))?;
    Ok((address, data.is_some_and(|d| d.contains_key("token"))))
}

fn kind_of(spec: &ProviderSpec) -> Result<SinkKind, String> {
    SinkKind::parse(&spec.kind).ok_or_else(|| {
        format!(
            "type {:?} is not one the cockpit speaks ({}, or msteams)",
            spec.kind,
            SinkKind::ALL.map(SinkKind::name).join(", ")
        )
    })
}

/// The sink a provider's spec describes, its URL from `from_secret` (the address and the
/// Secret's name) when it has a Secret, else `spec.address`.
fn sink_of(spec: &ProviderSpec, from_secret: Option<(String, String)>) -> Result<Sink, String> {
    let kind = kind_of(spec)?;
    let (address, whence) = match from_secret {
        Some((address, secret)) => (address, format!("the {ADDRESS} in Secret {secret}")),
        None if spec.address.trim().is_empty() => {
            return Err("it has no spec.address and no spec.secretRef".to_string())
        }
        None => (spec.address.clone(), "its spec.address".to_string()),
    };
    let url = SecretUrl::parse(&address)
        .map_err(|e| format!("{whence} is not an http(s) webhook URL: {e}"))?;
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(Sink {
        channel: text(&spec.channel),
        username: text(&spec.username),
        ..Sink::new("", kind, url)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(value: Value) -> ProviderSpec {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn alert_entries_read_with_their_reasons() {
        let refs = refs(&json!([
            {"name": "on-call", "severity": "warn", "providerRef": {"name": "slack", "namespace": "ops"}},
            {"name": "nobody", "providerRef": {}},
            "text",
            {"name": "loud", "severity": "fatal", "providerRef": {"name": "x"}}
        ]));
        let first = refs[0].as_ref().unwrap();
        assert_eq!(
            (first.provider_ref.name.as_str(), first.severity.as_str()),
            ("slack", "warn")
        );
        assert!(refs[1].as_ref().unwrap_err().contains("providerRef.name"));
        assert!(refs[2].as_ref().unwrap_err().contains("alerts[2]"));
        assert!(refs[3].as_ref().unwrap_err().contains("\"fatal\""));
        assert!(super::refs(&Value::Null).is_empty());
        assert_eq!(severity(""), Some(Severity::Info));
        assert_eq!(severity("error"), Some(Severity::Error));
        assert_eq!(severity("fatal"), None);
    }

    #[test]
    fn a_spec_becomes_a_sink_and_the_secret_wins() {
        let s = spec(
            json!({"type": "msteams", "address": "https://teams.example/hook/abc",
                            "channel": " ", "username": "flagger"}),
        );
        let sink = sink_of(&s, None).unwrap();
        assert_eq!(sink.kind, SinkKind::Teams);
        assert_eq!(sink.url.expose(), "https://teams.example/hook/abc");
        assert_eq!(
            (sink.channel, sink.username.as_deref()),
            (None, Some("flagger"))
        );
        let from_secret = Some(("http://127.0.0.1:9/s3cr3t".to_string(), "ns/x".to_string()));
        let sink = sink_of(&s, from_secret).unwrap();
        assert_eq!(sink.url.expose(), "http://127.0.0.1:9/s3cr3t");
    }

    #[test]
    fn unusable_specs_are_named_without_their_url() {
        let err = sink_of(
            &spec(json!({"type": "pagerduty", "address": "https://x/"})),
            None,
        )
        .unwrap_err();
        assert!(
            err.contains("\"pagerduty\"") && err.contains("msteams"),
            "{err}"
        );
        let err = sink_of(&spec(json!({"type": "slack"})), None).unwrap_err();
        assert!(err.contains("no spec.address"), "{err}");
        let bad = Some(("ftp://hooks.example/s3cr3t".to_string(), "ns/x".to_string()));
        let err = sink_of(&spec(json!({"type": "slack"})), bad).unwrap_err();
        assert!(err.contains("Secret ns/x") && err.contains("ftp"), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
    }

    #[test]
    fn the_secret_holds_the_address() {
        // as the API server returns it: `data` in base64
        let secret =
            |data: Value| serde_json::from_value::<Secret>(json!({ "data": data })).unwrap();
        let s = secret(json!({"address": "aHR0cHM6Ly9oL3g=", "token": "dA=="}));
        assert_eq!(
            secret_address(&s, "ns/x").unwrap(),
            ("https://h/x".to_string(), true)
        );
        let err = secret_address(&secret(json!({"url": "aHR0cHM6Ly9oL3g="})), "ns/x").unwrap_err();
        assert_eq!(err, "Secret ns/x has no key address");
        let err = secret_address(&secret(json!({"address": "//4="})), "ns/x").unwrap_err();
        assert!(err.contains("not text"), "{err}");
    }
}

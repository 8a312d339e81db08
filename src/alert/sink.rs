//! Sinks: where alerts go. A sink has a type (the service whose payload it speaks), a URL that is
//! a secret (it carries the webhook's token), and filters.

use crate::model::{AlertEvent, Severity};
use std::fmt;

/// The services the cockpit speaks to, each with the payload its documentation describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SinkKind {
    Discord,
    Slack,
    /// Microsoft Teams, through a Workflows webhook.
    Teams,
    /// Google Chat.
    Gchat,
    /// Rocket.Chat.
    Rocket,
    /// A generic POST of the cockpit's own JSON body.
    Webhook,
}

impl SinkKind {
    pub const ALL: [SinkKind; 6] = [
        SinkKind::Discord,
        SinkKind::Slack,
        SinkKind::Teams,
        SinkKind::Gchat,
        SinkKind::Rocket,
        SinkKind::Webhook,
    ];

    /// The name on the command line and in the config: `discord`, `slack`, `teams`, `gchat`,
    /// `rocket`, `webhook`.
    pub fn name(self) -> &'static str {
        match self {
            SinkKind::Discord => "discord",
            SinkKind::Slack => "slack",
            SinkKind::Teams => "teams",
            SinkKind::Gchat => "gchat",
            SinkKind::Rocket => "rocket",
            SinkKind::Webhook => "webhook",
        }
    }

    /// Reads a sink type by its name; Flagger's AlertProvider name for Teams (`msteams`) too.
    pub fn parse(text: &str) -> Option<SinkKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "msteams" => Some(SinkKind::Teams),
            t => SinkKind::ALL.into_iter().find(|k| k.name() == t),
        }
    }

    /// The environment variable that holds this type's URL: `CANARY_ALERT_DISCORD_URL`.
    pub fn env_var(self) -> String {
        format!("CANARY_ALERT_{}_URL", self.name().to_ascii_uppercase())
    }

    /// The service's name as people say it.
    pub fn service(self) -> &'static str {
        match self {
            SinkKind::Discord => "Discord",
            SinkKind::Slack => "Slack",
            SinkKind::Teams => "Microsoft Teams",
            SinkKind::Gchat => "Google Chat",
            SinkKind::Rocket => "Rocket.Chat",
            SinkKind::Webhook => "webhook",
        }
    }
}

impl fmt::Display for SinkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A webhook URL. Its path and query carry the token, so it is shown only as
/// `https://host/…`: never recorded, logged or printed in full.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// Accepts an absolute `http` or `https` URL with a host.
    pub fn parse(text: &str) -> Result<SecretUrl, String> {
        let text = text.trim();
        let url = reqwest::Url::parse(text).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "the scheme is {}:, not http: or https:",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("the URL has no host".to_string());
        }
        Ok(SecretUrl(text.to_string()))
    }

    /// The whole URL, for the request only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `https://discord.com/…`: the scheme and host, never the path or query.
    pub fn redacted(&self) -> String {
        match reqwest::Url::parse(&self.0) {
            Ok(url) => {
                let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!(
                    "{}://{}{port}/…",
                    url.scheme(),
                    url.host_str().unwrap_or("?")
                )
            }
            Err(_) => "…".to_string(),
        }
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// One place alerts go.
#[derive(Clone, Debug, PartialEq)]
pub struct Sink {
    /// The name the operator knows it by: a config entry, a type (`discord`) or
    /// `flagger/NAMESPACE/PROVIDER`.
    pub name: String,
    pub kind: SinkKind,
    pub url: SecretUrl,
    /// Alerts below this severity are not sent here.
    pub min_severity: Severity,
    /// Only these events, when set.
    pub events: Option<Vec<AlertEvent>>,
    /// Slack and Rocket.Chat: the channel to post in (Flagger's AlertProvider `channel`).
    pub channel: Option<String>,
    /// The name the message is posted under (Flagger's AlertProvider `username`).
    pub username: Option<String>,
}

impl Sink {
    /// A sink of `kind` at `url` that takes every alert.
    pub fn new(name: impl Into<String>, kind: SinkKind, url: SecretUrl) -> Sink {
        Sink {
            name: name.into(),
            kind,
            url,
            min_severity: Severity::Info,
            events: None,
            channel: None,
            username: None,
        }
    }

    /// Whether this sink takes an alert of `event` at `severity`. A test message goes everywhere.
    pub fn takes(&self, event: AlertEvent, severity: Severity) -> bool {
        event == AlertEvent::Test
            || (severity >= self.min_severity
                && self.events.as_ref().is_none_or(|e| e.contains(&event)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_and_show_only_their_host() {
        let u = SecretUrl::parse("https://discord.com/api/webhooks/123/s3cr3t").unwrap();
        assert_eq!(u.redacted(), "https://discord.com/…");
        assert_eq!(
            format!("{u:?} {u}"),
            "https://discord.com/… https://discord.com/…"
        );
        assert!(!format!("{u:?}").contains("s3cr3t"));
        let local = SecretUrl::parse("http://127.0.0.1:8080/hook?token=x").unwrap();
        assert_eq!(local.redacted(), "http://127.0.0.1:8080/…");
        assert!(SecretUrl::parse("ftp://example.com/x")
            .unwrap_err()
            .contains("ftp"));
        assert!(SecretUrl::parse("hooks.slack.com/services/x").is_err());
    }

    #[test]
    fn kinds_parse_by_name_and_flagger_name() {
        for k in SinkKind::ALL {
            assert_eq!(SinkKind::parse(k.name()), Some(k));
        }
        assert_eq!(SinkKind::parse("msteams"), Some(SinkKind::Teams));
        assert_eq!(SinkKind::parse("pagerduty"), None);
        assert_eq!(SinkKind::Discord.env_var(), "CANARY_ALERT_DISCORD_URL");
    }

    #[test]
    fn filters_by_severity_and_event() {
        let mut s = Sink::new("x", SinkKind::Slack, SecretUrl::parse("http://h/").unwrap());
        s.min_severity = Severity::Warn;
        assert!(!s.takes(AlertEvent::Paused, Severity::Info));
        assert!(s.takes(AlertEvent::AutomaticRollback, Severity::Error));
        s.events = Some(vec![AlertEvent::OperatorRollback]);
        assert!(!s.takes(AlertEvent::AutomaticRollback, Severity::Error));
        assert!(s.takes(AlertEvent::OperatorRollback, Severity::Warn));
        assert!(s.takes(AlertEvent::Test, Severity::Info));
    }
}

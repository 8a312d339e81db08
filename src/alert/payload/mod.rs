//! The body each service takes, built from an alert. Every builder follows its service's
//! documented webhook format and limits, so that the service accepts what the cockpit sends.
//! The helpers here are what the builders share: cutting text to a limit, the severity's colour,
//! the facts every message lists, and the alert's instant in UTC.

use super::sink::{Sink, SinkKind};
use crate::model::{Alert, Severity, VersionNumbers};
use serde_json::Value;

mod discord;
mod gchat;
mod rocket;
mod slack;
mod teams;
mod webhook;

/// The colour of an error (red), as `0xRRGGBB`: Discord's embed `color`, Rocket.Chat's `#E74C3C`.
pub const ERROR_COLOR: u32 = 0xE7_4C_3C;
/// The colour of a warning (amber).
pub const WARN_COLOR: u32 = 0xF3_9C_12;
/// The colour of an information (blue).
pub const INFO_COLOR: u32 = 0x34_98_DB;

/// The JSON body for `sink`. `session` is the recording's file name, when the session records.
pub fn body(sink: &Sink, alert: &Alert, session: Option<&str>) -> Value {
    match sink.kind {
        SinkKind::Discord => discord::body(sink, alert),
        SinkKind::Slack => slack::body(sink, alert),
        SinkKind::Teams => teams::body(alert),
        SinkKind::Gchat => gchat::body(alert),
        SinkKind::Rocket => rocket::body(sink, alert),
        SinkKind::Webhook => webhook::body(alert, session),
    }
}

/// The colour of `severity`, as `0xRRGGBB`.
pub fn color(severity: Severity) -> u32 {
    match severity {
        Severity::Error => ERROR_COLOR,
        Severity::Warn => WARN_COLOR,
        Severity::Info => INFO_COLOR,
    }
}

/// `text` in at most `max` characters (Unicode scalar values, as the services count them); a cut
/// text ends in `…`. Cuts fall on character boundaries only.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some(_) if max == 0 => String::new(),
        Some(_) => {
            let keep = text
                .char_indices()
                .nth(max - 1)
                .map_or(text.len(), |(i, _)| i);
            format!("{}…", &text[..keep])
        }
    }
}

/// The alert's instant as RFC 3339 in UTC: `2026-01-01T00:01:37Z`.
pub(crate) fn time(alert: &Alert) -> String {
    crate::record::retention::utc_rfc3339(alert.at)
}

/// The facts every message lists, as (label, value): release, phase, weight, provider and, when
/// a person acted, who.
pub(crate) fn facts(alert: &Alert) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("Release", format!("{}/{}", alert.namespace, alert.release)),
        ("Phase", alert.phase.label().to_string()),
        ("Weight", format!("{} %", alert.weight.percent())),
        ("Provider", alert.provider.clone()),
    ];
    if let Some(actor) = &alert.actor {
        out.push(("Actor", actor.clone()));
    }
    if let Some(judge) = judgement(alert) {
        out.push(("Judge", judge));
    }
    out
}

/// The statistical judge's report in one text: `62/100 marginal (p99 High) · error rate +0.05 pp
/// [-0.10, +0.21] Pass n 400/1200 · p99 +38 % [+21 %, +55 %] High n 48/48`.
pub(crate) fn judgement(alert: &Alert) -> Option<String> {
    let j = alert.judge.as_ref()?;
    let mut parts = vec![format!("{} ({})", j.summary(), j.reason)];
    parts.extend(j.metrics.iter().map(|m| m.line()));
    Some(parts.join(" · "))
}

/// One line per version, as (label, value): `Canary v2`, `registry/app:2 · 12.0 req/s · …`.
pub(crate) fn versions(alert: &Alert) -> [(String, String); 2] {
    let one = |role: &str, v: &VersionNumbers| {
        let label = format!("{role} {}", v.name).trim_end().to_string();
        let value = if v.image.is_empty() {
            v.describe()
        } else {
            format!("{} · {}", v.image, v.describe())
        };
        (label, value)
    };
    [one("Primary", &alert.primary), one("Canary", &alert.canary)]
}

/// `error · automatic_rollback · ingress-nginx`: what a context line or subtitle says.
pub(crate) fn context(alert: &Alert) -> String {
    format!(
        "{} · {} · {} · {}",
        alert.severity,
        alert.event,
        alert.provider,
        time(alert)
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{AlertEvent, Millis, Phase, Weight};

    /// An automatic rollback with numbers for both versions and a reason of `reason_len`
    /// characters, some of them markup and some wider than one byte.
    pub(crate) fn rollback(reason_len: usize) -> Alert {
        let unit = "5 failed checks <p99 > 500 ms & 5xx> — ✓ ";
        let reason: String = unit.chars().cycle().take(reason_len).collect();
        Alert {
            at: Millis(1_767_225_697_000),
            event: AlertEvent::AutomaticRollback,
            severity: Severity::Error,
            release: "frontend".into(),
            namespace: "shop".into(),
            provider: "ingress-nginx".into(),
            phase: Phase::RolledBack,
            weight: Weight::clamped(30),
            actor: None,
            reason,
            primary: VersionNumbers {
                name: "v1".into(),
                image: "registry.local/frontend:1.4.2".into(),
                rps: Some(70.2),
                error_rate: Some(0.004),
                p99_ms: Some(121.0),
            },
            canary: VersionNumbers {
                name: "v2".into(),
                image: "registry.local/frontend:1.5.0".into(),
                rps: Some(29.8),
                error_rate: Some(0.12),
                p99_ms: None,
            },
            judge: None,
        }
    }

    /// The rollback with the statistical judge's report: the error rate High on its counts.
    pub(crate) fn judged_rollback() -> Alert {
        use crate::controller::statistical;
        use crate::model::JudgeSettings;
        let s = JudgeSettings::default();
        let errors = statistical::metric::error_rate(&s, (30.0, 400.0), (2.0, 1200.0));
        Alert {
            judge: Some(Box::new(statistical::score(&s, vec![errors]))),
            ..rollback(40)
        }
    }

    #[test]
    fn clip_cuts_on_characters_and_marks_the_cut() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "ab…");
        assert_eq!(clip("✓✓✓✓", 2), "✓…");
        assert_eq!(clip("abc", 0), "");
        assert_eq!(clip(&"é".repeat(5000), 4096).chars().count(), 4096);
    }

    #[test]
    fn facts_name_the_release_and_versions_their_numbers() {
        let mut a = rollback(10);
        assert_eq!(facts(&a).len(), 4);
        a.actor = Some("alice".into());
        assert_eq!(facts(&a)[4], ("Actor", "alice".to_string()));
        let [p, c] = versions(&a);
        assert_eq!(p.0, "Primary v1");
        assert_eq!(
            c.1,
            "registry.local/frontend:1.5.0 · 29.8 req/s · 12.00 % 5xx"
        );
        assert_eq!(time(&a), "2026-01-01T00:01:37Z");
        let judged = judged_rollback();
        let (label, text) = facts(&judged).pop().unwrap();
        assert_eq!(label, "Judge");
        assert!(
            text.starts_with("0/100 fail (critical error rate High: ")
                && text.contains(" · error rate +7.33 pp [")
                && text.ends_with("High n 400/1200"),
            "{text}"
        );
        assert_eq!(color(Severity::Error), 0xE74C3C);
    }
}

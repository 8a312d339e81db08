//! The generic webhook's body: the cockpit's own JSON with stable keys, documented in
//! `docs/alerts.md`. Nothing is cut; unknown numbers are `null`.

use super::time;
use crate::model::{Alert, VersionNumbers};
use serde_json::{json, Value};

pub fn body(alert: &Alert, session: Option<&str>) -> Value {
    json!({
        "event": alert.event.name(),
        "severity": alert.severity.label(),
        "title": alert.title(),
        "release": alert.release,
        "namespace": alert.namespace,
        "provider": alert.provider,
        "phase": alert.phase.label(),
        "weight": alert.weight.percent(),
        "actor": alert.actor,
        "reason": alert.reason,
        "metrics": { "primary": numbers(&alert.primary), "canary": numbers(&alert.canary) },
        "judge": alert.judge,
        "time": time(alert),
        "session": session,
    })
}

fn numbers(v: &VersionNumbers) -> Value {
    json!({
        "name": v.name,
        "image": (!v.image.is_empty()).then_some(&v.image),
        "rps": v.rps,
        "error_rate": v.error_rate,
        "p99_ms": v.p99_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::rollback;
    use super::*;

    #[test]
    fn stable_keys_with_nulls_for_what_is_unknown() {
        let mut a = rollback(5000);
        a.primary.image.clear();
        let b = body(&a, Some("2026-01-01T000000Z-frontend.jsonl.zst"));
        assert_eq!(b["event"], "automatic_rollback");
        assert_eq!(b["severity"], "error");
        assert_eq!(b["phase"], "RolledBack");
        assert_eq!(b["weight"], 30);
        assert_eq!(b["actor"], Value::Null);
        assert_eq!(b["reason"].as_str().unwrap().chars().count(), 5000);
        assert_eq!(b["time"], "2026-01-01T00:01:37Z");
        assert_eq!(b["metrics"]["canary"]["p99_ms"], Value::Null);
        assert_eq!(b["metrics"]["canary"]["error_rate"], 0.12);
        assert_eq!(b["metrics"]["primary"]["image"], Value::Null);
        assert_eq!(b["session"], "2026-01-01T000000Z-frontend.jsonl.zst");
        assert_eq!(body(&a, None)["session"], Value::Null);
        assert_eq!(b["judge"], Value::Null);
        // the judge's numbers, as status -o json and the recording give them
        let b = body(&super::super::tests::judged_rollback(), None);
        let m = &b["judge"]["metrics"][0];
        assert_eq!(b["judge"]["verdict"], "fail");
        assert_eq!(
            (m["name"].as_str(), m["class"].as_str()),
            (Some("error rate"), Some("high"))
        );
        assert_eq!(
            (m["n_canary"].as_u64(), m["n_primary"].as_u64()),
            (Some(400), Some(1200))
        );
        assert_eq!(m["canary"], 0.075);
        assert!(m["ci_low"].as_f64().unwrap() > 0.04 && m["p_value"].as_f64().unwrap() < 1e-6);
    }
}

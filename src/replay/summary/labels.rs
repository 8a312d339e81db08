//! Instants, offsets, sources, rates and recorded text as the post-mortem writes them.

use crate::model::{Clock, Millis};
use crate::record::SessionSource;

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC) for milliseconds since the Unix epoch.
pub fn utc(at: Millis) -> String {
    crate::record::retention::utc_rfc3339(at)
}

/// `T+01:30`, `T+1:02:03`; `T-00:05` for an instant before the start.
pub fn offset_label(t_ms: i64) -> String {
    if t_ms < 0 {
        format!("T-{}", Clock(t_ms.saturating_neg()))
    } else {
        format!("T+{}", Clock(t_ms))
    }
}

/// The source in one line: `demo faulty-v2 (seed 42)` or `cluster prod-eu, namespace shop, …`.
pub fn source_label(source: &SessionSource) -> String {
    match source {
        SessionSource::Demo { scenario, seed } => format!("demo {scenario} (seed {seed})"),
        SessionSource::Cluster {
            context,
            namespace,
            provider,
            target,
        } => format!("cluster {context}, namespace {namespace}, {provider} {target}"),
    }
}

/// An error rate (0–1) as a percentage with a precision that suits its size.
pub fn percent_label(rate: f64) -> String {
    let p = rate * 100.0;
    if p == 0.0 || p >= 10.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.2} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_offsets_format() {
        assert_eq!(utc(Millis(0)), "1970-01-01T00:00:00Z");
        assert_eq!(utc(Millis(1_709_251_199_999)), "2024-02-29T23:59:59Z");
        assert_eq!(utc(Millis(-1000)), "1969-12-31T23:59:59Z");
        assert_eq!(offset_label(90_000), "T+01:30");
        assert_eq!(offset_label(3_723_000), "T+1:02:03");
        assert_eq!(offset_label(-5_000), "T-00:05");
    }

    #[test]
    fn percentages_suit_their_size() {
        assert_eq!(percent_label(0.0), "0.0 %");
        assert_eq!(percent_label(0.0123), "1.23 %");
        assert_eq!(percent_label(0.153), "15.3 %");
    }
}

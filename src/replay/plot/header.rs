//! The title, the summary line below it, and the legend.

use super::doc::Doc;
use super::markers::shorten;
use super::{ACTION, CANARY, CHAR_W, FAILED, LEFT, LIMIT, NOTE, PRIMARY, WEIGHT};
use crate::record::Recording;
use crate::replay::summary::{offset_label, source_label, Summary};
use std::fmt::Write as _;

pub(super) fn write_title(doc: &mut Doc, rec: &Recording, summary: &Summary) {
    let outcome = match summary.outcome_t_ms {
        Some(t) => format!("{} at {}", summary.outcome.label(), offset_label(t)),
        None => summary.outcome.label().to_string(),
    };
    let title = format!(
        "{} · {} · {outcome}",
        rec.header.release,
        source_label(&rec.header.source)
    );
    doc.text_at(LEFT, 30.0, "start", "18", "#111", &shorten(&title, 110));
    let mut sub = format!(
        "started {} · duration {}",
        summary.started_at,
        crate::model::Clock(summary.duration_ms),
    );
    let c = &summary.checks;
    if summary.analysis.is_some() || c.passed + c.failed + c.inconclusive > 0 {
        let _ = write!(
            sub,
            " · {} of {} checks failed",
            c.failed,
            c.passed + c.failed + c.inconclusive
        );
    }
    if summary.paused_ms > 0 {
        let _ = write!(sub, " · paused {}", crate::model::Clock(summary.paused_ms));
    }
    if !summary.warnings.is_empty() {
        let n = summary.warnings.len();
        let _ = write!(
            sub,
            " · {n} reader warning{}",
            if n == 1 { "" } else { "s" }
        );
    }
    doc.text_at(LEFT, 52.0, "start", "12", "#555", &sub);
}

pub(super) fn write_legend(doc: &mut Doc) {
    let entries: [(&str, &str, Option<&str>); 7] = [
        ("canary weight", WEIGHT, None),
        ("primary", PRIMARY, None),
        ("canary", CANARY, None),
        ("analysis limit", LIMIT, Some("6 4")),
        ("operator action", ACTION, Some("5 3")),
        ("note", NOTE, Some("2 3")),
        ("failed check", FAILED, None),
    ];
    let y = 76.0;
    let mut x = LEFT;
    for (label, color, dash) in entries {
        if label == "failed check" {
            let _ = writeln!(
                doc.out,
                r#"<path d="M{:.1},{:.1} L{:.1},{:.1} L{:.1},{:.1} Z" fill="{color}"/>"#,
                x + 6.0,
                y - 8.0,
                x + 15.0,
                y - 8.0,
                x + 10.5,
                y
            );
        } else {
            doc.line(x, y - 4.0, x + 20.0, y - 4.0, color, 2.0, dash);
        }
        doc.text_at(x + 26.0, y, "start", "11", "#333", label);
        x += 26.0 + label.chars().count() as f64 * CHAR_W + 18.0;
    }
    let _ = writeln!(
        doc.out,
        r##"<rect x="{x:.1}" y="{:.1}" width="20" height="10" fill="#8a8a8a" fill-opacity="0.3"/>"##,
        y - 9.0
    );
    doc.text_at(x + 26.0, y, "start", "11", "#333", "paused");
}

//! What is drawn over the panels: markers for operator actions, notes and the outcome with their
//! labels, bands for pauses, and ticks for failed checks.

use super::axis::TimeAxis;
use super::doc::{xml, Doc};
use super::panel::{Kind, Panel};
use super::{
    ACTION, AXIS, CHAR_W, FAILED, LANE_ROW, LANE_TOP, MAX_LANE_ROWS, NOTE, PANEL_TITLE, PROMOTED,
    WIDTH,
};
use crate::replay::summary::{offset_label, SessionOutcome, Summary};
use std::fmt::Write as _;

/// A vertical marker with a short label above the panels.
pub(super) struct Marker {
    t_ms: i64,
    label: String,
    /// The full text, shown as a tooltip.
    detail: String,
    color: &'static str,
    dash: Option<&'static str>,
}

pub(super) fn markers(summary: &Summary) -> Vec<Marker> {
    let mut out = Vec::new();
    for a in &summary.operator_actions {
        let user = a.user.as_deref().unwrap_or(&a.who);
        let (label, detail) = match &a.error {
            None => (
                format!("{} ({user})", a.action),
                format!("{}: {} ok", a.who, a.action),
            ),
            Some(e) => (
                format!("{} failed ({user})", a.action),
                format!("{}: {} failed: {e}", a.who, a.action),
            ),
        };
        out.push(Marker {
            t_ms: a.t_ms,
            label,
            detail,
            color: ACTION,
            dash: Some("5 3"),
        });
    }
    for n in &summary.notes {
        out.push(Marker {
            t_ms: n.t_ms,
            label: format!("note: {}", shorten(&n.text, 28)),
            detail: format!("note by {}: {}", n.author, n.text),
            color: NOTE,
            dash: Some("2 3"),
        });
    }
    if let Some(t_ms) = summary.outcome_t_ms {
        let (label, color) = match summary.outcome {
            SessionOutcome::Promoted => ("promoted", PROMOTED),
            SessionOutcome::RolledBack => ("rolled back", FAILED),
            SessionOutcome::Failed => ("release failed", FAILED),
            SessionOutcome::Undecided => ("undecided", AXIS),
        };
        out.push(Marker {
            t_ms,
            label: label.to_string(),
            detail: format!("{label} at {}", offset_label(t_ms)),
            color,
            dash: None,
        });
    }
    out.sort_by_key(|m| m.t_ms);
    out
}

/// At most `max` characters of a one-line text, with `…` when cut.
pub(super) fn shorten(text: &str, max: usize) -> String {
    let one_line = crate::hygiene::field(text);
    let one_line = one_line.trim();
    if one_line.chars().count() <= max {
        one_line.to_string()
    } else {
        let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// The row of the label lane for each marker (in the markers' order); `None` when no row has room,
/// in which case only the line and its tooltip are drawn.
pub(super) fn place_labels(markers: &[Marker], time: &TimeAxis) -> Vec<Option<usize>> {
    let mut row_ends: Vec<f64> = Vec::new();
    markers
        .iter()
        .map(|m| {
            let (x0, x1) = label_span(m, time);
            let free = row_ends.iter().position(|end| *end + 8.0 < x0);
            let row = match free {
                Some(r) => r,
                None if row_ends.len() < MAX_LANE_ROWS => {
                    row_ends.push(f64::MIN);
                    row_ends.len() - 1
                }
                None => return None,
            };
            row_ends[row] = x1;
            Some(row)
        })
        .collect()
}

/// Left and right end of a marker's label: right of the line, or left of it near the right edge.
fn label_span(m: &Marker, time: &TimeAxis) -> (f64, f64) {
    let x = time.x(m.t_ms);
    let w = m.label.chars().count() as f64 * CHAR_W;
    if x + 4.0 + w <= WIDTH - 4.0 {
        (x + 4.0, x + 4.0 + w)
    } else {
        (x - 4.0 - w, x - 4.0)
    }
}

pub(super) fn draw_markers(
    doc: &mut Doc,
    markers: &[Marker],
    rows: &[Option<usize>],
    time: &TimeAxis,
    panels: &[Panel],
) {
    let (Some(first), Some(last)) = (panels.first(), panels.last()) else {
        return;
    };
    for (m, row) in markers.iter().zip(rows) {
        let x = time.x(m.t_ms);
        let _ = writeln!(
            doc.out,
            "<g class=\"marker\"><title>{}</title>",
            xml(&m.detail)
        );
        let top = match row {
            Some(r) => {
                let y = LANE_TOP + (*r as f64 + 1.0) * LANE_ROW - 4.0;
                let (x0, _) = label_span(m, time);
                doc.label_at(x0, y, "start", "11", m.color, &m.label);
                y - 9.0
            }
            None => first.top - PANEL_TITLE,
        };
        let width = if m.dash.is_none() { 1.6 } else { 1.2 };
        doc.line(x, top, x, last.bottom(), m.color, width, m.dash);
        doc.out.push_str("</g>\n");
    }
}

/// Shaded bands over every panel while the release was paused.
pub(super) fn draw_pauses(doc: &mut Doc, summary: &Summary, time: &TimeAxis, panels: &[Panel]) {
    for p in &summary.pauses {
        let (x0, x1) = (time.x(p.start_t_ms), time.x(p.end_t_ms));
        for panel in panels {
            let _ = writeln!(
                doc.out,
                r##"<rect class="paused" x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#8a8a8a" fill-opacity="0.16"/>"##,
                panel.top,
                (x1 - x0).max(1.0),
                panel.height
            );
        }
        if let Some(first) = panels.first() {
            if x1 - x0 > 50.0 {
                doc.text_at(
                    (x0 + x1) / 2.0,
                    first.top + 14.0,
                    "middle",
                    "11",
                    "#666",
                    "paused",
                );
            }
        }
    }
}

/// A small red tick on the error-rate panel's top edge for each failed check.
pub(super) fn draw_failed_checks(
    doc: &mut Doc,
    summary: &Summary,
    time: &TimeAxis,
    panels: &[Panel],
) {
    let Some(panel) = panels.iter().find(|p| p.kind == Kind::Errors) else {
        return;
    };
    for v in &summary.failed_verdicts {
        let x = time.x(v.t_ms);
        let y = panel.top;
        let _ = writeln!(
            doc.out,
            r#"<path class="failed-check" d="M{:.1},{:.1} L{:.1},{:.1} L{x:.1},{:.1} Z" fill="{FAILED}"><title>{}</title></path>"#,
            x - 4.5,
            y,
            x + 4.5,
            y,
            y + 8.0,
            xml(&format!(
                "{} check failed ({}): {}",
                offset_label(v.t_ms),
                v.failed_checks,
                v.reason
            ))
        );
    }
}

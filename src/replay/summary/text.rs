//! The post-mortem as plain text for a terminal ([`Summary::to_text`]).

use super::labels::{offset_label, percent_label, source_label};
use super::{ActionRecord, Summary, VersionInfo};
use crate::hygiene::field;
use crate::model::quantity::bytes_label;
use crate::model::Clock;
use std::fmt::Write as _;

impl Summary {
    /// The post-mortem as plain text for a terminal: sections, aligned columns, no colour.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_overview(&mut out);
        self.write_phases(&mut out);
        write_actions(&mut out, "Operator actions", &self.operator_actions);
        write_actions(&mut out, "Controller actions", &self.controller_actions);
        self.write_notes(&mut out);
        self.write_routes(&mut out);
        self.write_keel_votes(&mut out);
        self.write_outages(&mut out);
        self.write_alerts(&mut out);
        self.write_checks(&mut out);
        super::judge::write(self.judge.as_ref(), &mut out);
        self.write_peaks(&mut out);
        self.write_warnings(&mut out);
        out
    }

    fn write_overview(&self, out: &mut String) {
        let _ = writeln!(out, "Post-mortem: {}", field(&self.release));
        let outcome = match self.outcome_t_ms {
            Some(t) => format!("{} at {}", self.outcome.label(), offset_label(t)),
            None => self.outcome.label().to_string(),
        };
        let paused = match self.pauses.len() {
            0 => "never".to_string(),
            1 => format!("{} (1 pause)", Clock(self.paused_ms)),
            n => format!("{} ({n} pauses)", Clock(self.paused_ms)),
        };
        let versions = match (&self.versions.primary, &self.versions.canary) {
            (Some(p), Some(c)) => format!(
                "primary {} ({}), canary {} ({})",
                field(&p.name),
                field(&p.image),
                field(&c.name),
                field(&c.image)
            ),
            _ => "never observed".to_string(),
        };
        let weight = match (self.weight.max_percent, self.weight.final_percent) {
            (Some(max), Some(last)) => format!("max {max} %, final {last} %"),
            _ => "never observed".to_string(),
        };
        let rows = vec![
            row(["source", &field(&source_label(&self.source))]),
            row(["started", &self.started_at]),
            row(["duration", &Clock(self.duration_ms).to_string()]),
            row(["events", &self.event_count.to_string()]),
            row(["outcome", &outcome]),
            row(["paused", &paused]),
            row(["versions", &versions]),
            row(["weight", &weight]),
            row(["analysis", &self.analysis_line()]),
            row(["source errors", &self.source_errors.to_string()]),
        ];
        out.push_str(&table(&rows));
    }

    fn analysis_line(&self) -> String {
        match &self.analysis {
            Some(a) => format!(
                "every {} s, rollback after {} failed checks, success rate >= {} %, p99 <= {} ms",
                a.interval_secs, a.threshold, a.min_success_rate, a.max_p99_ms
            ),
            None => "none recorded".to_string(),
        }
    }

    fn write_phases(&self, out: &mut String) {
        section(out, "Phase changes");
        let rows: Vec<_> = self
            .phase_changes
            .iter()
            .map(|c| {
                row([
                    &offset_label(c.t_ms),
                    &format!("{} -> {}", c.from.label(), c.to.label()),
                ])
            })
            .collect();
        out.push_str(&table_or_none(&rows));
    }

    fn write_notes(&self, out: &mut String) {
        section(out, "Notes");
        let rows: Vec<_> = self
            .notes
            .iter()
            .map(|n| row([&offset_label(n.t_ms), &field(&n.author), &field(&n.text)]))
            .collect();
        out.push_str(&table_or_none(&rows));
    }

    fn write_outages(&self, out: &mut String) {
        section(out, "Outages");
        let rows: Vec<_> = self
            .outages
            .iter()
            .map(|o| {
                let what = match o.source.as_str() {
                    "watch" => "the API server (watch)",
                    _ => "the metrics source",
                };
                let how_long = if o.ended {
                    crate::model::Clock(o.duration_ms).to_string()
                } else {
                    format!(
                        "{} (until the end of the recording)",
                        crate::model::Clock(o.duration_ms)
                    )
                };
                row([&offset_label(o.t_ms), what, &how_long])
            })
            .collect();
        out.push_str(&table_or_none(&rows));
    }

    fn write_routes(&self, out: &mut String) {
        section(out, "Testers' routes");
        let rows: Vec<_> = self
            .route_changes
            .iter()
            .map(|r| {
                let result = match &r.error {
                    None => "ok".to_string(),
                    Some(e) => format!("failed: {e}"),
                };
                row([
                    &offset_label(r.t_ms),
                    &field(&r.who),
                    &field(&r.change.to_string()),
                    &field(&result),
                ])
            })
            .collect();
        out.push_str(&table_or_none(&rows));
    }

    fn write_alerts(&self, out: &mut String) {
        section(out, "Alerts");
        let rows: Vec<_> = self
            .alerts
            .iter()
            .map(|a| {
                let sent = if a.deliveries.is_empty() {
                    "not sent (no sink)".to_string()
                } else {
                    a.deliveries
                        .iter()
                        .map(|d| format!("{}: {}", d.sink, d.result))
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                row([
                    &offset_label(a.t_ms),
                    a.severity.label(),
                    &field(&a.text),
                    &field(&sent),
                ])
            })
            .collect();
        out.push_str(&table_or_none(&rows));
    }

    fn write_checks(&self, out: &mut String) {
        let c = &self.checks;
        section(
            out,
            &format!(
                "Checks: {} passed, {} failed, {} inconclusive",
                c.passed, c.failed, c.inconclusive
            ),
        );
        let threshold = self
            .analysis
            .as_ref()
            .map_or(String::new(), |a| format!("/{}", a.threshold));
        let rows: Vec<_> = self
            .failed_verdicts
            .iter()
            .map(|v| {
                row([
                    &offset_label(v.t_ms),
                    &format!("failed {}{threshold}", v.failed_checks),
                    &field(&v.reason),
                ])
            })
            .collect();
        if rows.is_empty() {
            out.push_str("  failed checks: none\n");
        } else {
            out.push_str(&table(&rows));
        }
    }

    fn write_peaks(&self, out: &mut String) {
        section(out, "Peaks (worst sample)");
        let name = |v: &Option<VersionInfo>| {
            v.as_ref()
                .map_or(String::new(), |v| format!(" ({})", field(&v.name)))
        };
        let memory = [&self.peaks.primary, &self.peaks.canary]
            .iter()
            .any(|p| p.memory_per_pod.is_some());
        let mut rows = vec![row(["", "error rate", "p99"])];
        if memory {
            rows[0].push("memory/pod".to_string());
        }
        for (label, version, peaks) in [
            ("primary", &self.versions.primary, &self.peaks.primary),
            ("canary", &self.versions.canary, &self.peaks.canary),
        ] {
            let error = peaks.error_rate.as_ref().map_or("no traffic".into(), |p| {
                format!("{} at {}", percent_label(p.value), offset_label(p.t_ms))
            });
            let p99 = peaks.p99_ms.as_ref().map_or("no traffic".into(), |p| {
                format!("{:.0} ms at {}", p.value, offset_label(p.t_ms))
            });
            let mut r = row([&format!("{label}{}", name(version)), &error, &p99]);
            if memory {
                r.push(peaks.memory_per_pod.as_ref().map_or("-".into(), |m| {
                    format!("{} at {}", bytes_label(m.bytes), offset_label(m.t_ms))
                }));
            }
            rows.push(r);
        }
        out.push_str(&table(&rows));
    }

    fn write_warnings(&self, out: &mut String) {
        section(out, "Warnings");
        let rows: Vec<_> = self.warnings.iter().map(|w| row([&field(w)])).collect();
        out.push_str(&table_or_none(&rows));
    }
}

fn write_actions(out: &mut String, title: &str, actions: &[ActionRecord]) {
    section(out, title);
    let rows: Vec<_> = actions
        .iter()
        .map(|a| {
            let result = match &a.error {
                None => "ok".to_string(),
                Some(e) => format!("failed: {}", field(e)),
            };
            row([
                &offset_label(a.t_ms),
                &field(&a.who),
                &a.action.to_string(),
                &result,
            ])
        })
        .collect();
    out.push_str(&table_or_none(&rows));
}

fn section(out: &mut String, title: &str) {
    let _ = write!(out, "\n{title}\n");
}

fn row<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// Rows as lines indented by two spaces, every column but the last padded to its widest cell.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::from(" ");
        for (i, cell) in r.iter().enumerate() {
            line.push(' ');
            line.push_str(cell);
            if i + 1 < r.len() {
                let pad = widths[i].saturating_sub(cell.chars().count()) + 1;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn table_or_none(rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        "  none\n".to_string()
    } else {
        table(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let rows = vec![
            row(["T+00:01", "alice", "pause"]),
            row(["T+1:00:00", "bob", "x"]),
        ];
        assert_eq!(
            table(&rows),
            "  T+00:01    alice  pause\n  T+1:00:00  bob    x\n"
        );
        assert_eq!(table_or_none(&[]), "  none\n");
    }
}

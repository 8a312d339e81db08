//! The judges in the analysis panel: "thresholds: pass · judge: 62/100 marginal", then one line
//! per metric, `p99  +38 % [+21 %, +55 %]  High  n 48/48`.

use super::theme::Theme;
use crate::app::judging::Judging;
use crate::model::{JudgeVerdict, MetricClass, Outcome};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

fn class_style(t: Theme, class: MetricClass) -> Style {
    match class {
        MetricClass::Pass => t.good(),
        MetricClass::High | MetricClass::Low => t.alarm(),
        MetricClass::Inconclusive => t.dim(),
    }
}

fn verdict_style(t: Theme, v: JudgeVerdict) -> Style {
    match v {
        JudgeVerdict::Pass => t.good(),
        JudgeVerdict::Marginal | JudgeVerdict::Inconclusive => t.warn(),
        JudgeVerdict::Fail => t.alarm(),
    }
}

/// The head line, then one line per metric; `None` before the first sample.
pub fn lines(
    judging: &Judging,
    t: Theme,
    width: usize,
) -> Option<(Vec<Line<'static>>, Line<'static>)> {
    let report = judging.report.as_ref()?;
    let mut head = Vec::new();
    if let Some(o) = judging.thresholds {
        let word = match o {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Inconclusive => "inconclusive",
        };
        head.push(Span::styled("thresholds: ", t.dim()));
        head.push(Span::styled(word, t.outcome(o)));
        head.push(Span::styled(" · ", t.dim()));
    }
    head.push(Span::styled("judge: ", t.dim()));
    head.push(Span::styled(
        report.summary(),
        verdict_style(t, report.verdict),
    ));
    let head = Line::from(head);
    let mut out = vec![head.clone()];
    let name_w = report
        .metrics
        .iter()
        .map(|m| m.name.len())
        .max()
        .unwrap_or(0);
    for m in &report.metrics {
        let name = format!("{:<name_w$}  ", m.name);
        let line = if m.class == MetricClass::Inconclusive {
            Line::from(vec![
                Span::raw(name),
                Span::styled(
                    super::text::truncate(&m.reason, width.saturating_sub(name_w + 2)),
                    t.dim(),
                ),
            ])
        } else {
            let effect = m.effect_text().unwrap_or_else(|| "—".to_string());
            Line::from(vec![
                Span::raw(name),
                Span::raw(format!("{effect}  ")),
                Span::styled(m.class.label(), class_style(t, m.class)),
                Span::styled(format!("  n {}/{}", m.n_canary, m.n_primary), t.dim()),
            ])
        };
        out.push(line);
    }
    Some((out, head))
}

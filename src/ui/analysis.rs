//! The analysis: failed checks against the threshold, the settings, the last verdict and the most
//! recent ones, newest first. When space is short the least important sections go first.

use super::text;
use super::theme::{outcome_mark, Theme};
use crate::app::{App, ReleaseOutcome};
use crate::controller::judge::percent;
use crate::model::{Clock, ControllerView, Millis, Verdict};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

/// Lines of the panel that belong together; `compact` is the one-line form used when space is
/// short, before the section is dropped altogether (lowest `priority` first).
struct Section<'a> {
    priority: u8,
    lines: Vec<Line<'a>>,
    compact: Option<Line<'a>>,
}

impl<'a> Section<'a> {
    fn new(priority: u8, lines: Vec<Line<'a>>, compact: Option<Line<'a>>) -> Self {
        Self {
            priority,
            lines,
            compact,
        }
    }
}

/// Shrinks, then drops, the least important sections until they fit in `budget` lines.
fn fit(sections: &mut Vec<Section>, budget: usize) {
    while sections.iter().map(|s| s.lines.len()).sum::<usize>() > budget {
        let Some(i) = sections
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.priority)
            .map(|(i, _)| i)
        else {
            return;
        };
        let section = &mut sections[i];
        match section.compact.take() {
            Some(line) if section.lines.len() > 1 => section.lines = vec![line],
            _ => {
                sections.remove(i);
            }
        }
    }
}

pub struct Analysis<'a> {
    pub app: &'a App,
    pub theme: Theme,
}

/// "T+mm:ss" from the start of the session.
pub fn offset(app: &App, at: Millis) -> String {
    format!("T+{}", Clock(app.started_at.map_or(0, |s| at.since(s))))
}

/// Lines of `s` wrapped to `width`, each in `style`, the first after `lead`.
fn wrapped<'a>(lead: Vec<Span<'a>>, s: &str, width: usize, style: Style) -> Vec<Line<'a>> {
    let lead_w: usize = lead.iter().map(Span::width).sum();
    let mut out = Vec::new();
    let mut lead = Some(lead);
    for part in text::wrap(s, width.saturating_sub(lead_w).max(8)) {
        let mut spans = lead
            .take()
            .unwrap_or_else(|| vec![Span::raw(" ".repeat(lead_w))]);
        spans.push(Span::styled(part, style));
        out.push(Line::from(spans));
    }
    out
}

impl Widget for Analysis<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let block = Block::bordered()
            .border_style(t.border(false))
            .title(Span::styled(" analysis ", t.title()));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let width = usize::from(inner.width);
        let s = &app.settings;
        let a = &app.analysis;
        // (priority, lines): the lowest priority is dropped first when the panel is too short.
        let mut sections: Vec<Section> = Vec::new();
        let cut = |s: &str| text::truncate(s, width);

        if let Some(outcome) = app.outcome {
            // the versions as they were when the release ended
            let (primary, canary) = match (&app.ended_from, &app.release) {
                (Some((p, c)), _) => (p.as_str(), c.as_str()),
                (None, Some(r)) => (r.primary.name.as_str(), r.canary.name.as_str()),
                (None, None) => ("the primary", "the canary"),
            };
            let (mark, what, style) = match outcome {
                ReleaseOutcome::Promoted => (
                    "✔",
                    format!("PROMOTED: {canary} is now the primary"),
                    t.good(),
                ),
                ReleaseOutcome::RolledBack => (
                    "↺",
                    format!("ROLLED BACK: all traffic on {primary}"),
                    t.alarm(),
                ),
                ReleaseOutcome::Failed => ("✖", "FAILED: see the events".to_string(), t.alarm()),
            };
            let style = style.patch(t.bold());
            let compact = Line::styled(cut(&format!("{mark} {what}")), style);
            let lead = vec![Span::styled(format!("{mark} "), style)];
            sections.push(Section::new(
                9,
                wrapped(lead, &what, width, style),
                Some(compact),
            ));
        }
        if let Some(a) = &app.awaiting {
            // asked of the release's controller, not confirmed yet
            let what = match (&a.acting, a.warned) {
                (Some(phase), _) => format!("{} requested: {} at {phase}", a.action, a.system),
                (None, true) => format!("{} requested: {} has not acted on it", a.action, a.system),
                (None, false) => format!("{} requested: waiting for {}", a.action, a.system),
            };
            let style = if a.warned { t.alarm() } else { t.accent() };
            let compact = Line::styled(cut(&format!("⧗ {what}")), style);
            let lines = wrapped(vec![Span::styled("⧗ ", style)], &what, width, style);
            sections.push(Section::new(9, lines, Some(compact)));
        }
        if let Some(held) = app.held() {
            // whose pause it is; only the cockpit's own keeps its automatic rollback armed
            let (text, compact) = if held.rollback_armed(app) {
                (
                    format!(
                        "{}: progression held; the automatic rollback stays armed",
                        held.text
                    ),
                    format!("‖ {} · auto-rollback armed", held.text),
                )
            } else {
                (held.text.clone(), format!("‖ {}", held.text))
            };
            let lines = wrapped(vec![Span::styled("‖ ", t.warn())], &text, width, t.warn());
            let compact = Line::styled(cut(&compact), t.warn());
            sections.push(Section::new(8, lines, Some(compact)));
        }

        if let Some(view) = app.release.as_ref().and_then(|r| r.controller.as_ref()) {
            controller_sections(app, view, t, width, &mut sections);
            let budget = usize::from(inner.height);
            fit(&mut sections, budget);
            for (y, line) in sections.iter().flat_map(|s| &s.lines).enumerate() {
                buf.set_line(inner.x, inner.y + y as u16, line, inner.width);
            }
            return;
        }

        let failed_style = if a.failed > 0 { t.alarm() } else { t.good() };
        let mut checks = vec![
            Span::styled("failed ", t.dim()),
            Span::styled(format!("{}/{}", a.failed, s.threshold), failed_style),
            Span::styled(" · passed ", t.dim()),
            Span::raw(a.passed.to_string()),
        ];
        if width >= 30 {
            let label = if width >= 38 {
                " · inconclusive "
            } else {
                " · inconcl. "
            };
            checks.push(Span::styled(label, t.dim()));
            checks.push(Span::raw(a.inconclusive.to_string()));
        }
        let checks = Line::from(checks);
        sections.push(Section::new(9, vec![checks], None));

        let max_4xx = s
            .max_4xx_share()
            .map(|m| format!(" · 4xx ≤ {}", percent(m)))
            .unwrap_or_default();
        let max_memory = s
            .max_memory_growth
            .map(|g| format!(" · memory +≤ {g:.0} %"))
            .unwrap_or_default();
        let settings = format!(
            "every {}s · success ≥ {}{max_4xx} · p99 ≤ {:.0} ms · ≥ {} req{max_memory}",
            s.interval_secs,
            percent(s.min_success_rate / 100.0),
            s.max_p99_ms,
            s.min_requests
        );
        let compact = Line::styled(cut(&settings), t.dim());
        sections.push(Section::new(
            5,
            wrapped(Vec::new(), &settings, width, t.dim()),
            Some(compact),
        ));

        // both judges, and the statistical judge's line per metric
        if let Some((lines, compact)) = super::judge_lines::lines(&app.judging, t, width) {
            sections.push(Section::new(4, lines, Some(compact)));
        }

        match a.last() {
            Some(v) => {
                let lead = format!("{} {} ", outcome_mark(v.outcome), offset(app, v.at));
                let reason = text::truncate(&v.reason, width.saturating_sub(text::width(&lead)));
                let compact = Line::from(vec![
                    Span::styled(lead, t.outcome(v.outcome)),
                    Span::styled(reason, t.outcome(v.outcome)),
                ]);
                sections.push(Section::new(
                    7,
                    last_verdict(app, t, v, width),
                    Some(compact),
                ));
            }
            None => {
                let cluster_controller = app.release.as_ref().is_some_and(|r| r.phase.is_some());
                let why = if app.runs_analysis() || app.release.is_none() {
                    "no checks yet"
                } else if cluster_controller {
                    "no checks: the cluster's controller runs the analysis"
                } else {
                    "no checks: no analysis runs; the operator drives this release"
                };
                // wrapped like the events panel; one cut line when the panel is short
                sections.push(Section::new(
                    7,
                    wrapped(Vec::new(), why, width, t.dim()),
                    Some(Line::styled(cut(why), t.dim())),
                ));
            }
        }

        let mut budget = usize::from(inner.height);
        fit(&mut sections, budget);
        let mut y = inner.y;
        for line in sections.iter().flat_map(|s| &s.lines) {
            buf.set_line(inner.x, y, line, inner.width);
            y += 1;
            budget -= 1;
        }
        // Earlier verdicts, newest first, as space allows.
        if budget < 2 || a.recent.len() < 2 {
            return;
        }
        buf.set_string(inner.x, y, "earlier", t.dim());
        y += 1;
        for v in a.recent.iter().rev().skip(1).take(budget - 1) {
            let line = Line::from(vec![
                Span::styled(format!("{} ", offset(app, v.at)), t.dim()),
                Span::styled(
                    format!("{} ", outcome_mark(v.outcome)),
                    t.outcome(v.outcome),
                ),
                Span::raw(text::truncate(&v.reason, width.saturating_sub(10))),
            ]);
            buf.set_line(inner.x, y, &line, inner.width);
            y += 1;
        }
    }
}

/// A cluster controller's analysis: its phase, its steps with the current one marked, its own
/// message and its analysis (runs, metrics, failed checks, gates).
fn controller_sections<'a>(
    app: &App,
    view: &ControllerView,
    t: Theme,
    width: usize,
    sections: &mut Vec<Section<'a>>,
) {
    let head = vec![
        Span::styled(view.kind.clone(), t.dim()),
        Span::styled(" · ", t.dim()),
        Span::styled(
            if view.phase.is_empty() {
                "—".to_string()
            } else {
                view.phase.clone()
            },
            t.phase(app.phase),
        ),
    ];
    sections.push(Section::new(9, vec![Line::from(head)], None));
    if let Some(set) = view.set_weight {
        let text = format!("set {set} % · actual {} % (router)", app.weight());
        sections.push(Section::new(
            9,
            wrapped(Vec::new(), &text, width, t.warn()),
            Some(Line::styled(text::truncate(&text, width), t.warn())),
        ));
    }
    if !view.steps.is_empty() {
        let at = view.current_step.unwrap_or(0);
        let mut spans = Vec::new();
        let mut used = 0;
        let mut lines = Vec::new();
        for (i, step) in view.steps.iter().enumerate() {
            let (label, style) = if i == at {
                (format!("▶{}", step), t.accent().patch(t.bold()))
            } else if i < at {
                (step.clone(), t.dim())
            } else {
                (step.clone(), t.plain())
            };
            let sep = if spans.is_empty() { "" } else { " › " };
            let w = text::width(sep) + text::width(&label);
            if used + w > width && !spans.is_empty() {
                lines.push(Line::from(std::mem::take(&mut spans)));
                used = 0;
            }
            if !spans.is_empty() {
                spans.push(Span::styled(" › ", t.dim()));
                used += 3;
            }
            used += text::width(&label);
            spans.push(Span::styled(label, style));
        }
        if !spans.is_empty() {
            lines.push(Line::from(spans));
        }
        let compact = view.steps.get(at).map(|s| {
            Line::styled(
                text::truncate(&format!("step {}/{}: {s}", at + 1, view.steps.len()), width),
                t.accent(),
            )
        });
        let compact = compact.or_else(|| {
            Some(Line::styled(
                format!("all {} steps done", view.steps.len()),
                t.good(),
            ))
        });
        sections.push(Section::new(8, lines, compact));
    }
    if let Some(pause) = view.pause {
        let text = text::truncate(&pause.describe(app.now), width);
        sections.push(Section::new(8, vec![Line::styled(text, t.warn())], None));
    }
    if !view.message.is_empty() {
        let compact = Line::styled(text::truncate(&view.message, width), t.dim());
        sections.push(Section::new(
            6,
            wrapped(Vec::new(), &view.message, width, t.dim()),
            Some(compact),
        ));
    }
    for (i, line) in view.analysis.iter().enumerate() {
        let style = if line.contains("Failed") || line.contains("Error") {
            t.alarm()
        } else {
            t.plain()
        };
        let priority = 7u8.saturating_sub(u8::try_from(i).unwrap_or(7));
        sections.push(Section::new(
            priority,
            vec![Line::styled(text::truncate(line, width), style)],
            None,
        ));
    }
}

fn last_verdict<'a>(app: &App, t: Theme, v: &Verdict, width: usize) -> Vec<Line<'a>> {
    let style = t.outcome(v.outcome);
    let mut lines = vec![Line::from(vec![
        Span::styled("last check ", t.dim()),
        Span::raw(offset(app, v.at)),
        Span::raw(" "),
        Span::styled(
            format!("{} {}", outcome_mark(v.outcome), v.outcome.label()),
            style,
        ),
    ])];
    lines.extend(wrapped(vec![Span::raw("  ")], &v.reason, width, style));
    lines
}

//! The group screen: the group's phase and verdict above, a band per member, one event log for
//! the group below, the keys at the bottom. `Tab` shows the selected member's full cockpit.
//!
//! ```text
//!  canary cockpit │ group shop │ ▶ Progressing │ step 2 │ all-or-none │ elapsed 00:45
//!  group · waiting for backend │ backend ✖ failed 2/5 │ frontend ✔ passed 0/5
//!  band per member (5 rows each; those that do not fit scroll with j/k)
//!  events
//!  footer: keys · message
//! ```

use super::group_band::{Band, HEIGHT};
use super::text;
use super::theme::Theme;
use crate::app::group::GroupApp;
use crate::group::GroupPhase;
use crate::model::Clock;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

/// Rows the event log keeps whatever the number of members.
const MIN_EVENTS: u16 = 8;

/// How many member bands fit in `height` rows, and the first shown so that the selected one is.
pub fn visible_bands(group: &GroupApp, height: u16) -> (usize, usize) {
    let room = height.saturating_sub(3 + MIN_EVENTS) / HEIGHT;
    let fit = usize::from(room.max(1)).min(group.members.len());
    let first = group.selected.saturating_sub(fit.saturating_sub(1));
    (first.min(group.members.len().saturating_sub(fit)), fit)
}

/// Draws the group screen, or the focused member's cockpit.
pub fn render_group(group: &GroupApp, area: Rect, buf: &mut Buffer) {
    if let Some(member) = group.focus.and_then(|i| group.members.get(i)) {
        super::render_area(&member.app, area, buf);
        let hint = " Tab: back to the group ";
        let x = area.right().saturating_sub(text::width(hint) as u16 + 1);
        let theme = Theme::new(member.app.config.color);
        buf.set_string(x, area.y, hint, theme.key());
        super::scrub(buf);
        return;
    }
    let color = group.members.first().is_some_and(|m| m.app.config.color);
    let t = Theme::new(color);
    if area.width < super::MIN_WIDTH || area.height < super::MIN_HEIGHT {
        super::too_small(t, area, buf);
        return;
    }
    let line = |y: u16| Rect {
        y,
        height: 1,
        ..area
    };
    header(group, t, line(area.y), buf);
    verdicts(group, t, line(area.y + 1), buf);
    let (first, fit) = visible_bands(group, area.height);
    let mut y = area.y + 2;
    for i in first..first + fit {
        let m = &group.members[i];
        Band {
            name: &m.name,
            app: &m.app,
            theme: t,
            selected: i == group.selected,
            failure: group.plan.members.get(i).and_then(|p| p.failure.as_deref()),
        }
        .render(
            Rect {
                y,
                height: HEIGHT,
                ..area
            },
            buf,
        );
        y += HEIGHT;
    }
    let footer_y = area.bottom() - 1;
    let mut events = Rect {
        y,
        height: footer_y.saturating_sub(y),
        ..area
    };
    if fit < group.members.len() {
        let more = format!(
            " members {}–{} of {} · j/k ",
            first + 1,
            first + fit,
            group.members.len()
        );
        buf.set_string(area.x + 1, y.saturating_sub(1), more, t.warn());
        events.height = events.height.max(1);
    }
    events_panel(group, t, events, buf);
    footer(group, t, line(footer_y), buf);
    super::scrub(buf);
}

fn header(group: &GroupApp, t: Theme, area: Rect, buf: &mut Buffer) {
    let plan = &group.plan;
    let phase_style = match plan.phase {
        GroupPhase::RollingBack { .. } | GroupPhase::RolledBack | GroupPhase::Failed => t.bad(),
        GroupPhase::Promoted => t.good(),
        GroupPhase::Paused | GroupPhase::Mixed => t.warn(),
        _ => t.accent(),
    };
    let sep = Span::styled(" │ ", t.dim());
    let spans = vec![
        Span::styled(" canary cockpit ", t.bold()),
        sep.clone(),
        Span::styled(format!("group {}", plan.name), t.bold()),
        sep.clone(),
        Span::styled(format!("{} members", group.members.len()), t.plain()),
        sep.clone(),
        Span::styled(format!("▶ {}", plan.phase), phase_style),
        sep.clone(),
        Span::styled(format!("step {}", plan.steps), t.plain()),
        sep.clone(),
        Span::styled(plan.policy.label(), t.plain()),
        sep,
        Span::styled(format!("elapsed {}", Clock(group.elapsed_ms())), t.plain()),
    ];
    Line::from(spans).render(area, buf);
}

fn verdicts(group: &GroupApp, t: Theme, area: Rect, buf: &mut Buffer) {
    let (rows, verdict) = group.verdicts();
    let style = match verdict {
        crate::group::GroupVerdict::Failed { .. } => t.bad(),
        crate::group::GroupVerdict::Passing => t.good(),
        crate::group::GroupVerdict::Waiting { .. } => t.plain(),
    };
    let mut spans = vec![Span::styled(format!(" {}", verdict.line()), style)];
    for row in rows {
        spans.push(Span::styled(" │ ", t.dim()));
        let s = if row.failure.is_some() {
            t.bad()
        } else {
            t.dim()
        };
        // the reason is in the event log; the line keeps the verdict
        let short = crate::group::MemberVerdict {
            failure: None,
            ..row.clone()
        };
        let line = if row.failure.is_some() {
            format!(
                "{} ✖ failed {}/{}",
                row.name, row.failed_checks, row.threshold
            )
        } else {
            short.line()
        };
        spans.push(Span::styled(line, s));
    }
    Line::from(spans).render(area, buf);
}

fn events_panel(group: &GroupApp, t: Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(false))
        .title(Span::styled(" events ", t.title()));
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.is_empty() {
        return;
    }
    let width = usize::from(inner.width);
    let started = group.started_at.unwrap_or(group.now);
    let mut lines: Vec<Line> = Vec::new();
    for e in group.log.iter().rev() {
        let stamp = format!("T+{} ", Clock(e.at.since(started)));
        let indent = text::width(&stamp);
        let parts = text::wrap(&e.text, width.saturating_sub(indent).max(8));
        let mut entry: Vec<Line> = parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| {
                let lead = if i == 0 {
                    Span::styled(stamp.clone(), t.dim())
                } else {
                    Span::raw(" ".repeat(indent))
                };
                Line::from(vec![lead, Span::styled(part, t.log(e.kind))])
            })
            .collect();
        entry.append(&mut lines);
        lines = entry;
        if lines.len() >= usize::from(inner.height) {
            break;
        }
    }
    let skip = lines.len().saturating_sub(usize::from(inner.height));
    for (i, line) in lines.into_iter().skip(skip).enumerate() {
        line.render(
            Rect {
                y: inner.y + i as u16,
                height: 1,
                ..inner
            },
            buf,
        );
    }
}

fn footer(group: &GroupApp, t: Theme, area: Rect, buf: &mut Buffer) {
    if let Some(what) = group.confirm {
        Line::styled(format!(" {}", what.question(group)), t.warn()).render(area, buf);
        return;
    }
    let keys = [
        ("Tab", "open"),
        ("+", "step"),
        ("p", "pause"),
        ("P", "promote"),
        ("R", "rollback"),
        ("h", "testers"),
        ("j/k", "move"),
        ("q", "quit"),
    ];
    let mut spans = vec![Span::raw(" ")];
    for (k, what) in keys {
        spans.push(Span::styled(k, t.key()));
        spans.push(Span::styled(format!(" {what}  "), t.plain()));
    }
    let used: usize = spans.iter().map(Span::width).sum();
    if let Some(status) = &group.status {
        let room = usize::from(area.width).saturating_sub(used + 1);
        if room > 8 {
            spans.push(Span::styled(text::truncate(status, room), t.warn()));
        }
    }
    Line::from(spans).render(area, buf);
}

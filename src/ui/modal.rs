//! The confirm modal for promote and rollback, and the weight prompt. Their text wraps to the
//! popup's width and the popup grows to hold it: nothing is clipped.

use super::footer::hints;
use super::text;
use super::theme::Theme;
use crate::app::keymap;
use crate::app::{App, Confirm, Prompt};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Clear, Widget};
use tui_input::Input;

/// A `width` × `height` rectangle in the middle of `area` (shrunk to fit).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let (w, h) = (width.min(area.width), height.min(area.height));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Draws a text input in one row with the cursor cell reversed; returns the cursor position.
pub fn input(t: Theme, input: &Input, area: Rect, buf: &mut Buffer) -> Position {
    let width = usize::from(area.width.saturating_sub(1)).max(1);
    let scroll = input.visual_scroll(width);
    let shown: String = input.value().chars().skip(scroll).collect();
    buf.set_stringn(area.x, area.y, &shown, width, t.bold());
    let cx = area.x + (input.visual_cursor().saturating_sub(scroll)) as u16;
    let cursor = Position::new(cx.min(area.right().saturating_sub(1)), area.y);
    if let Some(cell) = buf.cell_mut(cursor) {
        cell.set_style(t.cursor());
    }
    cursor
}

/// Clears `area` and draws a bordered popup in it; returns the inner area.
fn popup(area: Rect, title: Line, style: Style, buf: &mut Buffer) -> Rect {
    Clear.render(area, buf);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(style)
        .title(title);
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// Cells a popup `width` wide leaves for its text: its border and a blank margin of one cell
/// on each side.
fn text_width(width: u16) -> usize {
    usize::from(width.saturating_sub(4)).max(1)
}

/// Rows of wrapped text for a popup `width` cells wide.
fn body(lines: &[(String, Style)], width: u16) -> Vec<(String, Style)> {
    let w = text_width(width);
    lines
        .iter()
        .flat_map(|(s, style)| text::wrap(s, w).into_iter().map(move |l| (l, *style)))
        .collect()
}

/// The width of a popup for `lines` in `area`: `preferred` when the wrapped text and `extra`
/// rows fit in the height, else wider, up to the whole width less a cell on each side.
fn fitted_width(lines: &[(String, Style)], extra: u16, preferred: u16, area: Rect) -> u16 {
    let widest = area.width.saturating_sub(2);
    let mut width = preferred.min(widest);
    while width < widest && body(lines, width).len() as u16 + extra > area.height {
        width = (width + 8).min(widest);
    }
    width
}

/// Draws `rows` in `inner` inside its margins. Rows that do not fit are never dropped silently:
/// the last row shown ends in `…`.
fn draw_body(rows: &[(String, Style)], inner: Rect, buf: &mut Buffer) {
    let w = usize::from(inner.width.saturating_sub(2));
    let room = usize::from(inner.height);
    for (i, (s, style)) in rows.iter().enumerate().take(room) {
        let cut = i + 1 == room && rows.len() > room;
        let shown = if cut {
            text::truncate(&format!("{s} …"), w)
        } else {
            s.clone()
        };
        buf.set_stringn(inner.x + 1, inner.y + i as u16, &shown, w, *style);
    }
}

/// The key hints of a popup, centered on its last inner row.
fn keys_line(t: Theme, table: &[keymap::KeyBinding], inner: Rect, buf: &mut Buffer) {
    if inner.height == 0 {
        return;
    }
    let row = Rect {
        y: inner.bottom() - 1,
        height: 1,
        ..inner
    };
    Line::from(hints(t, table, usize::from(inner.width)))
        .centered()
        .render(row, buf);
}

pub fn confirm(app: &App, t: Theme, what: Confirm, area: Rect, buf: &mut Buffer) {
    if let Confirm::Keel(vote) = what {
        return keel(app, t, vote, area, buf);
    }
    let (name, primary, canary) =
        app.release
            .as_ref()
            .map_or(("the release", "the primary", "the canary"), |r| {
                (
                    r.name.as_str(),
                    r.primary.name.as_str(),
                    r.canary.name.as_str(),
                )
            });
    let controller = app.release.as_ref().and_then(|r| r.controller.as_ref());
    let said = |action: crate::model::Capability| {
        controller
            .and_then(|c| c.consequence(action))
            .map(str::to_string)
    };
    let (title, message, style) = match what {
        Confirm::Promote => (
            format!(" Promote {name}? "),
            said(crate::model::Capability::Promote).unwrap_or_else(|| {
                format!("Promote {name}: {canary} becomes the primary and takes all traffic.")
            }),
            t.good(),
        ),
        Confirm::ClearRoutes => (
            format!(" Remove the testers' routes of {name}? "),
            format!(
                "Remove {}: matching requests follow the weight again.",
                app.cockpit_rules()
                    .iter()
                    .map(|r| r.describe())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            t.warn(),
        ),
        Confirm::Keel(_) => return,
        Confirm::Rollback => (
            format!(" Roll back {name}? "),
            said(crate::model::Capability::Rollback).unwrap_or_else(|| {
                format!(
                    "Roll back {name}: all traffic returns to {primary} and the canary is scaled to 0."
                )
            }),
            t.alarm(),
        ),
    };
    let now = format!(
        "Now: canary {canary} at {} %, failed checks {}/{}.",
        app.weight(),
        app.analysis.failed,
        app.settings.threshold
    );
    let lines = [
        (message, t.bold()),
        (String::new(), t.plain()),
        (now, t.dim()),
    ];
    // borders, the blank row and the keys' row
    let width = fitted_width(&lines, 4, 60.min(area.width.saturating_sub(4)), area);
    let rows = body(&lines, width);
    let height = rows.len() as u16 + 4;
    let inner = popup(
        centered(area, width, height),
        Line::styled(title, style.patch(t.bold())),
        style,
        buf,
    );
    let text = Rect {
        height: inner.height.saturating_sub(2),
        ..inner
    };
    draw_body(&rows, text, buf);
    keys_line(t, keymap::CONFIRM, inner, buf);
}

/// `a` / `x`: `approve 1.5.0 for deployment/shop/web? votes 1/2`, with the voter and the
/// deadline.
fn keel(app: &App, t: Theme, vote: crate::model::approval::Vote, area: Rect, buf: &mut Buffer) {
    use crate::model::approval::Vote;
    let Some(a) = app.keel_asked.as_ref() else {
        return;
    };
    let (title, style) = match vote {
        Vote::Approve => (" Approve in Keel? ", t.good()),
        Vote::Reject => (" Reject in Keel? ", t.alarm()),
    };
    let workload = a
        .identifier
        .rsplit_once(':')
        .map_or(a.identifier.as_str(), |(w, _)| w);
    let question = format!(
        "{} {} for {workload}? votes {}/{}",
        vote.action(),
        a.new_version,
        a.votes_received,
        a.votes_required
    );
    let voters = if a.voters.is_empty() {
        "no votes yet".to_string()
    } else {
        format!("voted: {}", a.voters.join(", "))
    };
    let detail = format!(
        "{} → {} · {voters} · deadline {} · you vote as {}",
        a.current_version,
        a.new_version,
        a.deadline_time(),
        app.operator().voter()
    );
    let lines = [
        (question, t.bold()),
        (String::new(), t.plain()),
        (detail, t.dim()),
    ];
    let width = fitted_width(&lines, 4, 60.min(area.width.saturating_sub(4)), area);
    let rows = body(&lines, width);
    let height = rows.len() as u16 + 4;
    let inner = popup(
        centered(area, width, height),
        Line::styled(title, style.patch(t.bold())),
        style,
        buf,
    );
    let text = Rect {
        height: inner.height.saturating_sub(2),
        ..inner
    };
    draw_body(&rows, text, buf);
    keys_line(t, keymap::CONFIRM, inner, buf);
}

/// The weight prompt; returns where the terminal cursor goes.
pub fn weight(app: &App, t: Theme, p: &Prompt, area: Rect, buf: &mut Buffer) -> Position {
    let width = 50.min(area.width.saturating_sub(4));
    let mut info = format!("now {} %", app.weight());
    if let Some(plan) = app.plan() {
        let steps: Vec<String> = plan.weights().iter().map(ToString::to_string).collect();
        info.push_str(&format!(" · plan {}", steps.join(" ")));
    }
    let info = body(&[(info, t.dim())], width);
    let error = p
        .error
        .as_ref()
        .map(|e| body(&[(e.clone(), t.alarm())], width))
        .unwrap_or_default();
    let height = (info.len() + error.len()) as u16 + 4;
    let title = Line::styled(" Set canary weight (0-100) ", t.title());
    let inner = popup(centered(area, width, height), title, t.accent(), buf);
    draw_body(&info, inner, buf);
    let y = inner.y + info.len() as u16;
    buf.set_string(inner.x + 1, y, "> ", t.key());
    let field = Rect {
        x: inner.x + 3,
        y,
        width: inner.width.saturating_sub(4),
        height: 1,
    };
    let cursor = input(t, &p.input, field, buf);
    let below = Rect {
        y: y + 1,
        height: inner.bottom().saturating_sub(y + 1),
        ..inner
    };
    draw_body(&error, below, buf);
    keys_line(t, keymap::PROMPT, inner, buf);
    cursor
}

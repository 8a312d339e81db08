//! One line: the key hints of the current mode (from the key tables) and, on the right, the
//! message of the moment (a live error until its source recovers, or the latest answer). The way
//! out (`R rollback`, `p pause`, `? help`) is always shown; the message is cut to the room left.
//! While the pod filter is typed, the line becomes the filter prompt.

use super::text;
use super::theme::Theme;
use crate::app::keymap::{self, KeyBinding};
use crate::app::{App, Level, Mode, Prompt, PromptKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};

/// The key table that applies in `mode`.
pub fn table(mode: &Mode) -> &'static [KeyBinding] {
    match mode {
        Mode::Normal => keymap::NORMAL,
        Mode::Help | Mode::Inspect | Mode::Judge => keymap::HELP,
        Mode::Confirm(_) => keymap::CONFIRM,
        Mode::Prompt(_) => keymap::PROMPT,
    }
}

/// Cells taken by one hint: `R rollback`.
fn hint_width(b: &KeyBinding) -> Option<usize> {
    let hint = b.hint?;
    Some(text::width(key_of(b)) + 1 + text::width(hint))
}

/// The first of a binding's keys, as the hints write it.
fn key_of(b: &KeyBinding) -> &'static str {
    b.label.split(' ').next().unwrap_or(b.label)
}

/// Cells the kept hints of `table` take (the way out: `p pause  R rollback  ? help`).
fn kept_width(table: &[KeyBinding]) -> usize {
    let widths: Vec<usize> = table
        .iter()
        .filter(|b| b.kept)
        .filter_map(hint_width)
        .collect();
    widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1)
}

/// "+ step  w weight  …": the bindings with a hint, as many as fit in `width` cells, in the
/// table's order. The kept ones (the way out) are chosen first, then the others while they fit.
pub fn hints<'a>(t: Theme, table: &[KeyBinding], width: usize) -> Vec<Span<'a>> {
    let mut chosen = vec![false; table.len()];
    let mut used = 0;
    for kept in [true, false] {
        for (i, b) in table.iter().enumerate() {
            let Some(w) = hint_width(b).filter(|_| b.kept == kept) else {
                continue;
            };
            let gap = if used == 0 { 0 } else { 2 };
            if used + gap + w <= width {
                used += gap + w;
                chosen[i] = true;
            }
        }
    }
    let mut spans = Vec::new();
    for (b, _) in table.iter().zip(&chosen).filter(|(_, c)| **c) {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(key_of(b).to_string(), t.key()));
        spans.push(Span::styled(
            format!(" {}", b.hint.unwrap_or("")),
            t.plain(),
        ));
    }
    spans
}

/// The footer's message, marked by its level and cut to `max` cells.
fn message<'a>(app: &App, t: Theme, max: usize) -> Option<Span<'a>> {
    // an action in flight, or one its controller has yet to confirm
    let pending = app
        .in_flight_line()
        .map(|line| (Level::Info, line))
        .or_else(|| app.awaiting_line());
    if let Some((level, line)) = pending {
        let mark = if level == Level::Info { "⧗" } else { "!" };
        return Some(Span::styled(
            text::truncate(&format!("{mark} {line}"), max),
            t.level(level),
        ));
    }
    let (level, said) = app.footer_message()?;
    let mark = match level {
        Level::Info => "",
        Level::Warn => "! ",
        Level::Error => "✖ ",
    };
    let text = text::truncate(&format!("{mark}{said}"), max);
    Some(Span::styled(text, t.level(level))).filter(|s| s.width() > 0)
}

/// Draws the footer; returns where the terminal cursor goes when the filter prompt is open.
pub fn render(app: &App, t: Theme, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let width = usize::from(area.width);
    if let Mode::Prompt(p) = &app.mode {
        match p.kind {
            Some(PromptKind::Filter) => {
                return Some(line_prompt(t, p, " filter pods /", area, buf))
            }
            Some(PromptKind::Note) => return Some(line_prompt(t, p, " note: ", area, buf)),
            Some(PromptKind::Goto) => return Some(line_prompt(t, p, " open :", area, buf)),
            Some(PromptKind::Route) => {
                return Some(line_prompt(t, p, " testers' route h: ", area, buf))
            }
            _ => {}
        }
    }
    let shown: Vec<KeyBinding> = table(&app.mode)
        .iter()
        .filter(|b| !((app.config.read_only || app.config.no_writes) && b.command.acts()))
        .copied()
        .collect();
    // the message gets what the way out leaves: a space before the keys, two after them
    let status = message(app, t, width.saturating_sub(kept_width(&shown) + 3));
    let status_w = status.as_ref().map_or(0, Span::width);
    if let Some(s) = &status {
        buf.set_span(area.right() - status_w as u16, area.y, s, status_w as u16);
    }
    let room = width.saturating_sub(status_w + 1);
    let mut spans = vec![Span::raw(" ")];
    spans.extend(hints(t, &shown, room.saturating_sub(1)));
    buf.set_line(area.x, area.y, &Line::from(spans), room as u16);
    None
}

/// A one-line prompt in the footer: label, input field, and the prompt's keys or its error.
pub fn line_prompt(t: Theme, p: &Prompt, label: &str, area: Rect, buf: &mut Buffer) -> Position {
    let half = usize::from(area.width) / 2;
    let right = match &p.error {
        Some(e) => Line::from(Span::styled(
            text::truncate(&format!("✖ {e} "), half),
            t.level(Level::Error),
        )),
        None => Line::from(hints(t, keymap::PROMPT, half)),
    };
    let right_w = right.width() as u16;
    buf.set_line(area.right() - right_w, area.y, &right, right_w);
    let label = Span::styled(label.to_string(), t.key());
    let label_w = label.width() as u16;
    buf.set_span(area.x, area.y, &label, label_w);
    let field = Rect {
        x: area.x + label_w,
        width: area.width.saturating_sub(label_w + right_w + 1),
        ..area
    };
    super::modal::input(t, &p.input, field, buf)
}

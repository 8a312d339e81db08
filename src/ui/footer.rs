//! One line: the key hints of the current mode (from the key tables) and, on the right, the latest
//! status message. While the pod filter is typed, the line becomes the filter prompt.

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
        Mode::Help | Mode::Inspect => keymap::HELP,
        Mode::Confirm(_) => keymap::CONFIRM,
        Mode::Prompt(_) => keymap::PROMPT,
    }
}

/// "+ step  w weight  …": the bindings with a hint, as many as fit in `width` cells.
pub fn hints<'a>(t: Theme, table: &[KeyBinding], width: usize) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    let mut used = 0;
    for b in table {
        let Some(hint) = b.hint else { continue };
        let key = b.label.split(' ').next().unwrap_or(b.label);
        let gap = if spans.is_empty() { 0 } else { 2 };
        let w = gap + text::width(key) + 1 + text::width(hint);
        if used + w > width {
            break;
        }
        used += w;
        if gap > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(key.to_string(), t.key()));
        spans.push(Span::styled(format!(" {hint}"), t.plain()));
    }
    spans
}

fn status_line<'a>(app: &App, t: Theme, max: usize) -> Option<Span<'a>> {
    if let Some(line) = app.in_flight_line() {
        return Some(Span::styled(
            text::truncate(&format!("⧗ {line}"), max),
            t.level(Level::Info),
        ));
    }
    let status = app.status.as_ref()?;
    let mark = match status.level {
        Level::Info => "",
        Level::Warn => "! ",
        Level::Error => "✖ ",
    };
    let text = text::truncate(&format!("{mark}{}", status.text), max);
    Some(Span::styled(text, t.level(status.level)))
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
    let status = status_line(app, t, width * 3 / 5);
    let status_w = status.as_ref().map_or(0, Span::width);
    if let Some(s) = &status {
        buf.set_span(area.right() - status_w as u16, area.y, s, status_w as u16);
    }
    let room = width.saturating_sub(status_w + 1);
    let mut spans = vec![Span::raw(" ")];
    let shown: Vec<KeyBinding> = table(&app.mode)
        .iter()
        .filter(|b| !((app.config.read_only || app.config.no_writes) && b.command.acts()))
        .copied()
        .collect();
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

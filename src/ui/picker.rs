//! The release list of `canary watch` without a target: a title line, one row per release
//! (namespace, target, provider, phase, canary weight), the footer with its keys and status.

use super::footer::{hints, line_prompt};
use super::text;
use super::theme::Theme;
use crate::app::keymap;
use crate::app::picker::{Picker, PickerMode};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::Frame;

pub fn render_picker(p: &Picker, frame: &mut Frame) {
    let area = frame.area();
    if let Some(at) = draw(p, area, frame.buffer_mut()) {
        frame.set_cursor_position(at);
    }
}

fn cell(s: &str, width: usize) -> String {
    let t = text::truncate(s, width);
    let pad = width.saturating_sub(text::width(&t));
    format!("{t}{}", " ".repeat(pad))
}

/// Draws the list into `buf`; returns where the cursor goes while a prompt is open.
pub fn draw(p: &Picker, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let t = Theme::new(p.color);
    if area.height < 3 || area.width < 20 {
        buf.set_string(
            area.x,
            area.y,
            text::truncate("terminal too small", usize::from(area.width)),
            t.warn(),
        );
        return None;
    }
    let title = format!(
        " canary cockpit · releases in {}{} ",
        p.scope,
        if p.filter.is_empty() {
            String::new()
        } else {
            format!(" · filter {:?}", p.filter)
        }
    );
    buf.set_line(
        area.x,
        area.y,
        &Line::from(vec![
            Span::styled(text::truncate(&title, usize::from(area.width)), t.title()),
            Span::styled(if p.loading { "  listing…" } else { "" }, t.dim()),
        ]),
        area.width,
    );
    let w = usize::from(area.width);
    // columns: marker, namespace, target, provider, phase, weight, note
    let ns_w = p
        .rows
        .iter()
        .map(|&i| text::width(&p.all[i].namespace))
        .max()
        .unwrap_or(9)
        .clamp(9, 24);
    let target_w = p
        .rows
        .iter()
        .map(|&i| text::width(&p.all[i].target))
        .max()
        .unwrap_or(6)
        .clamp(6, 40);
    let fixed = 2 + ns_w + 1 + target_w + 1 + 13 + 1 + 12 + 1 + 6 + 1;
    let note_w = w.saturating_sub(fixed);
    let header = format!(
        "  {} {} {} {} {:>6} {}",
        cell("NAMESPACE", ns_w),
        cell("TARGET", target_w),
        cell("PROVIDER", 13),
        cell("PHASE", 12),
        "CANARY",
        cell("", note_w)
    );
    buf.set_string(area.x, area.y + 1, text::truncate(&header, w), t.dim());
    let body = usize::from(area.height.saturating_sub(3));
    let first = p.selected.saturating_sub(body.saturating_sub(1));
    for (row, &i) in p.rows.iter().enumerate().skip(first).take(body) {
        let l = &p.all[i];
        let selected = row == p.selected;
        let weight = l
            .weight
            .map_or_else(|| "—".to_string(), |w| format!("{w} %"));
        let line = format!(
            "{} {} {} {} {} {:>6} {}",
            if selected { "▶" } else { " " },
            cell(&l.namespace, ns_w),
            cell(&l.target, target_w),
            cell(&l.provider, 13),
            cell(&l.phase, 12),
            weight,
            cell(&l.note, note_w)
        );
        let style = match (selected, l.weight.is_some()) {
            (true, _) => t.cursor(),
            (false, true) => t.plain(),
            (false, false) => t.warn(),
        };
        let y = area.y + 2 + (row - first) as u16;
        buf.set_string(area.x, y, text::truncate(&line, w), style);
    }
    if p.rows.is_empty() && !p.loading {
        let what = if p.all.is_empty() {
            "no releases"
        } else {
            "no release matches the filter"
        };
        buf.set_string(
            area.x + 2,
            area.y + 2,
            text::truncate(what, w.saturating_sub(2)),
            t.dim(),
        );
    }
    let footer = Rect {
        y: area.bottom() - 1,
        height: 1,
        ..area
    };
    match &p.mode {
        PickerMode::Filter(prompt) => {
            return Some(line_prompt(t, prompt, " filter /", footer, buf))
        }
        PickerMode::Goto(prompt) => return Some(line_prompt(t, prompt, " open :", footer, buf)),
        PickerMode::List => {}
    }
    let status = p
        .status
        .as_ref()
        .map(|s| Span::styled(text::truncate(&s.text, w * 3 / 5), t.level(s.level)));
    let status_w = status.as_ref().map_or(0, Span::width);
    if let Some(s) = &status {
        buf.set_span(
            footer.right() - status_w as u16,
            footer.y,
            s,
            status_w as u16,
        );
    }
    let room = w.saturating_sub(status_w + 1);
    let mut spans = vec![Span::raw(" ")];
    spans.extend(hints(t, keymap::PICKER, room.saturating_sub(1)));
    buf.set_line(footer.x, footer.y, &Line::from(spans), room as u16);
    None
}

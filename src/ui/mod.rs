//! `render(&App, &mut Frame)`: the whole screen, one panel per file. Pure: it reads the state, never
//! changes it, reads no clock (times come from `app.now`) and sorts nothing.
//!
//! ```text
//!  header                                               (1 line)
//!  weight gauge, its scale on the bottom border           (3 lines)
//!  pods                       │ traffic
//!                             │ errors · latency
//!  analysis                   │ events
//!  footer: key hints · status                           (1 line)
//! ```

mod analysis;
pub mod board;
pub mod board_confirm;
mod errors;
mod events;
mod footer;
mod gauge;
pub mod group;
mod group_band;
mod header;
mod help;
mod judge_detail;
mod judge_lines;
mod modal;
pub mod picker;
mod pods;
mod spark;
mod text;
pub mod theme;
mod traffic;
mod usage;

use crate::app::{App, Mode, PromptKind};
pub use footer::hints;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use ratatui::Frame;
pub use text::truncate as text_truncate;
pub use text::NO_PROMETHEUS;
pub use theme::Theme;

/// The smallest terminal the cockpit lays out in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// Where each panel goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub gauge: Rect,
    pub pods: Rect,
    pub traffic: Rect,
    pub errors: Rect,
    pub analysis: Rect,
    pub events: Rect,
    pub footer: Rect,
}

/// Splits `area` (at least `MIN_WIDTH` × `MIN_HEIGHT`) into the panels. Plain arithmetic: cheap
/// every frame and the same on every machine.
pub fn layout(area: Rect) -> Areas {
    let row = |y: u16, height: u16| Rect {
        x: area.x,
        y,
        width: area.width,
        height,
    };
    let gauge_h = 3;
    let header = row(area.y, 1);
    let gauge = row(area.y + 1, gauge_h);
    let footer = row(area.bottom() - 1, 1);
    let body_y = gauge.bottom();
    let body_h = footer.y - body_y;
    let bottom_h = (body_h * 9 / 20).max(4);
    let middle_h = body_h - bottom_h;
    // The right column stacks traffic (two series and, on an odd row, the measured split) over
    // errors (four series): errors gets a multiple of four rows inside its border so no series is
    // taller than its neighbours.
    let (traffic_h, errors_h) = if middle_h >= 10 {
        let inner = middle_h - 4;
        let series = ((inner * 3 + 10) / 20).clamp(1, (inner - 2) / 4);
        (inner - series * 4 + 2, series * 4 + 2)
    } else {
        (3, middle_h.saturating_sub(3))
    };

    let split = |r: Rect, left_w: u16| {
        (
            Rect { width: left_w, ..r },
            Rect {
                x: r.x + left_w,
                width: r.width - left_w,
                ..r
            },
        )
    };
    let (pods, right) = split(row(body_y, middle_h), area.width / 2);
    let traffic = Rect {
        height: traffic_h,
        ..right
    };
    let errors = Rect {
        y: right.y + traffic_h,
        height: errors_h,
        ..right
    };
    let (analysis, events) = split(row(body_y + middle_h, bottom_h), area.width * 9 / 20);
    Areas {
        header,
        gauge,
        pods,
        traffic,
        errors,
        analysis,
        events,
        footer,
    }
}

/// Draws the cockpit for `app` into `frame`.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if let Some(position) = render_area(app, area, frame.buffer_mut()) {
        frame.set_cursor_position(position);
    }
}

/// Draws the cockpit for `app` into `area` of `buf`; returns where the terminal cursor goes when
/// a prompt is open. Replay draws the cockpit above its timeline with this.
pub fn render_area(app: &App, area: Rect, buf: &mut Buffer) -> Option<ratatui::layout::Position> {
    let theme = Theme::new(app.config.color);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(theme, area, buf);
        return None;
    }
    draw(app, theme, area, buf)
}

/// Draws everything into `buf`; returns the cursor position when a prompt is open.
fn draw(
    app: &App,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) -> Option<ratatui::layout::Position> {
    let a = layout(area);
    let t = theme;
    header::Header { app, theme: t }.render(a.header, buf);
    gauge::Gauge { app, theme: t }.render(a.gauge, buf);
    pods::Pods { app, theme: t }.render(a.pods, buf);
    traffic::Traffic { app, theme: t }.render(a.traffic, buf);
    errors::Errors { app, theme: t }.render(a.errors, buf);
    analysis::Analysis { app, theme: t }.render(a.analysis, buf);
    events::Events { app, theme: t }.render(a.events, buf);
    let mut cursor = footer::render(app, t, a.footer, buf);
    match &app.mode {
        Mode::Normal => {}
        Mode::Help => help::render(t, app.config.read_only, area, buf),
        Mode::Inspect => help::queries(t, &app.config.queries, area, buf),
        Mode::Judge => judge_detail::render(app, t, area, buf),
        Mode::Confirm(what) => modal::confirm(app, t, *what, area, buf),
        Mode::Prompt(p) => {
            if p.kind == Some(PromptKind::Weight) {
                cursor = Some(modal::weight(app, t, p, area, buf));
            }
        }
    }
    cursor
}

/// The last pass over every frame before it reaches the terminal: whatever the panels drew,
/// no cell keeps a control or bidi character (ratatui drops the controls of a span but appends
/// a zero-width bidi control to the cell before it). The text helpers have shown such
/// characters already (`␛`, `\u{202e}`); this pass makes sure of it for the rest.
pub fn scrub(buf: &mut Buffer) {
    for cell in &mut buf.content {
        let symbol = cell.symbol();
        // most cells hold one printable ASCII character
        if let [b] = symbol.as_bytes() {
            if (0x20..0x7f).contains(b) {
                continue;
            }
        }
        if let Some(clean) = crate::hygiene::cell(symbol) {
            cell.set_symbol(&clean);
        }
    }
}

fn too_small(t: Theme, area: Rect, buf: &mut Buffer) {
    let (w, h) = (area.width, area.height);
    let long = format!(
        "terminal too small ({w}×{h}): canary cockpit needs at least {MIN_WIDTH}×{MIN_HEIGHT}"
    );
    let medium = format!("terminal too small ({w}×{h}): need {MIN_WIDTH}×{MIN_HEIGHT}");
    let short = format!("too small ({w}×{h}), need {MIN_WIDTH}×{MIN_HEIGHT}");
    let message = [long, medium]
        .into_iter()
        .find(|m| text::width(m) <= usize::from(w))
        .unwrap_or(short);
    for (i, line) in text::wrap(&message, usize::from(w))
        .iter()
        .enumerate()
        .take(usize::from(h))
    {
        buf.set_string(area.x, area.y + i as u16, line, t.warn());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::text::{Line, Span};

    #[test]
    fn the_frame_pass_leaves_no_hazard_in_any_cell_and_moves_no_column() {
        let area = Rect::new(0, 0, 12, 1);
        let mut buf = Buffer::empty(area);
        let line = Line::from(vec![
            Span::raw("ab\u{202e}cd"),
            Span::raw("\u{2066}e\u{1b}]0;x\u{7}f"),
        ]);
        line.render(area, &mut buf);
        let hazard = |b: &Buffer| {
            b.content
                .iter()
                .any(|c| crate::hygiene::has_hazard(c.symbol()))
        };
        // ratatui drops the controls but appends a bidi control to the cell before it
        assert!(hazard(&buf));
        scrub(&mut buf);
        assert!(!hazard(&buf));
        let row: String = buf.content.iter().map(|c| c.symbol()).collect();
        assert_eq!(row, "abcde]0;xf  ");
    }
}

//! The event log as "T+mm:ss text", coloured by kind. Follows the newest entries unless scrolled;
//! only the entries that fit are laid out.

use super::analysis::offset;
use super::text;
use super::theme::Theme;
use crate::app::{App, LogEntry, Panel};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

pub struct Events<'a> {
    pub app: &'a App,
    pub theme: Theme,
}

/// The lines of one entry: the time, then the text wrapped under itself.
fn entry_lines<'a>(app: &App, t: Theme, e: &'a LogEntry, width: usize) -> Vec<Line<'a>> {
    let stamp = format!("{} ", offset(app, e.at));
    let indent = text::width(&stamp);
    let style = t.log(e.kind);
    let mut stamp = Some(Span::styled(stamp, t.dim()));
    text::wrap(&e.text, width.saturating_sub(indent).max(8))
        .into_iter()
        .map(|part| {
            let lead = stamp
                .take()
                .unwrap_or_else(|| Span::raw(" ".repeat(indent)));
            Line::from(vec![lead, Span::styled(part, style)])
        })
        .collect()
}

impl Widget for Events<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let focused = app.focus == Panel::Events;
        let total = app.log.len();
        let mut block = t
            .focusable_block(focused)
            .title(Span::styled(" events ", t.title()));
        if let Some(top) = app.events_scroll {
            block = block.title_bottom(
                Line::styled(
                    format!(" from {} of {total} · scrolled, not following ", top + 1),
                    t.warn(),
                )
                .right_aligned(),
            );
        }
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        if total == 0 {
            buf.set_string(inner.x, inner.y, "no events yet", t.dim());
            return;
        }
        let height = usize::from(inner.height);
        let width = usize::from(inner.width);
        let lines: Vec<Line> = match app.events_scroll {
            Some(top) => {
                let mut lines = Vec::with_capacity(height);
                for e in app.log.iter().skip(top.min(total - 1)) {
                    lines.extend(entry_lines(app, t, e, width));
                    if lines.len() >= height {
                        break;
                    }
                }
                lines.truncate(height);
                lines
            }
            None => {
                // Newest at the bottom: gather whole entries backwards while they fit; an entry
                // taller than the panel shows its start.
                let mut chunks = Vec::new();
                let mut count = 0;
                for e in app.log.iter().rev() {
                    let lines = entry_lines(app, t, e, width);
                    if count + lines.len() > height {
                        if chunks.is_empty() {
                            chunks.push(lines.into_iter().take(height).collect());
                        }
                        break;
                    }
                    count += lines.len();
                    chunks.push(lines);
                }
                chunks.into_iter().rev().flatten().collect()
            }
        };
        for (i, line) in lines.iter().enumerate() {
            buf.set_line(inner.x, inner.y + i as u16, line, inner.width);
        }
    }
}

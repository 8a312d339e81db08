//! The board's confirmation: the action, every release it applies to and what will be written
//! to each (or why that one is left out), `y` to go on, `n` to write nothing.

use super::text;
use super::theme::Theme;
use crate::app::Action;
use crate::board::Planned;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Borders, Clear, Widget};

pub fn draw(t: Theme, action: Action, items: &[Planned], area: Rect, buf: &mut Buffer) {
    let width = area.width.saturating_sub(4).min(110);
    let shown = items.len().min(usize::from(area.height.saturating_sub(7)));
    let height = (shown as u16 + 4).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    Clear.render(rect, buf);
    let go = items.iter().filter(|p| p.plan.is_ok()).count();
    let title = format!(" {action} {go} release{} ", if go == 1 { "" } else { "s" });
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.alarm())
        .title(title);
    let inner = block.inner(rect);
    block.render(rect, buf);
    let w = usize::from(inner.width);
    for (n, p) in items.iter().take(shown).enumerate() {
        let (said, style) = match &p.plan {
            Ok(writes) => (format!("{}: writes {writes}", p.key), t.plain()),
            Err(why) => (format!("{}: left out: {why}", p.key), t.warn()),
        };
        let y = inner.y + n as u16;
        buf.set_string(inner.x, y, text::truncate(&said, w), style);
    }
    if shown < items.len() {
        let more = format!("… and {} more", items.len() - shown);
        buf.set_string(inner.x, inner.y + shown as u16, more, t.dim());
    }
    let ask = if go == 0 {
        "nothing can be written: n to close".to_string()
    } else {
        format!("y {action} {go} · n cancel (nothing written)")
    };
    buf.set_string(
        inner.x,
        inner.bottom().saturating_sub(1),
        text::truncate(&ask, w),
        t.key(),
    );
}

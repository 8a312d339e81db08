//! The help overlay: every key of the cockpit, from the same table the key handler uses.

use super::footer::hints;
use super::modal::centered;
use super::text;
use super::theme::Theme;
use crate::app::keymap;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

/// The help overlay. In replay (`read_only`) it lists replay's keys, then the cockpit's view keys.
pub fn render(t: Theme, read_only: bool, area: Rect, buf: &mut Buffer) {
    let width = 76.min(area.width.saturating_sub(4));
    let inner_w = usize::from(width.saturating_sub(4));
    let bindings = shown(read_only);
    let key_w = bindings
        .iter()
        .map(|b| text::width(b.label))
        .max()
        .unwrap_or(0)
        + 2;
    let mut lines: Vec<Line> = bindings
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(text::pad(b.label, key_w), t.key()),
                Span::raw(text::truncate(b.description, inner_w.saturating_sub(key_w))),
            ])
        })
        .collect();
    let note = if read_only {
        keymap::REPLAY_NOTE
    } else {
        keymap::PAUSE_NOTE
    };
    let note = text::wrap(note, inner_w);
    // the blank line before the note goes first when the screen is short
    if lines.len() + note.len() + 3 <= usize::from(area.height) {
        lines.push(Line::raw(""));
    }
    lines.extend(note.into_iter().map(|l| Line::styled(l, t.warn())));
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = centered(area, width, height);
    Clear.render(popup, buf);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(t.accent())
        .title(Span::styled(" help · keys ", t.title()))
        .title_bottom(closing(t, inner_w));
    let inner = block.inner(popup);
    block.render(popup, buf);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    for (i, line) in lines.iter().enumerate().take(usize::from(inner.height)) {
        buf.set_line(inner.x, inner.y + i as u16, line, inner.width);
    }
}

/// The inspect overlay: each Prometheus query behind the numbers, whole, to copy.
pub fn queries(t: Theme, queries: &[(String, String)], area: Rect, buf: &mut Buffer) {
    let width = area.width.saturating_sub(4).max(20);
    let inner_w = usize::from(width.saturating_sub(4)).max(8);
    let mut lines: Vec<Line> = Vec::new();
    for (what, promql) in queries {
        lines.push(Line::styled(what.clone(), t.key()));
        // hard-wrapped by width: PromQL has few spaces to break at
        let chars: Vec<char> = promql.chars().collect();
        for chunk in chars.chunks(inner_w) {
            lines.push(Line::raw(chunk.iter().collect::<String>()));
        }
        lines.push(Line::raw(""));
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = centered(area, width, height);
    Clear.render(popup, buf);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(t.accent())
        .title(Span::styled(" metrics · PromQL ", t.title()))
        .title_bottom(closing(t, inner_w));
    let inner = block.inner(popup);
    block.render(popup, buf);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    for (i, line) in lines.iter().enumerate().take(usize::from(inner.height)) {
        buf.set_line(inner.x, inner.y + i as u16, line, inner.width);
    }
}

/// The bindings the overlay lists. Replay's table spells pairs once ("← →"): an entry whose keys
/// the entry before it already names is not repeated; the cockpit's action keys are left out.
fn shown(read_only: bool) -> Vec<&'static keymap::KeyBinding> {
    if !read_only {
        return once(keymap::NORMAL.iter());
    }
    let mut out = once(keymap::REPLAY.iter());
    out.extend(keymap::NORMAL.iter().filter(|b| !b.command.acts()));
    out
}

/// Pairs spelled once: an entry whose keys the entry before it names is left out.
fn once(
    table: impl Iterator<Item = &'static keymap::KeyBinding>,
) -> Vec<&'static keymap::KeyBinding> {
    let mut out: Vec<&keymap::KeyBinding> = Vec::new();
    for b in table {
        if out.last().is_some_and(|prev| prev.label.contains(b.label)) {
            continue;
        }
        out.push(b);
    }
    out
}

/// The keys that close an overlay, on its bottom border: `═ esc close ═╝`, a space either side
/// and the border drawn on to the corner.
fn closing(t: Theme, width: usize) -> Line<'static> {
    let mut spans = vec![Span::styled(" ", t.accent())];
    spans.extend(hints(t, keymap::HELP, width.saturating_sub(3)));
    spans.push(Span::styled(" ═", t.accent()));
    Line::from(spans).right_aligned()
}

//! The timeline bar under the replayed cockpit: the position on the recording's whole length, its
//! markers, the play state and replay's keys.
//!
//! ```text
//!  T+00:42 ━━━━━━━━━━━━◆━━━━●───✖──✖──▲!───────────────── 01:30
//!  ▶ 1×  next ✖ T+00:45 check failed (error rate 12 %)          space play  > < speed  …
//! ```

use crate::app::keymap;
use crate::app::LogKind;
use crate::model::{Clock, Outcome};
use crate::ui::{hints, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::playback::Playback;
use super::timeline::MarkKind;
use super::Player;

/// Rows the timeline takes when the terminal has room for them.
pub const HEIGHT: u16 = 2;

/// Draws the timeline into `area` (one or two rows).
pub fn render(player: &Player, playback: &Playback, t: Theme, area: Rect, buf: &mut Buffer) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    track_row(player, playback, t, area, buf);
    if area.height >= 2 {
        let row = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        status_row(player, playback, t, row, buf);
    }
}

fn track_row(player: &Player, playback: &Playback, t: Theme, area: Rect, buf: &mut Buffer) {
    let offset = Clock(player.position().since(player.start())).to_string();
    let total = Clock(player.duration_ms()).to_string();
    let state = if playback.playing { "▶" } else { "⏸" };
    // with only one row, the play state leads the track
    let left = if area.height >= 2 {
        format!(" T+{offset} ")
    } else {
        format!(" {state} {} T+{offset} ", playback.speed_label())
    };
    let right = format!(" {total} ");
    let left_w = left.chars().count() as u16;
    let right_w = right.chars().count() as u16;
    buf.set_string(area.x, area.y, &left, t.title());
    if area.width < left_w + right_w + 4 {
        return;
    }
    let cells = usize::from(area.width - left_w - right_w);
    buf.set_string(area.right() - right_w, area.y, &right, t.dim());
    let glyphs = track(player, cells);
    let cursor = cell_of(player, player.position().since(player.start()), cells);
    for (i, glyph) in glyphs.iter().enumerate() {
        let (symbol, mut style) = match glyph {
            Some(kind) => (kind.glyph(), mark_style(t, *kind)),
            None if i < cursor => ("━", t.accent()),
            None => ("─", t.dim()),
        };
        let symbol = if i == cursor && glyph.is_none() {
            "●"
        } else {
            symbol
        };
        if i == cursor {
            style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
        }
        buf.set_string(area.x + left_w + i as u16, area.y, symbol, style);
    }
}

/// The marker drawn in each cell of a track `cells` wide: the highest-ranked one in the cell.
fn track(player: &Player, cells: usize) -> Vec<Option<MarkKind>> {
    let mut out: Vec<Option<MarkKind>> = vec![None; cells];
    for m in player.markers() {
        let cell = cell_of(player, m.at.since(player.start()), cells);
        if let Some(slot) = out.get_mut(cell) {
            if slot.is_none_or(|k| k.rank() < m.kind.rank()) {
                *slot = Some(m.kind);
            }
        }
    }
    out
}

fn cell_of(player: &Player, offset_ms: i64, cells: usize) -> usize {
    let duration = player.duration_ms();
    if duration <= 0 || cells == 0 {
        return 0;
    }
    let cell = (offset_ms as i128 * cells as i128 / duration as i128) as usize;
    cell.min(cells - 1)
}

fn mark_style(t: Theme, kind: MarkKind) -> Style {
    match kind {
        MarkKind::Action => t.log(LogKind::Action).add_modifier(Modifier::BOLD),
        MarkKind::Verdict(Outcome::Pass) => t.good(),
        MarkKind::Verdict(outcome) => t.outcome(outcome),
        MarkKind::Phase => t.log(LogKind::Phase).add_modifier(Modifier::BOLD),
        MarkKind::Alert => t.alarm(),
        MarkKind::Note => t.key(),
    }
}

fn status_row(player: &Player, playback: &Playback, t: Theme, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    let state = if playback.playing {
        "▶ playing"
    } else {
        "⏸ paused"
    };
    let lead = format!(" {state} {} ", playback.speed_label());
    let keys = Line::from(hints(
        t,
        keymap::REPLAY,
        width.saturating_sub(lead.len() + 20) / 2,
    ));
    let keys_w = keys.width();
    let room = width.saturating_sub(lead.chars().count() + keys_w + 2);
    let detail = match (&playback.message, player.next_marker()) {
        (Some(m), _) => m.clone(),
        (None, Some(next)) => format!(
            "next {} T+{} {}",
            next.kind.glyph(),
            Clock(next.at.since(player.start())),
            next.text
        ),
        (None, None) => "no marked event ahead".to_string(),
    };
    let detail = crate::ui::text_truncate(&detail, room);
    let line = Line::from(vec![
        Span::styled(lead, t.title()),
        Span::raw(" "),
        Span::styled(detail, t.dim()),
    ]);
    buf.set_line(area.x, area.y, &line, area.width);
    let x = area.right().saturating_sub(keys_w as u16);
    buf.set_line(x, area.y, &keys, keys_w as u16);
}

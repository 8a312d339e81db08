//! The release board: a title with the counts ("3 waiting · 1 failing · 41 fine"), one row per
//! release (CONTEXT when there is more than one), the attention and its reason last, the rows of
//! an unreachable context greyed; the footer with the keys, the filter prompt, the confirmation.

use super::text;
use super::theme::Theme;
use crate::board::keys::HINTS;
use crate::board::{Attention, Board, BoardMode, Entry, RowResult};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::Frame;

pub fn render_board(b: &Board, frame: &mut Frame) {
    let area = frame.area();
    if let Some(at) = draw(b, area, frame.buffer_mut()) {
        frame.set_cursor_position(at);
    }
}

/// One column: its title, its width, and the cell of an entry.
struct Column {
    title: &'static str,
    width: usize,
    right: bool,
    cell: fn(&Entry) -> String,
}

fn columns(b: &Board, w: usize) -> Vec<Column> {
    let widest = |i: usize, min: usize, max: usize| b.widths[i].clamp(min, max);
    let col = |title, width, right, cell: fn(&Entry) -> String| Column {
        title,
        width,
        right,
        cell,
    };
    let ctx: fn(&Entry) -> String = |e| e.key().context.clone();
    let ns: fn(&Entry) -> String = |e| e.key().namespace.clone();
    let target: fn(&Entry) -> String = |e| e.key().target.clone();
    let phase: fn(&Entry) -> String = |e| e.row().facts.phase.clone();
    // by priority: the first ones stay on the narrowest screens
    let mut all: Vec<(u8, Column)> = vec![
        (0, col("NAMESPACE", widest(1, 9, 20), false, ns)),
        (0, col("TARGET", widest(2, 6, 32), false, target)),
        (1, col("PHASE", widest(3, 5, 18), false, phase)),
        (1, col("WEIGHT", 6, true, |e| e.row().weight.clone())),
        (3, col("STEP", 5, true, |e| e.row().step.clone())),
        (2, col("CANARY", 7, true, |e| e.row().canary.clone())),
        (3, col("PRIMARY", 7, true, |e| e.row().primary.clone())),
        (
            2,
            col("SYSTEM", 13, false, |e| e.row().facts.system.clone()),
        ),
        (4, col("ERRORS c/p", 15, true, |e| e.row().errors.clone())),
        (4, col("P99 c/p", 15, true, |e| e.row().p99.clone())),
        (1, col("AGE", 5, true, |e| e.row().age.clone())),
    ];
    if b.many_contexts() {
        all.insert(0, (0, col("CONTEXT", widest(0, 7, 16), false, ctx)));
    }
    // the attention column keeps at least this much
    let room = w.saturating_sub(2 + 28);
    for drop in (1..=4).rev() {
        let used: usize = all.iter().map(|(_, c)| c.width + 1).sum();
        if used <= room {
            break;
        }
        all.retain(|(p, _)| *p < drop);
    }
    all.into_iter().map(|(_, c)| c).collect()
}

fn cell(s: &str, width: usize, right: bool) -> String {
    let t = text::truncate(s, width);
    if right {
        text::pad_left(&t, width)
    } else {
        text::pad(&t, width)
    }
}

fn attention_style(t: Theme, a: &Attention) -> Style {
    match a {
        Attention::Failing(_) => t.bad(),
        Attention::Waiting(_) => t.alarm(),
        Attention::Stalled(_) | Attention::NoReadyCanary(_) => t.warn(),
        Attention::Unreachable(_) => t.dim(),
        Attention::Fine => t.good(),
    }
}

/// The last column of an entry: its result while one is there, else its attention.
fn last_cell(b: &Board, e: &Entry) -> (String, Option<RowResult>) {
    if let Some(line) = b
        .context(&e.key().context)
        .and_then(|c| c.unreachable_line())
    {
        return (line, None);
    }
    if let Some(r) = b.results.get(e.key()) {
        let said = match r {
            RowResult::Running(a) => format!("{a}…"),
            RowResult::Done(t) => format!("✓ {t}"),
            RowResult::Failed(t) => format!("✗ {t}"),
        };
        return (said, Some(r.clone()));
    }
    let a = &e.row().attention;
    let said = match a {
        Attention::Fine => "ok".to_string(),
        a => a.reason().to_string(),
    };
    (said, None)
}

fn title(b: &Board) -> String {
    let mut s = format!(
        " canary board · {} release{} · {}",
        b.entries.len(),
        if b.entries.len() == 1 { "" } else { "s" },
        b.counts.line()
    );
    if !b.filter.is_empty() {
        s.push_str(&format!(" · filter {:?}", b.filter));
    }
    if b.attention_only {
        s.push_str(" · attention only");
    }
    if !b.marked.is_empty() {
        s.push_str(&format!(" · {} marked", b.marked.len()));
    }
    s
}

/// Draws the board into `buf`; returns where the cursor goes while the filter is typed.
pub fn draw(b: &Board, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let t = Theme::new(b.color);
    if area.height < 5 || area.width < 30 {
        buf.set_string(area.x, area.y, "terminal too small", t.warn());
        return None;
    }
    let w = usize::from(area.width);
    let listing = if b.listed { "" } else { "  listing…" };
    buf.set_line(
        area.x,
        area.y,
        &Line::from(vec![
            Span::styled(text::truncate(&title(b), w), t.title()),
            Span::styled(listing, t.dim()),
        ]),
        area.width,
    );
    let cols = columns(b, w);
    let fixed: usize = cols.iter().map(|c| c.width + 1).sum::<usize>() + 2;
    let last_w = w.saturating_sub(fixed);
    let mut header = String::from("  ");
    for c in &cols {
        header.push_str(&cell(c.title, c.width, c.right));
        header.push(' ');
    }
    header.push_str("ATTENTION");
    buf.set_string(area.x, area.y + 1, text::truncate(&header, w), t.dim());
    let body = usize::from(area.height.saturating_sub(4));
    let first = b.selected.saturating_sub(body.saturating_sub(1));
    for (n, &i) in b.shown.iter().enumerate().skip(first).take(body) {
        let e = &b.entries[i];
        let selected = n == b.selected;
        let marked = b.marked.contains(e.key());
        let gone = b
            .context(&e.key().context)
            .is_some_and(|c| c.unreachable.is_some());
        let mark = match (selected, marked) {
            (true, true) => "▶●",
            (true, false) => "▶ ",
            (false, true) => " ●",
            (false, false) => "  ",
        };
        let mut line = String::from(mark);
        for c in &cols {
            line.push_str(&cell(&(c.cell)(e), c.width, c.right));
            line.push(' ');
        }
        let base = match (selected, gone) {
            (true, _) => t.cursor(),
            (false, true) => t.dim(),
            (false, false) => t.plain(),
        };
        let (last, result) = last_cell(b, e);
        let last_style = match (gone, result) {
            (true, _) => t.dim(),
            (false, Some(RowResult::Failed(_))) => t.bad(),
            (false, Some(RowResult::Done(_))) => t.good(),
            (false, Some(RowResult::Running(_))) => t.accent(),
            (false, None) => attention_style(t, &e.row().attention),
        };
        let y = area.y + 2 + (n - first) as u16;
        let spans = vec![
            Span::styled(line, base),
            Span::styled(text::truncate(&last, last_w), last_style),
        ];
        buf.set_line(area.x, y, &Line::from(spans), area.width);
    }
    if b.shown.is_empty() && b.listed {
        let what = if b.entries.is_empty() {
            "no releases"
        } else {
            "no release matches"
        };
        buf.set_string(area.x + 2, area.y + 2, what, t.dim());
    }
    let at = footer(b, t, area, buf);
    if let BoardMode::Confirm { action, items } = &b.mode {
        super::board_confirm::draw(t, *action, items, area, buf);
    }
    at
}

fn footer(b: &Board, t: Theme, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let w = usize::from(area.width);
    let (status_y, keys_y) = (area.bottom() - 2, area.bottom() - 1);
    if let Some((warn, said)) = &b.status {
        let style = if *warn { t.warn() } else { t.dim() };
        buf.set_string(area.x + 1, status_y, text::truncate(said, w - 1), style);
    } else if let Some(e) = b.current() {
        // the selected row's whole reason, which its cell may cut
        let (last, _) = last_cell(b, e);
        let said = format!("{}: {last}", e.key());
        buf.set_string(area.x + 1, status_y, text::truncate(&said, w - 1), t.dim());
    }
    if b.mode == BoardMode::Filter {
        let label = " filter /";
        buf.set_string(area.x, keys_y, label, t.key());
        let x = area.x + label.len() as u16 + 1;
        let shown = text::truncate(&b.filter, w.saturating_sub(label.len() + 2));
        buf.set_string(x, keys_y, &shown, t.plain());
        return Some(Position::new(x + text::width(&shown) as u16, keys_y));
    }
    let mut spans = vec![Span::raw(" ")];
    let ro = b.read_only.is_some();
    for (key, what) in HINTS {
        let unavailable = ro && matches!(key, "p" | "r" | "P" | "R");
        spans.push(Span::styled(
            key,
            if unavailable { t.dim() } else { t.key() },
        ));
        spans.push(Span::styled(format!(" {what}  "), t.dim()));
    }
    buf.set_line(area.x, keys_y, &Line::from(spans), area.width);
    None
}

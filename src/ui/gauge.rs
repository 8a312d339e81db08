//! The traffic split: canary share from the left (█, canary colour), primary the rest (░, primary
//! colour). The bottom border is the scale: a tick at every plan weight, the max weight marked.

use super::theme::{Theme, CANARY_MARK, PRIMARY_MARK};
use crate::app::App;
use crate::hygiene::field;
use crate::model::Weight;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

pub struct Gauge<'a> {
    pub app: &'a App,
    pub theme: Theme,
}

/// Column of `weight` on a bar `width` cells wide.
fn column(weight: Weight, width: u16) -> u16 {
    let x = (u32::from(weight.percent()) * u32::from(width) + 50) / 100;
    (x as u16).min(width.saturating_sub(1))
}

/// Cells of the canary's share: at least one when above 0 %, at most all but one below 100 %.
fn split(weight: Weight, width: u16) -> u16 {
    let mut cells = (u32::from(weight.percent()) * u32::from(width) + 50) / 100;
    if weight > Weight::ZERO {
        cells = cells.max(1);
    }
    if weight < Weight::FULL {
        cells = cells.min(u32::from(width.saturating_sub(1)));
    }
    cells as u16
}

impl Widget for Gauge<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let weight = app.weight();
        let mut title = vec![Span::styled(" weight ", t.title())];
        if let Some(release) = &app.release {
            title.push(Span::styled(
                format!(
                    "{CANARY_MARK} canary {} {weight} %",
                    field(&release.canary.name)
                ),
                t.canary(),
            ));
            title.push(Span::styled(" · ", t.dim()));
            title.push(Span::styled(
                format!(
                    "{PRIMARY_MARK} primary {} {} % ",
                    field(&release.primary.name),
                    weight.complement()
                ),
                t.primary(),
            ));
        }
        let title = Line::from(title);
        let mut block = Block::bordered().border_style(t.border(false));
        if let Some(plan) = app.plan() {
            let next = match plan.next_above(weight) {
                _ if app.phase.is_final() => String::new(),
                Some(n) => format!("next {n} % · "),
                None => "at max · ".to_string(),
            };
            let pause = app
                .release
                .as_ref()
                .and_then(|r| r.controller.as_ref())
                .and_then(|c| c.pause)
                .map(|p| format!("{} · ", p.describe(app.now)))
                .unwrap_or_default();
            let right = Line::styled(format!(" {pause}{next}max {} % ", plan.max()), t.dim());
            if title.width() + right.width() + 4 <= usize::from(area.width) {
                block = block.title(right.right_aligned());
            }
        }
        let block = block.title(title);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        if app.release.is_none() {
            buf.set_string(inner.x, inner.y, "no release observed yet", t.dim());
            return;
        }

        let width = inner.width;
        let cells = split(weight, width);
        buf.set_string(inner.x, inner.y, "█".repeat(usize::from(cells)), t.canary());
        buf.set_string(
            inner.x + cells,
            inner.y,
            "░".repeat(usize::from(width - cells)),
            t.primary(),
        );

        // Keel's approval the release waits for, at the bar's left end
        if let Some(a) = app.keel_pending() {
            let text = format!(" {} ", field(&a.line()));
            let text = crate::ui::text::truncate(&text, usize::from(width));
            buf.set_string(inner.x, inner.y, &text, t.bold());
        }

        // testers' routes, at the bar's right end: requests that skip the weight
        if let Some(release) = &app.release {
            if !release.rules.is_empty() {
                let rules: Vec<String> = release.rules.iter().map(|r| r.describe()).collect();
                let text = format!(" testers: {} → canary ", rules.join(", "));
                let text = crate::ui::text::truncate(&text, usize::from(width));
                let w = text.chars().count() as u16;
                buf.set_string(inner.x + width - w, inner.y, &text, t.bold());
            }
        }

        // The scale, drawn over the bottom border, labelled where the labels fit.
        let Some(plan) = app.plan() else {
            return;
        };
        let y = area.bottom() - 1;
        let max = plan.max();
        let mut taken = vec![false; usize::from(width)];
        let max_x = column(max, width);
        let label = format!("▲max {max}");
        let flipped = format!("max {max}▲");
        let flipped_x = (max_x + 1).saturating_sub(flipped.chars().count() as u16);
        for (x, text) in [
            (max_x, label.as_str()),
            (flipped_x, flipped.as_str()),
            (max_x, "▲"),
        ] {
            if place(x, text, &mut taken) {
                buf.set_string(inner.x + x, y, text, t.bold());
                break;
            }
        }
        for w in plan.weights().into_iter().filter(|w| *w != max) {
            let x = column(w, width);
            let style = if w <= weight { t.canary() } else { t.dim() };
            let label = format!("┴{w}");
            for text in [label.as_str(), "┴"] {
                if place(x, text, &mut taken) {
                    buf.set_string(inner.x + x, y, text, style);
                    break;
                }
            }
        }
    }
}

/// Marks the cells a label takes (plus one free cell after it) if they are all free.
fn place(x: u16, label: &str, taken: &mut [bool]) -> bool {
    let (from, to) = (usize::from(x), usize::from(x) + label.chars().count());
    if to > taken.len() || taken[from..to].iter().any(|t| *t) {
        return false;
    }
    let end = (to + 1).min(taken.len());
    taken[from..end].fill(true);
    true
}

//! Sparklines drawn right-aligned (newest sample at the right edge), one style per bar so a sample
//! over a threshold can be red, and gaps where there was no traffic.

use super::text;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One column of a sparkline; `value: None` leaves a gap ("no traffic").
#[derive(Clone, Copy, Debug)]
pub struct Bar {
    pub value: Option<f64>,
    pub style: Style,
}

/// Draws `bars` (oldest first) against `max`, the newest at the right edge of `area`. A present value
/// always shows at least the lowest bar so that "0" differs from "no traffic".
pub fn render(bars: &[Bar], max: f64, area: Rect, buf: &mut Buffer) {
    if area.is_empty() || bars.is_empty() {
        return;
    }
    let shown = &bars[bars.len().saturating_sub(usize::from(area.width))..];
    let left = area.right() - shown.len() as u16;
    let rows = i64::from(area.height);
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    for (i, bar) in shown.iter().enumerate() {
        let Some(v) = bar.value.filter(|v| v.is_finite()) else {
            continue;
        };
        // Height in eighths of a cell, at least one eighth.
        let eighths = ((v.max(0.0) / max).min(1.0) * (rows * 8) as f64).round() as i64;
        let eighths = eighths.max(1);
        let x = left + i as u16;
        for r in 0..rows {
            let fill = (eighths - r * 8).clamp(0, 8);
            if fill == 0 {
                break;
            }
            let y = area.bottom() - 1 - r as u16;
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_char(LEVELS[(fill - 1) as usize])
                    .set_style(bar.style);
            }
        }
    }
}

/// A labelled series: a label, the current value, and a sparkline of its history.
pub struct Series<'a> {
    pub label: Line<'a>,
    pub value: Span<'a>,
}

/// Where the parts of a series go in `area`: on one line "label value ▁▂▃" when the area is one row
/// high, else the label and value on the first row and the sparkline below, full width.
pub struct SeriesLayout {
    pub label: Rect,
    pub value: Rect,
    pub spark: Rect,
}

pub fn layout(area: Rect, label_w: u16, value_w: u16) -> SeriesLayout {
    let row = Rect { height: 1, ..area };
    if area.height >= 2 {
        let value_w = value_w.min(area.width);
        return SeriesLayout {
            label: Rect {
                width: area.width - value_w,
                ..row
            },
            value: Rect {
                x: area.right() - value_w,
                width: value_w,
                ..row
            },
            spark: Rect {
                y: area.y + 1,
                height: area.height - 1,
                ..area
            },
        };
    }
    let label_w = label_w.min(area.width);
    let value_w = value_w.min(area.width - label_w);
    let spark_x = area.x + label_w + value_w + 1;
    SeriesLayout {
        label: Rect {
            width: label_w,
            ..row
        },
        value: Rect {
            x: area.x + label_w,
            width: value_w,
            ..row
        },
        spark: Rect {
            x: spark_x.min(area.right()),
            width: area.right().saturating_sub(spark_x),
            ..row
        },
    }
}

impl Series<'_> {
    /// Draws the label and the value (right-aligned in its slot); the caller draws the sparkline into
    /// `layout.spark` with as many bars as it is wide.
    pub fn render(&self, layout: &SeriesLayout, buf: &mut Buffer) {
        buf.set_line(
            layout.label.x,
            layout.label.y,
            &self.label,
            layout.label.width,
        );
        let w = usize::from(layout.value.width);
        let text = text::pad_left(&self.value.content, w);
        buf.set_string(layout.value.x, layout.value.y, text, self.value.style);
    }
}

/// `area` cut into `n` bands of equal height from the top; rows left over stay empty so that
/// every series has the same shape.
pub fn bands(area: Rect, n: u16) -> Vec<Rect> {
    let n = n.max(1);
    let height = area.height / n;
    (0..n)
        .map(|i| Rect {
            y: area.y + i * height,
            height,
            ..area
        })
        .collect()
}

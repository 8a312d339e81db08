//! The shared time axis: milliseconds since the start to x, its grid and its labels.

use super::doc::Doc;
use super::series::Series;
use super::{AXIS, GRID, LEFT, PLOT_W};
use crate::replay::summary::{offset_label, Summary};

/// The shared horizontal axis: milliseconds since the start to x.
pub(super) struct TimeAxis {
    from: i64,
    /// The last event: lines end here.
    pub(super) to: i64,
    /// The right edge of the panels.
    drawn_to: i64,
}

impl TimeAxis {
    pub(super) fn new(summary: &Summary, series: &Series) -> Self {
        let first = [&series.weight, &series.errors[0], &series.errors[1]]
            .iter()
            .filter_map(|s| s.first().map(|p| p.t))
            .min()
            .unwrap_or(0);
        let from = first.min(0);
        let end = summary.duration_ms.max(from + 1000);
        // A little room after the last event, so that what happened at the end stays visible.
        let to = end + ((end - from) / 40).max(500);
        Self {
            from,
            to: end,
            drawn_to: to,
        }
    }

    pub(super) fn x(&self, t_ms: i64) -> f64 {
        let share = (t_ms - self.from) as f64 / (self.drawn_to - self.from).max(1) as f64;
        LEFT + share.clamp(0.0, 1.0) * PLOT_W
    }

    /// Tick spacing: a round duration that gives at most about ten labels.
    fn step(&self) -> i64 {
        const STEPS: [i64; 16] = [
            1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600,
        ];
        let span = (self.to - self.from).max(1);
        STEPS
            .iter()
            .map(|s| s * 1000)
            .find(|s| span / s <= 10)
            .unwrap_or(span)
    }

    fn ticks(&self) -> impl Iterator<Item = i64> + '_ {
        let step = self.step();
        let first = self.from.div_euclid(step) * step;
        (0..)
            .map(move |i| first + i * step)
            .skip_while(move |t| *t < self.from)
            .take_while(move |t| *t <= self.drawn_to)
    }

    pub(super) fn draw_grid(&self, doc: &mut Doc, top: f64, bottom: f64) {
        for t in self.ticks() {
            let x = self.x(t);
            doc.line(x, top, x, bottom, GRID, 1.0, None);
        }
    }

    pub(super) fn draw_labels(&self, doc: &mut Doc, bottom: f64) {
        for t in self.ticks() {
            let x = self.x(t);
            doc.line(x, bottom, x, bottom + 4.0, AXIS, 1.0, None);
            doc.text_at(x, bottom + 17.0, "middle", "11", AXIS, &offset_label(t));
        }
        doc.text_at(
            LEFT + PLOT_W / 2.0,
            bottom + 36.0,
            "middle",
            "11",
            AXIS,
            "time since the session started",
        );
    }
}

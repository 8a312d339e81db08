//! The panels (weight, error rate, p99, and the judge's score when it judged): value axis,
//! frame, limit and series.

use super::axis::TimeAxis;
use super::doc::Doc;
use super::series::{Pt, Series};
use super::{
    AXIS, CANARY, CHAR_W, GRID, LEFT, LIMIT, PANEL_GAP, PANEL_TITLE, PLOT_W, PRIMARY, SCORE, WEIGHT,
};
use crate::replay::summary::Summary;
use std::fmt::Write as _;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Weight,
    Errors,
    P99,
    Score,
}

/// One panel: a value axis, a frame, and its series.
pub(super) struct Panel {
    pub(super) kind: Kind,
    pub(super) top: f64,
    pub(super) height: f64,
    max: f64,
    step: f64,
    /// The analysis limit drawn as a dashed line.
    limit: Option<f64>,
    /// Whether the panel has anything to draw; without, it says so and shows no value axis.
    has_data: bool,
}

impl Panel {
    pub(super) fn stack(top: f64, summary: &Summary, series: &Series) -> Vec<Panel> {
        let highest = |lists: &[Vec<Pt>; 2]| {
            lists
                .iter()
                .flatten()
                .filter_map(|p| p.v)
                .fold(0.0_f64, f64::max)
        };
        let analysis = summary.analysis.as_ref();
        let error_limit = analysis.map(|a| a.max_error_rate * 100.0);
        let p99_limit = analysis.map(|a| a.max_p99_ms);
        let (error_max, error_step) =
            nice_axis(highest(&series.errors).max(error_limit.unwrap_or(0.0)), 1.0);
        let (p99_max, p99_step) =
            nice_axis(highest(&series.p99).max(p99_limit.unwrap_or(0.0)), 100.0);
        let traffic = |lists: &[Vec<Pt>; 2]| lists.iter().flatten().any(|p| p.v.is_some());
        let specs = [
            (
                Kind::Weight,
                120.0,
                (100.0, 25.0),
                None,
                !series.weight.is_empty(),
            ),
            (
                Kind::Errors,
                170.0,
                (error_max, error_step),
                error_limit,
                traffic(&series.errors),
            ),
            (
                Kind::P99,
                170.0,
                (p99_max, p99_step),
                p99_limit,
                traffic(&series.p99),
            ),
        ];
        let score = summary.judge.as_ref().map(|_| {
            let has = series.score.iter().any(|p| p.v.is_some());
            (Kind::Score, 120.0, (100.0, 25.0), None, has)
        });
        let mut y = top;
        specs
            .into_iter()
            .chain(score)
            .map(|(kind, height, (max, step), limit, has_data)| {
                let panel = Panel {
                    kind,
                    top: y + PANEL_TITLE,
                    height,
                    max,
                    step,
                    limit,
                    has_data,
                };
                y = panel.bottom() + PANEL_GAP;
                panel
            })
            .collect()
    }

    pub(super) fn bottom(&self) -> f64 {
        self.top + self.height
    }

    fn y(&self, v: f64) -> f64 {
        self.bottom() - (v / self.max).clamp(0.0, 1.0) * self.height
    }

    fn title(&self) -> &'static str {
        match self.kind {
            Kind::Weight => "canary weight (%)",
            Kind::Errors => "error rate (% of requests answered 5xx)",
            Kind::P99 => "p99 latency (ms)",
            Kind::Score => "statistical judge's score (0–100)",
        }
    }

    fn value_label(&self, v: f64) -> String {
        match self.kind {
            Kind::Weight => format!("{v:.0} %"),
            Kind::Errors if self.step < 1.0 => format!("{v:.1} %"),
            Kind::Errors => format!("{v:.0} %"),
            Kind::P99 => format!("{v:.0} ms"),
            Kind::Score => format!("{v:.0}"),
        }
    }

    pub(super) fn draw_frame(&self, doc: &mut Doc, time: &TimeAxis) {
        doc.label_at(LEFT, self.top - 7.0, "start", "12", "#222", self.title());
        time.draw_grid(doc, self.top, self.bottom());
        let ticks = if self.has_data {
            (self.max / self.step).round() as i64
        } else {
            -1
        };
        for i in 0..=ticks {
            let v = i as f64 * self.step;
            let y = self.y(v);
            doc.line(LEFT, y, LEFT + PLOT_W, y, GRID, 1.0, None);
            doc.line(LEFT - 4.0, y, LEFT, y, AXIS, 1.0, None);
            doc.text_at(LEFT - 7.0, y + 4.0, "end", "11", AXIS, &self.value_label(v));
        }
        let _ = writeln!(
            doc.out,
            r#"<rect x="{LEFT:.1}" y="{:.1}" width="{PLOT_W:.1}" height="{:.1}" fill="none" stroke="{AXIS}" stroke-width="1"/>"#,
            self.top, self.height
        );
        if let Some(limit) = self.limit.filter(|_| self.has_data) {
            let y = self.y(limit);
            doc.line(LEFT, y, LEFT + PLOT_W, y, LIMIT, 1.0, Some("6 4"));
            let unit = if self.kind == Kind::P99 { "ms" } else { "%" };
            let label = format!("limit {} {unit}", short_number(limit));
            doc.label_at(LEFT + PLOT_W - 4.0, y - 4.0, "end", "10", LIMIT, &label);
        }
    }

    pub(super) fn draw_series(&self, doc: &mut Doc, time: &TimeAxis, series: &Series) {
        match self.kind {
            Kind::Weight => self.draw_weight(doc, time, &series.weight),
            Kind::Errors => self.draw_pair(doc, time, &series.errors, "error"),
            Kind::P99 => self.draw_pair(doc, time, &series.p99, "p99"),
            Kind::Score => self.draw_score(doc, time, &series.score),
        }
    }

    fn draw_weight(&self, doc: &mut Doc, time: &TimeAxis, weight: &[Pt]) {
        let steps = step_points(weight, time.to);
        if steps.is_empty() {
            self.no_data(doc, "the release was never observed");
            return;
        }
        let coords = coords(&steps, time, self);
        let (x0, x1) = (time.x(steps[0].t), time.x(time.to));
        let _ = writeln!(
            doc.out,
            r#"<polygon class="weight-area" points="{x0:.1},{b:.1} {coords} {x1:.1},{b:.1}" fill="{WEIGHT}" fill-opacity="0.12" stroke="none"/>"#,
            b = self.bottom()
        );
        let _ = writeln!(
            doc.out,
            r#"<polyline class="series weight" points="{coords}" fill="none" stroke="{WEIGHT}" stroke-width="2" stroke-linejoin="round"/>"#
        );
        self.label_weights(doc, time, weight);
    }

    /// The value of each weight step, next to the step, as long as the labels have room.
    fn label_weights(&self, doc: &mut Doc, time: &TimeAxis, weight: &[Pt]) {
        if weight.len() > 40 {
            return;
        }
        let mut free_from = f64::MIN;
        for p in weight {
            let (Some(v), x) = (p.v, time.x(p.t)) else {
                continue;
            };
            let label = format!("{v:.0} %");
            if x + 3.0 < free_from {
                continue;
            }
            let above = self.y(v) - 5.0;
            let y = if above < self.top + 12.0 {
                self.y(v) + 14.0
            } else {
                above
            };
            doc.label_at(x + 3.0, y, "start", "10", WEIGHT, &label);
            free_from = x + 3.0 + label.len() as f64 * CHAR_W + 6.0;
        }
    }

    fn draw_pair(&self, doc: &mut Doc, time: &TimeAxis, lists: &[Vec<Pt>; 2], what: &str) {
        if lists.iter().flatten().all(|p| p.v.is_none()) {
            self.no_data(doc, "no traffic recorded");
            return;
        }
        for (list, (side, color)) in lists.iter().zip([("primary", PRIMARY), ("canary", CANARY)]) {
            for run in list.split(|p| p.v.is_none()).filter(|r| !r.is_empty()) {
                if let [single] = run {
                    let _ = writeln!(
                        doc.out,
                        r#"<circle class="series {side}-{what}" cx="{:.1}" cy="{:.1}" r="2" fill="{color}"/>"#,
                        time.x(single.t),
                        self.y(single.v.unwrap_or(0.0))
                    );
                } else {
                    let _ = writeln!(
                        doc.out,
                        r#"<polyline class="series {side}-{what}" points="{}" fill="none" stroke="{color}" stroke-width="1.5" stroke-linejoin="round"/>"#,
                        coords(run, time, self)
                    );
                }
            }
        }
    }

    /// The score as a line, broken where the judge could not score (every metric inconclusive).
    fn draw_score(&self, doc: &mut Doc, time: &TimeAxis, score: &[Pt]) {
        if score.iter().all(|p| p.v.is_none()) {
            self.no_data(doc, "no score: every report inconclusive");
            return;
        }
        for run in score.split(|p| p.v.is_none()).filter(|r| !r.is_empty()) {
            let _ = writeln!(
                doc.out,
                r#"<polyline class="series judge-score" points="{}" fill="none" stroke="{SCORE}" stroke-width="2" stroke-linejoin="round"/>"#,
                coords(run, time, self)
            );
        }
    }

    fn no_data(&self, doc: &mut Doc, text: &str) {
        let y = self.top + self.height / 2.0 + 4.0;
        doc.text_at(LEFT + PLOT_W / 2.0, y, "middle", "13", "#888", text);
    }
}

/// A step line: each weight holds until the next change, the last one until `end`.
pub(super) fn step_points(weight: &[Pt], end: i64) -> Vec<Pt> {
    let mut out = Vec::with_capacity(weight.len() * 2 + 1);
    for (i, p) in weight.iter().enumerate() {
        if i > 0 {
            out.push(Pt {
                t: p.t,
                v: out.last().and_then(|q: &Pt| q.v),
            });
        }
        out.push(*p);
    }
    if let Some(last) = out.last().copied() {
        if end > last.t {
            out.push(Pt { t: end, v: last.v });
        }
    }
    out
}

pub(super) fn coords(points: &[Pt], time: &TimeAxis, panel: &Panel) -> String {
    let mut out = String::with_capacity(points.len() * 12);
    for p in points {
        if let Some(v) = p.v {
            let _ = write!(out, "{:.1},{:.1} ", time.x(p.t), panel.y(v));
        }
    }
    out.trim_end().to_string()
}

/// At most two decimals, without trailing zeros: `1`, `0.5`, `99.95`.
pub(super) fn short_number(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The axis maximum and tick step for values up to `highest`: a round number, at least `floor`.
pub(super) fn nice_axis(highest: f64, floor: f64) -> (f64, f64) {
    let top = if highest.is_finite() {
        (highest * 1.08).max(floor)
    } else {
        floor
    };
    let raw = top / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    ((top / step).ceil() * step, step)
}

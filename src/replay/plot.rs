//! The session as one self-contained SVG picture: the canary's weight, the error rate and the p99
//! latency of both versions on a shared time axis, with markers for operator actions, notes, failed
//! checks, pauses and the end of the release.
//!
//! Written by hand: no dependencies, no scripts, no external fonts or images. Every series holds at
//! most [`MAX_POINTS`] points, so an 8-hour recording stays a small file; downsampling keeps the
//! lowest and the highest value of each time bucket, so short spikes survive. Where a version had
//! no traffic the line stops: no traffic is never drawn as 0.

use super::summary::{self, offset_label, source_label, SessionOutcome, Summary};
use crate::app::Event;
use crate::model::{MetricsSample, Millis};
use crate::record::Recording;
use std::fmt::Write as _;

/// The most points one series is drawn with.
pub const MAX_POINTS: usize = 2000;

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 30.0;
const PLOT_W: f64 = WIDTH - LEFT - RIGHT;
const LANE_TOP: f64 = 96.0;
const LANE_ROW: f64 = 15.0;
const MAX_LANE_ROWS: usize = 6;
const PANEL_TITLE: f64 = 22.0;
const PANEL_GAP: f64 = 14.0;
const CHAR_W: f64 = 6.4;

const PRIMARY: &str = "#1f77b4";
const CANARY: &str = "#e6550d";
const WEIGHT: &str = "#7b3294";
const LIMIT: &str = "#c0392b";
const ACTION: &str = "#5e3c99";
const NOTE: &str = "#1b7f79";
const FAILED: &str = "#c0392b";
const PROMOTED: &str = "#2e8b34";
const AXIS: &str = "#555";
const GRID: &str = "#e4e4e4";

/// The picture of a recording.
pub fn svg(rec: &Recording) -> String {
    let summary = summary::summarize(rec);
    let series = Series::collect(rec);
    let mut doc = Doc::default();
    let markers = markers(&summary);
    let time = TimeAxis::new(&summary, &series);
    let rows = place_labels(&markers, &time);
    let lane_rows = rows.iter().flatten().max().map_or(0, |r| r + 1);
    let top = LANE_TOP + lane_rows as f64 * LANE_ROW + 6.0;
    let panels = Panel::stack(top, &summary, &series);
    if rec.events.is_empty() {
        doc.open(160.0);
        write_title(&mut doc, rec, &summary);
        doc.text_at(
            WIDTH / 2.0,
            110.0,
            "middle",
            "14",
            "#777",
            "no data: the recording holds no events",
        );
        doc.close();
        return doc.out;
    }
    let height = panels.last().map_or(top, |p| p.bottom()) + 46.0;
    doc.open(height);
    write_title(&mut doc, rec, &summary);
    write_legend(&mut doc);
    for panel in &panels {
        panel.draw_frame(&mut doc, &time);
    }
    draw_pauses(&mut doc, &summary, &time, &panels);
    for panel in &panels {
        panel.draw_series(&mut doc, &time, &series);
    }
    draw_failed_checks(&mut doc, &summary, &time, &panels);
    draw_markers(&mut doc, &markers, &rows, &time, &panels);
    if let Some(last) = panels.last() {
        time.draw_labels(&mut doc, last.bottom());
    }
    doc.close();
    doc.out
}

/// One point of a series; `v: None` breaks the line (no traffic, or no samples for a while).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pt {
    t: i64,
    v: Option<f64>,
}

/// The series drawn, in milliseconds since the start.
#[derive(Default)]
struct Series {
    /// Canary weight in percent, one point per change.
    weight: Vec<Pt>,
    /// Error rate in percent: primary, canary.
    errors: [Vec<Pt>; 2],
    /// p99 in milliseconds: primary, canary.
    p99: [Vec<Pt>; 2],
    /// Time of the previous metrics sample, to break lines over holes in the data.
    last_sample: Option<i64>,
}

impl Series {
    fn collect(rec: &Recording) -> Self {
        let start = rec.header.started_at;
        let mut s = Series::default();
        let mut last_weight = None;
        for (t, event) in &rec.events {
            let t_ms = offset(*t, start);
            match event {
                Event::ReleaseObserved { release, .. } => {
                    let w = f64::from(release.weight.percent());
                    if last_weight != Some(w) {
                        s.weight.push(Pt {
                            t: t_ms,
                            v: Some(w),
                        });
                        last_weight = Some(w);
                    }
                }
                Event::MetricsSampled { sample } => s.push_sample(t_ms, sample),
                _ => {}
            }
        }
        s.weight = downsample(&s.weight, MAX_POINTS / 2 - 1);
        for list in s.errors.iter_mut().chain(s.p99.iter_mut()) {
            *list = downsample(list, MAX_POINTS);
        }
        s
    }

    fn push_sample(&mut self, t_ms: i64, sample: &MetricsSample) {
        let hole = 3 * sample.period_ms.max(1000);
        if self.last_sample.is_some_and(|last| t_ms - last > hole) {
            for list in self.errors.iter_mut().chain(self.p99.iter_mut()) {
                list.push(Pt { t: t_ms, v: None });
            }
        }
        self.last_sample = Some(t_ms);
        for (i, v) in [&sample.primary, &sample.canary].into_iter().enumerate() {
            let rate = summary::error_rate(v).map(|r| r * 100.0);
            self.errors[i].push(Pt { t: t_ms, v: rate });
            self.p99[i].push(Pt {
                t: t_ms,
                v: summary::p99(v),
            });
        }
    }
}

fn offset(t: Millis, start: Millis) -> i64 {
    t.0.saturating_sub(start.0)
}

/// At most `max` points: the series as it is when it fits, else per time bucket its lowest and
/// highest value (in time order) and a break when the bucket held one.
fn downsample(points: &[Pt], max: usize) -> Vec<Pt> {
    if points.len() <= max {
        return points.to_vec();
    }
    if max < 3 {
        return points[..max].to_vec();
    }
    let buckets = (max / 3).max(1) as i64;
    let (first, last) = match (points.first(), points.last()) {
        (Some(f), Some(l)) => (f.t, l.t.max(f.t)),
        _ => return Vec::new(),
    };
    let span = (last - first).max(1) + 1;
    let mut out = Vec::with_capacity(max);
    let mut bucket = Bucket::default();
    for p in points {
        let index = ((i128::from(p.t - first) * i128::from(buckets)) / i128::from(span)) as i64;
        if bucket.index != Some(index) {
            bucket.flush(&mut out);
            bucket = Bucket {
                index: Some(index),
                ..Bucket::default()
            };
        }
        bucket.add(*p);
    }
    bucket.flush(&mut out);
    out
}

#[derive(Default)]
struct Bucket {
    index: Option<i64>,
    low: Option<(i64, f64)>,
    high: Option<(i64, f64)>,
    gap: Option<i64>,
}

impl Bucket {
    fn add(&mut self, p: Pt) {
        let Some(v) = p.v else {
            self.gap.get_or_insert(p.t);
            return;
        };
        if self.low.is_none_or(|(_, low)| v < low) {
            self.low = Some((p.t, v));
        }
        if self.high.is_none_or(|(_, high)| v > high) {
            self.high = Some((p.t, v));
        }
    }

    fn flush(&self, out: &mut Vec<Pt>) {
        let mut kept: Vec<Pt> = Vec::with_capacity(3);
        for (t, v) in [self.low, self.high].into_iter().flatten() {
            if !kept.iter().any(|k| k.t == t) {
                kept.push(Pt { t, v: Some(v) });
            }
        }
        if let Some(t) = self.gap {
            kept.push(Pt { t, v: None });
        }
        kept.sort_by_key(|p| p.t);
        out.extend(kept);
    }
}

/// The shared horizontal axis: milliseconds since the start to x.
struct TimeAxis {
    from: i64,
    /// The last event: lines end here.
    to: i64,
    /// The right edge of the panels.
    drawn_to: i64,
}

impl TimeAxis {
    fn new(summary: &Summary, series: &Series) -> Self {
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

    fn x(&self, t_ms: i64) -> f64 {
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

    fn draw_grid(&self, doc: &mut Doc, top: f64, bottom: f64) {
        for t in self.ticks() {
            let x = self.x(t);
            doc.line(x, top, x, bottom, GRID, 1.0, None);
        }
    }

    fn draw_labels(&self, doc: &mut Doc, bottom: f64) {
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

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Weight,
    Errors,
    P99,
}

/// One panel: a value axis, a frame, and its series.
struct Panel {
    kind: Kind,
    top: f64,
    height: f64,
    max: f64,
    step: f64,
    /// The analysis limit drawn as a dashed line.
    limit: Option<f64>,
    /// Whether the panel has anything to draw; without, it says so and shows no value axis.
    has_data: bool,
}

impl Panel {
    fn stack(top: f64, summary: &Summary, series: &Series) -> Vec<Panel> {
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
        let mut y = top;
        specs
            .into_iter()
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

    fn bottom(&self) -> f64 {
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
        }
    }

    fn value_label(&self, v: f64) -> String {
        match self.kind {
            Kind::Weight => format!("{v:.0} %"),
            Kind::Errors if self.step < 1.0 => format!("{v:.1} %"),
            Kind::Errors => format!("{v:.0} %"),
            Kind::P99 => format!("{v:.0} ms"),
        }
    }

    fn draw_frame(&self, doc: &mut Doc, time: &TimeAxis) {
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

    fn draw_series(&self, doc: &mut Doc, time: &TimeAxis, series: &Series) {
        match self.kind {
            Kind::Weight => self.draw_weight(doc, time, &series.weight),
            Kind::Errors => self.draw_pair(doc, time, &series.errors, "error"),
            Kind::P99 => self.draw_pair(doc, time, &series.p99, "p99"),
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

    fn no_data(&self, doc: &mut Doc, text: &str) {
        let y = self.top + self.height / 2.0 + 4.0;
        doc.text_at(LEFT + PLOT_W / 2.0, y, "middle", "13", "#888", text);
    }
}

/// A step line: each weight holds until the next change, the last one until `end`.
fn step_points(weight: &[Pt], end: i64) -> Vec<Pt> {
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

fn coords(points: &[Pt], time: &TimeAxis, panel: &Panel) -> String {
    let mut out = String::with_capacity(points.len() * 12);
    for p in points {
        if let Some(v) = p.v {
            let _ = write!(out, "{:.1},{:.1} ", time.x(p.t), panel.y(v));
        }
    }
    out.trim_end().to_string()
}

/// At most two decimals, without trailing zeros: `1`, `0.5`, `99.95`.
fn short_number(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The axis maximum and tick step for values up to `highest`: a round number, at least `floor`.
fn nice_axis(highest: f64, floor: f64) -> (f64, f64) {
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

/// A vertical marker with a short label above the panels.
struct Marker {
    t_ms: i64,
    label: String,
    /// The full text, shown as a tooltip.
    detail: String,
    color: &'static str,
    dash: Option<&'static str>,
}

fn markers(summary: &Summary) -> Vec<Marker> {
    let mut out = Vec::new();
    for a in &summary.operator_actions {
        let user = a.user.as_deref().unwrap_or(&a.who);
        let (label, detail) = match &a.error {
            None => (
                format!("{} ({user})", a.action),
                format!("{}: {} ok", a.who, a.action),
            ),
            Some(e) => (
                format!("{} failed ({user})", a.action),
                format!("{}: {} failed: {e}", a.who, a.action),
            ),
        };
        out.push(Marker {
            t_ms: a.t_ms,
            label,
            detail,
            color: ACTION,
            dash: Some("5 3"),
        });
    }
    for n in &summary.notes {
        out.push(Marker {
            t_ms: n.t_ms,
            label: format!("note: {}", shorten(&n.text, 28)),
            detail: format!("note by {}: {}", n.author, n.text),
            color: NOTE,
            dash: Some("2 3"),
        });
    }
    if let Some(t_ms) = summary.outcome_t_ms {
        let (label, color) = match summary.outcome {
            SessionOutcome::Promoted => ("promoted", PROMOTED),
            SessionOutcome::RolledBack => ("rolled back", FAILED),
            SessionOutcome::Failed => ("release failed", FAILED),
            SessionOutcome::Undecided => ("undecided", AXIS),
        };
        out.push(Marker {
            t_ms,
            label: label.to_string(),
            detail: format!("{label} at {}", offset_label(t_ms)),
            color,
            dash: None,
        });
    }
    out.sort_by_key(|m| m.t_ms);
    out
}

/// At most `max` characters of a one-line text, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    let one_line = summary::plain(text);
    let one_line = one_line.trim();
    if one_line.chars().count() <= max {
        one_line.to_string()
    } else {
        let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// The row of the label lane for each marker (in the markers' order); `None` when no row has room,
/// in which case only the line and its tooltip are drawn.
fn place_labels(markers: &[Marker], time: &TimeAxis) -> Vec<Option<usize>> {
    let mut row_ends: Vec<f64> = Vec::new();
    markers
        .iter()
        .map(|m| {
            let (x0, x1) = label_span(m, time);
            let free = row_ends.iter().position(|end| *end + 8.0 < x0);
            let row = match free {
                Some(r) => r,
                None if row_ends.len() < MAX_LANE_ROWS => {
                    row_ends.push(f64::MIN);
                    row_ends.len() - 1
                }
                None => return None,
            };
            row_ends[row] = x1;
            Some(row)
        })
        .collect()
}

/// Left and right end of a marker's label: right of the line, or left of it near the right edge.
fn label_span(m: &Marker, time: &TimeAxis) -> (f64, f64) {
    let x = time.x(m.t_ms);
    let w = m.label.chars().count() as f64 * CHAR_W;
    if x + 4.0 + w <= WIDTH - 4.0 {
        (x + 4.0, x + 4.0 + w)
    } else {
        (x - 4.0 - w, x - 4.0)
    }
}

fn draw_markers(
    doc: &mut Doc,
    markers: &[Marker],
    rows: &[Option<usize>],
    time: &TimeAxis,
    panels: &[Panel],
) {
    let (Some(first), Some(last)) = (panels.first(), panels.last()) else {
        return;
    };
    for (m, row) in markers.iter().zip(rows) {
        let x = time.x(m.t_ms);
        let _ = writeln!(
            doc.out,
            "<g class=\"marker\"><title>{}</title>",
            xml(&m.detail)
        );
        let top = match row {
            Some(r) => {
                let y = LANE_TOP + (*r as f64 + 1.0) * LANE_ROW - 4.0;
                let (x0, _) = label_span(m, time);
                doc.label_at(x0, y, "start", "11", m.color, &m.label);
                y - 9.0
            }
            None => first.top - PANEL_TITLE,
        };
        let width = if m.dash.is_none() { 1.6 } else { 1.2 };
        doc.line(x, top, x, last.bottom(), m.color, width, m.dash);
        doc.out.push_str("</g>\n");
    }
}

/// Shaded bands over every panel while the release was paused.
fn draw_pauses(doc: &mut Doc, summary: &Summary, time: &TimeAxis, panels: &[Panel]) {
    for p in &summary.pauses {
        let (x0, x1) = (time.x(p.start_t_ms), time.x(p.end_t_ms));
        for panel in panels {
            let _ = writeln!(
                doc.out,
                r##"<rect class="paused" x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#8a8a8a" fill-opacity="0.16"/>"##,
                panel.top,
                (x1 - x0).max(1.0),
                panel.height
            );
        }
        if let Some(first) = panels.first() {
            if x1 - x0 > 50.0 {
                doc.text_at(
                    (x0 + x1) / 2.0,
                    first.top + 14.0,
                    "middle",
                    "11",
                    "#666",
                    "paused",
                );
            }
        }
    }
}

/// A small red tick on the error-rate panel's top edge for each failed check.
fn draw_failed_checks(doc: &mut Doc, summary: &Summary, time: &TimeAxis, panels: &[Panel]) {
    let Some(panel) = panels.iter().find(|p| p.kind == Kind::Errors) else {
        return;
    };
    for v in &summary.failed_verdicts {
        let x = time.x(v.t_ms);
        let y = panel.top;
        let _ = writeln!(
            doc.out,
            r#"<path class="failed-check" d="M{:.1},{:.1} L{:.1},{:.1} L{x:.1},{:.1} Z" fill="{FAILED}"><title>{}</title></path>"#,
            x - 4.5,
            y,
            x + 4.5,
            y,
            y + 8.0,
            xml(&format!(
                "{} check failed ({}): {}",
                offset_label(v.t_ms),
                v.failed_checks,
                v.reason
            ))
        );
    }
}

fn write_title(doc: &mut Doc, rec: &Recording, summary: &Summary) {
    let outcome = match summary.outcome_t_ms {
        Some(t) => format!("{} at {}", summary.outcome.label(), offset_label(t)),
        None => summary.outcome.label().to_string(),
    };
    let title = format!(
        "{} · {} · {outcome}",
        rec.header.release,
        source_label(&rec.header.source)
    );
    doc.text_at(LEFT, 30.0, "start", "18", "#111", &shorten(&title, 110));
    let mut sub = format!(
        "started {} · duration {}",
        summary.started_at,
        crate::model::Clock(summary.duration_ms),
    );
    let c = &summary.checks;
    if summary.analysis.is_some() || c.passed + c.failed + c.inconclusive > 0 {
        let _ = write!(
            sub,
            " · {} of {} checks failed",
            c.failed,
            c.passed + c.failed + c.inconclusive
        );
    }
    if summary.paused_ms > 0 {
        let _ = write!(sub, " · paused {}", crate::model::Clock(summary.paused_ms));
    }
    if !summary.warnings.is_empty() {
        let n = summary.warnings.len();
        let _ = write!(
            sub,
            " · {n} reader warning{}",
            if n == 1 { "" } else { "s" }
        );
    }
    doc.text_at(LEFT, 52.0, "start", "12", "#555", &sub);
}

fn write_legend(doc: &mut Doc) {
    let entries: [(&str, &str, Option<&str>); 7] = [
        ("canary weight", WEIGHT, None),
        ("primary", PRIMARY, None),
        ("canary", CANARY, None),
        ("analysis limit", LIMIT, Some("6 4")),
        ("operator action", ACTION, Some("5 3")),
        ("note", NOTE, Some("2 3")),
        ("failed check", FAILED, None),
    ];
    let y = 76.0;
    let mut x = LEFT;
    for (label, color, dash) in entries {
        if label == "failed check" {
            let _ = writeln!(
                doc.out,
                r#"<path d="M{:.1},{:.1} L{:.1},{:.1} L{:.1},{:.1} Z" fill="{color}"/>"#,
                x + 6.0,
                y - 8.0,
                x + 15.0,
                y - 8.0,
                x + 10.5,
                y
            );
        } else {
            doc.line(x, y - 4.0, x + 20.0, y - 4.0, color, 2.0, dash);
        }
        doc.text_at(x + 26.0, y, "start", "11", "#333", label);
        x += 26.0 + label.chars().count() as f64 * CHAR_W + 18.0;
    }
    let _ = writeln!(
        doc.out,
        r##"<rect x="{x:.1}" y="{:.1}" width="20" height="10" fill="#8a8a8a" fill-opacity="0.3"/>"##,
        y - 9.0
    );
    doc.text_at(x + 26.0, y, "start", "11", "#333", "paused");
}

/// The SVG text being written.
#[derive(Default)]
struct Doc {
    out: String,
}

impl Doc {
    fn open(&mut self, height: f64) {
        let _ = writeln!(
            self.out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{height:.0}" viewBox="0 0 {WIDTH:.0} {height:.0}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"#
        );
        let _ = writeln!(
            self.out,
            r#"<rect width="100%" height="100%" fill="white"/>"#
        );
    }

    fn close(&mut self) {
        self.out.push_str("</svg>\n");
    }

    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        color: &str,
        width: f64,
        dash: Option<&str>,
    ) {
        let dash = dash.map_or(String::new(), |d| format!(r#" stroke-dasharray="{d}""#));
        let _ = writeln!(
            self.out,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{color}" stroke-width="{width}"{dash}/>"#
        );
    }

    fn text_at(&mut self, x: f64, y: f64, anchor: &str, size: &str, color: &str, text: &str) {
        self.text_with(x, y, anchor, size, color, text, "");
    }

    /// Text over the plot, with a white halo so that lines behind it do not cross its letters.
    fn label_at(&mut self, x: f64, y: f64, anchor: &str, size: &str, color: &str, text: &str) {
        let halo =
            r#" stroke="white" stroke-width="3" stroke-linejoin="round" paint-order="stroke""#;
        self.text_with(x, y, anchor, size, color, text, halo);
    }

    #[allow(clippy::too_many_arguments)]
    fn text_with(
        &mut self,
        x: f64,
        y: f64,
        anchor: &str,
        size: &str,
        color: &str,
        text: &str,
        extra: &str,
    ) {
        let _ = writeln!(
            self.out,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="{size}" fill="{color}"{extra}>{}</text>"#,
            xml(text)
        );
    }
}

/// Text made safe inside an XML element or attribute: markup characters escaped, control
/// characters (which XML does not allow) replaced by spaces.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(values: &[(i64, Option<f64>)]) -> Vec<Pt> {
        values.iter().map(|&(t, v)| Pt { t, v }).collect()
    }

    #[test]
    fn downsampling_keeps_spikes_and_gaps() {
        let mut points: Vec<Pt> = (0..10_000)
            .map(|i| Pt {
                t: i * 1000,
                v: Some(1.0),
            })
            .collect();
        points[5_000].v = Some(90.0);
        points[7_000].v = None;
        let out = downsample(&points, 300);
        assert!(out.len() <= 300, "{}", out.len());
        assert!(out.iter().any(|p| p.v == Some(90.0)));
        assert!(out.iter().any(|p| p.v.is_none()));
        assert!(out.windows(2).all(|w| w[0].t <= w[1].t));
    }

    #[test]
    fn short_series_stay_as_they_are() {
        let points = pts(&[(0, Some(1.0)), (1, None), (2, Some(3.0))]);
        assert_eq!(downsample(&points, 2000), points);
    }

    #[test]
    fn steps_hold_each_weight_until_the_next() {
        let w = pts(&[(0, Some(0.0)), (10, Some(5.0))]);
        assert_eq!(
            step_points(&w, 30),
            pts(&[
                (0, Some(0.0)),
                (10, Some(0.0)),
                (10, Some(5.0)),
                (30, Some(5.0))
            ])
        );
    }

    #[test]
    fn axes_are_round() {
        let (max, step) = nice_axis(0.0, 1.0);
        assert!(max >= 1.0 && max / step <= 6.0, "{max} {step}");
        assert_eq!(nice_axis(37.0, 1.0), (40.0, 10.0));
        assert_eq!(nice_axis(930.0, 100.0), (1250.0, 250.0));
        assert_eq!(xml("a<&>\"'\x07"), "a&lt;&amp;&gt;&quot;&apos; ");
        assert_eq!(short_number(1.0000000000000009), "1");
        assert_eq!(short_number(0.5), "0.5");
        assert_eq!(short_number(500.0), "500");
    }
}

//! The session as one self-contained SVG picture: the canary's weight, the error rate and the p99
//! latency of both versions on a shared time axis, the statistical judge's score when it judged, with markers for operator actions, notes, failed
//! checks, pauses and the end of the release.
//!
//! Written by hand: no dependencies, no scripts, no external fonts or images. Every series holds at
//! most [`MAX_POINTS`] points, so an 8-hour recording stays a small file; downsampling keeps the
//! lowest and the highest value of each time bucket, so short spikes survive. Where a version had
//! no traffic the line stops: no traffic is never drawn as 0.

mod axis;
mod doc;
mod header;
mod markers;
mod panel;
mod series;

use super::summary;
use crate::record::Recording;
use axis::TimeAxis;
use doc::Doc;
use header::{write_legend, write_title};
use markers::{draw_failed_checks, draw_markers, draw_pauses, markers, place_labels};
use panel::Panel;
use series::Series;

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
const SCORE: &str = "#2e8b34";
const AXIS: &str = "#555";
const GRID: &str = "#e4e4e4";

/// The picture of a recording.
pub fn svg(rec: &Recording) -> String {
    let summary = summary::summarize(rec);
    let series = Series::collect(rec).with_scores(&summary);
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

#[cfg(test)]
mod tests {
    use super::doc::xml;
    use super::panel::{nice_axis, short_number, step_points};
    use super::series::{downsample, Pt};

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
        assert_eq!(
            xml("a<&>\"'\x07\u{202e}"),
            "a&lt;&amp;&gt;&quot;&apos;␇\\u{202e}"
        );
        assert_eq!(short_number(1.0000000000000009), "1");
        assert_eq!(short_number(0.5), "0.5");
        assert_eq!(short_number(500.0), "500");
    }
}

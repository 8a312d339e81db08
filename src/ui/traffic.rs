//! Request rate per version: the current value and a sparkline of the newest samples.

use super::spark::{self, Bar, Series};
use super::text;
use super::theme::{side_mark, Theme};
use crate::app::App;
use crate::model::Side;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

pub struct Traffic<'a> {
    pub app: &'a App,
    pub theme: Theme,
}

/// "primary v1" / "canary v2", with the side's marker.
pub fn version_label(app: &App, side: Side) -> String {
    let version = app.release.as_ref().map_or("", |r| match side {
        Side::Primary => r.primary.name.as_str(),
        Side::Canary => r.canary.name.as_str(),
    });
    let version = crate::hygiene::field(version);
    format!("{} {} {version}", side_mark(side), side.label())
}

/// The newest request rate of `side`: "96.3 req/s", or "no traffic" rather than 0.
pub fn rate_text(app: &App, side: Side) -> Option<String> {
    let sample = app.history.latest()?;
    let v = sample.side(side);
    Some(if v.has_traffic() {
        format!("{:.1} req/s", v.rps)
    } else {
        "no traffic".to_string()
    })
}

impl Widget for Traffic<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let mut title = vec![Span::styled(" traffic ", t.title())];
        if app.is_stale() {
            title.push(Span::styled("STALE ", t.alarm()));
        }
        let block = Block::bordered()
            .border_style(t.border(false))
            .title(Line::from(title));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        if let Some(why) = &app.metrics_error {
            // the numbers below are the last good ones: say how old
            let age = app
                .history
                .latest()
                .map(|s| {
                    format!(
                        " · last sample {} ago",
                        crate::model::Age(app.now.since(s.at))
                    )
                })
                .unwrap_or_default();
            let line = super::text::truncate(
                &format!("metrics unavailable: {why}{age}"),
                usize::from(inner.width),
            );
            buf.set_string(inner.x, inner.y, line, t.alarm());
            return;
        }
        if app.history.is_empty() {
            text::no_metrics(app, t, inner, buf);
            return;
        }
        let sides = [Side::Primary, Side::Canary];
        if inner.height == 1 {
            // One row: both values, no sparklines.
            let mut spans = Vec::new();
            for side in sides {
                let value = rate_text(app, side).unwrap_or_default();
                spans.push(Span::styled(format!("{} ", side_mark(side)), t.side(side)));
                spans.push(Span::raw(format!("{value}  ")));
            }
            buf.set_line(inner.x, inner.y, &Line::from(spans), inner.width);
            return;
        }
        let labels = sides.map(|s| version_label(app, s));
        let label_w = text::label_column(&labels, 18);
        // One scale for both versions, so the bars show how traffic is split.
        let max = app
            .history
            .tail(usize::from(inner.width))
            .map(|s| s.primary.rps.max(s.canary.rps))
            .fold(0.0, f64::max);
        let bands = spark::bands(inner, 2);
        if inner.height % 2 == 1 {
            split_line(app, t, inner, buf);
        }
        for (i, side) in sides.into_iter().enumerate() {
            let area = bands[i];
            let value = rate_text(app, side).unwrap_or_default();
            let has_traffic = app
                .history
                .latest()
                .is_some_and(|s| s.side(side).has_traffic());
            let series = Series {
                label: Line::styled(labels[i].clone(), t.side(side)),
                value: Span::styled(value, if has_traffic { t.bold() } else { t.dim() }),
            };
            let layout = spark::layout(area, label_w, 12);
            series.render(&layout, buf);
            let n = usize::from(layout.spark.width);
            let bars: Vec<Bar> = app
                .history
                .tail(n)
                .map(|s| {
                    let v = s.side(side);
                    Bar {
                        value: v.has_traffic().then_some(v.rps),
                        style: t.side(side),
                    }
                })
                .collect();
            spark::render(&bars, max, layout.spark, buf);
        }
    }
}

/// The measured traffic split on the last row: the total rate and the canary's actual share, to
/// compare with the weight the release asks for.
fn split_line(app: &App, t: Theme, inner: Rect, buf: &mut Buffer) {
    let Some(latest) = app.history.latest() else {
        return;
    };
    let total = latest.primary.rps + latest.canary.rps;
    let mut spans = vec![
        Span::styled("total ", t.dim()),
        Span::raw(format!("{total:.1} req/s")),
    ];
    if total > 0.0 {
        spans.push(Span::styled(" · canary ", t.dim()));
        spans.push(Span::styled(
            format!("{:.1} %", latest.canary.rps / total * 100.0),
            t.canary(),
        ));
    }
    buf.set_line(inner.x, inner.bottom() - 1, &Line::from(spans), inner.width);
}

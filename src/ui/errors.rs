//! Error rate and p99 latency per version, red when over the analysis thresholds.

use super::spark::{self, Bar, Series};
use super::text;
use super::theme::{side_mark, Theme};
use crate::app::App;
use crate::controller::judge::percent;
use crate::model::{MetricsSample, Side};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

pub struct Errors<'a> {
    pub app: &'a App,
    pub theme: Theme,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Metric {
    ErrorRate,
    P99,
}

impl Metric {
    fn value(self, s: &MetricsSample, side: Side) -> Option<f64> {
        let v = s.side(side);
        match self {
            Metric::ErrorRate => v.error_rate(),
            Metric::P99 => v.p99_ms.filter(|_| v.has_traffic()),
        }
    }

    fn limit(self, app: &App) -> f64 {
        match self {
            Metric::ErrorRate => app.settings.max_error_rate(),
            Metric::P99 => app.settings.max_p99_ms,
        }
    }

    fn over(self, app: &App, v: f64) -> bool {
        v > self.limit(app) + 1e-12
    }

    /// "0.3 %" / "120 ms", with ✖ when over the threshold; "no traffic" when absent.
    fn text(self, app: &App, v: Option<f64>) -> String {
        let Some(v) = v else {
            return "no traffic".to_string();
        };
        let shown = match self {
            Metric::ErrorRate => percent(v),
            Metric::P99 => format!("{v:.0} ms"),
        };
        if self.over(app, v) {
            format!("{shown} ✖")
        } else {
            shown
        }
    }

    fn style(self, app: &App, t: Theme, v: Option<f64>) -> Style {
        match v {
            None => t.dim(),
            Some(v) if self.over(app, v) => t.alarm(),
            Some(_) => t.plain(),
        }
    }
}

impl Widget for Errors<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let limits = format!(
            " max {} · {:.0} ms ",
            percent(app.settings.max_error_rate()),
            app.settings.max_p99_ms
        );
        let mut title = vec![Span::styled(" errors · p99 ", t.title())];
        if app.is_stale() {
            title.push(Span::styled("STALE ", t.alarm()));
        }
        let title = Line::from(title);
        let mut block = Block::bordered().border_style(t.border(false));
        if title.width() + text::width(&limits) + 4 <= usize::from(area.width) {
            block = block.title(Line::styled(limits, t.dim()).right_aligned());
        }
        let block = block.title(title);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        if let Some(why) = &app.metrics_error {
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
            let line = text::truncate(
                &format!("metrics unavailable: {why}{age}"),
                usize::from(inner.width),
            );
            buf.set_string(inner.x, inner.y, line, t.alarm());
            return;
        }
        let Some(latest) = app.history.latest() else {
            text::no_metrics(app, t, inner, buf);
            return;
        };
        let version = |side: Side| {
            let name = app.release.as_ref().map_or("", |r| match side {
                Side::Primary => r.primary.name.as_str(),
                Side::Canary => r.canary.name.as_str(),
            });
            format!("{} {name}", side_mark(side))
        };
        if inner.height < 4 {
            // Compact: one line per version (canary first), no sparklines.
            for (i, side) in [Side::Canary, Side::Primary].into_iter().enumerate() {
                if i as u16 >= inner.height {
                    break;
                }
                let (e, p) = (Metric::ErrorRate, Metric::P99);
                let (ev, pv) = (e.value(latest, side), p.value(latest, side));
                let line = Line::from(vec![
                    Span::styled(version(side), t.side(side)),
                    Span::styled("  err ", t.dim()),
                    Span::styled(e.text(app, ev), e.style(app, t, ev)),
                    Span::styled("  p99 ", t.dim()),
                    Span::styled(p.text(app, pv), p.style(app, t, pv)),
                ]);
                buf.set_line(inner.x, inner.y + i as u16, &line, inner.width);
            }
            return;
        }
        let series = [
            (Metric::ErrorRate, Side::Primary, "errors"),
            (Metric::ErrorRate, Side::Canary, "errors"),
            (Metric::P99, Side::Primary, "p99"),
            (Metric::P99, Side::Canary, "p99"),
        ];
        let labels = series.map(|(_, side, what)| format!("{} {what}", version(side)));
        let label_w = text::label_column(&labels, 18);
        let bands = spark::bands(inner, 4);
        for (i, (metric, side, _)) in series.into_iter().enumerate() {
            let area = bands[i];
            let v = metric.value(latest, side);
            let row = Series {
                label: Line::styled(labels[i].clone(), t.side(side)),
                value: Span::styled(metric.text(app, v), metric.style(app, t, v)),
            };
            let layout = spark::layout(area, label_w, 12);
            row.render(&layout, buf);
            let n = usize::from(layout.spark.width);
            let bars: Vec<Bar> = app
                .history
                .tail(n)
                .map(|s| {
                    let value = metric.value(s, side);
                    let over = value.is_some_and(|v| metric.over(app, v));
                    Bar {
                        value,
                        style: if over { t.alarm() } else { t.side(side) },
                    }
                })
                .collect();
            // Scale to the threshold at least, so a full bar means "at or over the limit".
            let max = bars
                .iter()
                .filter_map(|b| b.value)
                .fold(metric.limit(app), f64::max);
            spark::render(&bars, max, layout.spark, buf);
        }
    }
}

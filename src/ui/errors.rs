//! 5xx and 4xx share and latency per version, red when over the analysis thresholds. The latency
//! rows show the percentile the operator picked (`l`: p50, p95, p99); only p99 is judged, so only
//! p99 turns red.

use super::spark::{self, Bar, Series};
use super::text;
use super::theme::{side_mark, Theme};
use crate::app::App;
use crate::controller::judge::percent;
use crate::model::{MetricsSample, Quantile, Side};
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
    Error4xx,
    Latency(Quantile),
}

impl Metric {
    fn value(self, s: &MetricsSample, side: Side) -> Option<f64> {
        let v = s.side(side);
        match self {
            Metric::ErrorRate => v.error_rate(),
            Metric::Error4xx => v.error_4xx_rate(),
            Metric::Latency(q) => v.latency_ms(q).filter(|_| v.has_traffic()),
        }
    }

    /// The analysis threshold, when this metric has one: p99 only, whichever percentile shows;
    /// 4xx only with `--max-4xx-rate`.
    fn limit(self, app: &App) -> Option<f64> {
        match self {
            Metric::ErrorRate => Some(app.settings.max_error_rate()),
            Metric::Error4xx => app.settings.max_4xx_share(),
            Metric::Latency(Quantile::P99) => Some(app.settings.max_p99_ms),
            Metric::Latency(_) => None,
        }
    }

    /// What a full sparkline bar means: the threshold, or the p99's for the other percentiles.
    fn scale(self, app: &App) -> f64 {
        match self {
            Metric::Latency(_) => app.settings.max_p99_ms,
            _ => self.limit(app).unwrap_or(app.settings.max_error_rate()),
        }
    }

    fn over(self, app: &App, v: f64) -> bool {
        self.limit(app).is_some_and(|limit| v > limit + 1e-12)
    }

    /// "0.3 %" / "120 ms", with ✖ when over the threshold; "no traffic" without traffic, "n/a"
    /// when the source does not measure it.
    fn text(self, app: &App, v: Option<f64>, traffic: bool) -> String {
        let Some(v) = v else {
            return if traffic { "n/a" } else { "no traffic" }.to_string();
        };
        let shown = match self {
            Metric::ErrorRate | Metric::Error4xx => percent(v),
            Metric::Latency(_) => format!("{v:.0} ms"),
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

    /// The value as spans: the metric, and for the 5xx rows the 4xx share beside it.
    fn spans(self, app: &App, t: Theme, s: &MetricsSample, side: Side) -> Vec<Span<'static>> {
        let traffic = s.side(side).has_traffic();
        let v = self.value(s, side);
        let mut out = vec![Span::styled(
            self.text(app, v, traffic),
            self.style(app, t, v),
        )];
        if self == Metric::ErrorRate && traffic {
            let m = Metric::Error4xx;
            let v = m.value(s, side);
            out.push(Span::styled(" · 4xx ", t.dim()));
            out.push(Span::styled(m.text(app, v, traffic), m.style(app, t, v)));
        }
        out
    }
}

/// `spans` right-aligned in `area`'s first row.
fn right_aligned(spans: Vec<Span<'static>>, area: Rect, buf: &mut Buffer) {
    let line = Line::from(spans);
    let w = line.width().min(usize::from(area.width)) as u16;
    buf.set_line(area.right() - w, area.y, &line, w);
}

impl Widget for Errors<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let max_4xx = app
            .settings
            .max_4xx_share()
            .map(|m| format!(" · 4xx {}", percent(m)))
            .unwrap_or_default();
        let limits = format!(
            " max {}{max_4xx} · p99 {:.0} ms ",
            percent(app.settings.max_error_rate()),
            app.settings.max_p99_ms
        );
        let latency = Metric::Latency(app.latency);
        let mut title = vec![Span::styled(
            format!(" errors · {} ", app.latency.label()),
            t.title(),
        )];
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
            format!("{} {}", side_mark(side), crate::hygiene::field(name))
        };
        if inner.height < 4 {
            // Compact: one line per version (canary first), no sparklines.
            for (i, side) in [Side::Canary, Side::Primary].into_iter().enumerate() {
                if i as u16 >= inner.height {
                    break;
                }
                let errors = Metric::ErrorRate.spans(app, t, latest, side);
                let compact = |errors: &[Span<'static>]| {
                    let mut spans = vec![
                        Span::styled(version(side), t.side(side)),
                        Span::styled("  5xx ", t.dim()),
                    ];
                    spans.extend_from_slice(errors);
                    spans.push(Span::styled(format!("  {} ", app.latency.label()), t.dim()));
                    spans.extend(latency.spans(app, t, latest, side));
                    Line::from(spans)
                };
                let mut line = compact(&errors);
                if line.width() > usize::from(inner.width) {
                    // too narrow for the 4xx: the judged numbers first
                    line = compact(&errors[..1]);
                }
                buf.set_line(inner.x, inner.y + i as u16, &line, inner.width);
            }
            return;
        }
        let series = [
            (Metric::ErrorRate, Side::Primary),
            (Metric::ErrorRate, Side::Canary),
            (latency, Side::Primary),
            (latency, Side::Canary),
        ];
        let labels = series.map(|(metric, side)| {
            let what = match metric {
                Metric::Latency(q) => q.label(),
                _ => "5xx",
            };
            format!("{} {what}", version(side))
        });
        let values = series.map(|(metric, side)| metric.spans(app, t, latest, side));
        let label_w = text::label_column(&labels, 18);
        let value_w = values
            .iter()
            .map(|v| Line::from(v.clone()).width())
            .max()
            .unwrap_or(0)
            .max(12) as u16;
        let bands = spark::bands(inner, 4);
        for (i, ((metric, side), value)) in series.into_iter().zip(values).enumerate() {
            let area = bands[i];
            let row = Series {
                label: Line::styled(labels[i].clone(), t.side(side)),
                value: Span::raw(""),
            };
            let layout = spark::layout(area, label_w, value_w);
            row.render(&layout, buf);
            right_aligned(value, layout.value, buf);
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
                .fold(metric.scale(app), f64::max);
            spark::render(&bars, max, layout.spark, buf);
        }
    }
}

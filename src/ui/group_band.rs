//! One member's band on the group screen: its weight gauge on the top border line, then a
//! line per version with its ready pods, its traffic and error sparklines and their values.
//!
//! ```text
//! ┌ backend ◆ v2 10 % · ○ v1 90 % ───────────────── ▶ Progressing · failed 2/5 ┐
//! │██████░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░│
//! │○ v1 4/4 ready  req ▃▄▅▅▆ 180.2/s   err ▁▁  ▁ 0.2 %                        │
//! │◆ v2 1/1 ready  req ▁▁▂▂▂  20.1/s   err ▅▇█▆▅ 13 % ✖                       │
//! └────────────────────────────────────────────────────────────────────────────┘
//! ```

use super::spark::{self, Bar};
use super::text;
use super::theme::{self, Theme};
use crate::app::App;
use crate::model::{Phase, Side, Weight};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

/// Rows a band takes, its border included.
pub const HEIGHT: u16 = 5;

pub struct Band<'a> {
    pub name: &'a str,
    pub app: &'a App,
    pub theme: Theme,
    pub selected: bool,
    /// Why the group counts it failed, once it does.
    pub failure: Option<&'a str>,
}

impl Widget for Band<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let weight = app.weight();
        let (canary, primary) = app.release.as_ref().map_or_else(
            || ("canary".to_string(), "primary".to_string()),
            |r| (r.canary.name.clone(), r.primary.name.clone()),
        );
        let title = format!(
            " {} {} {canary} {weight} % · {} {primary} {} % ",
            self.name,
            theme::side_mark(Side::Canary),
            theme::side_mark(Side::Primary),
            weight.complement()
        );
        let status = match (self.failure, app.analysis.failed) {
            (Some(_), _) => format!(
                " {} {} · ✖ failed ",
                theme::phase_mark(app.phase),
                app.phase
            ),
            (None, failed) => format!(
                " {} {} · failed {failed}/{} ",
                theme::phase_mark(app.phase),
                app.phase,
                app.settings.threshold
            ),
        };
        let status_style = if self.failure.is_some() || app.phase == Phase::RollingBack {
            t.bad()
        } else {
            t.phase(app.phase)
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.border(self.selected))
            .title(Span::styled(
                text::truncate(&title, usize::from(area.width.saturating_sub(4))),
                t.title(),
            ))
            .title(Line::styled(status, status_style).right_aligned());
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 || inner.width < 20 {
            return;
        }
        gauge(weight, t, Rect { height: 1, ..inner }, buf);
        for (row, side) in [Side::Primary, Side::Canary].into_iter().enumerate() {
            let y = inner.y + 1 + row as u16;
            if y >= inner.bottom() {
                break;
            }
            version_line(
                app,
                t,
                side,
                Rect {
                    y,
                    height: 1,
                    ..inner
                },
                buf,
            );
        }
    }
}

/// The weight as a bar: canary cells filled, the rest light.
fn gauge(weight: Weight, t: Theme, area: Rect, buf: &mut Buffer) {
    let filled = (u32::from(area.width) * u32::from(weight.percent()) / 100) as u16;
    for x in 0..area.width {
        let (symbol, style) = if x < filled {
            ("█", t.canary())
        } else {
            ("░", t.dim())
        };
        buf.set_string(area.x + x, area.y, symbol, style);
    }
}

/// `○ v1 4/4 ready  req ▃▄▅ 180.2/s  err ▁▁▁ 0.2 %` on one line.
fn version_line(app: &App, t: Theme, side: Side, area: Rect, buf: &mut Buffer) {
    let style = t.side(side);
    let version = app.release.as_ref().map_or("", |r| match side {
        Side::Primary => r.primary.name.as_str(),
        Side::Canary => r.canary.name.as_str(),
    });
    let pods = app.pods.side(side);
    let lead = format!(
        "{} {} {}/{} ready ",
        theme::side_mark(side),
        text::truncate(version, 8),
        app.pods.ready_count(side),
        pods.len()
    );
    let lead_w = text::width(&lead) as u16;
    buf.set_string(area.x, area.y, &lead, style);
    let rest = area.width.saturating_sub(lead_w);
    // two series, each: label (4) + spark + value (10)
    let each = rest / 2;
    let spark_w = each.saturating_sub(4 + 11);
    let latest = app.history.latest().map(|s| *s.side(side));
    let rps = latest.map(|s| s.rps);
    let err = latest.and_then(|s| s.error_rate());
    let limit = app.settings.max_error_rate() * 100.0;
    let failing = err.is_some_and(|e| e * 100.0 > limit) && side == Side::Canary;
    let n = usize::from(spark_w);
    let samples: Vec<_> = app.history.tail(n).map(|s| *s.side(side)).collect();
    let traffic: Vec<Bar> = samples
        .iter()
        .map(|s| Bar {
            value: s.has_traffic().then_some(s.rps),
            style,
        })
        .collect();
    let errors: Vec<Bar> = samples
        .iter()
        .map(|s| Bar {
            value: s.error_rate().map(|e| e * 100.0),
            style: if side == Side::Canary && s.error_rate().is_some_and(|e| e * 100.0 > limit) {
                t.bad()
            } else {
                style
            },
        })
        .collect();
    let max_rps = app
        .history
        .tail(n)
        .map(|s| s.primary.rps.max(s.canary.rps))
        .fold(0.0, f64::max);
    let mut x = area.x + lead_w;
    let rps_text = rps.map_or("no traffic".to_string(), |r| format!("{r:.1}/s"));
    let err_text = match err {
        Some(e) => format!(
            "{} %{}",
            percent(e * 100.0),
            if failing { " ✖" } else { "" }
        ),
        None => "—".to_string(),
    };
    for (label, bars, max, value, value_style) in [
        ("req ", traffic, max_rps, rps_text, style),
        (
            "err ",
            errors,
            (limit * 2.0).max(1.0),
            err_text,
            if failing { t.bad() } else { style },
        ),
    ] {
        if x + 4 >= area.right() {
            break;
        }
        buf.set_string(x, area.y, label, t.dim());
        let spark_area = Rect {
            x: x + 4,
            y: area.y,
            width: spark_w.min(area.right().saturating_sub(x + 4)),
            height: 1,
        };
        spark::render(&bars, max, spark_area, buf);
        let vx = spark_area.right() + 1;
        if vx < area.right() {
            let room = usize::from(area.right() - vx);
            buf.set_string(vx, area.y, text::truncate(&value, room), value_style);
        }
        x += each;
    }
}

/// `0.2`, `13`, `0`: a percentage as the cockpit writes it.
fn percent(p: f64) -> String {
    if p == 0.0 {
        "0".to_string()
    } else if p < 10.0 {
        format!("{p:.1}")
    } else {
        format!("{p:.0}")
    }
}

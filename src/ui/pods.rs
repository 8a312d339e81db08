//! Pods grouped primary then canary, from the rows `update` prepared. Only the visible slice is
//! drawn, so a thousand pods cost no more than a screenful.

use super::text;
use super::theme::{side_mark, Theme};
use super::usage;
use crate::app::{App, Panel, PodRow};
use crate::model::{Age, Pod, PodStatus, Side};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

pub struct Pods<'a> {
    pub app: &'a App,
    pub theme: Theme,
}

/// Column widths for an inner width. Columns drop out before names get too narrow to tell pods
/// apart, always in this order: %MEM/L, %CPU/R, AGE, MEM, RESTARTS, CPU. Without resource
/// samples the usage columns are not there at all (and AGE, then RESTARTS, drop as before).
struct Columns {
    name: usize,
    status: usize,
    restarts: Option<(usize, &'static str)>,
    age: bool,
    cpu: bool,
    mem: bool,
    cpu_r: bool,
    mem_l: bool,
}

const READY_W: usize = 5;
const AGE_W: usize = 4;
use usage::{CPU_W, MEM_W, PCT_W};

/// Which usage columns the data can fill.
#[derive(Clone, Copy, Default)]
struct UsageCols {
    shown: bool,
    cpu_r: bool,
    mem_l: bool,
}

impl Columns {
    fn fit(width: usize, usage: UsageCols) -> Self {
        let status = if width >= 56 && !usage.shown { 16 } else { 11 };
        let restarts = if width >= 60 {
            (8, "RESTARTS")
        } else {
            (3, "RST")
        };
        let mut cols = Columns {
            name: 0,
            status,
            restarts: Some(restarts),
            age: true,
            cpu: usage.shown,
            mem: usage.shown,
            cpu_r: usage.shown && usage.cpu_r,
            mem_l: usage.shown && usage.mem_l,
        };
        let on = |b: bool, w: usize| if b { w + 1 } else { 0 };
        loop {
            let used = READY_W
                + 1
                + cols.status
                + cols.restarts.map_or(0, |(w, _)| w + 1)
                + on(cols.age, AGE_W)
                + on(cols.cpu, CPU_W)
                + on(cols.mem, MEM_W)
                + on(cols.cpu_r, PCT_W)
                + on(cols.mem_l, PCT_W)
                + 1;
            cols.name = width.saturating_sub(used);
            if cols.name >= 12 {
                break;
            }
            if cols.mem_l {
                cols.mem_l = false;
            } else if cols.cpu_r {
                cols.cpu_r = false;
            } else if cols.age {
                cols.age = false;
            } else if cols.mem {
                cols.mem = false;
            } else if cols.restarts.is_some() {
                cols.restarts = None;
            } else if cols.cpu {
                cols.cpu = false;
            } else {
                break;
            }
        }
        cols
    }
}

impl Widget for Pods<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let focused = app.focus == Panel::Pods;
        let mut title = vec![Span::styled(" pods ", t.title())];
        if !app.pod_filter.is_empty() {
            title.push(Span::styled(
                format!("filter “{}” ", app.pod_filter),
                t.warn(),
            ));
        }
        let mut block = t.focusable_block(focused).title(Line::from(title));
        let inner = block.inner(area);
        let visible = usize::from(inner.height.saturating_sub(1));
        let total = app.pod_rows.len();
        let start = app.pods_scroll.min(total.saturating_sub(1));
        let end = (start + visible).min(total);
        if total > visible && visible > 0 {
            block = block.title_bottom(
                Line::styled(format!(" {}-{end} of {total} ", start + 1), t.dim()).right_aligned(),
            );
        }
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let usage = app.usage.shown().map_or(UsageCols::default(), |_| {
            let specs = || app.pods.primary.iter().chain(&app.pods.canary);
            UsageCols {
                shown: true,
                cpu_r: specs().any(|p| p.resources.cpu_request_millicores.is_some()),
                mem_l: specs().any(|p| p.resources.memory_limit_bytes.is_some()),
            }
        });
        let cols = Columns::fit(usize::from(inner.width), usage);
        let mut header = format!(
            "{}{} {}",
            text::pad("  NAME", cols.name + 1),
            text::pad("READY", READY_W),
            text::pad("STATUS", cols.status)
        );
        if let Some((w, label)) = cols.restarts {
            header.push(' ');
            header.push_str(&text::pad_left(label, w));
        }
        if cols.age {
            header.push(' ');
            header.push_str(&text::pad_left("AGE", AGE_W));
        }
        for (on, label, w) in [
            (cols.cpu, "CPU", CPU_W),
            (cols.mem, "MEM", MEM_W),
            (cols.cpu_r, "%CPU/R", PCT_W),
            (cols.mem_l, "%MEM/L", PCT_W),
        ] {
            if on {
                header.push(' ');
                header.push_str(&text::pad_left(label, w));
            }
        }
        buf.set_stringn(inner.x, inner.y, header, usize::from(inner.width), t.dim());
        if app.release.is_none() && total == 0 {
            buf.set_string(inner.x, inner.y + 1, "  no pods observed yet", t.dim());
            return;
        }
        for (i, row) in app.pod_rows[start..end].iter().enumerate() {
            let line = match row {
                PodRow::Group {
                    side,
                    version,
                    ready,
                    total,
                    shown,
                } => {
                    let mut line =
                        group_line(t, *side, version, *ready, *total, *shown, &app.pod_filter);
                    if *total > 0 {
                        let room = usize::from(inner.width).saturating_sub(line.width());
                        line.spans.extend(usage::group_spans(app, t, *side, room));
                    }
                    line
                }
                PodRow::Pod { side, pod } => pod_line(app, t, &cols, *side, pod),
            };
            let y = inner.y + 1 + i as u16;
            buf.set_line(inner.x, y, &line, inner.width);
        }
    }
}

fn group_line<'a>(
    t: Theme,
    side: Side,
    version: &str,
    ready: usize,
    total: usize,
    shown: usize,
    filter: &str,
) -> Line<'a> {
    let ready_style = if total > 0 && ready == 0 {
        t.alarm()
    } else if ready < total {
        t.warn()
    } else {
        t.good()
    };
    let mut spans = vec![
        Span::styled(
            format!(
                "{} {} {}",
                side_mark(side),
                side.label(),
                crate::hygiene::field(version)
            ),
            t.side(side).patch(t.bold()),
        ),
        Span::styled(" · ", t.dim()),
        Span::styled(format!("{ready}/{total} ready"), ready_style),
    ];
    if total == 0 {
        spans = vec![spans.swap_remove(0), Span::styled(" · no pods", t.dim())];
    } else if !filter.is_empty() {
        spans.push(Span::styled(format!(" · {shown} shown"), t.dim()));
    }
    Line::from(spans)
}

fn status_style(t: Theme, status: &PodStatus) -> Style {
    match status {
        s if s.is_failing() => t.alarm(),
        PodStatus::Running => t.plain(),
        PodStatus::Terminating => t.dim(),
        _ => t.warn(),
    }
}

fn pod_line<'a>(app: &App, t: Theme, cols: &Columns, side: Side, pod: &Pod) -> Line<'a> {
    let (mark, name_style) = match side {
        Side::Canary => (side_mark(side), t.canary()),
        Side::Primary => (" ", t.plain()),
    };
    let name = text::truncate_left(&pod.name, cols.name.saturating_sub(2));
    let ready_style = if pod.ready { t.plain() } else { t.warn() };
    let mut spans = vec![
        Span::styled(
            format!("{mark} {}", text::pad(&name, cols.name.saturating_sub(1))),
            name_style,
        ),
        Span::styled(
            text::pad(if pod.ready { "1/1" } else { "0/1" }, READY_W),
            ready_style,
        ),
        Span::raw(" "),
        Span::styled(
            text::pad(pod.status.label(), cols.status),
            status_style(t, &pod.status),
        ),
    ];
    if let Some((w, _)) = cols.restarts {
        let style = if pod.restarts > 0 {
            t.warn()
        } else {
            t.plain()
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            text::pad_left(&pod.restarts.to_string(), w),
            style,
        ));
    }
    if cols.age {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            text::pad_left(&Age(app.now.since(pod.created_at)).to_string(), AGE_W),
            t.dim(),
        ));
    }
    if cols.cpu || cols.mem {
        let shown = [cols.cpu, cols.mem, cols.cpu_r, cols.mem_l];
        usage::pod_spans(app, t, shown, side, pod, &mut spans);
    }
    Line::from(spans)
}

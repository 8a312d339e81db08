//! CPU and memory in the pods panel: a pod's usage columns, and a version's totals with a
//! sparkline of its memory per pod on its group line.

use super::text;
use super::theme::Theme;
use crate::app::App;
use crate::model::quantity::{bytes_label, cpu_label};
use crate::model::resources::share_of;
use crate::model::{Pod, ResourceSample, Side};
use ratatui::style::Style;
use ratatui::text::Span;

pub const CPU_W: usize = 5;
pub const MEM_W: usize = 6;
pub const PCT_W: usize = 6;

/// Samples the group line's sparkline shows.
const SPARK_N: usize = 8;
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A pod's CPU, MEM, %CPU/R and %MEM/L cells, those of `shown` that are on; `-` where the
/// pod was not sampled (not ready yet) or its spec sets no request or limit.
pub fn pod_spans(
    app: &App,
    t: Theme,
    shown: [bool; 4],
    side: Side,
    pod: &Pod,
    spans: &mut Vec<Span<'static>>,
) {
    let usage = app.usage.shown().and_then(|s| s.pod(side, &pod.name));
    let cpu = usage.map(|u| u.cpu_millicores);
    let mem = usage.map(|u| u.memory_bytes);
    let cpu_r = cpu.and_then(|c| share_of(c, pod.resources.cpu_request_millicores));
    let mem_l = mem.and_then(|m| share_of(m, pod.resources.memory_limit_bytes));
    let cells = [
        (cpu.map(cpu_label), CPU_W, t.plain()),
        (mem.map(bytes_label), MEM_W, t.plain()),
        (cpu_r.map(|p| format!("{p}%")), PCT_W, share_style(t, cpu_r)),
        (mem_l.map(|p| format!("{p}%")), PCT_W, share_style(t, mem_l)),
    ];
    for (on, (value, w, style)) in shown.into_iter().zip(cells) {
        if on {
            let value = value.unwrap_or_else(|| "-".to_string());
            spans.push(Span::raw(" "));
            spans.push(Span::styled(text::pad_left(&value, w), style));
        }
    }
}

/// Near a limit is a warning, at or over it an alarm (the kubelet kills at the memory limit).
fn share_style(t: Theme, share: Option<u64>) -> Style {
    match share {
        Some(p) if p >= 100 => t.alarm(),
        Some(p) if p >= 85 => t.warn(),
        Some(_) => t.plain(),
        None => t.dim(),
    }
}

/// A version's totals (`· 480m 612Mi`), then its memory per pod over the last samples and now
/// (`▁▂▄▆ 153Mi/pod`); the canary's adds its growth since its first sample. Both versions'
/// sparklines share one scale, so the canary's stands beside the primary's. Each part is shown
/// whole or not at all, in that order, within `room` cells.
pub fn group_spans(app: &App, t: Theme, side: Side, room: usize) -> Vec<Span<'static>> {
    let Some(latest) = app.usage.shown() else {
        return Vec::new();
    };
    let pods = latest.side(side);
    if pods.is_empty() {
        return Vec::new();
    }
    let (cpu, mem) = ResourceSample::totals(pods);
    let mut spans = vec![Span::styled(
        format!(" · {} {}", cpu_label(cpu), bytes_label(mem)),
        t.dim(),
    )];
    let history = &app.usage.history;
    let series = history.memory_series(side, SPARK_N);
    let both = series
        .iter()
        .chain(&history.memory_series(other(side), SPARK_N))
        .copied()
        .collect::<Vec<_>>();
    let lo = both.iter().copied().min().unwrap_or(0);
    let hi = both.iter().copied().max().unwrap_or(0);
    if series.len() > 1 {
        spans.push(Span::styled(
            format!(" {}", spark(&series, lo, hi)),
            t.side(side),
        ));
    }
    if let Some(avg) = latest.memory_per_pod(side) {
        spans.push(Span::styled(
            format!(" {}/pod", bytes_label(avg)),
            t.plain(),
        ));
    }
    if side == Side::Canary {
        if let Some(g) = history.memory_growth(Side::Canary) {
            let over = app
                .settings
                .max_memory_growth
                .is_some_and(|m| g.percent > m);
            let style = if over { t.alarm() } else { t.dim() };
            spans.push(Span::styled(format!(" {:+.0}%", g.percent), style));
        }
    }
    let mut left = room;
    spans
        .into_iter()
        .take_while(|s| {
            let w = s.width();
            let fits = w <= left;
            left = left.saturating_sub(w);
            fits
        })
        .collect()
}

fn other(side: Side) -> Side {
    match side {
        Side::Primary => Side::Canary,
        Side::Canary => Side::Primary,
    }
}

/// One bar per value between `lo` and `hi`.
fn spark(values: &[u64], lo: u64, hi: u64) -> String {
    let span = hi.saturating_sub(lo);
    values
        .iter()
        .map(|&v| {
            let i = (v.saturating_sub(lo) * 7).checked_div(span).unwrap_or(3) as usize;
            BARS[i.min(7)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn bars_span_the_shared_scale() {
        assert_eq!(super::spark(&[10, 15, 20], 10, 20), "▁▄█");
        assert_eq!(super::spark(&[5, 5], 5, 5), "▄▄");
    }
}

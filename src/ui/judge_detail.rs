//! The judge's overlay (`J`): per metric the test and its numbers, the canary's and the
//! primary's samples drawn side by side — box plots on one scale for the sampled metrics, bars
//! of the error counts for the error rate — and the reason for the class.

use super::footer::hints;
use super::modal::centered;
use super::text::truncate;
use super::theme::Theme;
use crate::app::{keymap, App};
use crate::controller::statistical::samples::VersionSamples;
use crate::model::{Group, MetricClass, MetricJudgement, Quantile};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

/// Lines per metric: the test, the canary, the primary, the reason.
const BLOCK: usize = 4;
/// Columns before a plot: `  primary `.
const LABEL_W: usize = 10;

/// The overlay over `area`; nothing before the judge's first report.
pub fn render(app: &App, t: Theme, area: Rect, buf: &mut Buffer) {
    let Some(report) = app.judging.report.as_ref() else {
        return;
    };
    let popup = centered(
        area,
        area.width.saturating_sub(2),
        area.height.saturating_sub(1),
    );
    Clear.render(popup, buf);
    let inner_w = usize::from(popup.width.saturating_sub(4)).max(20);
    let mut keys = vec![Span::styled(" ", t.accent())];
    keys.push(Span::styled("j/k", t.key()));
    keys.push(Span::styled(" scroll  ", t.dim()));
    keys.extend(hints(t, keymap::HELP, inner_w.saturating_sub(14)));
    keys.push(Span::styled(" ═", t.accent()));
    let title = format!(" judge · canary against primary · {} ", report.summary());
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(t.accent())
        .title(Span::styled(truncate(&title, inner_w), t.title()))
        .title_bottom(Line::from(keys).right_aligned());
    let inner = block.inner(popup);
    block.render(popup, buf);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let width = usize::from(inner.width);
    let mut lines = vec![Line::styled(truncate(&report.reason, width), t.dim())];
    let room = usize::from(inner.height).saturating_sub(1) / BLOCK;
    let first = app
        .judging
        .scroll
        .min(report.metrics.len().saturating_sub(1));
    let shown = report.metrics.iter().skip(first).take(room.max(1));
    for m in shown {
        lines.extend(metric_lines(m, app.judging.samples.as_ref(), t, width));
    }
    let below = report.metrics.len().saturating_sub(first + room.max(1));
    if below > 0 && lines.len() < usize::from(inner.height) {
        lines.push(Line::styled(format!("… {below} more: j"), t.dim()));
    }
    for (i, line) in lines.iter().enumerate().take(usize::from(inner.height)) {
        buf.set_line(inner.x, inner.y + i as u16, line, inner.width);
    }
}

fn class_style(t: Theme, class: MetricClass) -> Style {
    match class {
        MetricClass::Pass => t.good(),
        MetricClass::High | MetricClass::Low => t.alarm(),
        MetricClass::Inconclusive => t.dim(),
    }
}

/// The unit a metric's samples are in, and the factor to it.
fn unit(name: &str) -> (&'static str, f64) {
    match name {
        "cpu" => ("m", 1.0),
        "memory" => ("MiB", 1.0 / (1024.0 * 1024.0)),
        _ => ("ms", 1.0),
    }
}

/// The samples of `m` for one version, when the overlay has them.
fn samples_of<'a>(m: &MetricJudgement, v: &'a VersionSamples) -> &'a [f64] {
    match m.name.as_str() {
        "cpu" => &v.cpu,
        "memory" => &v.memory,
        name => Quantile::ALL
            .iter()
            .find(|q| q.label() == name)
            .map_or(&[][..], |q| v.latency(*q)),
    }
}

/// The test line, the two versions, the reason.
fn metric_lines(
    m: &MetricJudgement,
    samples: Option<&[VersionSamples; 2]>,
    t: Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let p = m
        .p_value
        .map_or("—".to_string(), crate::controller::statistical::metric::p);
    let test = if m.group == Group::Errors {
        format!("difference of proportions (Newcombe), p {p}")
    } else {
        let cles = m.cles.map_or(String::new(), |c| format!(", CLES {c:.2}"));
        format!("Mann-Whitney U, p {p}{cles}")
    };
    let effect = m.effect_text().unwrap_or_else(|| "no interval".to_string());
    let head = Line::from(vec![
        Span::styled(format!("{} ", m.name), t.title()),
        Span::styled(m.class.label().to_string(), class_style(t, m.class)),
        Span::raw(truncate(
            &format!("  {effect}  {test}"),
            width.saturating_sub(m.name.len() + m.class.label().len() + 1),
        )),
    ]);
    let plot_w = width.saturating_sub(LABEL_W + 24).max(8);
    let sides = match samples {
        Some([canary, primary]) if m.group == Group::Errors => counts(canary, primary, plot_w, t),
        Some([canary, primary]) => boxes(
            samples_of(m, canary),
            samples_of(m, primary),
            &m.name,
            plot_w,
            t,
        ),
        None => [Line::raw(""), Line::raw("")],
    };
    let [c, pr] = sides;
    let reason = Line::styled(
        format!("  {}", truncate(&m.reason, width.saturating_sub(2))),
        t.dim(),
    );
    vec![head, c, pr, reason]
}

/// The error counts of each version as bars of the error rate on one scale.
fn counts(c: &VersionSamples, p: &VersionSamples, w: usize, t: Theme) -> [Line<'static>; 2] {
    let rate = |v: &VersionSamples| (v.requests > 0.0).then(|| v.errors / v.requests);
    let top = rate(c).unwrap_or(0.0).max(rate(p).unwrap_or(0.0));
    let one = |label: &str, v: &VersionSamples, style: Style| {
        let share = rate(v);
        let cells = match share {
            Some(r) if top > 0.0 => ((r / top) * w as f64).round() as usize,
            _ => 0,
        };
        let text = match share {
            Some(r) => format!(" {:.0}/{:.0} = {:.2} %", v.errors, v.requests, r * 100.0),
            None => " no requests".to_string(),
        };
        Line::from(vec![
            Span::styled(format!("  {label:<8}"), style),
            Span::styled("█".repeat(cells.min(w)), style),
            Span::raw(" ".repeat(w.saturating_sub(cells))),
            Span::styled(text, t.dim()),
        ])
    };
    [one("canary", c, t.canary()), one("primary", p, t.primary())]
}

/// The value at quantile `q` (0–1) of sorted `v`, interpolated.
fn quantile(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// Box plots of both versions on one scale: whiskers from the lowest to the highest sample, the
/// box from the first to the third quartile, the median a heavy bar.
fn boxes(c: &[f64], p: &[f64], name: &str, w: usize, t: Theme) -> [Line<'static>; 2] {
    let (unit, factor) = unit(name);
    let finite = |v: &[f64]| {
        let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        s.sort_by(f64::total_cmp);
        s
    };
    let (c, p) = (finite(c), finite(p));
    let lo = c.iter().chain(&p).copied().fold(f64::INFINITY, f64::min);
    let hi = c
        .iter()
        .chain(&p)
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let col = |x: f64| {
        if hi > lo {
            (((x - lo) / (hi - lo)) * (w - 1) as f64).round() as usize
        } else {
            w / 2
        }
    };
    let one = |label: &str, v: &[f64], style: Style| {
        if v.is_empty() {
            return Line::from(vec![
                Span::styled(format!("  {label:<8}"), style),
                Span::styled("no samples", t.dim()),
            ]);
        }
        let (q1, med, q3) = (quantile(v, 0.25), quantile(v, 0.5), quantile(v, 0.75));
        let (a, b) = (col(v[0]), col(v[v.len() - 1]));
        let mut cells = vec![' '; w];
        for (i, cell) in cells.iter_mut().enumerate().take(b + 1).skip(a) {
            *cell = if i >= col(q1) && i <= col(q3) {
                '█'
            } else {
                '─'
            };
        }
        cells[a] = if a == col(q1) { '█' } else { '├' };
        cells[b] = if b == col(q3) { '█' } else { '┤' };
        cells[col(med)] = '┃';
        Line::from(vec![
            Span::styled(format!("  {label:<8}"), style),
            Span::styled(cells.into_iter().collect::<String>(), style),
            Span::styled(
                format!(" n {} · median {:.0} {unit}", v.len(), med * factor),
                t.dim(),
            ),
        ])
    };
    [
        one("canary", &c, t.canary()),
        one("primary", &p, t.primary()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn box_plots_share_one_scale() {
        let t = Theme::new(false);
        let c: Vec<f64> = (0..21).map(|i| 200.0 + f64::from(i) * 10.0).collect();
        let p: Vec<f64> = (0..21).map(|i| 100.0 + f64::from(i) * 5.0).collect();
        let [cl, pl] = boxes(&c, &p, "p99", 41, t);
        let (cl, pl) = (text(&cl), text(&pl));
        // the primary from 100 to 200, the canary from 200 to 400: on 100–400 over 41 cells
        assert_eq!(pl.find('├'), Some(10), "{pl}");
        assert_eq!(pl.find('┤').map(|b| pl[..b].chars().count()), Some(10 + 13));
        assert!(cl.ends_with("n 21 · median 300 ms"), "{cl}");
        assert!(pl.ends_with("n 21 · median 150 ms"), "{pl}");
        let plot: String = cl.chars().skip(10).take(41).collect();
        assert_eq!(plot.chars().position(|c| c == '┃'), Some(27), "{plot}");
    }

    #[test]
    fn counts_are_bars_of_the_rate() {
        let t = Theme::new(false);
        let c = VersionSamples {
            requests: 400.0,
            errors: 3.0,
            ..Default::default()
        };
        let p = VersionSamples {
            requests: 400.0,
            ..Default::default()
        };
        let [cl, pl] = counts(&c, &p, 10, t);
        assert!(
            text(&cl).contains("██████████ 3/400 = 0.75 %"),
            "{}",
            text(&cl)
        );
        assert!(
            text(&pl).ends_with("           0/400 = 0.00 %"),
            "{}",
            text(&pl)
        );
    }
}

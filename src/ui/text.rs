//! Measuring, cutting and wrapping text to a number of terminal cells. Text passes the text
//! hygiene first (`crate::hygiene::field`): a control or bidi character from outside is shown
//! (`␛`, `\u{202e}`) and measured as shown.

use crate::hygiene::field;
use ratatui::text::Span;

/// Terminal cells taken by `s` as shown.
pub fn width(s: &str) -> usize {
    Span::raw(field(s)).width()
}

/// Width of a label column: the widest label, at most `cap`, plus one space.
pub fn label_column(labels: &[String], cap: usize) -> u16 {
    labels.iter().map(|l| width(l)).max().unwrap_or(0).min(cap) as u16 + 1
}

fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    width(c.encode_utf8(&mut buf))
}

/// `s` cut to `max` cells, ending in `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    let clean = field(s);
    let s = clean.as_ref();
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` cut from the left to `max` cells, starting with `…` when something was cut. Keeps the end of
/// names whose prefix is shared (pod names).
pub fn truncate_left(s: &str, max: usize) -> String {
    let clean = field(s);
    let s = clean.as_ref();
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut kept = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        kept.push(c);
        used += w;
    }
    let mut out = String::from("…");
    out.extend(kept.into_iter().rev());
    out
}

/// `s` padded with spaces (or cut) to exactly `cells` cells.
pub fn pad(s: &str, cells: usize) -> String {
    let s = truncate(s, cells);
    let w = width(&s);
    format!("{s}{}", " ".repeat(cells.saturating_sub(w)))
}

/// `s` right-aligned in `cells` cells (cut when longer).
pub fn pad_left(s: &str, cells: usize) -> String {
    let s = truncate(s, cells);
    let w = width(&s);
    format!("{}{s}", " ".repeat(cells.saturating_sub(w)))
}

/// The words of `s`, with a unit glued to the number before it ("12 %", "500 ms") so that a
/// line never starts with a bare unit.
fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let bare = word.trim_end_matches([',', ')', '.', ';', ':']);
        let unit = matches!(bare, "%" | "ms" | "s" | "req/s" | "restarts");
        match out.last_mut() {
            Some(prev) if unit && prev.ends_with(|c: char| c.is_ascii_digit()) => {
                prev.push(' ');
                prev.push_str(word);
            }
            _ => out.push(word.to_string()),
        }
    }
    out
}

/// Word wrap to lines of at most `max` cells; words longer than a line are split.
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let clean = field(s);
    let s = clean.as_ref();
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in words(s) {
        let word = word.as_str();
        let w = width(word);
        if used > 0 && used + 1 + w <= max {
            line.push(' ');
            line.push_str(word);
            used += 1 + w;
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if w <= max {
            line.push_str(word);
            used = w;
            continue;
        }
        for c in word.chars() {
            let cw = char_width(c);
            if used + cw > max {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    if used > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

pub use crate::app::NO_PROMETHEUS;

/// What a metrics panel says before its first sample, wrapped to `area`: [`NO_PROMETHEUS`] when
/// there is no source, else "no metrics yet".
pub fn no_metrics(
    app: &crate::app::App,
    t: super::Theme,
    area: ratatui::layout::Rect,
    buf: &mut ratatui::buffer::Buffer,
) {
    if !app.no_metrics_source() {
        buf.set_string(area.x, area.y, "no metrics yet", t.dim());
        return;
    }
    let lines = wrap(NO_PROMETHEUS, usize::from(area.width));
    for (row, line) in (area.y..area.bottom()).zip(lines) {
        buf.set_string(area.x, row, line, t.dim());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_and_wraps() {
        assert_eq!(truncate("CrashLoopBackOff", 10), "CrashLoop…");
        assert_eq!(truncate("Running", 10), "Running");
        assert_eq!(truncate_left("frontend-v2-5c7b9-4xk2p", 10), "…7b9-4xk2p");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad_left("ab", 4), "  ab");
        assert_eq!(
            wrap("error rate 12 % > 1 %, p99 620 ms > 500 ms", 20),
            vec!["error rate 12 % >", "1 %, p99 620 ms >", "500 ms"]
        );
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), vec![""]);
    }

    #[test]
    fn outside_text_is_shown_and_measured_as_shown() {
        assert_eq!(truncate("a\u{1b}]0;x\u{7}", 20), "a␛]0;x␇");
        assert_eq!(width("a\u{202e}b"), 10);
        assert_eq!(truncate_left("pod-\u{9b}2J", 20), "pod-\\u{9b}2J");
        assert_eq!(wrap("a\u{1b}[2J b", 20), vec!["a␛[2J b"]);
    }
}

//! The one text hygiene: everything the cockpit writes to a terminal — the verbs' standard output,
//! every message on standard error, the log file and the TUI — passes through here.
//!
//! Outside text (cluster objects, recordings, webhook answers, kubeconfig names) is hostile: an
//! escape sequence in a container image can retitle the operator's window (OSC 0), write their
//! clipboard (OSC 52) or clear the screen (CSI 2J), and a bidi override can make a line read
//! backwards. None of it reaches a terminal. The hazards are
//!
//! - the C0 controls U+0000–U+001F and DEL, shown as their control pictures (`␛`, `␇`, `␡`);
//! - the C1 controls U+0080–U+009F, which some terminals take for ESC + a letter (U+009B is CSI);
//! - the bidi controls U+202A–U+202E, U+2066–U+2069 and the marks U+200E, U+200F, U+061C;
//! - the line and paragraph separators U+2028 and U+2029;
//!
//! the last three groups shown as `\u{9b}`, `\u{202e}`. A single field (a name, a message, a
//! table cell) never keeps a line break or a tab; multi-line output keeps its `\n` and `\t` and
//! nothing else. JSON and YAML escape the same characters as `\uXXXX` ([`json_pretty`], [`yaml`]),
//! so a parser gets the original text back and a terminal never sees it.

mod structured;

pub use structured::{escape_json, json_pretty, yaml};

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must never reach a terminal as itself.
pub fn is_hazard(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `s` holds a hazard. A byte scan first (every frame's cells pass here): the C0
/// controls and DEL are single bytes, the C1 controls start `C2 80`–`C2 9F`, U+061C is `D8 9C`
/// and the other marks and separators start `E2 80` or `E2 81`; only a string with such a start
/// is read as characters.
pub fn has_hazard(s: &str) -> bool {
    let b = s.as_bytes();
    let maybe = b.iter().enumerate().any(|(i, &x)| match x {
        0x00..=0x1f | 0x7f => true,
        0xc2 => matches!(b.get(i + 1), Some(0x80..=0x9f)),
        0xd8 => b.get(i + 1) == Some(&0x9c),
        0xe2 => matches!(b.get(i + 1), Some(0x80 | 0x81)),
        _ => false,
    });
    maybe && s.chars().any(is_hazard)
}

/// Appends the visible form of the hazard `c`: a control picture for C0 and DEL (`␛`, `␡`),
/// `\u{9b}` for the others.
fn push_visible(out: &mut String, c: char) {
    match c {
        '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + u32::from(c)).unwrap_or('�')),
        '\u{7f}' => out.push('␡'),
        _ => {
            // writing into a String cannot fail
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// `s` with every hazard for which `keep` says no made visible; borrowed when there is none.
fn clean_with(s: &str, keep: impl Fn(char) -> Option<char>) -> Cow<'_, str> {
    if !has_hazard(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_hazard(c) {
            out.push(c);
        } else if let Some(k) = keep(c) {
            out.push(k);
        } else {
            push_visible(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// One field on one line (a name, a reason, a message, a table cell): every hazard made visible,
/// a tab made a space, a line break shown as `␊`.
pub fn field(s: &str) -> Cow<'_, str> {
    clean_with(s, |c| (c == '\t').then_some(' '))
}

/// Text of several lines (a table, a report, a log record): `\n` and `\t` kept, every other
/// hazard made visible (a `\r` too, which could overwrite what a line said).
pub fn lines(s: &str) -> Cow<'_, str> {
    clean_with(s, |c| matches!(c, '\n' | '\t').then_some(c))
}

/// One terminal cell's symbol with every hazard dropped: in a cell they are zero-width (a bidi
/// control the renderer appended to the cell before it) and showing them would move the columns
/// after them. `None` when the symbol is clean; a space when nothing is left.
pub fn cell(symbol: &str) -> Option<String> {
    if !has_hazard(symbol) {
        return None;
    }
    let kept: String = symbol.chars().filter(|&c| !is_hazard(c)).collect();
    Some(if kept.is_empty() {
        " ".to_string()
    } else {
        kept
    })
}

/// `s` cut to at most `max` characters (an `…` added when something was cut), through [`field`].
pub fn short(s: &str, max: usize) -> String {
    let clean = field(s);
    let mut out: String = clean.chars().take(max).collect();
    if clean.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// Whether `text` is free of every hazard except the `\n` and `\t` of multi-line output: what
/// the tests assert of everything the cockpit writes.
pub fn is_clean_output(text: &str) -> bool {
    !text.chars().any(|c| is_hazard(c) && c != '\n' && c != '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str =
        "a\u{1b}]0;title\u{7}b\u{1b}]52;c;aGk=\u{7}c\u{1b}[2Jd\u{9b}31me\u{202e}f\u{7f}";

    #[test]
    fn fields_show_every_hazard_and_keep_the_rest() {
        assert_eq!(
            field(HOSTILE),
            "a␛]0;title␇b␛]52;c;aGk=␇c␛[2Jd\\u{9b}31me\\u{202e}f␡"
        );
        assert!(is_clean_output(&field(HOSTILE)));
        assert_eq!(field("one\ntwo\tthree\r"), "one␊two three␍");
        for c in [
            '\u{200e}', '\u{200f}', '\u{61c}', '\u{2066}', '\u{2069}', '\u{2028}',
        ] {
            let shown = field(&format!("x{c}y")).into_owned();
            assert!(is_clean_output(&shown), "{shown:?}");
            assert!(shown.contains("\\u{"), "{shown:?}");
        }
        // printable text, accents, CJK and emoji pass untouched and unallocated
        for fine in ["frontend-v2", "café ✔ 日本 🚀", "‖ ◆ ○ █░", ""] {
            assert!(matches!(field(fine), Cow::Borrowed(_)), "{fine}");
        }
    }

    #[test]
    fn the_byte_scan_finds_every_hazard() {
        for c in (0..=0x2fffu32).filter_map(char::from_u32) {
            assert_eq!(has_hazard(&format!("a{c}b")), is_hazard(c), "{c:?}");
        }
    }

    #[test]
    fn lines_keep_line_breaks_and_tabs_only() {
        assert_eq!(lines("a\tb\nc\u{1b}[2J\r\n"), "a\tb\nc␛[2J␍\n");
        assert!(!is_clean_output("a\u{1b}b") && is_clean_output("a\n\tb"));
        assert!(!is_clean_output("\u{9b}") && !is_clean_output("\u{202a}"));
    }

    #[test]
    fn cells_drop_hazards_without_moving_columns() {
        assert_eq!(cell("a"), None);
        assert_eq!(cell("█"), None);
        assert_eq!(cell("e\u{202e}").as_deref(), Some("e"));
        assert_eq!(cell("\u{202e}").as_deref(), Some(" "));
        assert_eq!(cell("\u{1b}").as_deref(), Some(" "));
    }

    #[test]
    fn short_cuts_after_cleaning() {
        assert_eq!(short("abc", 5), "abc");
        assert_eq!(short("abcdef", 3), "abc…");
        assert_eq!(short("\u{1b}[2J", 2), "␛[…");
    }
}

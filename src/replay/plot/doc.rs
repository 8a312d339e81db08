//! The SVG text and the elements the picture is written with.

use super::WIDTH;
use std::fmt::Write as _;

/// The SVG text being written.
#[derive(Default)]
pub(super) struct Doc {
    pub(super) out: String,
}

impl Doc {
    pub(super) fn open(&mut self, height: f64) {
        let _ = writeln!(
            self.out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{height:.0}" viewBox="0 0 {WIDTH:.0} {height:.0}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"#
        );
        let _ = writeln!(
            self.out,
            r#"<rect width="100%" height="100%" fill="white"/>"#
        );
    }

    pub(super) fn close(&mut self) {
        self.out.push_str("</svg>\n");
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn line(
        &mut self,
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        color: &str,
        width: f64,
        dash: Option<&str>,
    ) {
        let dash = dash.map_or(String::new(), |d| format!(r#" stroke-dasharray="{d}""#));
        let _ = writeln!(
            self.out,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{color}" stroke-width="{width}"{dash}/>"#
        );
    }

    pub(super) fn text_at(
        &mut self,
        x: f64,
        y: f64,
        anchor: &str,
        size: &str,
        color: &str,
        text: &str,
    ) {
        self.text_with(x, y, anchor, size, color, text, "");
    }

    /// Text over the plot, with a white halo so that lines behind it do not cross its letters.
    pub(super) fn label_at(
        &mut self,
        x: f64,
        y: f64,
        anchor: &str,
        size: &str,
        color: &str,
        text: &str,
    ) {
        let halo =
            r#" stroke="white" stroke-width="3" stroke-linejoin="round" paint-order="stroke""#;
        self.text_with(x, y, anchor, size, color, text, halo);
    }

    #[allow(clippy::too_many_arguments)]
    fn text_with(
        &mut self,
        x: f64,
        y: f64,
        anchor: &str,
        size: &str,
        color: &str,
        text: &str,
        extra: &str,
    ) {
        let _ = writeln!(
            self.out,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="{size}" fill="{color}"{extra}>{}</text>"#,
            xml(text)
        );
    }
}

/// Text made safe inside an XML element or attribute: markup characters escaped, control and
/// bidi characters (XML allows no C0 control; a bidi override would reorder the label) shown
/// by the text hygiene.
pub(super) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in crate::hygiene::field(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

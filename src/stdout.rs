//! Standard output and standard error for the command-line verbs, both through the one text
//! hygiene: whatever the text quotes (a container image, a webhook's answer, a recording), no
//! control or bidi character reaches the terminal. A reader that went away (`| head`) is not an
//! error, it ends the output.

use crate::hygiene;
use std::io::Write;

/// Writes `text` to stdout, its lines kept and every other hazard made visible; `Ok(false)` when
/// the reader went away.
pub fn write(text: &str) -> std::io::Result<bool> {
    let mut out = std::io::stdout().lock();
    match out
        .write_all(hygiene::lines(text).as_bytes())
        .and_then(|()| out.flush())
    {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes `text` and a line break to stderr, through the hygiene. A terminal that is gone
/// (SIGHUP) takes no more lines: nothing to do about it.
pub fn error_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", hygiene::lines(text));
}

/// A writer that passes what it is given through the hygiene: for output written piecewise
/// (the headless demo's lines). Each write is taken as whole lines of UTF-8.
pub struct Clean<W: Write>(pub W);

impl<W: Write> Write for Clean<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(hygiene::lines(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_writer_shows_hazards_and_keeps_lines() {
        let mut out = Clean(Vec::new());
        writeln!(out, "T+00:01 image \u{1b}]52;c;aGk=\u{7} \u{9b}2J\tok").unwrap();
        let text = String::from_utf8(out.0).unwrap();
        assert_eq!(text, "T+00:01 image ␛]52;c;aGk=␇ \\u{9b}2J\tok\n");
    }
}

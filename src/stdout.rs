//! Standard output for the command-line verbs: a reader that went away (`| head`) is not an
//! error, it ends the output.

use std::io::Write;

/// Writes `text` to stdout; `Ok(false)` when the reader went away.
pub fn write(text: &str) -> std::io::Result<bool> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

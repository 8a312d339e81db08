//! The gate connection's socket as hyper sees it.
//!
//! hyper answers a request it cannot read (a malformed or oversized head) by itself, with a status
//! and an empty body: no reason, no `Connection: close`, and the cockpit would not learn which path
//! was asked. So until hyper hands a request over, [`Wire`] keeps the request line the client sent and
//! drops what hyper writes; the connection then answers with a reason of its own. Once a request
//! was handed over, writes go through. Closing the socket is left to the connection, which may
//! still have to answer or drain.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The most of a request's first bytes kept for naming its path.
const MAX_KEPT: usize = 16 * 1024;

/// A borrowed socket that keeps the request line and holds back writes until `handed_over`.
pub(super) struct Wire<'a> {
    stream: &'a mut TcpStream,
    /// The first bytes read, up to the end of the request line.
    start: &'a mut Vec<u8>,
    /// Set once hyper handed a request to the gates.
    handed_over: &'a AtomicBool,
}

impl<'a> Wire<'a> {
    pub(super) fn new(
        stream: &'a mut TcpStream,
        start: &'a mut Vec<u8>,
        handed_over: &'a AtomicBool,
    ) -> Self {
        Self {
            stream,
            start,
            handed_over,
        }
    }

    fn keep(&mut self, read: &[u8]) {
        if self.start.len() >= MAX_KEPT || first_line(self.start).is_some() {
            return;
        }
        let room = MAX_KEPT - self.start.len();
        self.start
            .extend_from_slice(read.get(..room.min(read.len())).unwrap_or_default());
    }

    fn writes_go_through(&self) -> bool {
        self.handed_over.load(Ordering::Relaxed)
    }
}

impl AsyncRead for Wire<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut *this.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = read {
            this.keep(buf.filled().get(before..).unwrap_or_default());
        }
        read
    }
}

impl AsyncWrite for Wire<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.writes_go_through() {
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut *this.stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.writes_go_through() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut *this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The first line of `buf` without its line end, when it arrived in full; empty lines before it
/// are skipped, as HTTP allows.
fn first_line(buf: &[u8]) -> Option<&[u8]> {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = buf.get(start..)?;
    let end = rest.iter().position(|&b| b == b'\n')?;
    let line = rest.get(..end)?;
    Some(line.strip_suffix(b"\r").unwrap_or(line))
}

/// The path a request names in its request line, for a request hyper could not read; empty when
/// no well-formed request line arrived.
pub(super) fn path_hint(start: &[u8]) -> String {
    let Some(line) = first_line(start).and_then(|line| std::str::from_utf8(line).ok()) else {
        return String::new();
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return String::new();
    };
    if http::Method::from_bytes(method.as_bytes()).is_err()
        || !matches!(version, "HTTP/1.1" | "HTTP/1.0")
    {
        return String::new();
    }
    target
        .parse::<http::Uri>()
        .map(|uri| uri.path().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_hints_need_a_whole_request_line() {
        assert_eq!(path_hint(b"POST /gate/open HTTP/1.1\r\nHost"), "/gate/open");
        assert_eq!(
            path_hint(b"\r\nPOST /gate/open HTTP/1.1\nHost"),
            "/gate/open"
        );
        assert_eq!(path_hint(b"POST /gate/open HTT"), "");
        assert_eq!(path_hint(b"garbage\r\n"), "");
        assert_eq!(path_hint(b""), "");
        assert_eq!(path_hint(b"POST  /gate/open HTTP/1.1\r\n"), "");
        assert_eq!(path_hint(b"P(ST /gate/open HTTP/1.1\r\n"), "");
        assert_eq!(path_hint(b"POST /gate/open HTTP/2.0\r\n"), "");
        assert_eq!(path_hint(b"POST /gate/\x1bopen HTTP/1.1\r\n"), "");
    }

    #[test]
    fn absolute_targets_keep_only_the_path() {
        let hint = |target: &str| path_hint(format!("POST {target} HTTP/1.1\r\n").as_bytes());
        assert_eq!(hint("http://cockpit:9090/gate/check?a=b"), "/gate/check");
        assert_eq!(hint("HTTPS://cockpit"), "/");
        assert_eq!(hint("/rollback/open?x=1"), "/rollback/open");
        assert_eq!(hint("*"), "*");
    }

    #[test]
    fn the_first_line_ends_at_the_first_line_end() {
        assert_eq!(
            first_line(b"POST / HTTP/1.1\r\nA: b"),
            Some(&b"POST / HTTP/1.1"[..])
        );
        assert_eq!(
            first_line(b"\r\n\nPOST / HTTP/1.1\n"),
            Some(&b"POST / HTTP/1.1"[..])
        );
        assert_eq!(first_line(b"POST / HTTP/1.1\r"), None);
        assert_eq!(first_line(b"\r\n\r\n"), None);
    }
}

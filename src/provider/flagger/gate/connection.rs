//! One connection to the gate server: hyper reads one request, [`super::answer`] decides the
//! answer, and the connection closes.
//!
//! Request heads are limited to 16 KiB and 100 header lines, bodies to 64 KiB; bodies must come
//! with `Content-Length` (Flagger always sends one), chunked bodies are refused with 411. A client
//! has 10 s to send its whole request and 10 s more to take the answer. A request hyper cannot
//! read gets an answer with a reason from here (see [`super::wire`]). After answering a request
//! that was not read in full, what the client still sends is read and dropped for a while, so it
//! gets to read the answer instead of a connection reset. A change to the gates of a canary that
//! a cockpit owns is answered once the cockpit has published it (at most 2 s later), so a check
//! sent after the answer sees it.

use super::answer::{answer, Request, Response};
use super::book::GateBook;
use super::server::GateCall;
use super::wire::{path_hint, Wire};
use http::header::TRANSFER_ENCODING;
use http::HeaderMap;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::error::Error as StdError;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::{timeout, timeout_at, Instant};

/// Largest request line plus headers accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Largest body accepted.
const MAX_BODY: usize = 64 * 1024;
/// Time a client has to send its whole request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a client has to take the answer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// After answering a request early (too large, refused), what the client still sends is read and
/// dropped for this long, so it gets to read the answer instead of a connection reset.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);
/// ... and at most this much of it.
const DRAIN_LIMIT: usize = 1024 * 1024;
/// A change to gates a cockpit owns is answered once the cockpit published it, or after this.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);

/// A request that is not answered from the book.
#[derive(Debug)]
enum Failure {
    /// The client went away or the connection broke: there is nobody to answer.
    Gone,
    /// Answer with an error and close.
    Refused(Refusal),
}

#[derive(Debug)]
struct Refusal {
    status: u16,
    reason: String,
    /// The client may still be sending: drain before closing.
    unread: bool,
}

fn refuse(status: u16, reason: impl Into<String>, unread: bool) -> Failure {
    Failure::Refused(Refusal {
        status,
        reason: reason.into(),
        unread,
    })
}

/// The client went away while its request was read: hyper drops the connection.
#[derive(Debug, thiserror::Error)]
#[error("the client went away before its request arrived in full")]
struct ClientGone;

/// What the request handler tells the code that closes the connection.
#[derive(Debug, Default)]
struct Progress {
    /// hyper handed a request over: the handler answers and reports it.
    handed_over: AtomicBool,
    /// The answer went out before the whole request was read.
    unread: AtomicBool,
}

/// Serves one request of a connection for hyper.
struct Handler<'a> {
    book: &'a GateBook,
    calls: &'a UnboundedSender<GateCall>,
    progress: &'a Progress,
    /// When the whole request must have arrived.
    deadline: Instant,
}

impl Handler<'_> {
    async fn respond(
        &self,
        request: http::Request<Incoming>,
    ) -> Result<http::Response<Full<Bytes>>, ClientGone> {
        self.progress.handed_over.store(true, Ordering::Relaxed);
        let (head, body) = request.into_parts();
        let path = head.uri.path().to_owned();
        let (call, mut response) = match read_body(&head.headers, body, self.deadline).await {
            Ok(body) => {
                let request = Request {
                    method: head.method.as_str().to_owned(),
                    path,
                    body,
                };
                answer(&request, self.book)
            }
            Err(Failure::Gone) => return Err(ClientGone),
            Err(Failure::Refused(refusal)) => {
                self.progress
                    .unread
                    .store(refusal.unread, Ordering::Relaxed);
                refused(path, refusal)
            }
        };
        report(self.calls, call);
        if let Some(pending) = response.take_pending() {
            if !pending.published(PUBLISH_TIMEOUT).await {
                tracing::warn!(
                    "the cockpit did not publish a gate change in time: answered anyway"
                );
            }
        }
        Ok(response.into_http())
    }
}

/// Reads a request's body within the limits.
async fn read_body(
    headers: &HeaderMap,
    body: Incoming,
    deadline: Instant,
) -> Result<Vec<u8>, Failure> {
    if headers.contains_key(TRANSFER_ENCODING) {
        return Err(refuse(
            411,
            "Transfer-Encoding is not supported: send the body with Content-Length",
            true,
        ));
    }
    let too_large = || refuse(413, "the request body exceeds 64 KiB", true);
    // Checked before reading, so a client waiting for 100 Continue is refused at once.
    if body.size_hint().lower() > MAX_BODY as u64 {
        return Err(too_large());
    }
    match timeout_at(deadline, Limited::new(body, MAX_BODY).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(error)) if error.is::<LengthLimitError>() => Err(too_large()),
        Ok(Err(error)) if ended_early(&*error) => {
            Err(refuse(400, "incomplete request body", false))
        }
        Ok(Err(_)) => Err(Failure::Gone),
        Err(_) => Err(refuse(408, "the request did not arrive within 10 s", true)),
    }
}

/// Whether a body failed because the client closed the connection before sending all of it.
fn ended_early(error: &(dyn StdError + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error
            .downcast_ref::<io::Error>()
            .is_some_and(|error| error.kind() == io::ErrorKind::UnexpectedEof)
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// The call and answer for a refused request.
fn refused(path: String, refusal: Refusal) -> (GateCall, Response) {
    let call = GateCall {
        path,
        namespace: String::new(),
        name: String::new(),
        phase: None,
        status: refusal.status,
    };
    (call, Response::new(refusal.status, refusal.reason))
}

/// Reported before answering, so whoever reads the answer finds the call already logged.
fn report(calls: &UnboundedSender<GateCall>, call: GateCall) {
    tracing::debug!(
        path = %call.path,
        namespace = %call.namespace,
        name = %call.name,
        status = call.status,
        "gate call"
    );
    // A closed receiver is fine: nobody is listening.
    let _ = calls.send(call);
}

/// Serves one connection: one request, one answer.
pub(super) async fn handle(
    mut stream: TcpStream,
    book: GateBook,
    calls: UnboundedSender<GateCall>,
) {
    let accepted = Instant::now();
    let progress = Progress::default();
    let mut start = Vec::new();
    let served = {
        let handler = Handler {
            book: &book,
            calls: &calls,
            progress: &progress,
            deadline: accepted + READ_TIMEOUT,
        };
        let handler = &handler;
        let wire = Wire::new(&mut stream, &mut start, &progress.handed_over);
        let connection = crate::http1::one_request(MAX_HEAD, READ_TIMEOUT).serve_connection(
            TokioIo::new(wire),
            service_fn(move |request| handler.respond(request)),
        );
        timeout(READ_TIMEOUT + WRITE_TIMEOUT, connection).await
    };
    if progress.handed_over.load(Ordering::Relaxed) {
        close(&mut stream, progress.unread.load(Ordering::Relaxed)).await;
        return;
    }
    let refusal = match served {
        Ok(Ok(())) => None,
        Ok(Err(error)) => unreadable(&error, &start),
        Err(_) => timed_out(&start),
    };
    let Some(refusal) = refusal else {
        return;
    };
    let unread = refusal.unread;
    let (call, response) = refused(path_hint(&start), refusal);
    report(&calls, call);
    let bytes = response.to_bytes();
    let wrote = timeout(WRITE_TIMEOUT, async {
        stream.write_all(&bytes).await?;
        stream.flush().await
    })
    .await;
    if matches!(wrote, Ok(Ok(()))) {
        close(&mut stream, unread).await;
    }
}

/// The answer to a request hyper gave up on, given the bytes that arrived; none when the
/// client went away.
fn unreadable(error: &hyper::Error, start: &[u8]) -> Option<Refusal> {
    let refusal = |status: u16, reason: String, unread: bool| Refusal {
        status,
        reason,
        unread,
    };
    if error.is_parse_too_large() {
        Some(refusal(
            431,
            "the request head exceeds 16 KiB or 100 header lines".to_owned(),
            true,
        ))
    } else if error.is_parse() {
        Some(refusal(400, format!("malformed request: {error}"), true))
    } else if error.is_timeout() {
        timed_out(start)
    } else if error.is_incomplete_message() && !start.is_empty() {
        Some(refusal(400, "incomplete request head".to_owned(), false))
    } else {
        None
    }
}

/// A client that sent nothing within the time is dropped; one that sent part of a request is told.
fn timed_out(start: &[u8]) -> Option<Refusal> {
    (!start.is_empty()).then(|| Refusal {
        status: 408,
        reason: "the request did not arrive within 10 s".to_owned(),
        unread: true,
    })
}

/// Closes the sending side, after draining what the client still sends when it was not read
/// in full or more has already arrived.
async fn close(stream: &mut TcpStream, unread: bool) {
    let _ = timeout(WRITE_TIMEOUT, stream.shutdown()).await;
    let mut probe = [0u8; 1];
    if unread || matches!(stream.try_read(&mut probe), Ok(n) if n > 0) {
        drain(stream).await;
    }
}

/// Reads and drops what the client still sends, until it closes or the limits are reached.
async fn drain(stream: &mut TcpStream) {
    let _ = timeout(DRAIN_TIMEOUT, async {
        let mut scratch = [0u8; 8192];
        let mut total = 0;
        while total < DRAIN_LIMIT {
            match stream.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_early_ends_of_the_body_are_incomplete_bodies() {
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "incomplete body");
        assert!(ended_early(&eof));
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert!(!ended_early(&reset));
        assert!(ended_early(&BodyError(eof)));
        assert!(!ended_early(&BodyError(reset)));
    }

    /// An error with a cause, as hyper reports a body that failed.
    #[derive(Debug, thiserror::Error)]
    #[error("body")]
    struct BodyError(#[source] io::Error);

    #[test]
    fn clients_that_sent_nothing_are_dropped_silently() {
        assert!(timed_out(b"").is_none());
        assert_eq!(timed_out(b"POST /gate").map(|r| r.status), Some(408));
    }
}

//! The HTTP side of the gates: a small HTTP/1.1 server that answers Flagger's webhooks.
//!
//! One request per connection: the server reads a request, answers it with `Connection: close` and
//! closes. Request heads are limited to 16 KiB and bodies to 64 KiB; bodies must come with
//! `Content-Length` (Flagger always sends one), chunked bodies are refused with 411. A client that
//! sends nothing useful within 10 s is dropped. Every answered request is reported as a
//! [`GateCall`] so the cockpit can show who asked what.

use super::book::{GateBook, GateState};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio::time::timeout;

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
/// Connections served at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 1024;
/// Longest name or namespace accepted (Kubernetes names are at most 253 characters).
const MAX_NAME: usize = 253;
/// Longest text echoed back in an error answer.
const MAX_REASON: usize = 300;

/// What Flagger (or another tool) asked, and what the cockpit answered: for the event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateCall {
    /// The request path without its query, such as "/gate/check"; empty when the request line was unreadable.
    pub path: String,
    /// Empty when the request was malformed.
    pub namespace: String,
    pub name: String,
    /// The payload's phase, when sent.
    pub phase: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: io::Error },
}

/// Binds `addr` (e.g. "127.0.0.1:0" or "0.0.0.0:9090").
pub async fn bind(addr: &str) -> Result<TcpListener, GateError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| GateError::Listen {
            addr: addr.to_owned(),
            source,
        })
}

/// Serves until the listener fails fatally or the task is aborted; each request handled in its own task; every request that parsed (and every malformed one, with empty names) is sent to `calls` (a closed receiver is fine: ignore send errors). A per-connection read timeout of 10 s protects against slow clients.
///
/// Aborting the task also ends the connections it is serving.
pub async fn serve(listener: TcpListener, book: GateBook, calls: UnboundedSender<GateCall>) {
    let mut connections = JoinSet::new();
    loop {
        while let Some(done) = connections.try_join_next() {
            log_join(done);
        }
        if connections.len() >= MAX_CONNECTIONS {
            if let Some(done) = connections.join_next().await {
                log_join(done);
            }
            continue;
        }
        match listener.accept().await {
            Ok((stream, peer)) => {
                tracing::trace!(%peer, "gate connection");
                connections.spawn(handle(stream, book.clone(), calls.clone()));
            }
            Err(error) if accept_error_is_fatal(&error) => {
                tracing::error!(%error, "gate server stops: the listener failed");
                return;
            }
            Err(error) if accept_error_is_per_connection(&error) => {
                tracing::debug!(%error, "gate connection failed before it was accepted");
            }
            Err(error) => {
                // Out of file descriptors or memory: give the open connections time to finish.
                tracing::warn!(%error, "gate server cannot accept connections");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

fn log_join(done: Result<(), tokio::task::JoinError>) {
    if let Err(error) = done {
        if error.is_panic() {
            tracing::error!(%error, "a gate connection panicked");
        }
    }
}

/// The listening socket itself is unusable: retrying would fail forever.
fn accept_error_is_fatal(error: &io::Error) -> bool {
    #[cfg(unix)]
    const EBADF: i32 = 9;
    #[cfg(unix)]
    if error.raw_os_error() == Some(EBADF) {
        return true;
    }
    error.kind() == io::ErrorKind::InvalidInput
}

/// The error belongs to one incoming connection, not to the listener.
fn accept_error_is_per_connection(error: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        error.kind(),
        ConnectionAborted
            | ConnectionReset
            | ConnectionRefused
            | Interrupted
            | WouldBlock
            | TimedOut
            | HostUnreachable
            | NetworkUnreachable
            | NetworkDown
    )
}

/// A request read in full.
#[derive(Debug)]
struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
    /// More bytes than the request arrived; they are drained before closing.
    unread: bool,
}

/// A request that cannot be served.
#[derive(Debug)]
enum Failure {
    /// The client went away or the connection broke: there is nobody to answer.
    Gone,
    /// Answer with an error and close.
    Answer(Refusal),
}

#[derive(Debug)]
struct Refusal {
    status: u16,
    reason: String,
    /// The request path when it could be read, else empty.
    path: String,
    /// The client may still be sending: drain before closing.
    unread: bool,
}

fn refuse(status: u16, reason: impl Into<String>, path: &str, unread: bool) -> Failure {
    Failure::Answer(Refusal {
        status,
        reason: reason.into(),
        path: path.to_owned(),
        unread,
    })
}

/// An answer to send.
#[derive(Debug)]
struct Response {
    status: u16,
    text: String,
    /// 405 answers name the allowed method.
    allow_post: bool,
    /// HEAD requests get the headers only.
    head_only: bool,
}

impl Response {
    fn new(status: u16, text: impl Into<String>) -> Self {
        Self {
            status,
            text: text.into(),
            allow_post: false,
            head_only: false,
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        let body = format!("{}\n", one_line(&self.text));
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status,
            reason_phrase(self.status),
            body.len()
        );
        if self.allow_post {
            out.push_str("Allow: POST\r\n");
        }
        out.push_str("\r\n");
        if !self.head_only {
            out.push_str(&body);
        }
        out.into_bytes()
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Unknown",
    }
}

/// Answer text stays on one line and short, whatever the client sent.
fn one_line(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_REASON)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(MAX_REASON).is_some() {
        out.push('…');
    }
    out
}

/// Serves one connection: one request, one answer.
async fn handle(mut stream: TcpStream, book: GateBook, calls: UnboundedSender<GateCall>) {
    let mut buf = Vec::new();
    let read = match timeout(READ_TIMEOUT, read_request(&mut stream, &mut buf)).await {
        Ok(read) => read,
        Err(_) if buf.is_empty() => Err(Failure::Gone),
        Err(_) => Err(refuse(
            408,
            "the request did not arrive within 10 s",
            &path_hint(&buf),
            true,
        )),
    };
    let (call, response, unread) = match read {
        Ok(request) => {
            let (call, response) = answer(&request, &book);
            (call, response, request.unread)
        }
        Err(Failure::Gone) => return,
        Err(Failure::Answer(refusal)) => (
            GateCall {
                path: refusal.path,
                namespace: String::new(),
                name: String::new(),
                phase: None,
                status: refusal.status,
            },
            Response::new(refusal.status, refusal.reason),
            refusal.unread,
        ),
    };
    tracing::debug!(
        path = %call.path,
        namespace = %call.namespace,
        name = %call.name,
        status = call.status,
        "gate call"
    );
    // Reported before answering, so whoever reads the answer finds the call already logged.
    let _ = calls.send(call);

    let bytes = response.to_bytes();
    let wrote = timeout(WRITE_TIMEOUT, async {
        stream.write_all(&bytes).await?;
        stream.flush().await?;
        stream.shutdown().await
    })
    .await;
    if matches!(wrote, Ok(Ok(()))) && unread {
        drain(&mut stream).await;
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

/// Reads one request into `buf` (which keeps what arrived, should the caller give up waiting).
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Request, Failure> {
    let mut chunk = [0u8; 8192];
    let mut scanned = 0;
    let (head_end, body_start) = loop {
        if let Some(found) = find_head_end(buf, scanned) {
            break found;
        }
        if buf.len() >= MAX_HEAD {
            return Err(refuse(
                431,
                "the request head exceeds 16 KiB",
                &path_hint(buf),
                true,
            ));
        }
        // The empty line ending the head may straddle two reads.
        scanned = buf.len().saturating_sub(2);
        match stream.read(&mut chunk).await {
            Ok(0) if buf.is_empty() => return Err(Failure::Gone),
            Ok(0) => {
                return Err(refuse(
                    400,
                    "incomplete request head",
                    &path_hint(buf),
                    false,
                ))
            }
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(_) => return Err(Failure::Gone),
        }
    };
    if head_end > MAX_HEAD {
        return Err(refuse(
            431,
            "the request head exceeds 16 KiB",
            &path_hint(buf),
            true,
        ));
    }
    let head = parse_head(buf.get(..head_end).unwrap_or_default())?;
    let path = head.path.as_str();
    if head.chunked {
        return Err(refuse(
            411,
            "Transfer-Encoding is not supported: send the body with Content-Length",
            path,
            true,
        ));
    }
    let length = head.content_length.unwrap_or(0);
    if length > MAX_BODY as u64 {
        return Err(refuse(413, "the request body exceeds 64 KiB", path, true));
    }
    // At most MAX_BODY, so it fits.
    let length = usize::try_from(length).unwrap_or(MAX_BODY);
    let body_end = body_start.saturating_add(length);

    if head.expect_continue && buf.len() < body_end {
        let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
        if stream.write_all(interim).await.is_err() {
            return Err(Failure::Gone);
        }
    }
    while buf.len() < body_end {
        match stream.read(&mut chunk).await {
            Ok(0) => return Err(refuse(400, "incomplete request body", path, false)),
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(_) => return Err(Failure::Gone),
        }
    }
    Ok(Request {
        body: buf.get(body_start..body_end).unwrap_or_default().to_vec(),
        unread: buf.len() > body_end,
        method: head.method,
        path: head.path,
    })
}

/// Finds the empty line that ends the request head, scanning from `from`: returns where the head
/// ends and where the body starts. Lines may end in CRLF or in a bare LF.
fn find_head_end(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let start = from.min(buf.len());
    buf.iter()
        .enumerate()
        .skip(start)
        .filter(|(_, &b)| b == b'\n')
        .find_map(|(i, _)| match (buf.get(i + 1), buf.get(i + 2)) {
            (Some(b'\n'), _) => Some((i, i + 2)),
            (Some(b'\r'), Some(b'\n')) => Some((i, i + 3)),
            _ => None,
        })
}

/// The request line and the headers that matter here.
#[derive(Debug)]
struct Head {
    method: String,
    path: String,
    content_length: Option<u64>,
    chunked: bool,
    expect_continue: bool,
}

fn lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The request line split into method, path and version, when it is well formed.
fn request_line(line: &[u8]) -> Result<(String, String), &'static str> {
    let line = std::str::from_utf8(line).map_err(|_| "malformed request line")?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed request line");
    };
    if method.is_empty() || !method.bytes().all(is_token_char) {
        return Err("malformed request method");
    }
    if target.is_empty() || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("malformed request target");
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err("unsupported HTTP version: HTTP/1.1 expected");
    }
    Ok((method.to_owned(), target_path(target)))
}

/// The path of a request target: without scheme and host (absolute form), query or fragment.
fn target_path(target: &str) -> String {
    let lower = target.to_ascii_lowercase();
    let origin = ["http://", "https://"]
        .iter()
        .find(|scheme| lower.starts_with(*scheme))
        .map(|scheme| {
            let rest = target.get(scheme.len()..).unwrap_or_default();
            rest.find('/').and_then(|i| rest.get(i..)).unwrap_or("/")
        })
        .unwrap_or(target);
    let end = origin.find(['?', '#']).unwrap_or(origin.len());
    origin.get(..end).unwrap_or(origin).to_owned()
}

/// The path of a request whose head could not be read in full, when its request line arrived.
fn path_hint(buf: &[u8]) -> String {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = buf.get(start..).unwrap_or_default();
    match rest.iter().position(|&b| b == b'\n') {
        Some(end) => lines(rest.get(..end).unwrap_or_default())
            .next()
            .and_then(|line| request_line(line).ok())
            .map(|(_, path)| path)
            .unwrap_or_default(),
        None => String::new(),
    }
}

fn parse_head(head: &[u8]) -> Result<Head, Failure> {
    // Empty lines before the request line are tolerated.
    let mut lines = lines(head).skip_while(|line| line.is_empty());
    let Some(first) = lines.next() else {
        return Err(refuse(400, "missing request line", "", false));
    };
    let (method, path) = request_line(first).map_err(|reason| refuse(400, reason, "", false))?;
    let bad = |reason: &str| refuse(400, reason, &path, true);

    let mut content_length = None;
    let mut chunked = false;
    let mut expect_continue = false;
    for line in lines {
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            return Err(bad("folded header lines are not supported"));
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(bad("malformed header line"));
        };
        let name = line.get(..colon).unwrap_or_default();
        if name.is_empty() || !name.iter().all(|&b| is_token_char(b)) {
            return Err(bad("malformed header name"));
        }
        let value = line.get(colon + 1..).unwrap_or_default().trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") {
            let digits = std::str::from_utf8(value).unwrap_or_default();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("invalid Content-Length"));
            }
            // Too many digits for a u64 is certainly too large.
            let length = digits.parse::<u64>().unwrap_or(u64::MAX);
            if content_length.is_some_and(|seen| seen != length) {
                return Err(bad("conflicting Content-Length headers"));
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            chunked = true;
        } else if name.eq_ignore_ascii_case(b"expect") {
            expect_continue |= value.eq_ignore_ascii_case(b"100-continue");
        }
    }
    Ok(Head {
        method,
        path,
        content_length,
        chunked,
        expect_continue,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    GateCheck,
    GateOpen,
    GateClose,
    RollbackCheck,
    RollbackOpen,
    RollbackClose,
}

impl Endpoint {
    fn from_path(path: &str) -> Option<Self> {
        Some(match path {
            "/gate/check" => Endpoint::GateCheck,
            "/gate/open" => Endpoint::GateOpen,
            "/gate/close" => Endpoint::GateClose,
            "/rollback/check" => Endpoint::RollbackCheck,
            "/rollback/open" => Endpoint::RollbackOpen,
            "/rollback/close" => Endpoint::RollbackClose,
            _ => return None,
        })
    }
}

/// The canary a request names (Flagger's CanaryWebhookPayload, minus what the gates ignore).
#[derive(Debug, PartialEq, Eq)]
struct Payload {
    name: String,
    namespace: String,
    phase: Option<String>,
}

/// A text field the cockpit keeps: printable, so it is safe to show in the terminal.
fn checked(field: &str, text: &str) -> Result<String, String> {
    if text.chars().any(char::is_control) {
        return Err(format!("{field} contains control characters"));
    }
    if text.len() > MAX_NAME {
        return Err(format!("{field} is longer than {MAX_NAME} bytes"));
    }
    Ok(text.to_owned())
}

fn parse_payload(body: &[u8]) -> Result<Payload, String> {
    use serde_json::Value;
    let value: Value =
        serde_json::from_slice(body).map_err(|error| format!("malformed JSON: {error}"))?;
    let Value::Object(fields) = value else {
        return Err("the body must be a JSON object".to_owned());
    };
    let required = |field: &str| match fields.get(field) {
        None | Some(Value::Null) => Err(format!("missing {field}")),
        Some(Value::String(text)) if text.trim().is_empty() => Err(format!("empty {field}")),
        Some(Value::String(text)) => checked(field, text),
        Some(_) => Err(format!("{field} must be a string")),
    };
    let name = required("name")?;
    let namespace = required("namespace")?;
    let phase = match fields.get("phase") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(checked("phase", text)?),
        Some(_) => return Err("phase must be a string".to_owned()),
    };
    Ok(Payload {
        name,
        namespace,
        phase,
    })
}

/// Serves a request read in full.
fn answer(request: &Request, book: &GateBook) -> (GateCall, Response) {
    let mut call = GateCall {
        path: request.path.clone(),
        namespace: String::new(),
        name: String::new(),
        phase: None,
        status: 0,
    };
    let head_only = request.method == "HEAD";
    let mut response = route(request, book, &mut call);
    response.head_only = head_only;
    call.status = response.status;
    (call, response)
}

fn route(request: &Request, book: &GateBook, call: &mut GateCall) -> Response {
    let Some(endpoint) = Endpoint::from_path(&request.path) else {
        return Response::new(404, format!("no such endpoint: {}", request.path));
    };
    if request.method != "POST" {
        let mut response = Response::new(
            405,
            format!("method {} not allowed: use POST", request.method),
        );
        response.allow_post = true;
        return response;
    }
    let payload = match parse_payload(&request.body) {
        Ok(payload) => payload,
        Err(reason) => return Response::new(400, reason),
    };
    let (namespace, name) = (payload.namespace.as_str(), payload.name.as_str());
    let response = match endpoint {
        Endpoint::GateCheck => {
            if book.gate(namespace, name).is_open() {
                Response::new(200, format!("approved: gate of {namespace}/{name} is open"))
            } else {
                Response::new(
                    403,
                    format!("forbidden: gate of {namespace}/{name} is closed"),
                )
            }
        }
        Endpoint::GateOpen => {
            book.set_gate(namespace, name, GateState::Open);
            Response::new(202, format!("gate of {namespace}/{name} opened"))
        }
        Endpoint::GateClose => {
            book.set_gate(namespace, name, GateState::Closed);
            Response::new(202, format!("gate of {namespace}/{name} closed"))
        }
        Endpoint::RollbackCheck => {
            if book.rollback(namespace, name) {
                Response::new(200, format!("approved: roll back {namespace}/{name}"))
            } else {
                Response::new(
                    403,
                    format!("forbidden: rollback gate of {namespace}/{name} is closed"),
                )
            }
        }
        Endpoint::RollbackOpen => {
            book.set_rollback(namespace, name, true);
            Response::new(202, format!("rollback gate of {namespace}/{name} opened"))
        }
        Endpoint::RollbackClose => {
            book.set_rollback(namespace, name, false);
            Response::new(202, format!("rollback gate of {namespace}/{name} closed"))
        }
    };
    call.namespace = payload.namespace;
    call.name = payload.name;
    call.phase = payload.phase;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_ends_at_the_first_empty_line() {
        assert_eq!(
            find_head_end(b"POST / HTTP/1.1\r\n\r\nbody", 0),
            Some((16, 19))
        );
        assert_eq!(find_head_end(b"POST / HTTP/1.1\n\nbody", 0), Some((15, 17)));
        assert_eq!(find_head_end(b"POST / HTTP/1.1\r\nA: b\r\n", 0), None);
        assert_eq!(find_head_end(b"POST / HTTP/1.1\r\n\r", 0), None);
        // Scanning resumes where the terminator may have started.
        let buf = b"POST / HTTP/1.1\r\n\r\n";
        assert_eq!(find_head_end(buf, buf.len() - 4), Some((16, 19)));
        assert_eq!(find_head_end(buf, 100), None);
    }

    #[test]
    fn request_heads_parse() {
        let head = b"POST /gate/check?x=1 HTTP/1.1\r\nHost: x\r\ncontent-length:  12 \r\nExpect: 100-Continue";
        let Ok(head) = parse_head(head) else {
            panic!("the head should parse");
        };
        assert_eq!(head.method, "POST");
        assert_eq!(head.path, "/gate/check");
        assert_eq!(head.content_length, Some(12));
        assert!(!head.chunked);
        assert!(head.expect_continue);
    }

    #[test]
    fn bad_heads_are_refused() {
        let status = |head: &[u8]| match parse_head(head) {
            Ok(_) => None,
            Err(Failure::Answer(refusal)) => Some(refusal.status),
            Err(Failure::Gone) => Some(0),
        };
        assert_eq!(status(b"POST /gate/check HTTP/1.1"), None);
        assert_eq!(status(b""), Some(400));
        assert_eq!(status(b"POST /gate/check"), Some(400));
        assert_eq!(status(b"POST  /gate/check HTTP/1.1"), Some(400));
        assert_eq!(status(b"POST /gate/\x1bcheck HTTP/1.1"), Some(400));
        assert_eq!(status(b"POST /gate/check HTTP/2.0"), Some(400));
        assert_eq!(status(b"P(ST /gate/check HTTP/1.1"), Some(400));
        assert_eq!(status(b"POST /gate/check HTTP/1.1\r\nno colon"), Some(400));
        assert_eq!(
            status(b"POST /gate/check HTTP/1.1\r\nA: b\r\n c"),
            Some(400)
        );
        assert_eq!(
            status(b"POST /gate/check HTTP/1.1\r\nContent-Length: -1"),
            Some(400)
        );
        assert_eq!(
            status(b"POST /gate/check HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2"),
            Some(400)
        );
        assert_eq!(
            status(b"POST /gate/check HTTP/1.1\r\n\xff\xfe: x"),
            Some(400)
        );
    }

    #[test]
    fn huge_content_lengths_do_not_overflow() {
        let head = b"POST /gate/check HTTP/1.1\r\nContent-Length: 99999999999999999999999999";
        let Ok(head) = parse_head(head) else {
            panic!("the head should parse");
        };
        assert_eq!(head.content_length, Some(u64::MAX));
    }

    #[test]
    fn absolute_targets_keep_only_the_path() {
        assert_eq!(
            target_path("http://cockpit:9090/gate/check?a=b"),
            "/gate/check"
        );
        assert_eq!(target_path("HTTPS://cockpit"), "/");
        assert_eq!(target_path("/rollback/open#x"), "/rollback/open");
        assert_eq!(target_path("*"), "*");
    }

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
    }

    #[test]
    fn payloads_parse_and_ignore_extra_fields() {
        let body = br#"{"name":"frontend","namespace":"demo","phase":"Progressing","checksum":"abc","metadata":{"k":"v"}}"#;
        assert_eq!(
            parse_payload(body),
            Ok(Payload {
                name: "frontend".into(),
                namespace: "demo".into(),
                phase: Some("Progressing".into()),
            })
        );
        assert_eq!(
            parse_payload(br#"{"name":"frontend","namespace":"demo","phase":null}"#)
                .map(|p| p.phase),
            Ok(None)
        );
    }

    #[test]
    fn bad_payloads_are_refused_with_a_reason() {
        let reason = |body: &[u8]| parse_payload(body).err().unwrap_or_default();
        assert!(reason(b"").starts_with("malformed JSON"));
        assert!(reason(b"{not json").starts_with("malformed JSON"));
        assert_eq!(
            reason(br#"["frontend","demo"]"#),
            "the body must be a JSON object"
        );
        assert_eq!(reason(br#"{"namespace":"demo"}"#), "missing name");
        assert_eq!(reason(br#"{"name":"frontend"}"#), "missing namespace");
        assert_eq!(reason(br#"{"name":" ","namespace":"demo"}"#), "empty name");
        assert_eq!(
            reason(br#"{"name":"frontend","namespace":""}"#),
            "empty namespace"
        );
        assert_eq!(
            reason(br#"{"name":7,"namespace":"demo"}"#),
            "name must be a string"
        );
        assert_eq!(
            reason(br#"{"name":"front\u001bend","namespace":"demo"}"#),
            "name contains control characters"
        );
        assert_eq!(
            reason(br#"{"name":"frontend","namespace":"demo","phase":3}"#),
            "phase must be a string"
        );
        let long = format!(r#"{{"name":"{}","namespace":"demo"}}"#, "a".repeat(254));
        assert_eq!(reason(long.as_bytes()), "name is longer than 253 bytes");
    }

    #[test]
    fn responses_carry_length_and_close() {
        let text = String::from_utf8(Response::new(403, "closed").to_bytes()).unwrap_or_default();
        assert_eq!(
            text,
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 7\r\nConnection: close\r\n\r\nclosed\n"
        );
        let mut head = Response::new(405, "use POST");
        head.allow_post = true;
        head.head_only = true;
        let text = String::from_utf8(head.to_bytes()).unwrap_or_default();
        assert!(text.contains("Allow: POST\r\n"));
        assert!(text.contains("Content-Length: 9\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn answer_text_stays_on_one_short_line() {
        assert_eq!(one_line("a\r\nb\x1b"), "a  b ");
        let long = one_line(&"x".repeat(1000));
        assert_eq!(long.chars().count(), MAX_REASON + 1);
        assert!(long.ends_with('…'));
    }

    fn request(method: &str, path: &str, body: &str) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            body: body.as_bytes().to_vec(),
            unread: false,
        }
    }

    #[test]
    fn routing_follows_the_load_tester() {
        let book = GateBook::new();
        let body = r#"{"name":"frontend","namespace":"demo","phase":"Progressing"}"#;
        let status = |method: &str, path: &str, body: &str| {
            answer(&request(method, path, body), &book).0.status
        };
        assert_eq!(status("POST", "/gate/check", body), 403);
        assert_eq!(status("POST", "/gate/open", body), 202);
        assert_eq!(book.gate("demo", "frontend"), GateState::Open);
        assert_eq!(status("POST", "/gate/check", body), 200);
        assert_eq!(status("POST", "/gate/close", body), 202);
        assert_eq!(book.gate("demo", "frontend"), GateState::Closed);
        assert_eq!(status("POST", "/rollback/check", body), 403);
        assert_eq!(status("POST", "/rollback/open", body), 202);
        assert!(book.rollback("demo", "frontend"));
        assert_eq!(status("POST", "/rollback/check", body), 200);
        assert_eq!(status("POST", "/rollback/close", body), 202);
        assert!(!book.rollback("demo", "frontend"));
        assert_eq!(status("GET", "/gate/check", body), 405);
        assert_eq!(status("POST", "/gate/check/", body), 404);
        assert_eq!(status("POST", "/gate/check", "{}"), 400);
    }

    #[test]
    fn a_gate_open_for_one_step_approves_checks() {
        let book = GateBook::new();
        book.set_gate(
            "demo",
            "frontend",
            GateState::OpenForStep {
                from_weight: Some(10),
            },
        );
        let body = r#"{"name":"frontend","namespace":"demo"}"#;
        let (call, _) = answer(&request("POST", "/gate/check", body), &book);
        assert_eq!(call.status, 200);
        assert!(book.observe_weight("demo", "frontend", 20));
        let (call, _) = answer(&request("POST", "/gate/check", body), &book);
        assert_eq!(call.status, 403);
    }

    #[test]
    fn calls_name_the_canary_only_when_the_request_was_good() {
        let book = GateBook::new();
        let (call, response) = answer(
            &request(
                "POST",
                "/gate/check",
                r#"{"name":"frontend","namespace":"demo","phase":"Progressing"}"#,
            ),
            &book,
        );
        assert_eq!(
            call,
            GateCall {
                path: "/gate/check".into(),
                namespace: "demo".into(),
                name: "frontend".into(),
                phase: Some("Progressing".into()),
                status: 403,
            }
        );
        assert!(!response.head_only);
        let (call, _) = answer(
            &request("POST", "/gate/check", r#"{"name":"frontend"}"#),
            &book,
        );
        assert_eq!((call.namespace.as_str(), call.name.as_str()), ("", ""));
        assert_eq!(call.status, 400);
        let (call, response) = answer(&request("HEAD", "/gate/check", ""), &book);
        assert_eq!(call.status, 405);
        assert!(response.head_only);
        assert!(response.allow_post);
    }

    #[test]
    fn only_broken_listeners_stop_the_server() {
        assert!(accept_error_is_fatal(&io::Error::from(
            io::ErrorKind::InvalidInput
        )));
        #[cfg(unix)]
        assert!(accept_error_is_fatal(&io::Error::from_raw_os_error(9)));
        assert!(!accept_error_is_fatal(&io::Error::from(
            io::ErrorKind::ConnectionAborted
        )));
        // EMFILE: too many open files, a passing condition.
        #[cfg(unix)]
        assert!(!accept_error_is_fatal(&io::Error::from_raw_os_error(24)));
        assert!(accept_error_is_per_connection(&io::Error::from(
            io::ErrorKind::ConnectionReset
        )));
        assert!(!accept_error_is_per_connection(&io::Error::from(
            io::ErrorKind::OutOfMemory
        )));
    }
}

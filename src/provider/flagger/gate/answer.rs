//! What the gates answer: the request's path, method and JSON body decide, the book holds the
//! gates. Nothing here touches the network; [`super::connection`] reads requests with hyper and
//! sends these answers (after waiting for a change that a cockpit publishes, see [`Pending`]).

use super::book::{Asked, GateBook, GateChange, GateState, Pending};
use super::server::GateCall;
use http::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE};
use http::StatusCode;
use http_body_util::Full;
use hyper::body::Bytes;

/// Longest name or namespace accepted (Kubernetes names are at most 253 characters).
const MAX_NAME: usize = 253;
/// Longest text echoed back in an error answer.
const MAX_REASON: usize = 300;
/// Every answer is a line of text.
const TEXT: &str = "text/plain; charset=utf-8";

/// A request read in full.
#[derive(Debug)]
pub(super) struct Request {
    pub(super) method: String,
    /// The path of the request target, without its query.
    pub(super) path: String,
    pub(super) body: Vec<u8>,
}

/// An answer to send: one line of text, and the connection closes after it.
#[derive(Debug)]
pub(super) struct Response {
    pub(super) status: u16,
    text: String,
    /// 405 answers name the allowed method.
    allow_post: bool,
    /// A change sent to the cockpit that owns the canary's gates: answered once published.
    pending: Option<Pending>,
}

impl Response {
    pub(super) fn new(status: u16, text: impl Into<String>) -> Self {
        Self {
            status,
            text: text.into(),
            allow_post: false,
            pending: None,
        }
    }

    /// The change to see published before answering, when the cockpit owns the gates.
    pub(super) fn take_pending(&mut self) -> Option<Pending> {
        self.pending.take()
    }

    fn body(&self) -> String {
        format!("{}\n", one_line(&self.text))
    }

    /// The answer for hyper to send (it adds Content-Length, and leaves the body out when
    /// answering HEAD).
    pub(super) fn into_http(self) -> http::Response<Full<Bytes>> {
        let mut response = http::Response::new(Full::new(Bytes::from(self.body())));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(TEXT));
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
        if self.allow_post {
            headers.insert(ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }

    /// The answer as it goes on the wire, for requests hyper could not read: hyper's own answers
    /// to those give no reason and do not say that the connection closes.
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        let body = self.body();
        let reason = StatusCode::from_u16(self.status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or("Unknown");
        let mut out = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {TEXT}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status,
            body.len()
        );
        if self.allow_post {
            out.push_str("Allow: POST\r\n");
        }
        out.push_str("\r\n");
        out.push_str(&body);
        out.into_bytes()
    }
}

/// Answer text stays on one line and short, whatever the client sent; a control or bidi
/// character it quotes is shown by the text hygiene.
fn one_line(text: &str) -> String {
    crate::hygiene::short(text, MAX_REASON)
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
    if crate::hygiene::has_hazard(text) {
        return Err(format!("{field} contains control or bidi characters"));
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
pub(super) fn answer(request: &Request, book: &GateBook) -> (GateCall, Response) {
    let mut call = GateCall {
        path: request.path.clone(),
        namespace: String::new(),
        name: String::new(),
        phase: None,
        status: 0,
    };
    let response = route(request, book, &mut call);
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
        Endpoint::GateOpen => change(
            book,
            &payload,
            GateChange::Gate(GateState::Open),
            &request.path,
            format!("gate of {namespace}/{name} opened"),
        ),
        Endpoint::GateClose => change(
            book,
            &payload,
            GateChange::Gate(GateState::Closed),
            &request.path,
            format!("gate of {namespace}/{name} closed"),
        ),
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
        Endpoint::RollbackOpen => change(
            book,
            &payload,
            GateChange::Rollback(true),
            &request.path,
            format!("rollback gate of {namespace}/{name} opened"),
        ),
        Endpoint::RollbackClose => change(
            book,
            &payload,
            GateChange::Rollback(false),
            &request.path,
            format!("rollback gate of {namespace}/{name} closed"),
        ),
    };
    call.namespace = payload.namespace;
    call.name = payload.name;
    call.phase = payload.phase;
    response
}

/// A change asked through the load tester's paths: 202, written by the server or sent to the
/// cockpit that owns the canary's gates.
fn change(
    book: &GateBook,
    payload: &Payload,
    change: GateChange,
    path: &str,
    text: String,
) -> Response {
    let mut response = Response::new(202, text);
    if let Asked::Sent(pending) = book.ask(&payload.namespace, &payload.name, change, path) {
        response.pending = Some(pending);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "name contains control or bidi characters"
        );
        assert_eq!(
            reason(br#"{"name":"front\u202eend","namespace":"demo"}"#),
            "name contains control or bidi characters"
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
        let mut refused = Response::new(405, "use POST");
        refused.allow_post = true;
        let text = String::from_utf8(refused.to_bytes()).unwrap_or_default();
        assert!(text.contains("Allow: POST\r\n"));
        assert!(text.contains("Content-Length: 9\r\n"));
        assert!(text.ends_with("\r\n\r\nuse POST\n"));

        let response = refused.into_http();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
        assert_eq!(header(ALLOW), Some("POST"));
        assert_eq!(header(CONNECTION), Some("close"));
        assert_eq!(header(CONTENT_TYPE), Some(TEXT));
        assert_eq!(
            hyper::body::Body::size_hint(response.body()).exact(),
            Some(9)
        );
    }

    #[test]
    fn answer_text_stays_on_one_short_line() {
        assert_eq!(one_line("a\r\nb\x1b\u{202e}"), "a␍␊b␛\\u{202e}");
        let long = one_line(&"x".repeat(1000));
        assert_eq!(long.chars().count(), MAX_REASON + 1);
        assert!(long.ends_with('…'));
    }

    fn request(method: &str, path: &str, body: &str) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            body: body.as_bytes().to_vec(),
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
        assert!(!response.allow_post);
        let (call, _) = answer(
            &request("POST", "/gate/check", r#"{"name":"frontend"}"#),
            &book,
        );
        assert_eq!((call.namespace.as_str(), call.name.as_str()), ("", ""));
        assert_eq!(call.status, 400);
        let (call, response) = answer(&request("HEAD", "/gate/check", ""), &book);
        assert_eq!(call.status, 405);
        assert!(response.allow_post);
    }
}

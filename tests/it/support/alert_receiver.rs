//! A real HTTP receiver for alert deliveries: one route per service (`/discord`, `/slack`,
//! `/teams`, `/gchat`, `/rocket`, `/webhook`; anything after the first segment, such as a token,
//! is ignored), each checking the body against the shape and limits its service documents and
//! answering the way that service does. Every request is recorded with its arrival, its parsed
//! body and the problems found. Per route, the next requests can be answered with a 429 and a
//! `Retry-After`, a 500 (with a body of the test's choosing), a redirect, a refusal, or not at
//! all (the connection hangs).

use super::wait::wait_until;
use http::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The services the receiver speaks for, by route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Discord,
    Slack,
    Teams,
    Gchat,
    Rocket,
    Webhook,
}

impl Service {
    pub fn from_route(route: &str) -> Option<Service> {
        Some(match route {
            "discord" => Service::Discord,
            "slack" => Service::Slack,
            "teams" => Service::Teams,
            "gchat" => Service::Gchat,
            "rocket" => Service::Rocket,
            "webhook" => Service::Webhook,
            _ => return None,
        })
    }
}

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The route, without the slash: `discord`.
    pub route: String,
    pub method: String,
    pub content_type: Option<String>,
    /// The body as JSON; `Null` when it was not JSON.
    pub body: Value,
    /// What breaks the service's documented shape; empty for a valid request.
    pub problems: Vec<String>,
    pub at: Instant,
    /// The status answered; `None` while the connection hangs.
    pub status: Option<u16>,
}

/// How a route answers its next requests, instead of validating them.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// 429 with `Retry-After: secs`, `left` more times.
    RateLimit { secs: u64, left: usize },
    /// 500, `left` more times.
    Fail { left: usize },
    /// The service's refusal (400), `left` more times.
    Refuse { left: usize },
    /// Reads the request and never answers.
    Hang,
    /// 302 to the route's `redirects` entry, `left` more times.
    Redirect { left: usize },
}

#[derive(Default)]
struct State {
    requests: Vec<Received>,
    modes: HashMap<String, Mode>,
    /// The body of a route's 500s, when the test chose one.
    fail_bodies: HashMap<String, String>,
    /// The `Location` of a route's redirects.
    redirects: HashMap<String, String>,
}

impl State {
    /// The mode for this request, counting it down.
    fn take(&mut self, route: &str) -> Option<Mode> {
        let mode = self.modes.get(route).copied()?;
        let left = match mode {
            Mode::RateLimit { left, .. }
            | Mode::Fail { left }
            | Mode::Refuse { left }
            | Mode::Redirect { left } => left,
            Mode::Hang => return Some(mode),
        };
        let next = match mode {
            Mode::RateLimit { secs, .. } => Mode::RateLimit {
                secs,
                left: left - 1,
            },
            Mode::Fail { .. } => Mode::Fail { left: left - 1 },
            Mode::Redirect { .. } => Mode::Redirect { left: left - 1 },
            _ => Mode::Refuse { left: left - 1 },
        };
        if left <= 1 {
            self.modes.remove(route);
        } else {
            self.modes.insert(route.to_string(), next);
        }
        Some(mode)
    }
}

pub struct AlertReceiver {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    /// Connections accepted and not yet ended.
    open: Arc<AtomicUsize>,
    accept: JoinHandle<()>,
}

/// Counts a connection as open while it lives.
struct Open(Arc<AtomicUsize>);

impl Open {
    fn new(open: &Arc<AtomicUsize>) -> Open {
        open.fetch_add(1, Ordering::SeqCst);
        Open(open.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AlertReceiver {
    /// Listens on a free loopback port, on the current tokio runtime.
    pub async fn start() -> AlertReceiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        let state: Arc<Mutex<State>> = Arc::default();
        let open: Arc<AtomicUsize> = Arc::default();
        let shared = state.clone();
        let counted = open.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                let open = Open::new(&counted);
                tokio::spawn(async move {
                    let _open = open;
                    let service = service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(handle(state, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        AlertReceiver {
            addr,
            state,
            open,
            accept,
        }
    }

    /// `http://127.0.0.1:PORT/ROUTE`.
    pub fn url(&self, route: &str) -> String {
        format!("http://{}/{route}", self.addr)
    }

    /// The next `times` requests to `route` get a 429 with `Retry-After: secs`.
    pub fn rate_limit(&self, route: &str, secs: u64, times: usize) {
        self.set(route, Mode::RateLimit { secs, left: times });
    }

    /// The next `times` requests to `route` get a 500.
    pub fn fail(&self, route: &str, times: usize) {
        self.set(route, Mode::Fail { left: times });
    }

    /// The next `times` requests to `route` get a 500 whose body is `body`, as given.
    pub fn fail_with(&self, route: &str, times: usize, body: &str) {
        let key = route.trim_start_matches('/').to_string();
        let mut state = self.state.lock().unwrap();
        state.fail_bodies.insert(key.clone(), body.to_string());
        state.modes.insert(key, Mode::Fail { left: times });
    }

    /// The next `times` requests to `route` get a 302 to `location`.
    pub fn redirect(&self, route: &str, times: usize, location: &str) {
        let key = route.trim_start_matches('/').to_string();
        let mut state = self.state.lock().unwrap();
        state.redirects.insert(key.clone(), location.to_string());
        state.modes.insert(key, Mode::Redirect { left: times });
    }

    /// The next `times` requests to `route` are refused as invalid (Slack: `invalid_blocks`).
    pub fn refuse(&self, route: &str, times: usize) {
        self.set(route, Mode::Refuse { left: times });
    }

    /// Requests to `route` are read and never answered.
    pub fn hang(&self, route: &str) {
        self.set(route, Mode::Hang);
    }

    fn set(&self, route: &str, mode: Mode) {
        let route = route.trim_start_matches('/').to_string();
        self.state.lock().unwrap().modes.insert(route, mode);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Received> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The requests to `route` so far.
    pub fn requests_to(&self, route: &str) -> Vec<Received> {
        let route = route.trim_start_matches('/');
        self.requests()
            .into_iter()
            .filter(|r| r.route == route)
            .collect()
    }

    /// Waits up to `patience` for `n` requests to `route`; the requests there by then.
    pub async fn wait_for(&self, route: &str, n: usize, patience: Duration) -> Vec<Received> {
        wait_until(&format!("{n} requests to /{route}"), patience, || async {
            let got = self.requests_to(route);
            (got.len() >= n).then_some(got)
        })
        .await
    }

    /// The requests to `route` once every connection the receiver took has ended: when the
    /// client is gone, nothing more can come.
    pub async fn settled(&self, route: &str) -> Vec<Received> {
        wait_until(
            "every connection to the receiver ended",
            Duration::from_secs(10),
            || async { self.open.load(Ordering::SeqCst) == 0 },
        )
        .await;
        self.requests_to(route)
    }
}

impl Drop for AlertReceiver {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// An address where nothing listens: a loopback port that was bound, then closed.
pub async fn down_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    addr
}

async fn handle(state: Arc<Mutex<State>>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let at = Instant::now();
    let route = request
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let method = request.method().clone();
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = match request.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let mut problems = Vec::new();
    if method != Method::POST {
        problems.push(format!("method {method}, not POST"));
    }
    if !content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("application/json"))
    {
        problems.push(format!(
            "content-type {content_type:?}, not application/json"
        ));
    }
    let body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("not JSON: {e}"));
            Value::Null
        }
    };
    let service = Service::from_route(&route);
    match service {
        Some(s) if !body.is_null() => problems.extend(validate(s, &body, bytes.len())),
        Some(_) => {}
        None => problems.push(format!("no route /{route}")),
    }
    let mode = state.lock().unwrap().take(&route);
    if matches!(mode, Some(Mode::Refuse { .. })) {
        problems.push("refused on demand".to_string());
    }
    let mut received = Received {
        route,
        method: method.to_string(),
        content_type,
        body,
        problems,
        at,
        status: None,
    };
    let response = match (service, mode) {
        (_, Some(Mode::Hang)) => {
            state.lock().unwrap().requests.push(received);
            return std::future::pending().await;
        }
        (None, _) => answer(StatusCode::NOT_FOUND, "text/plain", "no such route".into()),
        (_, Some(Mode::RateLimit { secs, .. })) => {
            let body = json!({"message": "You are being rate limited.", "retry_after": secs as f64, "global": false});
            let mut r = answer(
                StatusCode::TOO_MANY_REQUESTS,
                "application/json",
                body.to_string(),
            );
            r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
            r
        }
        (_, Some(Mode::Fail { .. })) => {
            let chosen = state
                .lock()
                .unwrap()
                .fail_bodies
                .get(&received.route)
                .cloned();
            match chosen {
                Some(body) => answer(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", body),
                None => answer(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "application/json",
                    json!({"message": "Internal Server Error"}).to_string(),
                ),
            }
        }
        (_, Some(Mode::Redirect { .. })) => {
            let to = state
                .lock()
                .unwrap()
                .redirects
                .get(&received.route)
                .cloned();
            let mut r = answer(StatusCode::FOUND, "text/plain", String::new());
            if let Some(v) = to.and_then(|l| HeaderValue::from_str(&l).ok()) {
                r.headers_mut().insert(http::header::LOCATION, v);
            }
            r
        }
        (Some(s), _) if received.problems.is_empty() => accepted(s, &received.body),
        (Some(s), _) => refused(s, &received.problems),
    };
    received.status = Some(response.status().as_u16());
    state.lock().unwrap().requests.push(received);
    response
}

fn answer(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// What each service answers to a message it took.
fn accepted(service: Service, body: &Value) -> Response<Full<Bytes>> {
    match service {
        Service::Discord => answer(StatusCode::NO_CONTENT, "text/plain", String::new()),
        Service::Slack => answer(StatusCode::OK, "text/html", "ok".into()),
        Service::Teams => answer(StatusCode::ACCEPTED, "text/plain", String::new()),
        Service::Gchat => {
            let message = json!({"name": "spaces/AAAA/messages/BBBB.BBBB", "text": body["text"]});
            answer(StatusCode::OK, "application/json", message.to_string())
        }
        Service::Rocket => answer(
            StatusCode::OK,
            "application/json",
            json!({"success": true}).to_string(),
        ),
        Service::Webhook => answer(StatusCode::OK, "text/plain", "ok".into()),
    }
}

/// What each service answers to a message it refuses, in its own style.
fn refused(service: Service, problems: &[String]) -> Response<Full<Bytes>> {
    let said = problems.join("; ");
    let bad = StatusCode::BAD_REQUEST;
    match service {
        Service::Discord => {
            let body = json!({"message": "Invalid Form Body", "code": 50035, "errors": problems});
            answer(bad, "application/json", body.to_string())
        }
        Service::Slack => {
            let code = if problems.iter().any(|p| p == "no_text") {
                "no_text"
            } else if problems.iter().any(|p| p.starts_with("not JSON")) {
                "invalid_payload"
            } else {
                "invalid_blocks"
            };
            answer(bad, "text/html", code.into())
        }
        Service::Teams => {
            let body = json!({"error": {"code": "InvalidRequestContent", "message": said}});
            answer(bad, "application/json", body.to_string())
        }
        Service::Gchat => {
            let body = json!({"error": {"code": 400, "message": format!("Invalid JSON payload received. {said}"), "status": "INVALID_ARGUMENT"}});
            answer(bad, "application/json", body.to_string())
        }
        Service::Rocket => answer(
            bad,
            "application/json",
            json!({"success": false, "error": said}).to_string(),
        ),
        Service::Webhook => answer(bad, "text/plain", said),
    }
}

/// The problems of `body` as `service` documents its webhook payload.
pub fn validate(service: Service, body: &Value, bytes: usize) -> Vec<String> {
    let mut c = Check::default();
    if !body.is_object() {
        c.fail("the body is not a JSON object");
        return c.problems;
    }
    match service {
        Service::Discord => discord(body, &mut c),
        Service::Slack => slack(body, &mut c),
        Service::Teams => teams(body, &mut c),
        Service::Gchat => gchat(body, &mut c, bytes),
        Service::Rocket => rocket(body, &mut c),
        Service::Webhook => webhook(body, &mut c),
    }
    c.problems
}

#[derive(Default)]
struct Check {
    problems: Vec<String>,
}

impl Check {
    fn fail(&mut self, problem: impl Into<String>) {
        self.problems.push(problem.into());
    }

    /// A string of at most `max` characters; `None` when absent (a problem if `required`).
    fn text<'a>(
        &mut self,
        v: &'a Value,
        path: &str,
        max: usize,
        required: bool,
    ) -> Option<&'a str> {
        match v {
            Value::Null if required => {
                self.fail(format!("{path} is missing"));
                None
            }
            Value::Null => None,
            Value::String(s) => {
                let n = s.chars().count();
                if n > max {
                    self.fail(format!("{path} has {n} characters, more than {max}"));
                }
                Some(s)
            }
            _ => {
                self.fail(format!("{path} is not a string"));
                None
            }
        }
    }

    /// A non-empty string of at most `max` characters.
    fn filled<'a>(&mut self, v: &'a Value, path: &str, max: usize) -> Option<&'a str> {
        let s = self.text(v, path, max, true);
        if s.is_some_and(|s| s.trim().is_empty()) {
            self.fail(format!("{path} is empty"));
        }
        s
    }

    /// An array of at most `max` items; empty when absent (a problem if `required`).
    fn array<'a>(&mut self, v: &'a Value, path: &str, max: usize, required: bool) -> &'a [Value] {
        match v {
            Value::Null if required => {
                self.fail(format!("{path} is missing"));
                &[]
            }
            Value::Null => &[],
            Value::Array(items) => {
                if items.len() > max {
                    self.fail(format!("{path} has {} items, more than {max}", items.len()));
                }
                items
            }
            _ => {
                self.fail(format!("{path} is not an array"));
                &[]
            }
        }
    }

    fn object(&mut self, v: &Value, path: &str) -> bool {
        if !v.is_object() {
            self.fail(format!("{path} is not an object"));
        }
        v.is_object()
    }

    fn equals(&mut self, v: &Value, path: &str, want: &str) {
        if v.as_str() != Some(want) {
            self.fail(format!("{path} is {v}, not {want:?}"));
        }
    }
}

fn chars(s: Option<&str>) -> usize {
    s.map_or(0, |s| s.chars().count())
}

/// `YYYY-MM-DDTHH:MM:SS` at the start, as ISO 8601 and RFC 3339 write it.
fn iso8601(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b[..19].iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// Discord's Execute Webhook: content ≤ 2000, ≤ 10 embeds, and the embed limits.
fn discord(b: &Value, c: &mut Check) {
    let content = c.text(&b["content"], "content", 2000, false);
    let embeds = c.array(&b["embeds"], "embeds", 10, false);
    if content.is_none_or(|s| s.is_empty()) && embeds.is_empty() {
        c.fail("Cannot send an empty message: no content and no embeds");
    }
    if c.text(&b["username"], "username", 80, false) == Some("") {
        c.fail("username is empty");
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let p = format!("embeds[{i}]");
        if !c.object(e, &p) {
            continue;
        }
        total += chars(c.text(&e["title"], &format!("{p}.title"), 256, false));
        total += chars(c.text(&e["description"], &format!("{p}.description"), 4096, false));
        if !e["footer"].is_null() && c.object(&e["footer"], &format!("{p}.footer")) {
            total += chars(c.text(
                &e["footer"]["text"],
                &format!("{p}.footer.text"),
                2048,
                true,
            ));
        }
        if !e["author"].is_null() && c.object(&e["author"], &format!("{p}.author")) {
            total += chars(c.text(&e["author"]["name"], &format!("{p}.author.name"), 256, true));
        }
        if !e["color"].is_null() && e["color"].as_u64().is_none_or(|n| n > 0xFF_FF_FF) {
            c.fail(format!(
                "{p}.color is {}, not an integer colour",
                e["color"]
            ));
        }
        if let Some(t) = c.text(&e["timestamp"], &format!("{p}.timestamp"), 64, false) {
            if !iso8601(t) {
                c.fail(format!("{p}.timestamp {t:?} is not ISO 8601"));
            }
        }
        for (j, f) in c
            .array(&e["fields"], &format!("{p}.fields"), 25, false)
            .iter()
            .enumerate()
        {
            let fp = format!("{p}.fields[{j}]");
            if !c.object(f, &fp) {
                continue;
            }
            total += chars(c.filled(&f["name"], &format!("{fp}.name"), 256));
            total += chars(c.filled(&f["value"], &format!("{fp}.value"), 1024));
            if !f["inline"].is_null() && !f["inline"].is_boolean() {
                c.fail(format!("{fp}.inline is not a boolean"));
            }
        }
    }
    if total > 6000 {
        c.fail(format!(
            "the embeds hold {total} characters, more than 6000"
        ));
    }
}

const SLACK_BLOCKS: [&str; 12] = [
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "table",
    "video",
];

/// Slack's incoming webhooks: text or blocks, and Block Kit's limits.
fn slack(b: &Value, c: &mut Check) {
    let text = c.text(&b["text"], "text", 40_000, false);
    let blocks = c.array(&b["blocks"], "blocks", 50, false);
    if text.is_none_or(|s| s.is_empty()) && blocks.is_empty() {
        c.fail("no_text");
    }
    c.text(&b["channel"], "channel", 80, false);
    c.text(&b["username"], "username", 80, false);
    for (i, block) in blocks.iter().enumerate() {
        let p = format!("blocks[{i}]");
        if !c.object(block, &p) {
            continue;
        }
        c.text(&block["block_id"], &format!("{p}.block_id"), 255, false);
        let kind = block["type"].as_str().unwrap_or_default();
        if !SLACK_BLOCKS.contains(&kind) {
            c.fail(format!("{p}.type {} is not a block type", block["type"]));
        }
        match kind {
            "header" => {
                slack_text(c, &block["text"], &format!("{p}.text"), 150, true);
                c.equals(
                    &block["text"]["type"],
                    &format!("{p}.text.type"),
                    "plain_text",
                );
            }
            "section" => {
                let fields = c.array(&block["fields"], &format!("{p}.fields"), 10, false);
                if block["text"].is_null() && fields.is_empty() {
                    c.fail(format!("{p} has neither text nor fields"));
                }
                slack_text(c, &block["text"], &format!("{p}.text"), 3000, false);
                for (j, f) in fields.iter().enumerate() {
                    slack_text(c, f, &format!("{p}.fields[{j}]"), 2000, true);
                }
            }
            "context" => {
                let elements = c.array(&block["elements"], &format!("{p}.elements"), 10, true);
                if elements.is_empty() {
                    c.fail(format!("{p}.elements is empty"));
                }
                for (j, e) in elements.iter().enumerate() {
                    if e["type"] != "image" {
                        slack_text(c, e, &format!("{p}.elements[{j}]"), 3000, true);
                    }
                }
            }
            _ => {}
        }
    }
}

/// A Block Kit text object: `plain_text` or `mrkdwn`, a non-empty text of at most `max`.
fn slack_text(c: &mut Check, v: &Value, path: &str, max: usize, required: bool) {
    if v.is_null() && !required {
        return;
    }
    if !c.object(v, path) {
        return;
    }
    if !matches!(v["type"].as_str(), Some("plain_text" | "mrkdwn")) {
        c.fail(format!(
            "{path}.type {} is not plain_text or mrkdwn",
            v["type"]
        ));
    }
    c.filled(&v["text"], &format!("{path}.text"), max);
}

/// Teams Workflows: a `message` with an Adaptive Card attachment.
fn teams(b: &Value, c: &mut Check) {
    c.equals(&b["type"], "type", "message");
    let attachments = c.array(&b["attachments"], "attachments", 10, true);
    if attachments.is_empty() {
        c.fail("attachments is empty");
    }
    for (i, a) in attachments.iter().enumerate() {
        let p = format!("attachments[{i}]");
        if !c.object(a, &p) {
            continue;
        }
        c.equals(
            &a["contentType"],
            &format!("{p}.contentType"),
            "application/vnd.microsoft.card.adaptive",
        );
        let card = &a["content"];
        if !c.object(card, &format!("{p}.content")) {
            continue;
        }
        c.equals(&card["type"], &format!("{p}.content.type"), "AdaptiveCard");
        c.filled(&card["version"], &format!("{p}.content.version"), 8);
        for (j, e) in c
            .array(&card["body"], &format!("{p}.content.body"), 1000, true)
            .iter()
            .enumerate()
        {
            let ep = format!("{p}.content.body[{j}]");
            if !c.object(e, &ep) {
                continue;
            }
            match e["type"].as_str() {
                Some("TextBlock") => {
                    c.text(&e["text"], &format!("{ep}.text"), 28_000, true);
                }
                Some("FactSet") => {
                    for (k, f) in c
                        .array(&e["facts"], &format!("{ep}.facts"), 1000, true)
                        .iter()
                        .enumerate()
                    {
                        c.text(&f["title"], &format!("{ep}.facts[{k}].title"), 28_000, true);
                        c.text(&f["value"], &format!("{ep}.facts[{k}].value"), 28_000, true);
                    }
                }
                Some(_) => {}
                None => c.fail(format!("{ep}.type is missing")),
            }
        }
    }
}

/// Google Chat: text (≤ 4096) or cardsV2, a message of at most 32,000 bytes.
fn gchat(b: &Value, c: &mut Check, bytes: usize) {
    if bytes > 32_000 {
        c.fail(format!("the message has {bytes} bytes, more than 32000"));
    }
    let text = c.text(&b["text"], "text", 4096, false);
    let cards = c.array(&b["cardsV2"], "cardsV2", 100, false);
    if text.is_none_or(|s| s.is_empty()) && cards.is_empty() {
        c.fail("Message cannot be empty: no text and no cardsV2");
    }
    for (i, card) in cards.iter().enumerate() {
        let p = format!("cardsV2[{i}]");
        if !c.object(card, &p) {
            continue;
        }
        c.filled(&card["cardId"], &format!("{p}.cardId"), 255);
        let inner = &card["card"];
        if !c.object(inner, &format!("{p}.card")) {
            continue;
        }
        if !inner["header"].is_null() {
            c.filled(
                &inner["header"]["title"],
                &format!("{p}.card.header.title"),
                4096,
            );
            c.text(
                &inner["header"]["subtitle"],
                &format!("{p}.card.header.subtitle"),
                4096,
                false,
            );
        }
        let mut widgets = 0;
        for (j, s) in c
            .array(&inner["sections"], &format!("{p}.card.sections"), 100, true)
            .iter()
            .enumerate()
        {
            let sp = format!("{p}.card.sections[{j}]");
            for (k, w) in c
                .array(&s["widgets"], &format!("{sp}.widgets"), 100, true)
                .iter()
                .enumerate()
            {
                widgets += 1;
                let wp = format!("{sp}.widgets[{k}]");
                if !c.object(w, &wp) {
                    continue;
                }
                if let Some(d) = w.get("decoratedText") {
                    c.filled(&d["text"], &format!("{wp}.decoratedText.text"), 4096);
                    c.text(
                        &d["topLabel"],
                        &format!("{wp}.decoratedText.topLabel"),
                        4096,
                        false,
                    );
                } else if let Some(t) = w.get("textParagraph") {
                    c.filled(&t["text"], &format!("{wp}.textParagraph.text"), 4096);
                } else if w.as_object().is_some_and(|o| o.len() != 1) {
                    c.fail(format!("{wp} is not one widget"));
                }
            }
        }
        if widgets > 100 {
            c.fail(format!("{p} has {widgets} widgets, more than 100"));
        }
    }
}

/// Rocket.Chat: text or attachments, with Slack-style fields.
fn rocket(b: &Value, c: &mut Check) {
    let text = c.text(&b["text"], "text", 5000, false);
    let attachments = c.array(&b["attachments"], "attachments", 100, false);
    if text.is_none_or(|s| s.is_empty()) && attachments.is_empty() {
        c.fail("no text and no attachments");
    }
    c.text(&b["channel"], "channel", 255, false);
    c.text(&b["alias"], "alias", 255, false);
    for (i, a) in attachments.iter().enumerate() {
        let p = format!("attachments[{i}]");
        if !c.object(a, &p) {
            continue;
        }
        c.text(&a["title"], &format!("{p}.title"), 5000, false);
        c.text(&a["text"], &format!("{p}.text"), 5000, false);
        if let Some(color) = c.text(&a["color"], &format!("{p}.color"), 16, false) {
            let hex = color
                .strip_prefix('#')
                .is_some_and(|h| h.len() == 6 && h.chars().all(|ch| ch.is_ascii_hexdigit()));
            if !hex && !["good", "warning", "danger"].contains(&color) {
                c.fail(format!("{p}.color {color:?} is not #RRGGBB"));
            }
        }
        for (j, f) in c
            .array(&a["fields"], &format!("{p}.fields"), 100, false)
            .iter()
            .enumerate()
        {
            let fp = format!("{p}.fields[{j}]");
            if !c.object(f, &fp) {
                continue;
            }
            c.text(&f["title"], &format!("{fp}.title"), 5000, true);
            c.text(&f["value"], &format!("{fp}.value"), 5000, true);
            if !f["short"].is_null() && !f["short"].is_boolean() {
                c.fail(format!("{fp}.short is not a boolean"));
            }
        }
    }
}

/// The cockpit's own webhook body, as `docs/alerts.md` documents it.
fn webhook(b: &Value, c: &mut Check) {
    let event = c.filled(&b["event"], "event", 64);
    if event
        .is_some_and(|e| canary_cockpit::model::AlertEvent::parse(e).map(|x| x.name()) != Some(e))
    {
        c.fail(format!("event {event:?} is not an alert event"));
    }
    let severity = c.filled(&b["severity"], "severity", 8);
    if severity.is_some_and(|s| !["info", "warn", "error"].contains(&s)) {
        c.fail(format!("severity {severity:?} is not info, warn or error"));
    }
    for key in ["release", "namespace", "provider", "phase"] {
        c.filled(&b[key], key, 1000);
    }
    c.text(&b["reason"], "reason", usize::MAX, true);
    c.text(&b["title"], "title", usize::MAX, false);
    if b["weight"].as_u64().is_none_or(|w| w > 100) {
        c.fail(format!("weight is {}, not a percent", b["weight"]));
    }
    for key in ["actor", "session"] {
        if b.get(key).is_none() {
            c.fail(format!("{key} is missing"));
        } else if !(b[key].is_null() || b[key].is_string()) {
            c.fail(format!("{key} is neither a string nor null"));
        }
    }
    match c.text(&b["time"], "time", 64, true) {
        Some(t) if !(iso8601(t) && (t.ends_with('Z') || t.contains('+'))) => {
            c.fail(format!("time {t:?} is not RFC 3339"));
        }
        _ => {}
    }
    if c.object(&b["metrics"], "metrics") {
        for side in ["primary", "canary"] {
            let v = &b["metrics"][side];
            let p = format!("metrics.{side}");
            if !c.object(v, &p) {
                continue;
            }
            c.filled(&v["name"], &format!("{p}.name"), 1000);
            if !(v["image"].is_null() || v["image"].is_string()) || v.get("image").is_none() {
                c.fail(format!("{p}.image is neither a string nor null"));
            }
            for n in ["rps", "error_rate", "p99_ms"] {
                if v.get(n).is_none() || !(v[n].is_null() || v[n].is_number()) {
                    c.fail(format!("{p}.{n} is neither a number nor null"));
                }
            }
        }
    }
}

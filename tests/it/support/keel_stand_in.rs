//! A stand-in for Keel's approvals API (not Keel itself): `GET /v1/approvals` and
//! `POST /v1/approvals` with `{"identifier", "action": "approve"|"reject", "voter"}`, in Keel's
//! JSON fields, behind basic auth, on a loopback port, on a thread and runtime of its own (so the
//! tests may run the binary synchronously beside it). An approve adds the voter and a vote, a
//! reject marks the approval rejected; an identifier without an approval that is still open is
//! answered 404 `approval not found`, wrong credentials 401. Every request is kept: method, path,
//! the voter asked for, and whether it carried the right credentials.

use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// One request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorized: bool,
    pub body: Value,
}

#[derive(Default)]
struct State {
    approvals: Vec<Value>,
    seen: Vec<Seen>,
}

pub struct KeelStandIn {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    expected: String,
}

/// An approval in Keel's fields for Deployment `namespace/name`, from `current` to `new`.
pub fn approval(namespace: &str, name: &str, current: &str, new: &str, required: u32) -> Value {
    json!({
        "id": format!("{namespace}-{name}-{new}"),
        "identifier": format!("deployment/{namespace}/{name}:{new}"),
        "provider": "kubernetes", "event": {"repository": {"name": name, "tag": new}},
        "message": format!("New image is available for resource {namespace}/{name} ({current} -> {new})."),
        "currentVersion": current, "newVersion": new, "digest": "",
        "votesRequired": required, "votesReceived": 0, "voters": null,
        "rejected": false, "archived": false, "deadline": "2026-12-08T14:00:00Z",
        "createdAt": "2026-12-07T14:00:00Z", "updatedAt": "2026-12-07T14:00:00Z"
    })
}

impl KeelStandIn {
    /// Serves `approvals` to whoever signs in as `user` with `password`.
    pub fn start(user: &str, password: &str, approvals: Vec<Value>) -> KeelStandIn {
        let state = Arc::new(Mutex::new(State {
            approvals,
            seen: Vec::new(),
        }));
        let expected = format!("Basic {}", base64(&format!("{user}:{password}")));
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = state.clone();
        let want = expected.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the stand-in");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind the Keel stand-in");
                tx.send(listener.local_addr().expect("its address"))
                    .unwrap();
                while let Ok((stream, _)) = listener.accept().await {
                    let state = shared.clone();
                    let want = want.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |request| {
                            let (state, want) = (state.clone(), want.clone());
                            async move { Ok::<_, Infallible>(handle(&state, &want, request).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        let addr = rx.recv().expect("the stand-in's address");
        KeelStandIn {
            addr,
            state,
            expected,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn approval(&self, identifier: &str) -> Value {
        let state = self.state.lock().unwrap();
        state
            .approvals
            .iter()
            .find(|a| a["identifier"] == identifier)
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// The header a client that signs in right sends (to check that no log holds it).
    pub fn authorization(&self) -> &str {
        &self.expected
    }
}

async fn handle(
    state: &Mutex<State>,
    want: &str,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let authorized = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(want);
    let bytes = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let mut state = state.lock().unwrap();
    state.seen.push(Seen {
        method: method.to_string(),
        path: path.clone(),
        authorized,
        body: body.clone(),
    });
    let answer = |status: StatusCode, body: Value| {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap()
    };
    if !authorized {
        return answer(StatusCode::UNAUTHORIZED, json!({"error": "unauthorized"}));
    }
    if path != "/v1/approvals" {
        return answer(StatusCode::NOT_FOUND, json!({"error": "not found"}));
    }
    match method {
        Method::GET => answer(StatusCode::OK, Value::Array(state.approvals.clone())),
        Method::POST => {
            let identifier = body["identifier"].as_str().unwrap_or_default().to_string();
            let voter = body["voter"].as_str().unwrap_or_default().to_string();
            let open = state.approvals.iter_mut().find(|a| {
                a["identifier"] == identifier.as_str()
                    && a["archived"] == false
                    && a["rejected"] == false
            });
            let Some(a) = open else {
                return answer(
                    StatusCode::NOT_FOUND,
                    json!({"error": "approval not found"}),
                );
            };
            match body["action"].as_str() {
                Some("approve") => {
                    let votes = a["votesReceived"].as_u64().unwrap_or(0) + 1;
                    a["votesReceived"] = json!(votes);
                    let mut voters: Vec<Value> =
                        a["voters"].as_array().cloned().unwrap_or_default();
                    voters.push(json!(voter));
                    a["voters"] = Value::Array(voters);
                }
                Some("reject") => a["rejected"] = json!(true),
                _ => return answer(StatusCode::BAD_REQUEST, json!({"error": "unknown action"})),
            }
            let a = a.clone();
            answer(StatusCode::OK, a)
        }
        _ => answer(StatusCode::METHOD_NOT_ALLOWED, json!({"error": "method"})),
    }
}

/// Standard base64 with padding, for the basic-auth header the stand-in expects.
fn base64(text: &str) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_as_basic_auth_wants_it() {
    assert_eq!(
        base64("Aladdin:open sesame"),
        "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
    assert_eq!(base64("ab"), "YWI=");
}

//! The gate server played against the way Flagger calls it: raw HTTP/1.1 over TCP, one request per
//! connection, and the calls the cockpit logs.

use crate::support::{exchange, post, request, runtime, PATIENCE};
use canary_cockpit::provider::flagger::gate::book::{GateBook, GateChange, GateRequest, GateState};
use canary_cockpit::provider::flagger::gate::server::{bind, serve, GateCall};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::timeout;

struct Server {
    addr: SocketAddr,
    book: GateBook,
    calls: UnboundedReceiver<GateCall>,
    task: tokio::task::JoinHandle<()>,
}

async fn start() -> Server {
    let listener = bind("127.0.0.1:0").await.expect("bind a free port");
    let addr = listener.local_addr().expect("the bound address");
    let book = GateBook::new();
    let (tx, calls) = unbounded_channel();
    let task = tokio::spawn(serve(listener, book.clone(), tx));
    Server {
        addr,
        book,
        calls,
        task,
    }
}

/// Flagger's CanaryWebhookPayload.
fn payload(namespace: &str, name: &str) -> String {
    format!(
        r#"{{"name":"{name}","namespace":"{namespace}","phase":"Progressing","checksum":"6c9b7f8d","metadata":{{"type":"confirm-traffic-increase"}}}}"#
    )
}

/// The next logged call, as (path, namespace, name, status).
async fn next_call(calls: &mut UnboundedReceiver<GateCall>) -> (String, String, String, u16) {
    let call = timeout(PATIENCE, calls.recv())
        .await
        .expect("a call is logged in time")
        .expect("the server still logs");
    (call.path, call.namespace, call.name, call.status)
}

fn call(path: &str, namespace: &str, name: &str, status: u16) -> (String, String, String, u16) {
    (path.into(), namespace.into(), name.into(), status)
}

#[test]
fn flagger_waits_at_the_gate_until_it_opens() {
    runtime().block_on(async {
        let mut server = start().await;
        let addr = server.addr;
        let frontend = payload("demo", "frontend");

        assert_eq!(post(addr, "/gate/check", &frontend).await, 403);
        let opened = exchange(addr, &request("POST", "/gate/open", &frontend)).await;
        assert_eq!(opened.status, 202);
        assert!(opened.body.ends_with('\n'));
        assert_eq!(server.book.gate("demo", "frontend"), GateState::Open);
        assert_eq!(post(addr, "/gate/check", &frontend).await, 200);
        // Another canary, and the same name in another namespace, stay closed.
        assert_eq!(
            post(addr, "/gate/check", &payload("demo", "backend")).await,
            403
        );
        assert_eq!(
            post(addr, "/gate/check", &payload("prod", "frontend")).await,
            403
        );
        assert_eq!(post(addr, "/gate/close", &frontend).await, 202);
        assert_eq!(server.book.gate("demo", "frontend"), GateState::Closed);
        assert_eq!(post(addr, "/gate/check", &frontend).await, 403);

        let expected = [
            call("/gate/check", "demo", "frontend", 403),
            call("/gate/open", "demo", "frontend", 202),
            call("/gate/check", "demo", "frontend", 200),
            call("/gate/check", "demo", "backend", 403),
            call("/gate/check", "prod", "frontend", 403),
            call("/gate/close", "demo", "frontend", 202),
            call("/gate/check", "demo", "frontend", 403),
        ];
        for want in expected {
            assert_eq!(next_call(&mut server.calls).await, want);
        }
        assert!(server.calls.try_recv().is_err(), "one call per request");
        server.task.abort();
    });
}

#[test]
fn the_rollback_gate_is_separate_from_the_gate() {
    runtime().block_on(async {
        let mut server = start().await;
        let addr = server.addr;
        let frontend = payload("demo", "frontend");

        assert_eq!(post(addr, "/rollback/check", &frontend).await, 403);
        assert_eq!(post(addr, "/rollback/open", &frontend).await, 202);
        assert_eq!(post(addr, "/rollback/check", &frontend).await, 200);
        assert!(server.book.rollback("demo", "frontend"));
        // Asking for a rollback does not let the canary advance.
        assert_eq!(post(addr, "/gate/check", &frontend).await, 403);
        assert_eq!(
            post(addr, "/rollback/check", &payload("demo", "backend")).await,
            403
        );
        assert_eq!(post(addr, "/rollback/close", &frontend).await, 202);
        assert_eq!(post(addr, "/rollback/check", &frontend).await, 403);
        assert!(!server.book.rollback("demo", "frontend"));

        let expected = [
            call("/rollback/check", "demo", "frontend", 403),
            call("/rollback/open", "demo", "frontend", 202),
            call("/rollback/check", "demo", "frontend", 200),
            call("/gate/check", "demo", "frontend", 403),
            call("/rollback/check", "demo", "backend", 403),
            call("/rollback/close", "demo", "frontend", 202),
            call("/rollback/check", "demo", "frontend", 403),
        ];
        for want in expected {
            assert_eq!(next_call(&mut server.calls).await, want);
        }
        server.task.abort();
    });
}

#[test]
fn the_cockpit_opens_gates_flagger_sees() {
    runtime().block_on(async {
        let mut server = start().await;
        let addr = server.addr;
        let frontend = payload("demo", "frontend");

        server.book.set_gate(
            "demo",
            "frontend",
            GateState::OpenForStep {
                from_weight: Some(10),
            },
        );
        assert_eq!(post(addr, "/gate/check", &frontend).await, 200);
        assert!(!server.book.observe_weight("demo", "frontend", 10));
        assert_eq!(post(addr, "/gate/check", &frontend).await, 200);
        assert!(server.book.observe_weight("demo", "frontend", 20));
        assert_eq!(post(addr, "/gate/check", &frontend).await, 403);

        let phase = timeout(PATIENCE, server.calls.recv())
            .await
            .ok()
            .flatten()
            .and_then(|call| call.phase);
        assert_eq!(phase.as_deref(), Some("Progressing"));
        server.task.abort();
    });
}

#[test]
fn bad_requests_get_a_reason() {
    runtime().block_on(async {
        let mut server = start().await;
        let addr = server.addr;

        let malformed = exchange(addr, &request("POST", "/gate/check", "{\"name\": ")).await;
        assert_eq!(malformed.status, 400);
        assert!(malformed.body.starts_with("malformed JSON"), "{malformed:?}");
        assert_eq!(malformed.body.lines().count(), 1);

        let nameless = exchange(
            addr,
            &request("POST", "/gate/open", r#"{"namespace":"demo"}"#),
        )
        .await;
        assert_eq!(nameless.status, 400);
        assert_eq!(nameless.body, "missing name\n");
        let empty = exchange(
            addr,
            &request("POST", "/gate/open", r#"{"name":"frontend","namespace":""}"#),
        )
        .await;
        assert_eq!(empty.status, 400);
        assert_eq!(empty.body, "empty namespace\n");
        // None of that opened anything.
        assert_eq!(server.book.gate("demo", "frontend"), GateState::Closed);
        assert_eq!(server.book.gate("", "frontend"), GateState::Closed);

        let get = exchange(addr, b"GET /gate/check HTTP/1.1\r\nHost: cockpit\r\n\r\n").await;
        assert_eq!(get.status, 405);
        assert_eq!(get.header("Allow").as_deref(), Some("POST"));

        let frontend = payload("demo", "frontend");
        assert_eq!(post(addr, "/gate/approve", &frontend).await, 404);
        assert_eq!(post(addr, "/", &frontend).await, 404);

        let garbage = exchange(addr, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n").await;
        assert_eq!(garbage.status, 400);

        let chunked = exchange(
            addr,
            b"POST /gate/check HTTP/1.1\r\nHost: cockpit\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        )
        .await;
        assert_eq!(chunked.status, 411);

        let expected = [
            call("/gate/check", "", "", 400),
            call("/gate/open", "", "", 400),
            call("/gate/open", "", "", 400),
            call("/gate/check", "", "", 405),
            call("/gate/approve", "", "", 404),
            call("/", "", "", 404),
            call("", "", "", 400),
            call("/gate/check", "", "", 411),
        ];
        for want in expected {
            assert_eq!(next_call(&mut server.calls).await, want);
        }
        server.task.abort();
    });
}

#[test]
fn oversized_requests_are_refused() {
    runtime().block_on(async {
        let mut server = start().await;
        let addr = server.addr;

        let big = format!(
            r#"{{"name":"frontend","namespace":"demo","padding":"{}"}}"#,
            "x".repeat(100 * 1024)
        );
        let answer = exchange(addr, &request("POST", "/gate/open", &big)).await;
        assert_eq!(answer.status, 413);
        assert_eq!(server.book.gate("demo", "frontend"), GateState::Closed);

        // Just under the limit is fine.
        let fits = format!(
            r#"{{"name":"frontend","namespace":"demo","padding":"{}"}}"#,
            "x".repeat(60 * 1024)
        );
        assert_eq!(post(addr, "/gate/open", &fits).await, 202);

        let mut huge_head = b"POST /gate/check HTTP/1.1\r\n".to_vec();
        for i in 0..400 {
            huge_head.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(40)).as_bytes());
        }
        huge_head.extend_from_slice(b"\r\n");
        let answer = exchange(addr, &huge_head).await;
        assert_eq!(answer.status, 431);

        let expected = [
            call("/gate/open", "", "", 413),
            call("/gate/open", "demo", "frontend", 202),
            call("/gate/check", "", "", 431),
        ];
        for want in expected {
            assert_eq!(next_call(&mut server.calls).await, want);
        }
        server.task.abort();
    });
}

#[test]
fn bodies_may_arrive_in_pieces_and_after_expect_continue() {
    runtime().block_on(async {
        let server = start().await;
        let addr = server.addr;
        let body = payload("demo", "frontend");

        // Head and body in separate writes, the head itself split mid-line.
        let raw = request("POST", "/gate/open", &body);
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let (first, rest) = raw.split_at(20);
        stream.write_all(first).await.expect("send");
        // a pause on purpose: time passes between the pieces, so the server reads the first
        // alone (nothing the test can watch for tells when it has)
        tokio::time::sleep(Duration::from_millis(50)).await;
        stream.write_all(rest).await.expect("send");
        let mut answer = Vec::new();
        timeout(PATIENCE, stream.read_to_end(&mut answer))
            .await
            .expect("answered in time")
            .expect("read");
        assert!(answer.starts_with(b"HTTP/1.1 202 "), "{answer:?}");
        assert_eq!(server.book.gate("demo", "frontend"), GateState::Open);

        // curl sends Expect: 100-continue and waits for the interim answer before the body.
        let head = format!(
            "POST /gate/close HTTP/1.1\r\nHost: cockpit\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(head.as_bytes()).await.expect("send");
        let mut interim = [0u8; 25];
        timeout(PATIENCE, stream.read_exact(&mut interim))
            .await
            .expect("100 Continue in time")
            .expect("read");
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        stream.write_all(body.as_bytes()).await.expect("send");
        let mut answer = Vec::new();
        timeout(PATIENCE, stream.read_to_end(&mut answer))
            .await
            .expect("answered in time")
            .expect("read");
        assert!(answer.starts_with(b"HTTP/1.1 202 "), "{answer:?}");
        assert_eq!(server.book.gate("demo", "frontend"), GateState::Closed);
        server.task.abort();
    });
}

#[test]
fn clients_that_give_up_do_not_stop_the_server() {
    runtime().block_on(async {
        let mut server = start().await;
        let addr = server.addr;
        let frontend = payload("demo", "frontend");

        // Half a request, then gone.
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"POST /gate/open HTTP/1.1\r\nContent-Len")
            .await
            .expect("send");
        drop(stream);
        // A whole head, half the body, then gone.
        let raw = request("POST", "/gate/open", &frontend);
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(&raw[..raw.len() - 10])
            .await
            .expect("send");
        drop(stream);
        // Connected, nothing sent, gone: nothing to log.
        drop(TcpStream::connect(addr).await.expect("connect"));
        // A connection that stays silent does not hold up the others.
        let _silent = TcpStream::connect(addr).await.expect("connect");

        // The abandoned requests are logged as malformed, with the path their request line named.
        for _ in 0..2 {
            assert_eq!(
                next_call(&mut server.calls).await,
                call("/gate/open", "", "", 400)
            );
        }
        assert_eq!(server.book.gate("demo", "frontend"), GateState::Closed);

        assert_eq!(post(addr, "/gate/check", &frontend).await, 403);
        assert_eq!(post(addr, "/gate/open", &frontend).await, 202);
        assert_eq!(post(addr, "/gate/check", &frontend).await, 200);
        assert!(!server.task.is_finished());
        for want in [
            call("/gate/check", "demo", "frontend", 403),
            call("/gate/open", "demo", "frontend", 202),
            call("/gate/check", "demo", "frontend", 200),
        ] {
            assert_eq!(next_call(&mut server.calls).await, want);
        }
        assert!(server.calls.try_recv().is_err());
        server.task.abort();
    });
}

#[test]
fn a_closed_call_log_does_not_stop_the_server() {
    runtime().block_on(async {
        let server = start().await;
        drop(server.calls);
        let frontend = payload("demo", "frontend");
        assert_eq!(post(server.addr, "/gate/open", &frontend).await, 202);
        assert_eq!(post(server.addr, "/gate/check", &frontend).await, 200);
        server.task.abort();
    });
}

#[test]
fn binding_a_bad_address_is_an_error() {
    runtime().block_on(async {
        let error = bind("256.0.0.1:80").await.err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.starts_with("cannot listen on 256.0.0.1:80: ")),
            "{error:?}"
        );
    });
}

#[test]
fn malformed_heads_are_refused() {
    runtime().block_on(async {
        let mut server = start().await;
        let addr = server.addr;
        let heads: [&[u8]; 11] = [
            b"POST /gate/check",
            b"POST  /gate/check HTTP/1.1",
            b"POST /gate/\x1bcheck HTTP/1.1",
            b"POST /gate/check HTTP/2.0",
            b"P(ST /gate/check HTTP/1.1",
            b"POST /gate/check HTTP/1.1\r\nno colon",
            b"POST /gate/check HTTP/1.1\r\nA: b\r\n c",
            b"POST /gate/check HTTP/1.1\r\nContent-Length: -1",
            b"POST /gate/check HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2",
            b"POST /gate/check HTTP/1.1\r\n\xff\xfe: x",
            b"POST /gate/check HTTP/1.1\r\nContent-Length: 99999999999999999999999999",
        ];
        for head in heads {
            let raw = [head, b"\r\n\r\n"].concat();
            let answer = exchange(addr, &raw).await;
            assert_eq!(
                answer.status,
                400,
                "{:?}: {answer:?}",
                String::from_utf8_lossy(head)
            );
            assert!(answer.body.starts_with("malformed request"), "{answer:?}");
            assert_eq!(answer.body.lines().count(), 1);
            let (_, namespace, name, status) = next_call(&mut server.calls).await;
            assert_eq!((namespace.as_str(), name.as_str(), status), ("", "", 400));
        }
        assert_eq!(server.book.gate("demo", "frontend"), GateState::Closed);
        server.task.abort();
    });
}

#[test]
fn head_requests_get_the_head_of_the_answer() {
    runtime().block_on(async {
        let mut server = start().await;
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        stream
            .write_all(b"HEAD /gate/check HTTP/1.1\r\nHost: cockpit\r\n\r\n")
            .await
            .expect("send");
        let mut bytes = Vec::new();
        timeout(PATIENCE, stream.read_to_end(&mut bytes))
            .await
            .expect("answered in time")
            .expect("read");
        let text = String::from_utf8(bytes).expect("a UTF-8 answer");
        assert!(text.starts_with("HTTP/1.1 405 "), "{text}");
        assert!(text.contains("Allow: POST\r\n"), "{text}");
        assert!(text.contains("Connection: close\r\n"), "{text}");
        // The length of the answer a GET would get, and no body.
        let length = "method HEAD not allowed: use POST\n".len();
        assert!(
            text.contains(&format!("Content-Length: {length}\r\n")),
            "{text}"
        );
        assert!(text.ends_with("\r\n\r\n"), "{text}");
        assert_eq!(
            next_call(&mut server.calls).await,
            call("/gate/check", "", "", 405)
        );
        server.task.abort();
    });
}

#[test]
fn absolute_targets_and_queries_name_the_same_endpoints() {
    runtime().block_on(async {
        let mut server = start().await;
        let addr = server.addr;
        let frontend = payload("demo", "frontend");
        assert_eq!(
            post(addr, "http://cockpit:9090/gate/open?from=test", &frontend).await,
            202
        );
        assert_eq!(post(addr, "/gate/check?x=1", &frontend).await, 200);
        assert_eq!(
            next_call(&mut server.calls).await,
            call("/gate/open", "demo", "frontend", 202)
        );
        assert_eq!(
            next_call(&mut server.calls).await,
            call("/gate/check", "demo", "frontend", 200)
        );
        server.task.abort();
    });
}

#[test]
fn oversized_bodies_are_refused_before_100_continue() {
    runtime().block_on(async {
        let mut server = start().await;
        let head = "POST /gate/open HTTP/1.1\r\nHost: cockpit\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n";
        let answer = exchange(server.addr, head.as_bytes()).await;
        assert_eq!(answer.status, 413, "{answer:?}");
        assert!(!answer.head.contains("100 Continue"), "{answer:?}");
        assert_eq!(answer.body, "the request body exceeds 64 KiB\n");
        assert_eq!(
            next_call(&mut server.calls).await,
            call("/gate/open", "", "", 413)
        );
        server.task.abort();
    });
}

#[test]
fn a_client_that_stops_sending_after_its_request_gets_the_answer() {
    runtime().block_on(async {
        let server = start().await;
        let frontend = payload("demo", "frontend");
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        stream
            .write_all(&request("POST", "/gate/open", &frontend))
            .await
            .expect("send");
        stream.shutdown().await.expect("close the sending side");
        let mut answer = Vec::new();
        timeout(PATIENCE, stream.read_to_end(&mut answer))
            .await
            .expect("answered in time")
            .expect("read");
        assert!(answer.starts_with(b"HTTP/1.1 202 "), "{answer:?}");
        assert_eq!(server.book.gate("demo", "frontend"), GateState::Open);
        server.task.abort();
    });
}

#[test]
fn slow_clients_are_cut_off_after_ten_seconds() {
    runtime().block_on(async {
        let mut server = start().await;
        let addr = server.addr;
        let wait = PATIENCE + Duration::from_secs(10);

        // Half a request head, then nothing more: told so, and logged with its path.
        let mut partial = TcpStream::connect(addr).await.expect("connect");
        partial
            .write_all(b"POST /gate/open HTTP/1.1\r\nContent-Len")
            .await
            .expect("send");
        // Connected, nothing sent: dropped without an answer.
        let mut silent = TcpStream::connect(addr).await.expect("connect");
        // A whole head, part of the body, then nothing more.
        let raw = request("POST", "/gate/close", &payload("demo", "frontend"));
        let mut slow_body = TcpStream::connect(addr).await.expect("connect");
        slow_body
            .write_all(&raw[..raw.len() - 10])
            .await
            .expect("send");

        let read = |mut stream: TcpStream| async move {
            let mut bytes = Vec::new();
            timeout(wait, stream.read_to_end(&mut bytes))
                .await
                .expect("the server closes in time")
                .expect("read");
            String::from_utf8(bytes).expect("a UTF-8 answer")
        };
        let (partial, slow_body) = tokio::join!(read(partial), read(slow_body));
        for answer in [&partial, &slow_body] {
            assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
            assert!(answer.contains("Connection: close\r\n"), "{answer}");
            assert!(
                answer.ends_with("\r\n\r\nthe request did not arrive within 10 s\n"),
                "{answer}"
            );
        }
        let mut nothing = Vec::new();
        timeout(PATIENCE, silent.read_to_end(&mut nothing))
            .await
            .expect("the silent connection is closed by now")
            .expect("read");
        assert!(nothing.is_empty());

        let mut calls = vec![
            next_call(&mut server.calls).await,
            next_call(&mut server.calls).await,
        ];
        calls.sort();
        assert_eq!(
            calls,
            [
                call("/gate/close", "", "", 408),
                call("/gate/open", "", "", 408)
            ]
        );
        assert!(
            server.calls.try_recv().is_err(),
            "nothing from the silent one"
        );
        server.task.abort();
    });
}

#[test]
fn the_gates_of_a_release_a_cockpit_has_open_are_the_cockpits() {
    runtime().block_on(async {
        let mut server = start().await;
        let addr = server.addr;
        let frontend = payload("demo", "frontend");

        // the cockpit takes the gates over and plays its part: it applies what is asked, then
        // publishes
        let mut handover = server.book.hand_over("demo", "frontend");
        let (asked_tx, mut asked) = unbounded_channel();
        let cockpit = tokio::spawn(async move {
            while let Some(request) = handover.next_request().await {
                let _ = asked_tx.send(request.clone());
                handover.publish(handover.gates().with(request.change));
            }
        });

        assert_eq!(post(addr, "/gate/open", &frontend).await, 202);
        // answered once published: the next check sees it
        assert_eq!(post(addr, "/gate/check", &frontend).await, 200);
        let request = timeout(PATIENCE, asked.recv()).await.ok().flatten();
        assert_eq!(
            request,
            Some(GateRequest {
                namespace: "demo".into(),
                name: "frontend".into(),
                change: GateChange::Gate(GateState::Open),
                path: "/gate/open".into(),
            })
        );
        assert_eq!(post(addr, "/rollback/open", &frontend).await, 202);
        assert_eq!(post(addr, "/rollback/check", &frontend).await, 200);
        assert_eq!(post(addr, "/gate/close", &frontend).await, 202);
        assert_eq!(post(addr, "/gate/check", &frontend).await, 403);
        // another canary's gates stay the server's
        assert_eq!(
            post(addr, "/gate/open", &payload("demo", "backend")).await,
            202
        );
        assert_eq!(server.book.gate("demo", "backend"), GateState::Open);
        let asked_paths: Vec<String> = std::iter::from_fn(|| asked.try_recv().ok())
            .map(|r| r.path)
            .collect();
        assert_eq!(asked_paths, ["/rollback/open", "/gate/close"]);

        // the cockpit closes: the gates go back to the server as published
        cockpit.abort();
        let _ = cockpit.await;
        assert_eq!(post(addr, "/rollback/close", &frontend).await, 202);
        assert!(!server.book.rollback("demo", "frontend"));
        assert_eq!(post(addr, "/rollback/check", &frontend).await, 403);
        while server.calls.try_recv().is_ok() {}
        server.task.abort();
    });
}

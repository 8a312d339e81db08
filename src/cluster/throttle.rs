//! Every wait on the API server is bounded and said. A 429 Too Many Requests is retried after its
//! `Retry-After`, honoured up to [`MAX_WAIT`]; each wait is told to the operator ("the API server
//! asked to wait 3600 s (429 Too Many Requests); retrying in 30 s"); and a request gives up at its
//! deadline (`--request-timeout`, [`REQUEST_TIMEOUT`] by default), its waits included.
//!
//! kube-rs's own retry (its default stack) honours any `Retry-After` in silence, an hour
//! included, up to 15 times: the client is built without it and with this layer outermost.

use http::{Request, Response, StatusCode};
use kube::client::Body;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tower::{BoxError, Layer, Service};

/// The longest wait a `Retry-After` gets.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// How long one request may take, its waits included, unless `--request-timeout` says otherwise.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the waits are told: standard error (the verbs), the log alone (a terminal screen is up),
/// or a channel the live source turns into events.
#[derive(Clone, Default)]
pub struct Waits(Arc<Mutex<Tell>>);

#[derive(Default)]
enum Tell {
    #[default]
    Stderr,
    Log,
    Channel(mpsc::UnboundedSender<String>),
}

impl Waits {
    fn set(&self, tell: Tell) {
        match self.0.lock() {
            Ok(mut t) => *t = tell,
            Err(poisoned) => *poisoned.into_inner() = tell,
        }
    }

    /// The log alone: a terminal screen is up, standard error would write over it.
    pub fn quiet(&self) {
        self.set(Tell::Log);
    }

    /// The waits from now on, as lines to tell (the log has them too); once the receiver is gone,
    /// the log alone.
    pub fn divert(&self) -> mpsc::UnboundedReceiver<String> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.set(Tell::Channel(tx));
        rx
    }

    /// Tells `text`.
    pub fn say(&self, text: &str) {
        tracing::warn!(text, "the API server throttles");
        let mut tell = match self.0.lock() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        };
        match &*tell {
            Tell::Stderr => crate::stdout::error_line(&format!("note: {text}")),
            Tell::Log => {}
            Tell::Channel(tx) => {
                if tx.send(text.to_string()).is_err() {
                    *tell = Tell::Log;
                }
            }
        }
    }
}

/// A request that reached its deadline.
#[derive(Debug, thiserror::Error)]
pub enum Deadline {
    #[error(
        "no answer within the request timeout ({} s, --request-timeout)",
        .0.as_secs()
    )]
    Silent(Duration),
    #[error(
        "the API server still answered 429 Too Many Requests at the request timeout ({} s, \
         --request-timeout); it asked to wait {} s",
        .deadline.as_secs(),
        .asked.as_secs()
    )]
    Throttled { deadline: Duration, asked: Duration },
}

/// The layer that bounds and tells the waits of every request.
#[derive(Clone)]
pub struct Throttle {
    pub waits: Waits,
    pub deadline: Duration,
}

impl<S> Layer<S> for Throttle {
    type Service = Throttled<S>;

    fn layer(&self, inner: S) -> Throttled<S> {
        Throttled {
            inner: Arc::new(tokio::sync::Mutex::new(inner)),
            waits: self.waits.clone(),
            deadline: self.deadline,
        }
    }
}

/// The client's stack behind [`Throttle`].
pub struct Throttled<S> {
    /// Shared with the requests in their retries; held only to start a request.
    inner: Arc<tokio::sync::Mutex<S>>,
    waits: Waits,
    deadline: Duration,
}

impl<S, B> Service<Request<Body>> for Throttled<S>
where
    S: Service<Request<Body>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<B>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // the inner stack's readiness is awaited by each request as it starts
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let inner = self.inner.clone();
        let waits = self.waits.clone();
        let deadline = self.deadline;
        Box::pin(async move { bounded(&inner, req, &waits, deadline).await })
    }
}

/// One request, once, through the inner stack.
async fn once<S, B>(
    inner: &tokio::sync::Mutex<S>,
    req: Request<Body>,
) -> Result<Response<B>, BoxError>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
{
    let started = {
        let mut s = inner.lock().await;
        std::future::poll_fn(|cx| s.poll_ready(cx))
            .await
            .map_err(Into::into)?;
        s.call(req)
    };
    started.await.map_err(Into::into)
}

/// `req` until it is answered with something else than 429, or its deadline passes.
async fn bounded<S, B>(
    inner: &tokio::sync::Mutex<S>,
    mut req: Request<Body>,
    waits: &Waits,
    deadline: Duration,
) -> Result<Response<B>, BoxError>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
{
    let until = Instant::now() + deadline;
    loop {
        let again = copy(&req);
        let res = match tokio::time::timeout_at(until, once(inner, req)).await {
            Ok(res) => res?,
            Err(_) => return Err(Box::new(Deadline::Silent(deadline))),
        };
        // a request whose body cannot be sent twice gets the 429 as it came
        let (true, Some(next)) = (res.status() == StatusCode::TOO_MANY_REQUESTS, again) else {
            return Ok(res);
        };
        let asked = retry_after(res.headers());
        let wait = asked.min(MAX_WAIT);
        waits.say(&said(asked, wait));
        if Instant::now() + wait >= until {
            tokio::time::sleep_until(until).await;
            return Err(Box::new(Deadline::Throttled { deadline, asked }));
        }
        tokio::time::sleep(wait).await;
        req = next;
    }
}

/// What the operator is told of one wait.
pub fn said(asked: Duration, wait: Duration) -> String {
    format!(
        "the API server asked to wait {} s (429 Too Many Requests); retrying in {} s",
        asked.as_secs(),
        wait.as_secs()
    )
}

/// The wait a 429 asks for: its `Retry-After` in seconds; 1 s without one (or with a date,
/// which the API server never sends).
pub fn retry_after(headers: &http::HeaderMap) -> Duration {
    let secs = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(secs)
}

/// `req` again, when its body can be sent twice.
fn copy(req: &Request<Body>) -> Option<Request<Body>> {
    let body = req.body().try_clone()?;
    let mut again = Request::builder()
        .method(req.method().clone())
        .uri(req.uri().clone())
        .version(req.version())
        .body(body)
        .ok()?;
    *again.headers_mut() = req.headers().clone();
    *again.extensions_mut() = req.extensions().clone();
    Some(again)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds_and_capped_when_said() {
        let mut h = http::HeaderMap::new();
        assert_eq!(retry_after(&h), Duration::from_secs(1));
        h.insert(http::header::RETRY_AFTER, "3600".parse().unwrap());
        let asked = retry_after(&h);
        assert_eq!(
            said(asked, asked.min(MAX_WAIT)),
            "the API server asked to wait 3600 s (429 Too Many Requests); retrying in 30 s"
        );
        h.insert(
            http::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Duration::from_secs(1));
    }

    #[test]
    fn a_diverted_wait_reaches_the_channel_then_the_log_alone() {
        let waits = Waits::default();
        let mut rx = waits.divert();
        waits.say("one");
        assert_eq!(rx.try_recv().ok().as_deref(), Some("one"));
        drop(rx);
        // the receiver is gone: the log alone, nothing on stderr
        waits.say("two");
        assert!(matches!(*waits.0.lock().unwrap(), Tell::Log));
    }
}

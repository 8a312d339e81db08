//! One alert to one sink over HTTP: a timeout per attempt, retries with backoff for what may pass
//! (connection errors, timeouts, 5xx), a 429's `Retry-After` honoured, and the service's own
//! error text kept for the operator. The URL never appears in what this returns.

use super::payload;
use super::sink::Sink;
use crate::model::{Alert, DeliveryOutcome};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How hard to try.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Per attempt, connecting and answering included.
    pub timeout: Duration,
    /// Attempts in all, the first one included.
    pub attempts: u32,
    /// The first wait before a retry; doubled each time.
    pub backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one fails the delivery at once.
    pub max_retry_after: Duration,
    pub waits: Waits,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            timeout: Duration::from_secs(10),
            attempts: 4,
            backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(120),
            waits: Waits::Real,
        }
    }
}

/// How the waits between attempts pass: really, or — in tests — as a log of the waits asked for
/// that returns at once (the stand-in clock).
#[derive(Clone, Debug, Default)]
pub enum Waits {
    #[default]
    Real,
    StandInClock(Arc<Mutex<Vec<Duration>>>),
}

impl Waits {
    async fn wait(&self, d: Duration) {
        match self {
            Waits::Real => tokio::time::sleep(d).await,
            Waits::StandInClock(log) => {
                if let Ok(mut log) = log.lock() {
                    log.push(d);
                }
            }
        }
    }
}

/// The HTTP client alerts go out with.
pub fn client(policy: &Policy) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(policy.timeout)
        .user_agent(concat!("canary-cockpit/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.without_url().to_string())
}

/// One attempt's answer.
enum Attempt {
    Done(u16),
    /// Worth another try, after at least this long.
    Retry {
        http: Option<u16>,
        error: String,
        after: Option<Duration>,
    },
    Refused {
        http: u16,
        error: String,
    },
}

/// Delivers `alert` to `sink`; returns the outcome and the number of attempts made.
pub async fn deliver(
    client: &reqwest::Client,
    sink: &Sink,
    alert: &Alert,
    session: Option<&str>,
    policy: &Policy,
) -> (DeliveryOutcome, u32) {
    let body = payload::body(sink, alert, session);
    let mut backoff = policy.backoff;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (http, error, after) = match once(client, sink, &body).await {
            Attempt::Done(http) => return (DeliveryOutcome::Delivered { http }, attempt),
            Attempt::Refused { http, error } => {
                return (
                    DeliveryOutcome::Failed {
                        http: Some(http),
                        error,
                    },
                    attempt,
                )
            }
            Attempt::Retry { http, error, after } => (http, error, after),
        };
        let wait = match after {
            Some(after) if after > policy.max_retry_after => {
                let error = format!(
                    "{error}; asked to wait {} s, more than {} s",
                    after.as_secs(),
                    policy.max_retry_after.as_secs()
                );
                return (DeliveryOutcome::Failed { http, error }, attempt);
            }
            Some(after) => after,
            None => backoff,
        };
        if attempt >= policy.attempts {
            let error = format!("{error} (after {attempt} attempts)");
            return (DeliveryOutcome::Failed { http, error }, attempt);
        }
        tracing::info!(sink = %sink.name, attempt, ?wait, %error, "alert: retrying");
        policy.waits.wait(wait).await;
        backoff = backoff.saturating_mul(2);
    }
}

async fn once(client: &reqwest::Client, sink: &Sink, body: &serde_json::Value) -> Attempt {
    let sent = client.post(sink.url.expose()).json(body).send().await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            let what = if e.is_timeout() {
                "no answer in time".to_string()
            } else if e.is_connect() {
                format!("cannot connect to {}", sink.url.redacted())
            } else {
                e.without_url().to_string()
            };
            return Attempt::Retry {
                http: None,
                error: what,
                after: None,
            };
        }
    };
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Attempt::Done(status);
    }
    let header_wait = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(retry_after);
    let text = response.text().await.unwrap_or_default();
    let error = service_error(&text);
    if status == 429 {
        // Discord also says it in the body, in seconds with a fraction
        let after = header_wait.or_else(|| body_retry_after(&text));
        return Attempt::Retry {
            http: Some(status),
            error,
            after: Some(after.unwrap_or(Duration::from_secs(1))),
        };
    }
    if status >= 500 || status == 408 {
        return Attempt::Retry {
            http: Some(status),
            error,
            after: header_wait,
        };
    }
    Attempt::Refused {
        http: status,
        error,
    }
}

/// `Retry-After` in seconds (`7`, or `1.5` as some services send); an HTTP date is not honoured
/// here and falls back to the backoff.
fn retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

fn body_retry_after(text: &str) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let secs = v.get("retry_after")?.as_f64()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// What the service said, on one line and short: the `message`, `error` or `text` of a JSON body
/// (Discord, Google Chat, Rocket.Chat), else the body itself (Slack's `invalid_blocks`).
pub fn service_error(text: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            let v = v
                .get("error")
                .filter(|e| e.is_object())
                .unwrap_or(&v)
                .clone();
            ["message", "error", "text"]
                .iter()
                .find_map(|k| v.get(k).and_then(|m| m.as_str()).map(str::to_string))
        });
    let text = from_json.unwrap_or_else(|| text.to_string());
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut short: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        short.push('…');
    }
    if short.is_empty() {
        "no error text".to_string()
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds() {
        assert_eq!(retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(" 1.5 "), Some(Duration::from_millis(1500)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after("-1"), None);
        assert_eq!(
            body_retry_after(
                r#"{"message":"You are being rate limited.","retry_after":0.25,"global":false}"#
            ),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn service_errors_are_short_and_on_one_line() {
        assert_eq!(service_error("invalid_blocks"), "invalid_blocks");
        assert_eq!(
            service_error(r#"{"message": "Cannot send an empty message", "code": 50006}"#),
            "Cannot send an empty message"
        );
        assert_eq!(
            service_error(r#"{"error": {"code": 400, "message": "Invalid JSON payload"}}"#),
            "Invalid JSON payload"
        );
        assert_eq!(service_error(""), "no error text");
        assert_eq!(service_error(&"x\n".repeat(500)).chars().count(), 201);
    }
}

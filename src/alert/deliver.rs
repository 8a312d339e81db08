//! One alert to one sink over HTTP: a timeout per attempt, retries with backoff for what may pass
//! (connection errors, timeouts, 5xx), a 429's `Retry-After` honoured, no redirect followed, and
//! the service's own error text kept for the operator: short, shown through the text hygiene and
//! without the URL's secret parts (see [`super::redact`]). The URL never appears in what this
//! returns or logs.

use super::payload;
use super::redact;
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

/// The HTTP client alerts go out with. It follows no redirect: a webhook that sends the alert
/// elsewhere (a login page, another host, a POST turned GET) fails, naming where it pointed.
pub fn client(policy: &Policy) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(policy.timeout)
        .redirect(reqwest::redirect::Policy::none())
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
                let tries = if attempt > 1 {
                    format!(" (after {attempt} attempts)")
                } else {
                    String::new()
                };
                let error = format!(
                    "{error}; asked to wait {} s, more than {} s{tries}",
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
                error: redact::error_text(&what, &sink.url),
                after: None,
            };
        }
    };
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Attempt::Done(status);
    }
    if response.status().is_redirection() {
        return Attempt::Refused {
            http: status,
            error: redirected(sink, response.headers()),
        };
    }
    let header_wait = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(retry_after);
    let text = response.text().await.unwrap_or_default();
    let error = redact::error_text(&service_error(&text), &sink.url);
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

/// The failure of a redirect: where it pointed (the host only), never followed.
fn redirected(sink: &Sink, headers: &reqwest::header::HeaderMap) -> String {
    let base = reqwest::Url::parse(sink.url.expose()).ok();
    let host = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|l| match &base {
            Some(b) => b.join(l).ok(),
            None => reqwest::Url::parse(l).ok(),
        })
        .and_then(|u| {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            u.host_str().map(|h| format!("{h}{port}"))
        });
    let to = match host {
        Some(h) => format!("to {}", crate::hygiene::field(&h)),
        None => "without a usable Location".to_string(),
    };
    format!("the webhook redirected {to}; redirects are not followed (use the final URL)")
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

/// What the service said, on one line: the `message`, `error` or `text` of a JSON body
/// (Discord, Google Chat, Rocket.Chat), else the body itself (Slack's `invalid_blocks`); cut and
/// cleaned by [`redact::error_text`] once the URL's secrets are out.
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
    if line.is_empty() {
        "no error text".to_string()
    } else {
        line
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
        assert_eq!(service_error("a\n b\tc"), "a b c");
    }
}

//! Prometheus's HTTP API: instant queries (`/api/v1/query`) and range queries
//! (`/api/v1/query_range`), reached directly (`--prometheus URL`, over reqwest, TLS verified) or
//! through the Kubernetes API server's service proxy (`--prometheus-service NS/SERVICE:PORT`,
//! with the kubeconfig's credentials). Answers are checked before they are believed: a
//! non-success status, an error body, invalid JSON or a value that is not a number each become
//! a [`MetricsError`] that says which.

use std::collections::BTreeMap;
use std::time::Duration;

use super::MetricsError;

/// How long one query may take before it counts as failed.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// One series of an answer: its labels, and its points (one for an instant query).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    /// `(unix seconds, value)`; NaN and ±Inf are kept as they came, for the caller to judge.
    pub points: Vec<(f64, f64)>,
}

/// Credentials for a Prometheus reached directly; never recorded.
#[derive(Clone, Debug, Default)]
pub enum Auth {
    #[default]
    None,
    Bearer(String),
    Basic {
        user: String,
        password: String,
    },
}

/// Where queries go.
#[derive(Clone)]
pub enum Endpoint {
    Direct {
        base: String,
        http: reqwest::Client,
        auth: Auth,
        timeout: Duration,
    },
    /// `/api/v1/namespaces/NS/services/SERVICE:PORT/proxy` of the API server.
    ServiceProxy { client: kube::Client, path: String },
}

impl Endpoint {
    pub fn direct(base: &str, auth: Auth) -> Result<Endpoint, MetricsError> {
        Self::direct_with_timeout(base, auth, QUERY_TIMEOUT)
    }

    /// As [`Endpoint::direct`], with a query timeout of `timeout`.
    pub fn direct_with_timeout(
        base: &str,
        auth: Auth,
        timeout: Duration,
    ) -> Result<Endpoint, MetricsError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| MetricsError::Client(e.to_string()))?;
        Ok(Endpoint::Direct {
            base: base.trim_end_matches('/').to_string(),
            http,
            auth,
            timeout,
        })
    }

    /// `NAMESPACE/SERVICE:PORT` through the API server.
    pub fn service_proxy(client: kube::Client, spec: &str) -> Result<Endpoint, MetricsError> {
        let bad = || {
            MetricsError::Config(format!(
                "--prometheus-service {spec:?} is not NAMESPACE/SERVICE:PORT"
            ))
        };
        let (ns, rest) = spec.split_once('/').ok_or_else(bad)?;
        let (svc, port) = rest.split_once(':').ok_or_else(bad)?;
        if ns.is_empty() || svc.is_empty() || port.is_empty() {
            return Err(bad());
        }
        Ok(Endpoint::ServiceProxy {
            client,
            path: format!("/api/v1/namespaces/{ns}/services/{svc}:{port}/proxy"),
        })
    }

    /// Where the queries go, for messages (never the credentials).
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Direct { base, .. } => base.clone(),
            Endpoint::ServiceProxy { path, .. } => format!("the API server's {path}"),
        }
    }

    async fn get(&self, api: &str, params: &[(&str, String)]) -> Result<String, MetricsError> {
        match self {
            Endpoint::Direct {
                base,
                http,
                auth,
                timeout,
            } => {
                let mut req = http.get(format!("{base}{api}")).query(params);
                req = match auth {
                    Auth::None => req,
                    Auth::Bearer(t) => req.bearer_auth(t),
                    Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
                };
                let resp = req.send().await.map_err(|e| {
                    if e.is_timeout() {
                        MetricsError::Timeout(timeout.as_secs())
                    } else {
                        MetricsError::Unreachable(root_cause(&e))
                    }
                })?;
                let status = resp.status().as_u16();
                let body = resp
                    .text()
                    .await
                    .map_err(|e| MetricsError::Unreachable(root_cause(&e)))?;
                check_status(status, &body)?;
                Ok(body)
            }
            Endpoint::ServiceProxy { client, path } => {
                let query: String = params
                    .iter()
                    .map(|(k, v)| format!("{k}={}", encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                let req = http::Request::get(format!("{path}{api}?{query}"))
                    .body(Vec::new())
                    .map_err(|e| MetricsError::Client(e.to_string()))?;
                let text = tokio::time::timeout(QUERY_TIMEOUT, client.request_text(req))
                    .await
                    .map_err(|_| MetricsError::Timeout(QUERY_TIMEOUT.as_secs()))?;
                text.map_err(|e| match e {
                    kube::Error::Api(s) => MetricsError::Http {
                        status: s.code,
                        body: s.message,
                    },
                    other => MetricsError::Unreachable(other.to_string()),
                })
            }
        }
    }

    /// The value of `query` at `at` (unix seconds).
    pub async fn instant(&self, query: &str, at: f64) -> Result<Vec<Series>, MetricsError> {
        let body = self
            .get(
                "/api/v1/query",
                &[("query", query.to_string()), ("time", format!("{at:.3}"))],
            )
            .await?;
        parse(&body)
    }

    /// `query` from `start` to `end` every `step` seconds.
    pub async fn range(
        &self,
        query: &str,
        (start, end, step): (f64, f64, f64),
    ) -> Result<Vec<Series>, MetricsError> {
        let body = self
            .get(
                "/api/v1/query_range",
                &[
                    ("query", query.to_string()),
                    ("start", format!("{start:.3}")),
                    ("end", format!("{end:.3}")),
                    ("step", format!("{step}")),
                ],
            )
            .await?;
        parse(&body)
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// `v` percent-encoded for a query string.
pub fn encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Prometheus answers errors in JSON with a 4xx/5xx status; anything else non-2xx is the
/// server's (or a proxy's) own error page.
fn check_status(status: u16, body: &str) -> Result<(), MetricsError> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    if let Ok(err) = serde_json::from_str::<ApiError>(body) {
        return Err(MetricsError::Query(format!(
            "{}: {}",
            err.error_type, err.error
        )));
    }
    Err(MetricsError::Http {
        status,
        body: body.chars().take(200).collect(),
    })
}

#[derive(serde::Deserialize)]
struct ApiError {
    #[serde(default, rename = "errorType")]
    error_type: String,
    #[serde(default)]
    error: String,
}

fn number(v: &serde_json::Value) -> Result<f64, MetricsError> {
    let s = v
        .as_str()
        .ok_or_else(|| MetricsError::Garbage(format!("a sample value {v} is not a string")))?;
    match s {
        "NaN" => Ok(f64::NAN),
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ => s
            .parse()
            .map_err(|_| MetricsError::Garbage(format!("sample value {s:?} is not a number"))),
    }
}

fn point(v: &serde_json::Value) -> Result<(f64, f64), MetricsError> {
    match v.as_array().map(Vec::as_slice) {
        Some([t, value]) => {
            let t = t
                .as_f64()
                .ok_or_else(|| MetricsError::Garbage(format!("timestamp {t} is not a number")))?;
            Ok((t, number(value)?))
        }
        _ => Err(MetricsError::Garbage(format!(
            "{v} is not a [time, value] pair"
        ))),
    }
}

/// The series of a Prometheus API answer (vector, matrix or scalar).
pub fn parse(body: &str) -> Result<Vec<Series>, MetricsError> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| {
        MetricsError::Garbage(format!(
            "invalid JSON ({e}): {}",
            body.chars().take(80).collect::<String>()
        ))
    })?;
    match v.get("status").and_then(|s| s.as_str()) {
        Some("success") => {}
        Some("error") => {
            let kind = v
                .get("errorType")
                .and_then(|s| s.as_str())
                .unwrap_or("error");
            let msg = v.get("error").and_then(|s| s.as_str()).unwrap_or_default();
            return Err(MetricsError::Query(format!("{kind}: {msg}")));
        }
        _ => {
            return Err(MetricsError::Garbage(
                "no \"status\" in the answer".to_string(),
            ))
        }
    }
    let data = v
        .get("data")
        .ok_or_else(|| MetricsError::Garbage("no \"data\" in the answer".to_string()))?;
    let kind = data
        .get("resultType")
        .and_then(|s| s.as_str())
        .unwrap_or_default();
    let result = data
        .get("result")
        .ok_or_else(|| MetricsError::Garbage("no \"data.result\" in the answer".to_string()))?;
    let labels = |s: &serde_json::Value| -> BTreeMap<String, String> {
        s.get("metric")
            .and_then(|m| m.as_object())
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let list = || {
        result
            .as_array()
            .ok_or_else(|| MetricsError::Garbage("data.result is not a list".to_string()))
    };
    match kind {
        "vector" => list()?
            .iter()
            .map(|s| {
                let p = s
                    .get("value")
                    .ok_or_else(|| MetricsError::Garbage("a vector sample has no value".into()))?;
                Ok(Series {
                    labels: labels(s),
                    points: vec![point(p)?],
                })
            })
            .collect(),
        "matrix" => list()?
            .iter()
            .map(|s| {
                let values = s
                    .get("values")
                    .and_then(|v| v.as_array())
                    .ok_or_else(|| MetricsError::Garbage("a matrix series has no values".into()))?;
                Ok(Series {
                    labels: labels(s),
                    points: values.iter().map(point).collect::<Result<_, _>>()?,
                })
            })
            .collect(),
        "scalar" => Ok(vec![Series {
            labels: BTreeMap::new(),
            points: vec![point(result)?],
        }]),
        other => Err(MetricsError::Garbage(format!(
            "result type {other:?} is not vector, matrix or scalar"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_matrices_and_odd_values_are_read() {
        let v = parse(
            r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"canary":""},"value":[1700000000.5,"12.5"]},
            {"metric":{"canary":"ns-shop-canary-80"},"value":[1700000000.5,"NaN"]}]}}"#,
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].labels.get("canary").map(String::as_str), Some(""));
        assert_eq!(v[0].points, vec![(1_700_000_000.5, 12.5)]);
        assert!(v[1].points[0].1.is_nan());
        let m = parse(
            r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{},"values":[[1,"1"],[2,"+Inf"]]}]}}"#,
        )
        .unwrap();
        assert_eq!(m[0].points[1].1, f64::INFINITY);
        assert!(
            parse(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn errors_and_garbage_say_which() {
        let e =
            parse(r#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#)
                .unwrap_err();
        assert_eq!(
            e.to_string(),
            "query refused: bad_data: parse error at char 5"
        );
        assert!(
            matches!(parse("<html>oops</html>"), Err(MetricsError::Garbage(m)) if m.contains("invalid JSON"))
        );
        assert!(parse(
            r#"{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"abc"]}]}}"#
        )
        .is_err());
        assert!(parse(r#"{"status":"success"}"#).is_err());
        assert!(check_status(503, "upstream connect error").is_err());
        assert!(check_status(200, "").is_ok());
        assert_eq!(encode("a b{c=\"d\"}"), "a%20b%7Bc%3D%22d%22%7D");
    }
}

//! Traffic, errors and latency per version from Prometheus: the HTTP API client, the query
//! templates per traffic system, and the poller that turns answers into metrics samples.

pub mod poller;
pub mod prom;
pub mod templates;

pub use poller::Poller;
pub use prom::{Auth, Endpoint};
pub use templates::{Context, Queries, Template, TemplateError};

/// Why metrics are unavailable, said in the panels as "metrics unavailable: …".
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum MetricsError {
    #[error("{0}")]
    Config(String),
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error("Prometheus unreachable: {0}")]
    Unreachable(String),
    #[error("Prometheus did not answer within {0} s")]
    Timeout(u64),
    #[error("Prometheus answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("query refused: {0}")]
    Query(String),
    #[error("Prometheus answered garbage: {0}")]
    Garbage(String),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

//! Keel's approvals, answered from the cockpit and the verbs: a client for Keel's HTTP API
//! ([`client`]: `GET` and `POST /v1/approvals` with its admin's basic auth) and where its URL and
//! credentials come from ([`setup`]).
//!
//! Keel is reached at the URL where the team reaches its UI, never through the API server's
//! service proxy: the API server authenticates the caller and drops the `Authorization` header
//! before it proxies, so Keel's basic auth cannot pass that way.

pub mod client;
pub mod poll;
pub mod setup;
pub mod vote;

pub use client::{Credentials, Keel, Vote};

use thiserror::Error;

/// How long one call to Keel may take.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The cockpit asks Keel at most this often.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(15);

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeelError {
    #[error(
        "no Keel URL: pass --keel-url URL (where the team reaches Keel's UI), set CANARY_KEEL_URL \
         or `url` in the config's [keel]"
    )]
    NoUrl,
    #[error("Keel URL {url:?}: {why}")]
    BadUrl { url: String, why: String },
    #[error("Keel refused the credentials from {from} (401 Unauthorized)")]
    Refused { from: String },
    #[error("Keel has no approval {identifier} (404): it was already decided or archived")]
    NotFound { identifier: String },
    #[error("Keel answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("cannot reach Keel at {url}: {why}")]
    Unreachable { url: String, why: String },
    #[error("Keel's answer is not a list of approvals: {0}")]
    Decode(String),
    #[error("cannot read Keel's credentials from secret {secret}: {why}")]
    Secret { secret: String, why: String },
}

impl KeelError {
    /// A mistake in what the user gave (no URL, a bad one): exit 2 for the verbs.
    pub fn is_usage(&self) -> bool {
        matches!(self, KeelError::NoUrl | KeelError::BadUrl { .. })
    }
}

//! The HTTP side of the gates: an HTTP/1.1 server (hyper) that answers Flagger's webhooks.
//!
//! One request per connection: the server reads a request, answers it with `Connection: close` and
//! closes; the private `connection` module holds the limits and timeouts. A client that sends nothing useful
//! within 10 s is dropped. Every answered request is reported as a [`GateCall`] so the cockpit can
//! show who asked what.

use super::book::GateBook;
use super::connection::handle;
use std::io;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;

/// Connections served at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 1024;

/// What Flagger (or another tool) asked, and what the cockpit answered: for the event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateCall {
    /// The request path without its query, such as "/gate/check"; empty when the request line was unreadable.
    pub path: String,
    /// Empty when the request was malformed.
    pub namespace: String,
    pub name: String,
    /// The payload's phase, when sent.
    pub phase: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: io::Error },
}

/// Binds `addr` (e.g. "127.0.0.1:0" or "0.0.0.0:9090").
pub async fn bind(addr: &str) -> Result<TcpListener, GateError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| GateError::Listen {
            addr: addr.to_owned(),
            source,
        })
}

/// Serves until the listener fails fatally or the task is aborted; each request handled in its own task; every request that parsed (and every malformed one, with empty names) is sent to `calls` (a closed receiver is fine: ignore send errors). A per-connection read timeout of 10 s protects against slow clients.
///
/// Aborting the task also ends the connections it is serving.
pub async fn serve(listener: TcpListener, book: GateBook, calls: UnboundedSender<GateCall>) {
    let mut connections = JoinSet::new();
    loop {
        while let Some(done) = connections.try_join_next() {
            log_join(done);
        }
        if connections.len() >= MAX_CONNECTIONS {
            if let Some(done) = connections.join_next().await {
                log_join(done);
            }
            continue;
        }
        match listener.accept().await {
            Ok((stream, peer)) => {
                tracing::trace!(%peer, "gate connection");
                connections.spawn(handle(stream, book.clone(), calls.clone()));
            }
            Err(error) if accept_error_is_fatal(&error) => {
                tracing::error!(%error, "gate server stops: the listener failed");
                return;
            }
            Err(error) if accept_error_is_per_connection(&error) => {
                tracing::debug!(%error, "gate connection failed before it was accepted");
            }
            Err(error) => {
                // Out of file descriptors or memory: give the open connections time to finish.
                tracing::warn!(%error, "gate server cannot accept connections");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

fn log_join(done: Result<(), tokio::task::JoinError>) {
    if let Err(error) = done {
        if error.is_panic() {
            tracing::error!(%error, "a gate connection panicked");
        }
    }
}

/// The listening socket itself is unusable: retrying would fail forever.
fn accept_error_is_fatal(error: &io::Error) -> bool {
    #[cfg(unix)]
    const EBADF: i32 = 9;
    #[cfg(unix)]
    if error.raw_os_error() == Some(EBADF) {
        return true;
    }
    error.kind() == io::ErrorKind::InvalidInput
}

/// The error belongs to one incoming connection, not to the listener.
fn accept_error_is_per_connection(error: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        error.kind(),
        ConnectionAborted
            | ConnectionReset
            | ConnectionRefused
            | Interrupted
            | WouldBlock
            | TimedOut
            | HostUnreachable
            | NetworkUnreachable
            | NetworkDown
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_broken_listeners_stop_the_server() {
        assert!(accept_error_is_fatal(&io::Error::from(
            io::ErrorKind::InvalidInput
        )));
        #[cfg(unix)]
        assert!(accept_error_is_fatal(&io::Error::from_raw_os_error(9)));
        assert!(!accept_error_is_fatal(&io::Error::from(
            io::ErrorKind::ConnectionAborted
        )));
        // EMFILE: too many open files, a passing condition.
        #[cfg(unix)]
        assert!(!accept_error_is_fatal(&io::Error::from_raw_os_error(24)));
        assert!(accept_error_is_per_connection(&io::Error::from(
            io::ErrorKind::ConnectionReset
        )));
        assert!(!accept_error_is_per_connection(&io::Error::from(
            io::ErrorKind::OutOfMemory
        )));
    }
}

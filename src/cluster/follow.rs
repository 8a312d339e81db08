//! One list+watch, kept up to date: the list (or the one the release was read from, so nothing is
//! listed twice), then a watch from its resourceVersion, resumed from the last one seen when the
//! API server ends it, and listed again only when the server has forgotten that version (410
//! Gone). What happens is sent as [`Update`]s; the receiver keeps the objects.

use futures_util::StreamExt;
use kube::core::WatchEvent;
use kube::Client;
use std::time::Duration;
use tokio::sync::mpsc;

use super::listing::{self, Listed, Query, Wire};

/// A change to what one watch holds.
#[derive(Debug)]
pub enum Update<K> {
    /// The watch is listing again; it proves nothing about the connection yet.
    Restarting,
    /// Everything there is, as of one resourceVersion: the receiver replaces what it held.
    Listed(Vec<K>),
    /// An object was added or changed.
    Upsert(K),
    /// The object of this name is gone.
    Removed(String),
    /// The list or watch failed: the cause in the operator's words, and the library's whole
    /// message for the log file. The follower retries on its own.
    Failed { words: String, detail: String },
}

const BACKOFF_FIRST: Duration = Duration::from_millis(800);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A watch silent for this long (the server ends each after [`listing::WATCH_SECONDS`]) has lost
/// its connection.
const STALL: Duration = Duration::from_secs(listing::WATCH_SECONDS as u64 + 30);

fn failed<K>(e: &kube::Error) -> Update<K> {
    Update::Failed {
        words: super::words::cause_in_words(e),
        detail: e.to_string(),
    }
}

/// The wait before the next try after a failure: doubling from [`BACKOFF_FIRST`] up to
/// [`BACKOFF_MAX`], back to the first after a success.
struct Backoff(Duration);

impl Backoff {
    async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(BACKOFF_MAX);
    }
}

fn is_gone(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 410)
}

/// Follows `query` until the receiver is gone. `seed` is a list already read (the release's
/// first read): the watch starts from its version and lists nothing. Each update is wrapped by
/// `wrap` for the one channel all watches share.
pub async fn follow<W, C, F>(
    client: Client,
    query: Query,
    seed: Option<Listed<W::Kept>>,
    tx: mpsc::Sender<C>,
    wrap: F,
) where
    W: Wire,
    C: Send + 'static,
    F: Fn(Update<W::Kept>) -> C + Send + 'static,
{
    let send = |u: Update<W::Kept>| tx.send(wrap(u));
    let mut version = None;
    if let Some(seed) = seed {
        version = Some(seed.version);
        if send(Update::Listed(seed.items)).await.is_err() {
            return;
        }
    }
    let mut backoff = Backoff(BACKOFF_FIRST);
    loop {
        let Some(from) = version.clone() else {
            if send(Update::Restarting).await.is_err() {
                return;
            }
            match listing::list::<W>(&client, &query).await {
                Ok(listed) => {
                    version = Some(listed.version);
                    backoff = Backoff(BACKOFF_FIRST);
                    if send(Update::Listed(listed.items)).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    if send(failed(&e)).await.is_err() {
                        return;
                    }
                    backoff.wait().await;
                }
            }
            continue;
        };
        let events = match listing::watch_request(&query, &from) {
            Ok(request) => client.request_events::<W>(request).await,
            Err(e) => Err(e),
        };
        let mut events = match events {
            Ok(events) => Box::pin(events),
            Err(e) if is_gone(&e) => {
                version = None;
                continue;
            }
            Err(e) => {
                if send(failed(&e)).await.is_err() {
                    return;
                }
                backoff.wait().await;
                continue;
            }
        };
        loop {
            let event = match tokio::time::timeout(STALL, events.next()).await {
                Ok(Some(event)) => event,
                // the server ended the watch (its timeout): go on from the last version seen
                Ok(None) => break,
                // not even the end of the watch came: the connection died without a word
                Err(_) => {
                    let silent = Update::Failed {
                        words: "no answer in time".to_string(),
                        detail: format!(
                            "the watch of {} sent nothing for {} s",
                            query.path,
                            STALL.as_secs()
                        ),
                    };
                    if send(silent).await.is_err() {
                        return;
                    }
                    backoff.wait().await;
                    break;
                }
            };
            let update = match event {
                Ok(WatchEvent::Added(o) | WatchEvent::Modified(o)) => {
                    if let Some(v) = o.resource_version() {
                        version = Some(v.to_string());
                    }
                    Update::Upsert(o.keep())
                }
                Ok(WatchEvent::Deleted(o)) => {
                    if let Some(v) = o.resource_version() {
                        version = Some(v.to_string());
                    }
                    Update::Removed(o.name().to_string())
                }
                Ok(WatchEvent::Bookmark(b)) => {
                    version = Some(b.metadata.resource_version);
                    continue;
                }
                Ok(WatchEvent::Error(status)) if status.code == 410 => {
                    // the server no longer has that version: list again
                    version = None;
                    break;
                }
                Ok(WatchEvent::Error(status)) => failed(&kube::Error::Api(status)),
                Err(e) => failed(&e),
            };
            let failure = matches!(update, Update::Failed { .. });
            if send(update).await.is_err() {
                return;
            }
            if failure {
                backoff.wait().await;
                break;
            }
            backoff = Backoff(BACKOFF_FIRST);
        }
    }
}

//! The API server's audit log, which the control plane writes (one JSON line per request and
//! stage): tests count the cockpit's requests from it.
//!
//! The API server writes a request's line as the request completes, which may be a moment after
//! the client has its answer. So a count is taken at a [`mark`]: a request of the test's own,
//! after which the log is read until it shows it. The log grows over a whole run (tens of
//! megabytes), so a mark is a place in it, and only what follows is read.

use super::wait::wait_until;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{Api, Client};
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A place in the audit log: everything answered before it was taken lies before it.
#[derive(Clone, Copy, Debug)]
pub struct Mark(u64);

fn path() -> PathBuf {
    std::env::var("CANARY_TEST_AUDIT_LOG")
        .expect("CANARY_TEST_AUDIT_LOG is not set: run ./scripts/test.sh")
        .into()
}

/// The log's whole lines from byte `from` on, and their length in bytes.
fn read_from(from: u64) -> (String, u64) {
    let mut file = std::fs::File::open(path()).expect("open the audit log");
    file.seek(SeekFrom::Start(from))
        .expect("seek in the audit log");
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).expect("read the audit log");
    // a line being written may end mid-way: only whole lines count
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let text = String::from_utf8_lossy(&bytes[..whole]).into_owned();
    (text, whole as u64)
}

/// The log's lines after `mark`, as they are now.
pub fn since(mark: Mark) -> String {
    read_from(mark.0).0
}

/// Sends a request of its own (a GET of a ConfigMap that does not exist, in `default`, so no
/// count of a test's namespace sees it) and waits until the log shows it; the place in the log
/// after everything written by then.
pub async fn mark(client: &Client) -> Mark {
    static MARKS: AtomicUsize = AtomicUsize::new(0);
    let n = MARKS.fetch_add(1, Ordering::SeqCst);
    let name = format!("canary-audit-mark-{}-{n}", std::process::id());
    let from = std::fs::metadata(path()).map_or(0, |m| m.len());
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let _ = api.get_opt(&name).await;
    wait_until(
        &format!("the audit log shows the mark {name}"),
        Duration::from_secs(10),
        || async {
            let (text, len) = read_from(from);
            text.contains(&name).then_some(Mark(from + len))
        },
    )
    .await
}

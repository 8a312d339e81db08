//! The API server's audit log, which the control plane writes (one JSON line per request and
//! stage): tests count the cockpit's requests from it.
//!
//! The API server writes a request's line as the request completes, which may be a moment after
//! the client has its answer. So a count is taken at a [`mark`]: a request of the test's own,
//! after which the log is read until it shows it.

use super::wait::wait_until;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{Api, Client};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The audit log's text as it is now.
pub fn text() -> String {
    let log = std::env::var("CANARY_TEST_AUDIT_LOG")
        .expect("CANARY_TEST_AUDIT_LOG is not set: run ./scripts/test.sh");
    std::fs::read_to_string(log).expect("read the audit log")
}

/// Sends a request of its own (a GET of a ConfigMap that does not exist, in `default`, so no
/// count of a test's namespace sees it) and waits until the log shows it; then the number of
/// lines in the log. Everything answered before the call is in those lines.
pub async fn mark(client: &Client) -> usize {
    static MARKS: AtomicUsize = AtomicUsize::new(0);
    let n = MARKS.fetch_add(1, Ordering::SeqCst);
    let name = format!("canary-audit-mark-{}-{n}", std::process::id());
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let _ = api.get_opt(&name).await;
    wait_until(
        &format!("the audit log shows the mark {name}"),
        Duration::from_secs(10),
        || async {
            let text = text();
            text.contains(&name).then(|| text.lines().count())
        },
    )
    .await
}

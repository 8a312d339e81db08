//! On opening a release, the last Warning events of its pods from before the session are shown,
//! marked as earlier than the session; later ones are shown as they come. Against the real
//! control plane.

use crate::support::cluster::*;
use crate::support::runtime;
use canary_cockpit::app::Event;
use canary_cockpit::live::executor::Options;
use k8s_openapi::api::core::v1::Event as KubeEvent;
use kube::api::{Api, PostParams};
use serde_json::json;

/// A Warning event about `pod` that last happened at `at` (RFC 3339).
async fn warning_at(
    client: &kube::Client,
    ns: &str,
    name: &str,
    pod: &str,
    message: &str,
    at: &str,
) {
    let api: Api<KubeEvent> = Api::namespaced(client.clone(), ns);
    let ev: KubeEvent = serde_json::from_value(json!({
        "metadata": {"name": name},
        "involvedObject": {"kind": "Pod", "name": pod, "namespace": ns, "apiVersion": "v1"},
        "reason": "BackOff", "message": message, "type": "Warning", "count": 1,
        "source": {"component": "kubelet"},
        "firstTimestamp": at, "lastTimestamp": at
    }))
    .unwrap();
    api.create(&PostParams::default(), &ev)
        .await
        .expect("create event");
}

fn cluster_notes(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Note { author, text, .. } if author == "cluster" => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_last_ten_warnings_from_before_the_session_are_shown_as_earlier() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "earlier", "20", &[]));
    rt.block_on(async {
        // twelve about the canary's pod, created out of order; one about a pod of another app
        for i in [3, 11, 0, 7, 1, 9, 2, 10, 4, 6, 5, 8] {
            let at = format!("2026-01-01T00:00:{i:02}Z");
            warning_at(&client, &ns, &format!("w{i}"), "shop-v2-a", &format!("attempt {i}"), &at).await;
        }
        warning_at(&client, &ns, "other", "cart-v1", "not ours", "2026-01-01T00:00:30Z").await;

        let (cluster, seen) = read_release(&cp.kubeconfig, &ns, "ingress/shop").await;
        let Live {
            mut rx,
            effects: _effects,
            task,
        } = live(cluster, seen, Options::default());
        let events = until(&mut rx, "the first heartbeat", |e| matches!(e, Event::Heartbeat { .. })).await;
        let expected: Vec<String> = (2..12)
            .map(|i| {
                format!(
                    "earlier than this session (2026-01-01 00:00:{i:02} UTC): pod shop-v2-a: BackOff: attempt {i}"
                )
            })
            .collect();
        assert_eq!(cluster_notes(&events), expected);

        // one that happens now is told as it comes, unmarked
        warning_at(&client, &ns, "now", "shop-v2-a", "attempt 12", "2026-01-01T00:01:00Z").await;
        let events = until(&mut rx, "the new warning", |e| {
            matches!(e, Event::Note { text, .. } if text.contains("attempt 12"))
        })
        .await;
        assert_eq!(cluster_notes(&events), ["pod shop-v2-a: BackOff: attempt 12"]);
        task.abort();
    });
}

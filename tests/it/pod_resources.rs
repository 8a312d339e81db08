//! Requests and limits read from pods as the real API server returns them: quantities in the
//! forms people write (`0.5`, `1e8`, `128Mi`) come back canonicalized, and the cockpit sums them
//! over the containers.

use crate::support::cluster::{client, control_plane, namespace};
use crate::support::runtime;
use canary_cockpit::cluster::listing::{self, Query};
use canary_cockpit::cluster::pods::{PodRow, PodWire};
use canary_cockpit::model::PodResources;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use serde_json::json;

/// The pod as the cockpit reads it: a row decoded from the list's stream.
async fn row(client: &kube::Client, ns: &str, name: &str) -> PodRow {
    let query = Query {
        path: format!("/api/v1/namespaces/{ns}/pods"),
        labels: None,
        fields: Some(format!("metadata.name={name}")),
    };
    let mut listed = listing::list::<PodWire>(client, &query)
        .await
        .expect("list the pod");
    assert_eq!(listed.items.len(), 1);
    listed.items.remove(0)
}

#[test]
fn requests_and_limits_are_summed_from_the_api_servers_pods() {
    let cp = control_plane();
    runtime().block_on(async {
        let client = client(&cp.kubeconfig).await;
        let ns = namespace(&client, "pod-resources").await;
        let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "sized"},
            "spec": {"automountServiceAccountToken": false, "containers": [
                {"name": "app", "image": "app:1", "resources": {
                    "requests": {"cpu": "0.5", "memory": "1e8"},
                    "limits": {"cpu": "1", "memory": "128Mi"}}},
                {"name": "sidecar", "image": "proxy:1", "resources": {
                    "requests": {"cpu": "250m", "memory": "64Mi"},
                    "limits": {"memory": "64Mi"}}}
            ]}
        }))
        .unwrap();
        api.create(&PostParams::default(), &pod)
            .await
            .expect("create pod");
        let read = api.get("sized").await.expect("read pod");
        // the API server rewrote the quantities into its canonical forms
        let app = &read.spec.as_ref().unwrap().containers[0];
        let requests = app.resources.as_ref().unwrap().requests.as_ref().unwrap();
        assert_eq!(requests["cpu"].0, "500m");
        assert_eq!(requests["memory"].0, "100e6");
        assert_eq!(
            row(&client, &ns, "sized").await.pod.resources,
            PodResources {
                cpu_request_millicores: Some(750),
                // the sidecar sets no CPU limit: the pod has none
                cpu_limit_millicores: None,
                memory_request_bytes: Some(100_000_000 + (64 << 20)),
                memory_limit_bytes: Some(192 << 20),
            }
        );
        let bare: Pod = serde_json::from_value(json!({
            "metadata": {"name": "bare"},
            "spec": {"automountServiceAccountToken": false,
                     "containers": [{"name": "app", "image": "app:1"}]}
        }))
        .unwrap();
        api.create(&PostParams::default(), &bare)
            .await
            .expect("create pod");
        assert_eq!(
            row(&client, &ns, "bare").await.pod.resources,
            PodResources::default()
        );
    });
}

//! Lists and watches on the real API server: a list is read item by item into compact pod rows
//! with its resourceVersion; a watch from that version sees what changes next, and a version the
//! server has forgotten (410 Gone) makes the follower list again.

use crate::support::cluster::*;
use crate::support::runtime;
use canary_cockpit::cluster::follow::{follow, Update};
use canary_cockpit::cluster::listing::{self, Listed, Query};
use canary_cockpit::cluster::pods::{PodRow, PodWire};
use canary_cockpit::model::PodStatus;
use kube::api::DynamicObject;
use std::time::Duration;
use tokio::sync::mpsc;

fn pods_query(ns: &str, labels: &str) -> Query {
    Query {
        path: format!("/api/v1/namespaces/{ns}/pods"),
        labels: Some(labels.to_string()),
        fields: None,
    }
}

async fn next(rx: &mut mpsc::Receiver<Update<PodRow>>) -> Update<PodRow> {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("an update within 20 s")
        .expect("the follower is running")
}

#[test]
fn a_list_streams_into_rows_and_its_watch_sees_what_follows() {
    let cp = control_plane();
    let rt = runtime();
    let client = rt.block_on(client(&cp.kubeconfig));
    let ns = rt.block_on(shop(&client, "lists", "20", &[]));
    rt.block_on(async {
        let query = pods_query(&ns, "app=shop");
        let listed = listing::list::<PodWire>(&client, &query)
            .await
            .expect("list the shop's pods");
        let mut names: Vec<&str> = listed.items.iter().map(|r| r.pod.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["shop-v1-a", "shop-v1-b", "shop-v2-a"]);
        let b = listed
            .items
            .iter()
            .find(|r| r.pod.name == "shop-v1-b")
            .expect("shop-v1-b");
        assert_eq!(
            (b.label("version"), b.image.as_deref(), b.pod.restarts),
            (Some("v1"), Some("shop:1.0"), 2)
        );
        assert_eq!(b.pod.status, PodStatus::Running);
        assert!(
            listed.version.parse::<u64>().is_ok_and(|v| v > 0),
            "the list's resourceVersion: {:?}",
            listed.version
        );

        // the follower starts from that list: it lists nothing and sees the next change
        let (tx, mut rx) = mpsc::channel(16);
        let task = tokio::spawn(follow::<PodWire, _, _>(
            client.clone(),
            query.clone(),
            Some(listed),
            tx,
            |u| u,
        ));
        assert!(matches!(next(&mut rx).await, Update::Listed(rows) if rows.len() == 3));
        running_pod(
            &client,
            &ns,
            "shop-v2-b",
            ("shop", "v2", "shop:2.0"),
            true,
            0,
        )
        .await;
        let added = loop {
            match next(&mut rx).await {
                Update::Upsert(row) if row.pod.name == "shop-v2-b" => break row,
                Update::Upsert(_) => continue,
                other => panic!("expected the new pod, got {other:?}"),
            }
        };
        assert_eq!(added.label("version"), Some("v2"));
        task.abort();

        // a version the server no longer has: 410 Gone, and the follower lists again. A custom
        // kind's watch cache starts at the revision its CRD was installed at, long after 1.
        let rollouts = custom("argoproj.io", "v1alpha1", "Rollout", "rollouts");
        create_custom(
            &client,
            &ns,
            &rollouts,
            serde_json::json!({"metadata": {"name": "shop"}, "spec": {
                "selector": {"matchLabels": {"app": "shop"}},
                "template": {"metadata": {"labels": {"app": "shop"}},
                             "spec": {"containers": [{"name": "app", "image": "shop:2"}]}},
                "strategy": {"canary": {"steps": [{"setWeight": 20}]}}}}),
        )
        .await;
        let query = Query {
            path: format!("/apis/argoproj.io/v1alpha1/namespaces/{ns}/rollouts"),
            labels: None,
            fields: None,
        };
        let (tx, mut rx) = mpsc::channel(16);
        let stale = Listed {
            items: Vec::new(),
            version: "1".to_string(),
        };
        let task = tokio::spawn(follow::<DynamicObject, _, _>(
            client.clone(),
            query,
            Some(stale),
            tx,
            |u| u,
        ));
        let mut seen = Vec::new();
        let relisted = loop {
            let update = tokio::time::timeout(Duration::from_secs(20), rx.recv())
                .await
                .expect("an update within 20 s")
                .expect("the follower is running");
            match update {
                Update::Listed(objects) if !seen.is_empty() => break objects,
                other => seen.push(format!("{other:?}").chars().take(40).collect::<String>()),
            }
        };
        assert_eq!(seen.len(), 2, "the stale list, then Restarting: {seen:?}");
        assert!(seen[1].starts_with("Restarting"), "{seen:?}");
        let names: Vec<Option<&str>> = relisted
            .iter()
            .map(|o| o.metadata.name.as_deref())
            .collect();
        assert_eq!(names, [Some("shop")]);
        assert!(
            relisted[0].metadata.managed_fields.is_none(),
            "managedFields are dropped as objects are kept"
        );
        task.abort();

        // an error of the server is kube's error with its status, not a decoding failure
        let unserved = Query {
            path: format!("/apis/example.com/v1/namespaces/{ns}/widgets"),
            labels: None,
            fields: None,
        };
        match listing::list::<PodWire>(&client, &unserved).await {
            Err(kube::Error::Api(s)) => assert_eq!(s.code, 404, "{s:?}"),
            other => panic!("expected HTTP 404, got {other:?}"),
        }
    });
}

//! The cockpit's Keel task: asks Keel for its approvals at most every 15 s, beside the terminal
//! loop (never in it), and tells the cockpit those of the release's workloads when they change.
//! Which workloads: the namespace's Deployments that ask for approvals (`keel.sh/approvals`) and
//! whose pods one of the release's versions selects, found with one list when the cockpit opens.

use super::{Keel, EVERY};
use crate::app::Event;
use crate::cluster::selector::Selector;
use crate::cluster::{dynamic, Cluster, ClusterError};
use crate::model::approval::Approval;
use crate::model::wall_clock as now;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, ListParams};
use tokio::sync::mpsc;

/// The annotation by which a workload asks Keel for approvals before an update.
pub const APPROVALS: &str = "keel.sh/approvals";

/// The Deployments of the namespace that ask Keel for approvals and run one of the release's
/// versions (their pod template is selected by one of `selectors`).
pub async fn workloads(
    cluster: &Cluster,
    selectors: &[Selector; 2],
) -> Result<Vec<String>, ClusterError> {
    let api: Api<Deployment> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| dynamic::call(cluster, "list", "deployments", "").error(e))?;
    Ok(list
        .items
        .into_iter()
        .filter(|d| {
            d.metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key(APPROVALS))
        })
        .filter(|d| {
            let labels = d
                .spec
                .template
                .metadata
                .as_ref()
                .and_then(|m| m.labels.as_ref());
            selectors.iter().any(|s| !s.is_empty() && s.matches(labels))
        })
        .filter_map(|d| d.metadata.name)
        .collect())
}

/// Runs until the cockpit closes its channel: one `GET /v1/approvals` every 15 s.
pub async fn run(keel: Keel, namespace: String, workloads: Vec<String>, tx: mpsc::Sender<Event>) {
    let mut last: Option<Vec<Approval>> = None;
    let mut failing = false;
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let event = match keel.approvals().await {
            Ok(all) => {
                let mine: Vec<Approval> = all
                    .into_iter()
                    .filter(|a| !a.archived && workloads.iter().any(|w| a.updates(&namespace, w)))
                    .collect();
                let mut events = Vec::new();
                if std::mem::replace(&mut failing, false) {
                    events.push(note(format!("Keel at {} answers again", keel.url())));
                }
                if last.as_ref() != Some(&mine) {
                    events.push(Event::KeelApprovals {
                        at: now(),
                        approvals: mine.clone(),
                    });
                    last = Some(mine);
                }
                events
            }
            Err(e) => {
                tracing::warn!(error = %e, "keel");
                // said once until Keel answers again
                if std::mem::replace(&mut failing, true) {
                    Vec::new()
                } else {
                    vec![note(e.to_string())]
                }
            }
        };
        for ev in event {
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    }
}

fn note(text: String) -> Event {
    Event::Note {
        at: now(),
        author: "keel".to_string(),
        text,
    }
}

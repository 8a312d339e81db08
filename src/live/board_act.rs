//! Actions from the board: each marked release is read afresh and acted on through the one
//! executor ([`super::executor::perform`]), each in a task of its own; every row gets its own
//! result, and a failure on one stops none of the others.

use crate::app::Action;
use crate::board::{Key, Update};
use crate::cluster::report::Reporter;
use crate::cluster::Cluster;
use crate::model::Target;
use std::collections::BTreeMap;
use tokio::sync::mpsc;

use super::executor::{self, Options};

/// Performs `action` on the release of `key`: what it did, or why it did not.
async fn act(
    cluster: &Cluster,
    key: &Key,
    action: Action,
    options: &Options,
) -> Result<String, String> {
    let target: Target = key.target.parse().map_err(|e| format!("{e}"))?;
    let mut here = cluster.clone();
    here.namespace.clone_from(&key.namespace);
    let observed = super::release::read(&here, &target)
        .await
        .map_err(|e| e.to_string())?;
    let mut report = Reporter::Collect(Vec::new());
    let did = executor::perform(&here, &observed, action, options, &mut report)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(target = %target, namespace = %key.namespace, context = %key.context, user = %cluster.user, action = %action, "board action");
    let mut said = vec![format!("{action}: done")];
    said.extend(did);
    if let Reporter::Collect(lines) = report {
        said.extend(lines);
    }
    Ok(said.join("; "))
}

/// Starts `action` on every release of `keys`; each result comes back as an [`Update::Result`].
pub fn spawn(
    clusters: &BTreeMap<String, Cluster>,
    action: Action,
    keys: Vec<Key>,
    options: &Options,
    tx: &mpsc::Sender<Update>,
) {
    for key in keys {
        let (tx, options) = (tx.clone(), options.clone());
        let cluster = clusters.get(&key.context).cloned();
        tokio::spawn(async move {
            let result = match cluster {
                Some(c) => {
                    match tokio::time::timeout(options.timeout, act(&c, &key, action, &options))
                        .await
                    {
                        Ok(r) => r,
                        Err(_) => Err(format!(
                            "{action}: no answer within {} s; the watches show whether it landed",
                            options.timeout.as_secs()
                        )),
                    }
                }
                None => Err(format!("no connection to context {}", key.context)),
            };
            // the board closed meanwhile: nobody waits for the result
            let _ = tx.send(Update::Result { key, result }).await;
        });
    }
}

//! A Rollout's versions by revision and image, as `kubectl argo rollouts get` names them:
//! `rev 2 (shop:2.0)`. The pods of each version are still found by their pod template hash
//! (`rollouts-pod-template-hash`); only the names change.
//!
//! Where the numbers come from:
//!
//! - each ReplicaSet of the Rollout carries `rollout.argoproj.io/revision` and its pod template
//!   (the image): read once with the release, then kept while the cockpit follows it;
//! - the Rollout itself carries the revision of its current pod template in the same annotation,
//!   and the template (the image) in its spec: that names a canary that appears while the
//!   cockpit watches. The controller sets the annotation before `status.currentPodHash`, so it
//!   is taken only for a canary hash that is new (neither the stable one nor one known).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{ListParams, ObjectMeta};
use kube::Api;

use super::{Rollout, HASH_LABEL};
use crate::cluster::Cluster;
use crate::model::release::short_image;

/// The annotation with a ReplicaSet's (and the Rollout's current) revision.
pub const REVISION: &str = "rollout.argoproj.io/revision";

/// One pod template of the Rollout: its revision and its (first container's) image.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revision {
    pub number: String,
    pub image: String,
}

fn first_image(template: Option<&serde_json::Value>) -> String {
    template
        .and_then(|t| t.pointer("/spec/containers/0/image"))
        .and_then(|i| i.as_str())
        .unwrap_or_default()
        .to_string()
}

/// The revision of the Rollout's current pod template, from its annotation and its spec.
pub fn current(meta: &ObjectMeta, template: Option<&serde_json::Value>) -> Option<Revision> {
    let number = meta.annotations.as_ref()?.get(REVISION)?.trim();
    number.parse::<u64>().ok()?;
    Some(Revision {
        number: number.to_string(),
        image: first_image(template),
    })
}

/// The revisions of the ReplicaSets the Rollout (`uid`) owns, by pod template hash.
pub fn of_replica_sets(uid: &str, sets: &[ReplicaSet]) -> BTreeMap<String, Revision> {
    let mut out = BTreeMap::new();
    for rs in sets {
        let owned = rs
            .metadata
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.uid == uid && o.kind == "Rollout");
        let hash = rs.metadata.labels.as_ref().and_then(|l| l.get(HASH_LABEL));
        let number = rs
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION))
            .map(|n| n.trim())
            .filter(|n| n.parse::<u64>().is_ok());
        let (true, Some(hash), Some(number)) = (owned, hash, number) else {
            continue;
        };
        let image = rs
            .spec
            .template
            .as_ref()
            .and_then(|t| t.spec.as_ref())
            .and_then(|s| s.containers.first())
            .and_then(|c| c.image.clone())
            .unwrap_or_default();
        out.insert(
            hash.clone(),
            Revision {
                number: number.to_string(),
                image,
            },
        );
    }
    out
}

/// The revisions of the Rollout's ReplicaSets (those its selector selects); none when they
/// cannot be listed (the versions are then named by their hashes).
pub async fn read(cluster: &Cluster, r: &Rollout) -> BTreeMap<String, Revision> {
    let api: Api<ReplicaSet> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let labels: Vec<String> = r.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    match api
        .list(&ListParams::default().labels(&labels.join(",")))
        .await
    {
        Ok(list) => of_replica_sets(&r.uid, &list.items),
        Err(e) => {
            tracing::debug!(error = %e, "the rollout's replicasets: not listed, versions named by hash");
            BTreeMap::new()
        }
    }
}

impl Rollout {
    /// Learns the revisions: `known` (read from the ReplicaSets, or kept from the last read),
    /// then the Rollout's own for a new canary. Only the stable's and the canary's are kept.
    pub fn learn(&mut self, known: &BTreeMap<String, Revision>) {
        for hash in [&self.stable_hash, &self.canary_hash].into_iter().flatten() {
            if let Some(r) = known.get(hash) {
                self.revisions.insert(hash.clone(), r.clone());
            }
        }
        if let (Some(canary), Some(rev)) = (&self.canary_hash, &self.current_revision) {
            if Some(canary) != self.stable_hash.as_ref() {
                self.revisions
                    .entry(canary.clone())
                    .or_insert_with(|| rev.clone());
            }
        }
    }

    /// `rev 2 (shop:2.0)`; the hash while its revision is not known; `no canary yet` without
    /// one.
    pub fn version_name(&self, hash: Option<&String>, role: &str) -> String {
        let Some(hash) = hash else {
            return format!("no {role} yet");
        };
        match self.revisions.get(hash) {
            Some(r) if r.image.is_empty() => format!("rev {}", r.number),
            Some(r) => format!("rev {} ({})", r.number, short_image(&r.image)),
            None => hash.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rs(hash: &str, rev: &str, image: &str, owner: &str) -> ReplicaSet {
        serde_json::from_value(json!({
            "metadata": {"name": format!("shop-{hash}"),
                "labels": {"app": "shop", HASH_LABEL: hash},
                "annotations": {REVISION: rev},
                "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                    "name": "shop", "uid": owner}]},
            "spec": {"selector": {"matchLabels": {"app": "shop"}},
                "template": {"spec": {"containers": [{"name": "app", "image": image}]}}}
        }))
        .unwrap()
    }

    fn rollout(annotation: Option<&str>, stable: &str, canary: &str) -> Rollout {
        let mut meta = json!({"name": "shop", "uid": "u1", "resourceVersion": "3"});
        if let Some(a) = annotation {
            meta["annotations"] = json!({REVISION: a});
        }
        let obj: kube::api::DynamicObject = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": meta,
            "spec": {"selector": {"matchLabels": {"app": "shop"}},
                "template": {"spec": {"containers": [{"name": "app",
                    "image": "registry.example.com/shop/frontend:2.0"}]}},
                "strategy": {"canary": {"steps": [{"setWeight": 20}]}}},
            "status": {"stableRS": stable, "currentPodHash": canary}
        }))
        .unwrap();
        super::super::parse(&obj).unwrap()
    }

    #[test]
    fn versions_are_named_by_revision_and_image() {
        let sets = [
            rs("aaa", "1", "registry.example.com/shop/frontend:1.0", "u1"),
            rs("bbb", "2", "registry.example.com/shop/frontend:2.0", "u1"),
            // another owner's ReplicaSet with the same labels is not the Rollout's
            rs("ccc", "9", "other:1", "u2"),
        ];
        let known = of_replica_sets("u1", &sets);
        assert_eq!(known.len(), 2);
        let mut r = rollout(Some("2"), "aaa", "bbb");
        r.learn(&known);
        assert_eq!(
            r.version_name(r.stable_hash.as_ref(), "stable"),
            "rev 1 (frontend:1.0)"
        );
        assert_eq!(
            r.version_name(r.canary_hash.as_ref(), "canary"),
            "rev 2 (frontend:2.0)"
        );
        assert_eq!(r.version_name(None, "canary"), "no canary yet");
    }

    #[test]
    fn a_new_canary_is_named_by_the_rollouts_own_revision() {
        // the stable known from an earlier read; the canary appeared since
        let known = of_replica_sets(
            "u1",
            &[rs(
                "aaa",
                "1",
                "registry.example.com/shop/frontend:1.0",
                "u1",
            )],
        );
        let mut r = rollout(Some("2"), "aaa", "bbb");
        r.learn(&known);
        assert_eq!(
            r.version_name(r.canary_hash.as_ref(), "canary"),
            "rev 2 (frontend:2.0)"
        );
        // the annotation moves first: while the current hash is still the stable one, the
        // stable keeps its own revision
        let mut settled = rollout(Some("2"), "aaa", "aaa");
        settled.learn(&known);
        assert_eq!(
            settled.version_name(settled.stable_hash.as_ref(), "stable"),
            "rev 1 (frontend:1.0)"
        );
        // nothing known: the hash
        let mut bare = rollout(None, "aaa", "bbb");
        bare.learn(&BTreeMap::new());
        assert_eq!(
            bare.version_name(bare.stable_hash.as_ref(), "stable"),
            "aaa"
        );
        assert_eq!(
            bare.version_name(bare.canary_hash.as_ref(), "canary"),
            "bbb"
        );
    }
}

//! The canary of a release whose routing object alone does not tell it (no annotation, no names
//! that say canary or primary, no versions in the names): the version order of the image tags
//! behind each backend, then the newer Deployment. Decided once, when the release is read; the
//! watches keep the decision ([`crate::provider::Route::kept`]).

use crate::cluster::deploy;
use crate::cluster::pods::PodRow;
use crate::cluster::selector::{pod_queries, Selector};
use crate::cluster::{Cluster, ClusterError};
use crate::model::{CanaryBy, Kind};
use crate::provider::common::infer::{self, Decided, Kept};
use crate::provider::{self, two_backends as split, Route};
use k8s_openapi::api::apps::v1::Deployment;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// The route with its canary decided: as read when the object tells it, else read again with
/// the decision the Deployments and pods make. An error naming both backends when no rule
/// decides.
pub async fn settle(
    cluster: &Cluster,
    kind: Kind,
    name: &str,
    route: Route,
) -> Result<Route, ClusterError> {
    if route.canary_by.is_some() {
        return Ok(route);
    }
    let kept = match decide(cluster, &route).await {
        Ok(Some(kept)) => kept,
        Ok(None) => return Err(split::undecided(&route, SAME).into()),
        // the annotation settles it whatever stands behind the backends
        Err(e) => {
            let why = format!("what runs behind them could not be read: {e}");
            return Err(split::undecided(&route, &why).into());
        }
    };
    let again = provider::system(kind)
        .read(cluster, name, Some(&kept))
        .await?;
    match again.canary_by {
        Some(_) => Ok(again),
        None => Err(split::undecided(&again, "the backends changed while it was read").into()),
    }
}

/// What the rules found when nothing told the backends apart.
const SAME: &str = "no names, versions, image tags or Deployment creation times tell them apart";

/// What stands behind one backend: its label, the Deployments whose pods it selects, and the
/// images it runs.
#[derive(Debug, Default)]
struct Behind {
    label: String,
    deployments: Vec<Deployment>,
    images: BTreeSet<String>,
}

impl Behind {
    fn of(label: &str, s: &Selector, deployments: &[Deployment], pods: &[PodRow]) -> Behind {
        let deployments: Vec<Deployment> = deployments
            .iter()
            .filter(|d| deploy::selects(s, d))
            .cloned()
            .collect();
        // the Deployments say what the backend runs; its pods, when there is no Deployment
        let images = if deployments.is_empty() {
            pods.iter()
                .filter(|p| s.selects(p))
                .filter_map(|p| p.image.as_deref().map(str::to_string))
                .collect()
        } else {
            deployments.iter().filter_map(deploy::image).collect()
        };
        Behind {
            label: label.to_string(),
            deployments,
            images,
        }
    }

    /// The one image the backend runs.
    fn image(&self) -> Option<&str> {
        match self.images.len() {
            1 => self.images.first().map(String::as_str),
            _ => None,
        }
    }

    /// The creation time of its newest Deployment.
    fn newest(&self) -> Option<(k8s_openapi::jiff::Timestamp, &str)> {
        self.deployments
            .iter()
            .filter_map(|d| Some((d.metadata.creation_timestamp.as_ref()?.0, deploy::name(d))))
            .max()
    }
}

/// The canary by what runs behind each backend of the route (as written: `names[0]`,
/// `names[1]`); `None` when nothing tells them apart.
pub async fn decide(cluster: &Cluster, route: &Route) -> Result<Option<Kept>, ClusterError> {
    let selectors = provider::of(route).selectors(cluster, route).await?;
    let mut all = Vec::new();
    for query in pod_queries(&selectors) {
        all.extend(super::release::pods_of(cluster, &query).await?);
    }
    let deployments = deploy::list(cluster).await?;
    let a = Behind::of(&route.names[0], &selectors[0], &deployments, &all);
    let b = Behind::of(&route.names[1], &selectors[1], &deployments, &all);
    Ok(by_tags(&a, &b).or_else(|| by_age(&a, &b)))
}

fn kept(canary: &Behind, by: CanaryBy, why: String) -> Kept {
    Kept {
        canary: canary.label.clone(),
        decided: Decided::new(by, why),
    }
}

/// The higher version of the image tags is the canary.
fn by_tags(a: &Behind, b: &Behind) -> Option<Kept> {
    let (ia, ib) = (a.image()?, b.image()?);
    let order = infer::version_order(infer::image_tag(ia)?, infer::image_tag(ib)?)?;
    let (low, high, canary) = match order {
        Ordering::Less => (ia, ib, b),
        Ordering::Greater => (ib, ia, a),
        Ordering::Equal => return None,
    };
    let why = format!("version order of the image tags ({low} < {high})");
    Some(kept(canary, CanaryBy::Version, why))
}

/// The backend whose newest Deployment was created later is the canary; not when both backends
/// share a Deployment.
fn by_age(a: &Behind, b: &Behind) -> Option<Kept> {
    let shared = a.deployments.iter().any(|d| {
        b.deployments
            .iter()
            .any(|e| e.metadata.uid == d.metadata.uid)
    });
    if shared {
        return None;
    }
    let ((ta, na), (tb, nb)) = (a.newest()?, b.newest()?);
    let (older, newer, canary) = match ta.cmp(&tb) {
        Ordering::Less => ((na, ta), (nb, tb), b),
        Ordering::Greater => ((nb, tb), (na, ta), a),
        Ordering::Equal => return None,
    };
    let why = format!(
        "the newer Deployment ({} created {}, {} {})",
        newer.0, newer.1, older.0, older.1
    );
    Some(kept(canary, CanaryBy::Newer, why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn deployment(name: &str, image: &str, created: i64) -> Deployment {
        let mut d: Deployment = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "uid": name},
            "spec": {"selector": {}, "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image}]}}}
        }))
        .unwrap();
        d.metadata.creation_timestamp = Some(Time(
            k8s_openapi::jiff::Timestamp::from_second(created).unwrap(),
        ));
        d
    }

    fn behind(label: &str, ds: &[Deployment]) -> Behind {
        let s = Selector::from_map(&[("app".to_string(), label.to_string())].into());
        Behind::of(label, &s, ds, &[])
    }

    #[test]
    fn image_tags_then_creation_times_decide() {
        let ds = [
            deployment("blue", "app:1.10.0", 100),
            deployment("green", "app:1.9.0", 200),
        ];
        let k = by_tags(&behind("blue", &ds), &behind("green", &ds)).unwrap();
        assert_eq!(
            (k.canary.as_str(), k.decided.by),
            ("blue", CanaryBy::Version)
        );
        assert_eq!(
            k.decided.why,
            "version order of the image tags (app:1.9.0 < app:1.10.0)"
        );
        let ds = [
            deployment("blue", "app:1", 100),
            deployment("green", "app:1", 200),
        ];
        let (a, b) = (behind("blue", &ds), behind("green", &ds));
        assert!(by_tags(&a, &b).is_none());
        let k = by_age(&a, &b).unwrap();
        assert_eq!(
            (k.canary.as_str(), k.decided.by),
            ("green", CanaryBy::Newer)
        );
        assert!(k
            .decided
            .why
            .starts_with("the newer Deployment (green created"));
    }

    #[test]
    fn nothing_tells_apart_a_shared_or_missing_deployment() {
        let ds = [deployment("blue", "app:latest", 100)];
        let (a, b) = (behind("blue", &ds), behind("blue", &ds));
        assert!(by_tags(&a, &b).is_none());
        assert!(by_age(&a, &b).is_none());
        let none = behind("green", &ds);
        assert!(by_tags(&a, &none).is_none());
        assert!(by_age(&a, &none).is_none());
    }
}

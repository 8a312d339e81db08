//! What the rows of the conformance table are made of: the fields a step must leave (an
//! object's field by JSON pointer, a Deployment's replicas and image, an annotation), the shape
//! of a row of a system the cockpit drives (its weights, its pause annotation, its promotion and
//! rollback by layout), and the version-named fixture the systems of two backends share.

use super::{Expect, Field, Fixture, Layout, Obj, Read, Row, WEIGHT};
use crate::support::cluster::*;
use serde_json::{json, Value};

pub(super) const PAUSED: &str = "canary-cockpit.io/paused";
pub(super) const OUTCOME: &str = "canary-cockpit.io/outcome";

pub(super) fn f(obj: Obj, name: &'static str, pointer: &str, value: impl Into<Value>) -> Field {
    Field {
        obj,
        name,
        pointer: pointer.to_string(),
        value: value.into(),
    }
}

/// The JSON pointer of an annotation.
pub(super) fn annotation(key: &str) -> String {
    format!("/metadata/annotations/{}", key.replace('/', "~1"))
}

pub(super) fn replicas(deployment: &'static str, n: i64) -> Field {
    f(Obj::Deployment, deployment, "/spec/replicas", n)
}

pub(super) fn image(deployment: &'static str, image: &str) -> Field {
    f(
        Obj::Deployment,
        deployment,
        "/spec/template/spec/containers/0/image",
        image,
    )
}

/// A Deployment of a version: its name, image and replicas as the fixture makes it.
pub(super) type Version = (&'static str, &'static str, i64);

/// Deployments shop-v1 (2 × shop:1.0) and shop-v2 (1 × shop:2.0) of `deployed_versions`.
pub(super) const SHOP: [Version; 2] = [("shop-v1", "shop:1.0", 2), ("shop-v2", "shop:2.0", 1)];
pub(super) const REVIEWS_V1: &str = "docker.io/istio/examples-bookinfo-reviews-v1:1.20.1";
pub(super) const REVIEWS_V2: &str = "docker.io/istio/examples-bookinfo-reviews-v2:1.20.1";
/// Deployments reviews-v1 (2 replicas) and reviews-v2 (1) of [`bookinfo`].
pub(super) const REVIEWS: [Version; 2] =
    [("reviews-v1", REVIEWS_V1, 2), ("reviews-v2", REVIEWS_V2, 1)];

/// Where a system the cockpit drives keeps the weights: the object, the pointer of the
/// primary's weight (none where only the canary's is written) and of the canary's.
pub(super) struct Weights {
    pub(super) obj: Obj,
    pub(super) name: &'static str,
    pub(super) primary: Option<&'static str>,
    pub(super) canary: &'static str,
    /// The weight is written as text (an annotation).
    pub(super) text: bool,
}

impl Weights {
    /// Two weighted backends at these pointers of `obj`/`name`.
    pub(super) fn two(
        obj: Obj,
        name: &'static str,
        primary: &'static str,
        canary: &'static str,
    ) -> Self {
        Weights {
            obj,
            name,
            primary: Some(primary),
            canary,
            text: false,
        }
    }

    pub(super) fn are(&self, primary: i64, canary: i64) -> Vec<Field> {
        let value = |n: i64| {
            if self.text {
                json!(n.to_string())
            } else {
                json!(n)
            }
        };
        let mut out: Vec<Field> = self
            .primary
            .iter()
            .map(|p| f(self.obj, self.name, p, value(primary)))
            .collect();
        out.push(f(self.obj, self.name, self.canary, value(canary)));
        out
    }

    pub(super) fn annotated(&self, key: &str, value: impl Into<Value>) -> Field {
        f(self.obj, self.name, &annotation(key), value)
    }
}

/// Promotion and rollback of a release the cockpit drives, as the layout has them.
pub(super) fn ends(
    layout: Layout,
    w: &Weights,
    [primary, canary]: [Version; 2],
) -> (Expect, Expect) {
    match layout {
        // the canary's template into the primary, the traffic back to it, the canary at 0; a
        // rollback after that: the weight stays 0, the outcome says so, the canary stays at 0
        Layout::StableCanary => {
            let mut promote = w.are(100, 0);
            promote.extend([
                w.annotated(OUTCOME, "promoted"),
                image(primary.0, canary.1),
                replicas(primary.0, primary.2),
                replicas(canary.0, 0),
            ]);
            let mut rollback = w.are(100, 0);
            rollback.extend([
                w.annotated(OUTCOME, "rolled-back"),
                image(primary.0, canary.1),
                replicas(canary.0, 0),
            ]);
            (Expect::Fields(promote), Expect::Fields(rollback))
        }
        // the take-over: all traffic to v2, v1 scaled to 0 and kept with its own template; a
        // rollback scales v1 back and returns the traffic to it
        Layout::VersionNamed => {
            let mut promote = w.are(0, 100);
            promote.extend([
                replicas(primary.0, 0),
                image(primary.0, primary.1),
                replicas(canary.0, canary.2),
                image(canary.0, canary.1),
            ]);
            let mut rollback = w.are(100, 0);
            rollback.extend([replicas(primary.0, primary.2), image(primary.0, primary.1)]);
            (Expect::Fields(promote), Expect::Fields(rollback))
        }
    }
}

/// The row of a system the cockpit drives: the weights, the pause annotation and the stages
/// on the object `w` names; its own testers' route fields.
pub(super) fn driven(
    layout: Layout,
    (fixture, target): (Fixture, &'static str),
    read: Read,
    w: Weights,
    deployments: [Version; 2],
    (route, clear): (Expect, Expect),
) -> Row {
    let (promote, rollback) = ends(layout, &w, deployments);
    Row {
        layout,
        fixture,
        target,
        object: (w.obj, w.name),
        read,
        set_weight: Expect::Fields(w.are(100 - i64::from(WEIGHT), i64::from(WEIGHT))),
        pause: Expect::Fields(vec![w.annotated(PAUSED, "true")]),
        resume: Expect::Fields(vec![w.annotated(PAUSED, Value::Null)]),
        route,
        clear,
        promote,
        rollback,
    }
}

pub(super) fn read(
    provider: &'static str,
    phase: &'static str,
    weight: u8,
    versions: [&'static str; 2],
) -> Read {
    Read {
        provider,
        phase,
        weight,
        versions,
    }
}

/// The version-named layout of Istio's and KubeSphere's bookinfo guides, run by Deployments:
/// reviews-v1 (2 replicas) and reviews-v2 (1), Service `reviews` (app=reviews) for subsets and
/// Services `reviews-v1` and `reviews-v2` (app=reviews, version=v1|v2) for the systems that
/// weight Services.
pub(super) async fn bookinfo(client: &kube::Client, prefix: &str) -> String {
    let ns = namespace(client, prefix).await;
    service_selecting(client, &ns, "reviews", json!({"app": "reviews"})).await;
    for (name, image, n) in REVIEWS {
        let version = &name["reviews-".len()..];
        service(client, &ns, name, "reviews", version).await;
        deployment(client, &ns, name, ("reviews", version, image), n as i32).await;
    }
    ns
}

/// [`bookinfo`] with `obj` created in its namespace.
pub(super) async fn bookinfo_with(
    client: &kube::Client,
    prefix: &str,
    obj: Obj,
    body: Value,
) -> String {
    let ns = bookinfo(client, prefix).await;
    create_custom(client, &ns, &obj.resource(), body).await;
    ns
}

pub(super) fn refused(why: &'static str) -> (Expect, Expect) {
    (Expect::Refused(why), Expect::Refused(why))
}

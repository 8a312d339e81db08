//! What the tests of the systems that weight two Services in one object of their own share
//! (Traefik's TraefikService, Contour's HTTPProxy): the release `shop` of
//! [`super::cluster::deployed_versions`] behind such an object, and the same script for each:
//! `status -o json` and its keys, pause and resume recorded on the object, a controller's lever
//! refused, rollback, an object that is no release, a stale write refused and the release list,
//! promotion stage by stage.

use super::cluster::*;
use canary_cockpit::cluster::{Cluster, ClusterError};
use canary_cockpit::live::release::Observed;
use canary_cockpit::model::Weight;
use canary_cockpit::provider::common::write;
use kube::api::ApiResource;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;
use tokio::runtime::Runtime;

/// The output's stdout as JSON; fails with both streams when it is not.
pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Fails unless the command succeeded; its stdout.
pub fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The top-level keys of every system's `status -o json`, `bypass` where the release has rules
/// of its own to the canary.
pub fn status_keys(bypass: bool) -> Vec<&'static str> {
    let mut keys = vec![
        "canary_by",
        "metrics_source",
        "namespace",
        "phase",
        "provider",
        "routes",
        "target",
        "versions",
        "weight",
    ];
    if bypass {
        keys.insert(0, "bypass");
    }
    keys
}

/// How a system names and weights the release `shop`: its object's resource, the object as the
/// cockpit names it (`httpproxy/shop`) and its alias (`proxy/shop`), and where the two weights are.
#[derive(Clone, Copy)]
pub struct Shape {
    pub resource: fn() -> ApiResource,
    pub object: &'static str,
    pub alias: &'static str,
    /// The primary's and the canary's weight, as the object holds them.
    pub weights: fn(&Value) -> (Option<i64>, Option<i64>),
}

impl Shape {
    /// The release in namespace `ns` of the control plane `kubeconfig` names.
    pub fn at<'a>(
        self,
        kubeconfig: &'a Path,
        client: &'a kube::Client,
        rt: &'a Runtime,
        ns: &'a str,
    ) -> TwoServices<'a> {
        TwoServices {
            kubeconfig,
            client,
            rt,
            ns,
            resource: (self.resource)(),
            object: self.object,
            alias: self.alias,
            weights: self.weights,
        }
    }
}

/// A release `shop` in namespace `ns`, weighted by the object `object`.
pub struct TwoServices<'a> {
    pub kubeconfig: &'a Path,
    pub client: &'a kube::Client,
    pub rt: &'a Runtime,
    pub ns: &'a str,
    pub resource: ApiResource,
    pub object: &'static str,
    pub alias: &'static str,
    pub weights: fn(&Value) -> (Option<i64>, Option<i64>),
}

impl TwoServices<'_> {
    /// The object `shop` as it is now.
    pub fn get(&self) -> Value {
        self.rt
            .block_on(get_custom(self.client, self.ns, &self.resource, "shop"))
    }

    pub fn canary(&self, args: &[&str]) -> Output {
        canary_at(self.kubeconfig, self.ns, args)
    }

    /// `status TARGET -o json`, without a Prometheus another test may put up meanwhile.
    pub fn status(&self, target: &str) -> Output {
        self.canary(&["status", target, "-o", "json", "--no-prometheus"])
    }

    /// The status of a release at 10 % on `shop` and `shop-canary`, read by their names, with
    /// the same top-level keys as every other system's.
    pub fn reads(&self, provider: &str, bypass: bool) -> Value {
        let out = self.status(self.alias);
        ok(&out);
        let json = json_of(&out);
        assert_eq!(json["target"], self.object);
        assert_eq!(json["provider"], provider);
        assert_eq!(json["phase"], "progressing");
        assert_eq!(json["weight"], json!({"canary": 10, "primary": 90}));
        assert_eq!(json["versions"][0]["name"], "shop");
        assert_eq!(json["versions"][1]["name"], "shop-canary");
        assert_eq!(json["canary_by"], "name");
        let keys: Vec<&str> = json
            .as_object()
            .expect("a JSON object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, status_keys(bypass));
        json
    }

    /// Pause and resume are recorded on the object; a second pause says it already is.
    pub fn pauses_and_resumes(&self) {
        ok(&self.canary(&["pause", self.alias]));
        let object = self.get();
        assert_eq!(
            object["metadata"]["annotations"]["canary-cockpit.io/paused"],
            "true"
        );
        assert_eq!(json_of(&self.status(self.alias))["phase"], "paused");
        let again = ok(&self.canary(&["pause", self.alias]));
        assert!(again.contains("already paused"), "{again}");
        ok(&self.canary(&["resume", self.alias]));
        let object = self.get();
        assert!(
            object["metadata"]["annotations"]
                .get("canary-cockpit.io/paused")
                .is_none(),
            "{object}"
        );
    }

    /// A controller's lever is refused with its reason, and nothing is written.
    pub fn refuses_a_controllers_lever(&self) {
        let out = self.canary(&["retry", self.alias]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("Argo Rollouts"));
    }

    /// Rollback: refused unconfirmed (exit 2); then weight 0 with the outcome in one write, the
    /// canary scaled to 0, and the status says so (exit 3).
    pub fn rolls_back(&self) {
        let unconfirmed = self.canary(&["rollback", self.alias]);
        assert_eq!(unconfirmed.status.code(), Some(2));
        let text = ok(&self.canary(&["rollback", self.alias, "--yes"]));
        let weighted = format!("{}: canary weight 0 %", self.object);
        assert!(text.contains(&weighted), "{text}");
        assert!(text.contains("deployment/shop-v2 scaled to 0"), "{text}");
        let object = self.get();
        assert_eq!((self.weights)(&object), (Some(100), Some(0)));
        assert_eq!(
            object["metadata"]["annotations"]["canary-cockpit.io/outcome"],
            "rolled-back"
        );
        let replicas = deployment_replicas(self.client, self.ns, "shop-v2");
        assert_eq!(self.rt.block_on(replicas), 0);
        let out = self.status(self.alias);
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(json_of(&out)["phase"], "rolled-back");
    }

    /// `solo`, an object with one Service, is not a release.
    pub fn solo_is_no_release(&self, solo: &str) {
        let out = self.status(solo);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("has no route with two weighted backends"),
            "{err}"
        );
    }

    /// Someone else writes first: the cockpit's weight from the older read `seen` lands nowhere.
    /// Then the release list shows the release, at 10 %.
    pub async fn refuses_a_stale_write(&self, cluster: &Cluster, seen: &Observed, provider: &str) {
        assert_eq!(seen.snapshot.weight, Weight::clamped(10));
        let touched = json!({"metadata": {"labels": {"touched": "yes"}}});
        patch_custom(self.client, self.ns, &self.resource, "shop", touched).await;
        let err = write::set_weight(cluster, &seen.route, Weight::clamped(50), None)
            .await
            .unwrap_err();
        assert!(matches!(err, ClusterError::Conflict { .. }), "{err}");
        assert!(err.to_string().contains("nothing was written"), "{err}");
        let object = get_custom(self.client, self.ns, &self.resource, "shop").await;
        assert_eq!((self.weights)(&object), (Some(90), Some(10)));

        let (listed, missing) = canary_cockpit::live::discover::releases(cluster, false)
            .await
            .unwrap();
        assert!(missing.is_empty(), "{missing:?}");
        let ours: Vec<_> = listed.iter().filter(|l| l.provider == provider).collect();
        assert_eq!(ours.len(), 1, "{listed:?}");
        assert_eq!(ours[0].target, self.object);
        assert_eq!(ours[0].weight, Some(10));
        assert_eq!(ours[0].phase, "progressing");
    }

    /// Promotion stage by stage (a kubelet must run in the namespace): the primary takes the
    /// canary's template, the traffic goes back to it, the canary is scaled to 0.
    pub fn promotes_stage_by_stage(&self) {
        let text = ok(&self.canary(&["promote", self.alias, "--yes"]));
        let to_canary = format!("{}: all traffic to the canary (100 %)", self.object);
        let back = format!(
            "{}: all traffic back to the primary, now on shop:2.0",
            self.object
        );
        let stages = [
            to_canary.as_str(),
            "deployment/shop-v1 takes the canary's pod template (shop:2.0)",
            "deployment/shop-v1 rolled out",
            back.as_str(),
            "deployment/shop-v2 scaled to 0",
        ];
        in_order(&text, &stages);
        let object = self.get();
        assert_eq!((self.weights)(&object), (Some(100), Some(0)));
        assert_eq!(
            object["metadata"]["annotations"]["canary-cockpit.io/outcome"],
            "promoted"
        );
        let image = deployment_image(self.client, self.ns, "shop-v1");
        assert_eq!(self.rt.block_on(image), "shop:2.0");
        let replicas = |name| {
            self.rt
                .block_on(deployment_replicas(self.client, self.ns, name))
        };
        assert_eq!(replicas("shop-v1"), 2);
        assert_eq!(replicas("shop-v2"), 0);
        let out = self.canary(&["status", self.alias, "-o", "json"]);
        ok(&out);
        assert_eq!(json_of(&out)["phase"], "promoted");
    }
}

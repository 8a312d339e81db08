//! What the board's watches keep of each object: a routing object whole, keyed by namespace and
//! name (a cluster-wide watch holds many namespaces); a Deployment as its ready and desired
//! replicas only.

use crate::board::Ready;
use crate::cluster::listing::Wire;
use kube::api::DynamicObject;
use serde::Deserialize;

/// A routing object and its `namespace/name`.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "DynamicObject")]
pub struct Keyed {
    pub key: String,
    pub obj: DynamicObject,
}

impl From<DynamicObject> for Keyed {
    fn from(obj: DynamicObject) -> Self {
        let key = format!(
            "{}/{}",
            obj.metadata.namespace.as_deref().unwrap_or_default(),
            obj.metadata.name.as_deref().unwrap_or_default()
        );
        Keyed { key, obj }
    }
}

impl Wire for Keyed {
    type Kept = Keyed;

    fn name(&self) -> &str {
        &self.key
    }

    fn resource_version(&self) -> Option<&str> {
        self.obj.metadata.resource_version.as_deref()
    }

    fn keep(mut self) -> Keyed {
        self.obj.metadata.managed_fields = None;
        self
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
struct Meta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default, rename = "resourceVersion")]
    resource_version: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct Spec {
    #[serde(default)]
    replicas: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct Status {
    #[serde(default, rename = "readyReplicas")]
    ready_replicas: Option<i64>,
}

/// A Deployment as decoded: the little the board reads of it.
#[derive(Clone, Debug, Default, Deserialize)]
struct DeploymentRaw {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: Spec,
    #[serde(default)]
    status: Status,
}

/// A Deployment's readiness, by namespace and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    pub ready: Ready,
}

/// A Deployment as it comes over the wire, keyed by `namespace/name`.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "DeploymentRaw")]
pub struct DeploymentWire {
    key: String,
    resource_version: Option<String>,
    workload: Workload,
}

fn count(n: Option<i64>) -> u32 {
    u32::try_from(n.unwrap_or(0).max(0)).unwrap_or(u32::MAX)
}

impl From<DeploymentRaw> for DeploymentWire {
    fn from(d: DeploymentRaw) -> Self {
        DeploymentWire {
            key: format!("{}/{}", d.metadata.namespace, d.metadata.name),
            resource_version: d.metadata.resource_version,
            workload: Workload {
                ready: Ready {
                    ready: count(d.status.ready_replicas),
                    // a Deployment without spec.replicas runs one
                    desired: count(d.spec.replicas.or(Some(1))),
                },
                namespace: d.metadata.namespace,
                name: d.metadata.name,
            },
        }
    }
}

impl Wire for DeploymentWire {
    type Kept = Workload;

    fn name(&self) -> &str {
        &self.key
    }

    fn resource_version(&self) -> Option<&str> {
        self.resource_version.as_deref()
    }

    fn keep(self) -> Workload {
        self.workload
    }
}

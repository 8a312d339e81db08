//! Live Kubernetes releases: targets, the traffic providers' objects, pods, and the API calls that
//! read and change them (kube-rs).

pub mod actions;
pub mod argo;
pub mod commands;
pub mod connect;
pub mod deploy;
pub mod discover;
pub mod dynamic;
pub mod error;
pub mod flagger;
pub mod gate_serving;
pub mod gateway;
pub mod istio;
pub mod kubesphere;
pub mod metrics_setup;
pub mod nginx;
pub mod pods;
pub mod release;
pub mod selector;
pub mod split;
pub mod status;
pub mod target;
pub mod watch;
pub mod write;

pub use connect::{connect, Cluster, ConnectArgs};
pub use error::ClusterError;
pub use target::{Kind, Target, TargetError};

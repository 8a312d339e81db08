//! Live Kubernetes releases: targets, the traffic providers' objects, pods, and the API calls that
//! read and change them (kube-rs).

pub mod commands;
pub mod connect;
pub mod error;
pub mod nginx;
pub mod pods;
pub mod release;
pub mod status;
pub mod target;
pub mod watch;

pub use connect::{connect, Cluster, ConnectArgs};
pub use error::ClusterError;
pub use target::{Kind, Target, TargetError};

//! Live Kubernetes releases: targets, the traffic providers' objects, pods, and the API calls that
//! read and change them (kube-rs).

pub mod nginx;
pub mod pods;
pub mod target;

pub use target::{Kind, Target, TargetError};

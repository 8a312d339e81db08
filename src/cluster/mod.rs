//! The Kubernetes client and the calls every provider shares: connecting the way kubectl does,
//! custom objects without generated types, Services' and Deployments' selectors, pods, and the
//! errors of an API call said in words an operator can act on.

pub mod connect;
pub mod deploy;
pub mod dynamic;
pub mod error;
pub mod follow;
pub mod identity;
pub mod listing;
pub mod pods;
pub mod reads;
pub mod report;
pub mod selector;
pub mod throttle;
pub mod words;

pub use connect::{connect, Cluster};
pub use error::ClusterError;

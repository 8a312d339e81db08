//! canary cockpit: a terminal cockpit for canary releases on Kubernetes.

pub mod app;
pub mod controller;
pub mod model;
pub mod ui;

//! canary cockpit: a terminal cockpit for canary releases on Kubernetes.

pub mod app;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod controller;
pub mod gate;
pub mod headless;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod paths;
pub mod record;
pub mod replay;
pub mod run;
pub mod source;
pub mod tui;
pub mod ui;

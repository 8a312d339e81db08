//! A live release: read from the cluster ([`release`]; its canary decided by [`canary`] when the
//! routing object alone does not tell it), followed by watches ([`watch`]), acted
//! on by the one executor ([`executor`]; promotion and rollback stage by stage in [`stages`], a
//! take-over of backends named by version in [`takeover`]), listed ([`discover`]), reported ([`status`]) and
//! measured ([`metrics_setup`], Prometheus found by [`prometheus_discovery`]; CPU and memory by
//! [`resources`]). What is particular to a traffic system is asked of
//! the provider layer.

pub mod board;
pub mod board_access;
pub mod board_act;
pub mod board_lists;
pub mod board_metrics;
pub mod board_rows;
pub mod board_status;
pub mod board_wire;
pub mod canary;
pub mod discover;
pub mod executor;
pub mod inflight;
pub mod metrics_setup;
pub mod prometheus_cache;
pub mod prometheus_discovery;
pub mod release;
pub mod resources;
pub mod seen;
pub mod stages;
pub mod status;
pub mod takeover;
pub mod watch;
pub mod watches;

pub use release::Observed;

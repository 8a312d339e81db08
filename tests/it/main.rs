//! The integration tests, built as one crate: a module per area of the cockpit, and `support`,
//! the harness, control plane, fault proxy and Prometheus helpers they share.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod alert_cli;
mod alert_cockpit;
mod alert_delivery;
mod alert_flagger;
mod alert_secrets;
mod alert_verbs;
mod canary_inference;
mod cluster_argo;
mod cluster_argo_confirm;
mod cluster_contour;
mod cluster_flagger;
mod cluster_malformed;
mod cluster_mesh;
mod cluster_nginx;
mod cluster_promote;
mod cluster_traefik;
mod config_sections;
mod confirm;
mod conformance;
mod controller;
mod credentials;
mod demo_soak;
mod earlier_warnings;
mod expiring_credentials;
mod gate_server;
mod group_demo;
mod group_screens;
mod hostile_screen;
mod hostile_text;
mod judge_record;
mod judge_reference;
mod keel_cli;
mod keel_cockpit;
mod keel_vote_cockpit;
mod layers;
mod metrics_prometheus;
mod opening_lists;
mod picker;
mod pod_resources;
mod prometheus_discovery;
mod record;
mod replay;
mod replay_cli;
mod replay_header;
mod replay_hostile;
mod replay_post_mortem;
mod resource_metrics;
mod scenario_errors;
mod scenarios;
mod screens;
mod shell_plugin;
mod slow_write;
mod takeover;
mod testers_routes;
mod testers_routes_mesh;
mod throttling;
mod tmux_smoke;
mod wait_cli;
mod watch_lists;

//! canary cockpit: a terminal cockpit for canary releases on Kubernetes.
//!
//! The modules form layers; each imports only from layers below its own (`tests/it/layers.rs`
//! holds that line, from the map in `docs/layers.txt`):
//!
//! ```text
//! hygiene, files                     the one text hygiene for whatever reaches a terminal;
//!                                    files and directories for their owner alone
//! model, paths, logging, stdout,     plain data and the process's surroundings;
//! http1                              the small servers' HTTP/1 settings
//! controller, group                  progression and analysis; release groups, pure
//! app                                state, update(), keys
//! perform, board                     the one executor's decisions, whatever world it acts on;
//!                                    the release board: entries, attention, order, keys
//! ui, record                         rendering; recordings
//! tui, metrics                       the terminal loop; Prometheus
//! config, source, replay, gate       config file; the demo; replay; Flagger's gate book and server
//! cli                                clap definitions
//! cluster                            the Kubernetes client and shared calls
//! provider                           one module per traffic system, one dispatch
//! live                               a live release: read, watch, the one executor
//! commands                           what each subcommand does
//! ```

pub mod alert;
pub mod app;
pub mod board;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod controller;
pub mod files;
pub mod group;
pub mod http1;
pub mod hygiene;
pub mod keel;
pub mod live;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod paths;
pub mod perform;
pub mod provider;
pub mod record;
pub mod replay;
pub mod source;
pub mod stdout;
pub mod tui;
pub mod ui;

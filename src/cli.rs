//! Command-line definitions.

use crate::source::demo::Speed;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "canary",
    version,
    about = "A terminal cockpit for canary releases on Kubernetes"
)]
pub struct Cli {
    /// Write logs here (default: $XDG_STATE_HOME/canary-cockpit/canary.log).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the embedded demo: no cluster needed. V1 is healthy; V2 is released progressively.
    Demo(DemoArgs),
    /// List the built-in demo scenarios.
    Scenarios,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// A built-in scenario (faulty-v2, healthy-v2, slow-v2, crashloop-v2) or a path to a TOML file.
    #[arg(long, default_value = crate::source::demo::scenario::DEFAULT, value_name = "NAME|PATH")]
    pub scenario: String,
    /// Seed of the simulation: the same seed gives the same run.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Speed of the virtual clock: a factor (1, 4, 0.5) or `max`.
    #[arg(long, default_value = "1", value_name = "X|max")]
    pub speed: Speed,
    /// No TUI: print one line per event and the outcome; exit 0 when promoted, 3 when rolled back.
    #[arg(long)]
    pub headless: bool,
}

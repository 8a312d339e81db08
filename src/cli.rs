//! Command-line definitions.

use crate::source::demo::Speed;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

mod alerts;
mod board;
mod drive;
mod keel;
mod metrics;
mod route;
mod wait;
pub use alerts::{AlertArgs, AlertCommand, ConfigArg};
pub use board::{BoardArgs, BoardFormat};
pub use drive::DriveArgs;
pub use keel::{KeelArgs, KeelCommand, KeelVoteArgs};
pub use metrics::{MetricsArgs, ResourcesFrom};
pub use route::RouteArgs;
pub use wait::{WaitArgs, WaitFor};

#[derive(Debug, Parser)]
#[command(
    name = "canary",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("CANARY_COMMIT"), ")"),
    about = "A terminal cockpit for canary releases on Kubernetes"
)]
pub struct Cli {
    /// Write logs here (default: $XDG_STATE_HOME/canary-cockpit/canary.log).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Without one on a terminal: the release board (`canary board`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the embedded demo: no cluster needed. V1 is healthy; V2 is released progressively.
    Demo(DemoArgs),
    /// List the built-in demo scenarios.
    Scenarios,
    /// Replay a recorded session in the cockpit, or summarise or plot it.
    Replay(ReplayArgs),
    /// List the recorded sessions, newest first.
    Sessions,
    /// Open the cockpit on a release on the cluster (watches, no polling).
    Watch(WatchArgs),
    /// Every release in every namespace (and context) the user may list, live, with what waits
    /// for a human on top. `-o json`: the rows once; exit 0 nothing needs attention, 4 something
    /// waits for a human (or is stalled), 3 something is failing.
    Board(BoardArgs),
    /// Show a release on the cluster: weight, versions, pods. Exit 0 ok, 1 API or RBAC error,
    /// 2 usage, 3 the release was rolled back.
    Status(StatusArgs),
    /// Set the canary's traffic weight of a release on the cluster (one conditional write).
    SetWeight(SetWeightArgs),
    /// Pause the cockpit's progression of a release (recorded on its routing object).
    Pause(TargetArgs),
    /// Resume the cockpit's progression of a release.
    Resume(TargetArgs),
    /// Promote a release: all traffic to the canary, its pod template to the primary, the
    /// traffic back to the primary, the canary scaled to 0. Exit 3 when a stage fails. Argo
    /// Rollouts: the next step (`--full`: all of them).
    Promote(PromoteArgs),
    /// Roll a release on the cluster back: weight 0, then the canary Deployment scaled to 0
    /// (Argo Rollouts: abort).
    Rollback(RollbackArgs),
    /// Retry an aborted Argo rollout.
    Retry(TargetArgs),
    Wait(WaitArgs),
    Route(RouteArgs),
    /// Flagger's gates without the cockpit: `canary gate serve --listen ADDR`.
    #[command(subcommand)]
    Gate(GateCommand),
    /// The alert sinks: `canary alert test [NAME]` sends a test message to each.
    #[command(subcommand)]
    Alert(AlertCommand),
    /// Keel's approvals: `canary keel approvals`, `canary keel approve|reject IDENTIFIER`.
    #[command(subcommand)]
    Keel(KeelCommand),
    /// Print shell completions for bash, zsh, fish, elvish or powershell.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `canary man > canary.1`.
    Man,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    #[default]
    Table,
    Json,
    Yaml,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The release: ingress/NAME, virtualservice/NAME (vs/), httproute/NAME.
    #[arg(value_name = "TARGET")]
    pub target: crate::model::Target,
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: StatusFormat,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// The release: ingress/NAME (either Ingress of the pair), virtualservice/NAME (vs/),
    /// httproute/NAME. Without one, a picker lists the namespace's releases.
    #[arg(value_name = "TARGET")]
    pub target: Option<crate::model::Target>,
    /// The release board of every namespace (`canary board`).
    #[arg(short = 'A', long, conflicts_with = "target")]
    pub all_namespaces: bool,
    /// Watch only: every action key is refused and nothing is written (RO in the header).
    #[arg(long)]
    pub readonly: bool,
    /// Answer Flagger's gate webhooks here (ADDR/gate/check, ADDR/rollback/check, … as
    /// Flagger's load tester serves them): + opens the traffic-increase gate for one step, P the
    /// promotion gate, R the rollback gate.
    #[arg(long, value_name = "ADDR")]
    pub gate_listen: Option<String>,
    /// Keel's URL, where the team reaches its UI: the gauge shows the approvals the release's
    /// workloads wait for (asked every 15 s). Else the config's `[keel] url`.
    #[arg(long, env = "CANARY_KEEL_URL", value_name = "URL")]
    pub keel_url: Option<String>,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    pub drive: DriveArgs,
    /// A rollback moves the traffic back but leaves the canary's pods running.
    #[arg(long)]
    pub keep_canary: bool,
    /// How long a write to the cluster may take before the cockpit gives up on it (its result is
    /// then unknown: the watches show whether it landed).
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub action_timeout: u64,
    /// `+`/`-` move the weight by this many percent.
    #[arg(long, default_value = "10", value_name = "PERCENT", value_parser = parse_weight)]
    pub step_weight: crate::model::Weight,
    /// `+` stops at this weight (then `P` promotes or `w` sets an exact weight).
    #[arg(long, default_value = "100", value_name = "PERCENT", value_parser = parse_weight)]
    pub max_weight: crate::model::Weight,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub alerts: AlertArgs,
    #[command(flatten)]
    pub record: RecordArgs,
}

#[derive(Debug, Subcommand)]
pub enum GateCommand {
    /// Serve Flagger's gate webhooks (the load tester's paths: /gate/check, /gate/open,
    /// /gate/close, /rollback/check, /rollback/open, /rollback/close) and print each call.
    Serve {
        /// Where to listen, e.g. 0.0.0.0:9090.
        #[arg(long, value_name = "ADDR")]
        listen: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// The release: ingress/NAME, virtualservice/NAME (vs/), httproute/NAME.
    #[arg(value_name = "TARGET")]
    pub target: crate::model::Target,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub alerts: AlertArgs,
    #[command(flatten)]
    pub config: ConfigArg,
}

#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// The release: ingress/NAME, virtualservice/NAME (vs/), httproute/NAME.
    #[arg(value_name = "TARGET")]
    pub target: crate::model::Target,
    /// Confirm: the canary's version replaces the primary's.
    #[arg(long)]
    pub yes: bool,
    /// Argo Rollouts: skip the remaining steps and promote fully (without it: the next step).
    #[arg(long)]
    pub full: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub alerts: AlertArgs,
    #[command(flatten)]
    pub config: ConfigArg,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The release: ingress/NAME, virtualservice/NAME (vs/), httproute/NAME.
    #[arg(value_name = "TARGET")]
    pub target: crate::model::Target,
    /// Confirm: the canary's weight goes to 0 at once and its Deployment is scaled to 0.
    #[arg(long)]
    pub yes: bool,
    /// Leave the canary's pods running.
    #[arg(long)]
    pub keep_canary: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub alerts: AlertArgs,
    #[command(flatten)]
    pub config: ConfigArg,
}

#[derive(Debug, clap::Args)]
pub struct SetWeightArgs {
    /// The release: ingress/NAME, virtualservice/NAME (vs/), httproute/NAME.
    #[arg(value_name = "TARGET")]
    pub target: crate::model::Target,
    /// The canary's share of the traffic in percent, 0 to 100.
    #[arg(value_name = "PERCENT", value_parser = parse_weight)]
    pub weight: crate::model::Weight,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

fn parse_weight(text: &str) -> Result<crate::model::Weight, String> {
    crate::model::Weight::parse_input(text).map_err(|e| e.to_string())
}

/// Where the session is recorded.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Record the session into FILE (zstd-compressed when it ends in .zst). Interactive sessions
    /// are recorded by default into $XDG_STATE_HOME/canary-cockpit/sessions/.
    #[arg(long, value_name = "FILE", conflicts_with = "no_record")]
    pub record: Option<PathBuf>,
    /// Do not record this session.
    #[arg(long)]
    pub no_record: bool,
    /// How many sessions the default sessions directory keeps (the oldest are deleted).
    #[arg(
        long,
        env = "CANARY_KEEP_SESSIONS",
        default_value_t = crate::record::retention::DEFAULT_KEEP as u16,
        value_name = "N",
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    pub keep_sessions: u16,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The recording (.jsonl or .jsonl.zst).
    #[arg(
        value_name = "FILE",
        required_unless_present = "last",
        conflicts_with = "last"
    )]
    pub file: Option<PathBuf>,
    /// Open the newest recorded session.
    #[arg(long)]
    pub last: bool,
    /// Print a post-mortem summary instead of opening the cockpit.
    #[arg(long)]
    pub summary: bool,
    /// Format of the summary.
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        default_value_t,
        requires = "summary"
    )]
    pub output: OutputFormat,
    /// Draw the session as an SVG picture into FILE instead of opening the cockpit.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// A built-in scenario (faulty-v2, healthy-v2, slow-v2, crashloop-v2,
    /// leaky-v2, noisy-v2, subtle-v2) or a path to a TOML file.
    #[arg(long, default_value = crate::source::demo::scenario::DEFAULT, value_name = "NAME|PATH")]
    pub scenario: String,
    /// Seed of the simulation: the same seed gives the same run.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Speed of the virtual clock: a factor (1, 4, 0.5) or `max`.
    #[arg(long, default_value = "1", value_name = "X|max")]
    pub speed: Speed,
    /// No TUI: print one line per event and the outcome; exit 0 when promoted, 3 when rolled back.
    /// Recorded only with --record.
    #[arg(long)]
    pub headless: bool,
    /// With --headless: run the simulation for this much virtual time (`90m`, `24h`, `3600s`),
    /// going on after the release's outcome as a cockpit left open does; the exit code is still
    /// the outcome's. For soak runs (scripts/soak.sh).
    #[arg(long = "for", value_name = "DURATION", requires = "headless", value_parser = parse_virtual)]
    pub run_for: Option<std::time::Duration>,
    /// Serve the simulated traffic as Prometheus metrics in ingress-nginx's names and labels at
    /// ADDR/metrics (e.g. 127.0.0.1:9113), for Prometheus or Grafana beside the cockpit.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Maximum growth of the canary's memory per pod, in percent (see `watch --drive`); overrides
    /// the scenario's `analysis.max_memory_growth`.
    #[arg(long, value_name = "PERCENT")]
    pub max_memory_growth: Option<f64>,
    /// Which judge decides (see `watch --judge`); default: the config's `[analysis] judge`, else
    /// the scenario's, else threshold.
    #[arg(long, value_name = "threshold|statistical")]
    pub judge: Option<crate::model::JudgeKind>,
    #[command(flatten)]
    pub alerts: AlertArgs,
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub record: RecordArgs,
}

/// The kubectl-style flags.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ConnectArgs {
    /// The namespace (default: the context's, else `default`).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// The kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// The kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// How long one request to the API server may take, its waits after 429 Too Many Requests
    /// included, before the command gives up on it: `60`, `90s`, `2m` (default 60 s).
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub request_timeout: Option<std::time::Duration>,
}

/// `3600`, `3600s`, `90m`, `24h`: a virtual duration of at least one second and at most 30 days.
fn parse_virtual(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (digits, unit) = if let Some(d) = t.strip_suffix('h') {
        (d, 3600)
    } else if let Some(d) = t.strip_suffix('m') {
        (d, 60)
    } else {
        (t.strip_suffix('s').unwrap_or(t), 1)
    };
    let secs = digits
        .parse::<u64>()
        .ok()
        .map(|n| n.saturating_mul(unit))
        .filter(|s| (1..=30 * 86_400).contains(s))
        .ok_or_else(|| format!("{t:?} is not a duration of 1 s to 30 days (3600, 90m, 24h)"))?;
    Ok(std::time::Duration::from_secs(secs))
}

/// `60`, `60s`, `2m`: a duration of at least one second and at most an hour.
pub(crate) fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (digits, unit) = match t.strip_suffix('m') {
        Some(d) => (d, 60),
        None => (t.strip_suffix('s').unwrap_or(t), 1),
    };
    let secs = digits
        .parse::<u64>()
        .ok()
        .map(|n| n.saturating_mul(unit))
        .filter(|s| (1..=3600).contains(s))
        .ok_or_else(|| format!("{t:?} is not a duration of 1 s to 60 m (60, 90s, 2m)"))?;
    Ok(std::time::Duration::from_secs(secs))
}

//! `canary board`: its contexts, namespaces and output.

use super::{parse_timeout, MetricsArgs, RecordArgs};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BoardFormat {
    /// The live board in the terminal.
    #[default]
    Board,
    /// The rows once, as JSON.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct BoardArgs {
    /// A kubeconfig context to show (repeatable; default: the current context).
    #[arg(long = "context", value_name = "NAME", conflicts_with = "all_contexts")]
    pub contexts: Vec<String>,
    /// Every context of the kubeconfig.
    #[arg(long)]
    pub all_contexts: bool,
    /// Where listing every namespace is forbidden, look in these (repeatable).
    #[arg(short = 'n', long = "namespace", value_name = "NAMESPACE")]
    pub namespaces: Vec<String>,
    /// The kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// How long one request to the API server may take (60, 90s, 2m; default 60 s).
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub request_timeout: Option<std::time::Duration>,
    /// Watch only: every action is unavailable and nothing is written.
    #[arg(long)]
    pub readonly: bool,
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: BoardFormat,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    pub record: RecordArgs,
}

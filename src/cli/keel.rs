//! `canary keel approvals [-n NS]`, `canary keel approve|reject IDENTIFIER`: Keel's approvals.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum KeelCommand {
    /// List Keel's approvals (with -n: those of the namespace's workloads): identifier, current →
    /// new version, votes received/required, voters, deadline or rejected.
    Approvals(KeelArgs),
    /// Approve IDENTIFIER (`deployment/NAMESPACE/NAME:VERSION`) as the Kubernetes user the API
    /// server sees. Exit 0 voted, 1 Keel refused or has no such approval, 2 no Keel URL.
    Approve(KeelVoteArgs),
    /// Reject IDENTIFIER as the Kubernetes user the API server sees.
    Reject(KeelVoteArgs),
}

/// Where Keel is, and the cluster (for who votes and the config's Secret).
#[derive(Debug, clap::Args)]
pub struct KeelArgs {
    /// Keel's URL, where the team reaches its UI (not through the API server's service proxy,
    /// which drops the Authorization header).
    #[arg(long, env = "CANARY_KEEL_URL", value_name = "URL")]
    pub keel_url: Option<String>,
    #[command(flatten)]
    pub config: super::ConfigArg,
    #[command(flatten)]
    pub connect: super::ConnectArgs,
}

#[derive(Debug, clap::Args)]
pub struct KeelVoteArgs {
    /// The approval: `deployment/NAMESPACE/NAME:VERSION`, as `canary keel approvals` lists it.
    #[arg(value_name = "IDENTIFIER")]
    pub identifier: String,
    #[command(flatten)]
    pub keel: KeelArgs,
}

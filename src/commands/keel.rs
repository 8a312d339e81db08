//! `canary keel approvals [-n NS]` and `canary keel approve|reject IDENTIFIER`: Keel's approvals
//! from the command line, the voter being the Kubernetes user the API server sees.

use crate::cli::{KeelArgs, KeelCommand};
use crate::cluster::{connect, Cluster};
use crate::keel::{setup, Keel, Vote};
use crate::model::approval::Approval;
use std::process::ExitCode;

use super::{runtime, RunError};

pub fn keel(command: KeelCommand) -> Result<ExitCode, RunError> {
    let runtime = runtime()?;
    match command {
        KeelCommand::Approvals(args) => {
            let (_, keel) = runtime.block_on(open(&args))?;
            let all = runtime.block_on(keel.approvals())?;
            let namespace = args.connect.namespace.as_deref();
            let shown: Vec<&Approval> = all
                .iter()
                .filter(|a| namespace.is_none_or(|ns| a.workload().is_some_and(|w| w.1 == ns)))
                .collect();
            super::verbs::print(&table(&shown, namespace))?;
            Ok(ExitCode::SUCCESS)
        }
        KeelCommand::Approve(args) => vote(&runtime, &args.keel, &args.identifier, Vote::Approve),
        KeelCommand::Reject(args) => vote(&runtime, &args.keel, &args.identifier, Vote::Reject),
    }
}

/// The cluster (who votes, the config's Secret) and Keel's client.
async fn open(args: &KeelArgs) -> Result<(Cluster, Keel), RunError> {
    let entry = crate::config::load(args.config.config.as_deref())?.keel()?;
    let cluster = connect(&args.connect).await?;
    let keel = setup::connect(Some(&cluster), args.keel_url.as_deref(), &entry).await?;
    Ok((cluster, keel))
}

fn vote(
    runtime: &tokio::runtime::Runtime,
    args: &KeelArgs,
    identifier: &str,
    vote: Vote,
) -> Result<ExitCode, RunError> {
    let (cluster, keel) = runtime.block_on(open(args))?;
    let identity = runtime.block_on(crate::cluster::identity::who(&cluster));
    // the user's name, never the "kubeconfig user" wording of the event log
    let voter = Some(identity.user.clone())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(crate::paths::os_user);
    runtime.block_on(keel.vote(identifier, vote, &voter))?;
    let done = match vote {
        Vote::Approve => "approved",
        Vote::Reject => "rejected",
    };
    let mut text = format!("{done} {identifier} as {voter}\n");
    // how the approval stands now, when Keel still lists it
    if let Ok(all) = runtime.block_on(keel.approvals()) {
        if let Some(a) = all.iter().find(|a| a.identifier == identifier) {
            text.push_str(&format!("{}\n", a.line()));
        }
    }
    super::verbs::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// One approval a line: identifier, versions, votes and voters, deadline or rejected.
fn table(shown: &[&Approval], namespace: Option<&str>) -> String {
    if shown.is_empty() {
        return match namespace {
            Some(ns) => format!("no Keel approvals for workloads of namespace {ns}\n"),
            None => "no Keel approvals\n".to_string(),
        };
    }
    let width = shown
        .iter()
        .map(|a| a.identifier.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("{:<width$}  VERSIONS · VOTES · DEADLINE\n", "IDENTIFIER");
    for a in shown {
        out.push_str(&format!("{:<width$}  {}\n", a.identifier, a.describe()));
    }
    out
}

/// What the cockpit learns of Keel when it opens a release: notes for its event log, and the
/// task's client and workloads when the release's workloads ask Keel for approvals and Keel's
/// URL is known. One list of Deployments; Keel itself is asked by the task alone.
pub struct Beside {
    pub notes: Vec<String>,
    pub poll: Option<(Keel, Vec<String>)>,
}

pub fn beside(
    runtime: &tokio::runtime::Runtime,
    cluster: &Cluster,
    observed: &crate::live::Observed,
    url: Option<&str>,
    config: Option<&std::path::Path>,
) -> Beside {
    let mut out = Beside {
        notes: Vec::new(),
        poll: None,
    };
    let found = runtime.block_on(crate::keel::poll::workloads(cluster, &observed.selectors));
    let workloads = match found {
        Ok(w) if w.is_empty() => return out,
        Ok(w) => w,
        Err(e) => {
            tracing::info!(error = %e, "no Keel approvals: the Deployments cannot be listed");
            return out;
        }
    };
    let named: Vec<String> = workloads
        .iter()
        .map(|w| format!("deployment/{w}"))
        .collect();
    let entry = match crate::config::load(config).and_then(|c| c.keel()) {
        Ok(e) => e,
        Err(e) => {
            out.notes.push(format!("Keel: {e}"));
            return out;
        }
    };
    match runtime.block_on(setup::connect(Some(cluster), url, &entry)) {
        Ok(keel) => {
            out.notes.push(format!(
                "Keel approvals of {} from {} every {} s",
                named.join(", "),
                keel.url(),
                crate::keel::EVERY.as_secs()
            ));
            out.poll = Some((keel, workloads));
        }
        Err(crate::keel::KeelError::NoUrl) => out.notes.push(format!(
            "{} ask Keel for approvals ({}): pass --keel-url URL (or CANARY_KEEL_URL, [keel] url \
             in the config) to see and answer them here",
            named.join(", "),
            crate::keel::poll::APPROVALS
        )),
        Err(e) => out.notes.push(e.to_string()),
    }
    out
}

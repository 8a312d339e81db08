//! The scriptable verbs: `canary status`, `canary set-weight`. They read and write through the same
//! functions as the cockpit's keys.

use crate::cli::{SetWeightArgs, StatusArgs, StatusFormat};
use crate::run::RunError;
use std::io::Write;
use std::process::ExitCode;

use super::release::{self, Observed};
use super::status::StatusReport;
use super::{connect, ConnectArgs, Target};

fn runtime() -> Result<tokio::runtime::Runtime, RunError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)
}

async fn observe(
    args: &ConnectArgs,
    target: &Target,
) -> Result<(super::Cluster, Observed), RunError> {
    let cluster = connect(args).await?;
    let observed = release::read(&cluster, target).await?;
    Ok((cluster, observed))
}

fn print(text: &str) -> Result<(), RunError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(RunError::Output(e)),
        _ => Ok(()),
    }
}

pub fn status(args: StatusArgs) -> Result<ExitCode, RunError> {
    let (_, observed) = runtime()?.block_on(observe(&args.connect, &args.target))?;
    let report = StatusReport::new(&observed);
    let text = match args.output {
        StatusFormat::Table => report.to_table(),
        StatusFormat::Json => {
            let json = serde_json::to_string_pretty(&report)
                .map_err(crate::record::RecordError::Encode)?;
            format!("{json}\n")
        }
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

pub fn set_weight(args: SetWeightArgs) -> Result<ExitCode, RunError> {
    let runtime = runtime()?;
    let (cluster, observed) = runtime.block_on(observe(&args.connect, &args.target))?;
    let before = observed.snapshot.weight;
    runtime.block_on(release::set_weight(&cluster, &observed, args.weight))?;
    tracing::info!(target = %args.target, %before, after = %args.weight, user = %cluster.user, "set weight");
    print(&format!(
        "{}: canary weight {before} % → {} %\n",
        args.target, args.weight
    ))?;
    Ok(ExitCode::SUCCESS)
}

//! `canary completions SHELL` and `canary man`: generated from the clap definitions, so they
//! follow every flag.

use crate::cli::Cli;
use clap::CommandFactory;
use std::process::ExitCode;

use super::RunError;

/// Completions for `shell`, on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<ExitCode, RunError> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "canary", &mut out);
    super::verbs::print(&String::from_utf8_lossy(&out))?;
    Ok(ExitCode::SUCCESS)
}

/// The manual page in roff, on stdout.
pub fn man() -> Result<ExitCode, RunError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(RunError::Output)?;
    super::verbs::print(&String::from_utf8_lossy(&out))?;
    Ok(ExitCode::SUCCESS)
}

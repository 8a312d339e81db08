use canary_cockpit::cli::Cli;
use clap::Parser;
use std::process::ExitCode;

fn main() -> color_eyre::Result<ExitCode> {
    color_eyre::install()?;
    let cli = Cli::parse();
    Ok(canary_cockpit::run::run(cli)?)
}

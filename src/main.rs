use canary_cockpit::cli::Cli;
use clap::Parser;
use std::process::ExitCode;

fn main() -> color_eyre::Result<ExitCode> {
    // color-eyre reports what should never happen (panics) with the full context
    color_eyre::install()?;
    let cli = Cli::parse();
    match canary_cockpit::commands::run(cli) {
        Ok(code) => Ok(code),
        // errors from bad input are expected: one clear line, no backtrace
        Err(e) => {
            canary_cockpit::stdout::error_line(&format!("error: {e}"));
            Ok(ExitCode::from(e.exit_code()))
        }
    }
}

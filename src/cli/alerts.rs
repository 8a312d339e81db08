//! The alert flags: `--alert NAME`, `--config PATH` and `canary alert test`.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Send a test message to each named sink (default: every entry of the config's [alerts] and
    /// every type whose CANARY_ALERT_<TYPE>_URL is set) and print, per sink, delivered or the
    /// service's answer. Exit 0 when all were delivered, 1 otherwise, 2 for a bad configuration.
    Test {
        /// Sink names: config entries or types (discord, slack, teams, gchat, rocket, webhook).
        #[arg(value_name = "NAME")]
        names: Vec<String>,
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// Where alerts go (`--alert`, repeatable).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct AlertArgs {
    /// Send alerts to NAME (repeatable): an entry of the config file's [alerts], a type
    /// (discord, slack, teams, gchat, rocket, webhook) whose URL is in CANARY_ALERT_<TYPE>_URL,
    /// or `flagger` (the Flagger canary's own AlertProviders).
    #[arg(long = "alert", value_name = "NAME")]
    pub alert: Vec<String>,
}

/// The config file, for commands without the metrics flags.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ConfigArg {
    /// The config file (default: $XDG_CONFIG_HOME/canary-cockpit/config.toml).
    #[arg(long, env = "CANARY_CONFIG", value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
}

//! `canary board` (and `canary` alone on a terminal, and `canary watch -A`): the release board
//! of every context asked for; enter opens a release's cockpit as `canary watch` does (recorded
//! the same way), and esc or q there comes back to the board as it was left. `-o json`: the rows
//! once, and an exit code for scripts.

use crate::app::{Exit, PickedFrom};
use crate::board::{Attention, Board, Key, Row};
use crate::cli::{BoardArgs, BoardFormat, ConnectArgs, WatchArgs};
use crate::cluster::{connect, Cluster};
use crate::live::board::Scope;
use crate::live::executor::Options;
use crate::model::{wall_clock, Target};
use clap::{Args, FromArgMatches};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;

use super::{runtime, RunError, EXIT_ERROR, EXIT_RELEASE_FAILED, EXIT_USAGE, EXIT_WAITING};

/// Where the board looks and how.
struct Settings {
    /// The contexts named; none: the current one.
    contexts: Vec<String>,
    all_contexts: bool,
    namespaces: Vec<String>,
    kubeconfig: Option<std::path::PathBuf>,
    request_timeout: Option<std::time::Duration>,
    readonly: bool,
    json: bool,
}

/// `canary` without a command: the board on a terminal, a word on what to do elsewhere.
pub fn bare() -> Result<ExitCode, RunError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        crate::stdout::error_line(
            "canary: no command given (on a terminal, `canary` opens the release board); see `canary --help`",
        );
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    board(defaults::<BoardArgs>("board")?)
}

/// The arguments of a command given nothing: their defaults, as clap has them.
fn defaults<T: Args + FromArgMatches>(name: &'static str) -> Result<T, RunError> {
    let command = T::augment_args(clap::Command::new(name).no_binary_name(true));
    command
        .try_get_matches_from(Vec::<String>::new())
        .and_then(|m| T::from_arg_matches(&m))
        .map_err(|e| RunError::Usage(e.to_string()))
}

pub fn board(args: BoardArgs) -> Result<ExitCode, RunError> {
    let mut cockpit = defaults::<WatchArgs>("watch")?;
    cockpit.readonly = args.readonly;
    cockpit.metrics = args.metrics;
    cockpit.record = args.record;
    let settings = Settings {
        contexts: args.contexts,
        all_contexts: args.all_contexts,
        namespaces: args.namespaces,
        kubeconfig: args.kubeconfig,
        request_timeout: args.request_timeout,
        readonly: args.readonly,
        json: args.output == BoardFormat::Json,
    };
    run(settings, cockpit)
}

/// `canary watch -A`: the board, its cockpit as `watch` was asked for.
pub fn from_watch(args: WatchArgs) -> Result<ExitCode, RunError> {
    let settings = Settings {
        contexts: args.connect.context.clone().into_iter().collect(),
        all_contexts: false,
        namespaces: args.connect.namespace.clone().into_iter().collect(),
        kubeconfig: args.connect.kubeconfig.clone(),
        request_timeout: args.connect.request_timeout,
        readonly: args.readonly,
        json: false,
    };
    run(settings, args)
}

/// The names of the contexts to show: those named, every one of the kubeconfig, or the current.
fn context_names(s: &Settings) -> Result<Vec<Option<String>>, RunError> {
    if !s.all_contexts {
        return Ok(if s.contexts.is_empty() {
            vec![None]
        } else {
            s.contexts.iter().cloned().map(Some).collect()
        });
    }
    let kubeconfig = match &s.kubeconfig {
        Some(path) => kube::config::Kubeconfig::read_from(path),
        None => kube::config::Kubeconfig::read(),
    }
    .map_err(|e| {
        let said = e.to_string();
        crate::cluster::ClusterError::Kubeconfig(
            said.lines().next().unwrap_or_default().to_string(),
        )
    })?;
    Ok(kubeconfig
        .contexts
        .into_iter()
        .map(|c| Some(c.name))
        .collect())
}

fn connect_all(
    runtime: &tokio::runtime::Runtime,
    s: &Settings,
) -> Result<BTreeMap<String, Cluster>, RunError> {
    let mut clusters = BTreeMap::new();
    for context in context_names(s)? {
        let args = ConnectArgs {
            namespace: None,
            context,
            kubeconfig: s.kubeconfig.clone(),
            request_timeout: s.request_timeout,
        };
        let cluster = runtime.block_on(connect(&args))?;
        clusters.insert(cluster.context.clone(), cluster);
    }
    Ok(clusters)
}

fn run(s: Settings, cockpit: WatchArgs) -> Result<ExitCode, RunError> {
    let runtime = runtime()?;
    let clusters = connect_all(&runtime, &s)?;
    if s.json {
        return super::board_json::print(&runtime, &clusters, &s.namespaces);
    }
    for c in clusters.values() {
        c.waits.quiet();
    }
    let names: Vec<String> = clusters.keys().cloned().collect();
    let mut board = Board::new(&names, crate::paths::colour_enabled(), wall_clock());
    if s.readonly {
        board.read_only =
            Some("the board is read-only (--readonly): nothing is written".to_string());
    }
    let options = Options {
        read_only: s.readonly,
        timeout: std::time::Duration::from_secs(cockpit.action_timeout),
        ..Options::default()
    };
    loop {
        let scopes: Vec<Scope> = clusters
            .values()
            .map(|c| Scope {
                cluster: c.clone(),
                namespaces: s.namespaces.clone(),
            })
            .collect();
        let watch = move |tx: tokio::sync::mpsc::Sender<crate::board::Update>| {
            scopes
                .into_iter()
                .map(|scope| {
                    tokio::spawn(crate::live::board::run(scope, tx.clone())).abort_handle()
                })
                .collect()
        };
        let act = |action, keys, tx: tokio::sync::mpsc::Sender<_>| {
            crate::live::board_act::spawn(&clusters, action, keys, &options, &tx)
        };
        let screen = crate::tui::BoardScreen::new(&mut board, watch, act);
        let left = runtime
            .block_on(crate::tui::show(screen))
            .map_err(RunError::Terminal)?;
        let key = match left {
            crate::tui::Left::Quit => return Ok(ExitCode::SUCCESS),
            crate::tui::Left::Open(key) => key,
        };
        board.status = None;
        if let Err(why) = open(&runtime, &clusters, &key, &cockpit) {
            board.say(true, &format!("{key}: {why}"));
        }
    }
}

/// The cockpit on the release of `key`, until the operator leaves it (or opens others from it).
fn open(
    runtime: &tokio::runtime::Runtime,
    clusters: &BTreeMap<String, Cluster>,
    key: &Key,
    args: &WatchArgs,
) -> Result<(), RunError> {
    let cluster = clusters
        .get(&key.context)
        .ok_or_else(|| RunError::Usage(format!("no context {}", key.context)))?;
    let mut here = cluster.clone();
    here.namespace.clone_from(&key.namespace);
    let mut target: Target = key
        .target
        .parse()
        .map_err(|e| RunError::Usage(format!("{e}")))?;
    let mut from = PickedFrom::List;
    let plan = crate::model::Plan::linear(args.step_weight, args.max_weight)
        .map_err(|e| RunError::Plan(e.to_string()))?;
    let identity = runtime.block_on(crate::cluster::identity::who(&here));
    let alerting = super::alerts::resolve(
        &args.alerts.alert,
        args.metrics.config.as_deref(),
        Some(&here.context),
    )?;
    loop {
        let observed = runtime.block_on(crate::live::release::read_to_watch(&here, &target))?;
        let opened = super::watch::Opened {
            cluster: here.clone(),
            observed,
            from: Some(from),
            identity: identity.clone(),
        };
        match super::watch::cockpit(runtime, opened, args, plan.clone(), None, &alerting)? {
            None | Some(Exit::Back) => return Ok(()),
            Some(Exit::Open(next)) => {
                target = next;
                from = PickedFrom::Typed;
            }
        }
    }
}

/// The exit code of `-o json`: 3 when something fails, 4 when something waits for a human (or
/// is stalled, or has no ready canary pod), 1 when a context could not be read, else 0.
pub fn exit_code(rows: &[Row], unread: bool) -> u8 {
    if rows
        .iter()
        .any(|r| matches!(r.attention, Attention::Failing(_)))
    {
        EXIT_RELEASE_FAILED
    } else if unread {
        EXIT_ERROR
    } else if rows.iter().any(|r| r.attention.needs_look()) {
        EXIT_WAITING
    } else {
        0
    }
}

//! `canary board -o json`: every release of every context once, with its attention and reason,
//! as one JSON document; the exit code tells a script whether anything needs a human.

use crate::board::{Attention, Row};
use crate::cluster::Cluster;
use crate::live::board::Scope;
use crate::model::wall_clock;
use serde::Serialize;
use std::collections::BTreeMap;
use std::process::ExitCode;

use super::{RunError, EXIT_BROKEN_PIPE};

#[derive(Serialize)]
struct Ready {
    ready: u32,
    desired: u32,
}

#[derive(Serialize)]
struct Release<'a> {
    context: &'a str,
    namespace: &'a str,
    target: &'a str,
    system: &'a str,
    phase: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    step: Option<String>,
    weight: Option<u8>,
    canary: Option<Ready>,
    primary: Option<Ready>,
    /// `failing`, `waiting`, `stalled`, `no pods` or `ok`.
    attention: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    reason: &'a str,
    /// Seconds in the current phase (at least this many when `since_seen`).
    time_in_phase_s: i64,
    /// What each action would write, or why it is unavailable: `pause`, `resume`, …
    actions: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Context {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

#[derive(Serialize)]
struct Document<'a> {
    contexts: Vec<Context>,
    releases: Vec<Release<'a>>,
    summary: String,
}

fn release(r: &Row, now: crate::model::Millis) -> Release<'_> {
    let f = &r.facts;
    let ready = |x: Option<crate::board::Ready>| {
        x.map(|x| Ready {
            ready: x.ready,
            desired: x.desired,
        })
    };
    Release {
        context: &f.key.context,
        namespace: &f.key.namespace,
        target: &f.key.target,
        system: &f.system,
        phase: &f.phase,
        step: f.step.map(|(n, m)| format!("{n}/{m}")),
        weight: f.weight,
        canary: ready(f.ready[1]),
        primary: ready(f.ready[0]),
        attention: match &r.attention {
            Attention::Fine => "ok",
            a => a.word(),
        },
        reason: r.attention.reason(),
        time_in_phase_s: now.since(f.since) / 1000,
        actions: f
            .plans
            .iter()
            .map(|p| {
                let said = match &p.plan {
                    Ok(w) => format!("writes {w}"),
                    Err(why) => format!("unavailable: {why}"),
                };
                (p.action.to_string(), said)
            })
            .collect(),
    }
}

pub fn print(
    runtime: &tokio::runtime::Runtime,
    clusters: &BTreeMap<String, Cluster>,
    namespaces: &[String],
) -> Result<ExitCode, RunError> {
    let mut contexts = Vec::new();
    let mut rows = Vec::new();
    let now = wall_clock();
    for (name, cluster) in clusters {
        let scope = Scope {
            cluster: cluster.clone(),
            namespaces: namespaces.to_vec(),
        };
        match runtime.block_on(crate::live::board_lists::snapshot(&scope)) {
            Ok((facts, notes)) => {
                rows.extend(facts.into_iter().map(|f| Row::new(f, now)));
                contexts.push(Context {
                    name: name.clone(),
                    error: None,
                    notes,
                });
            }
            Err(why) => contexts.push(Context {
                name: name.clone(),
                error: Some(why),
                notes: Vec::new(),
            }),
        }
    }
    let unread = contexts.iter().any(|c| c.error.is_some());
    let code = super::board::exit_code(&rows, unread);
    let entries: Vec<crate::board::Entry> = rows
        .iter()
        .cloned()
        .map(|r| crate::board::Entry::Release(Box::new(r)))
        .collect();
    let order = crate::board::view::order(&entries, "", false);
    let summary = crate::board::view::Counts::of(&entries).line();
    let doc = Document {
        contexts,
        releases: order
            .iter()
            .map(|&i| release(entries[i].row(), now))
            .collect(),
        summary,
    };
    let json = crate::hygiene::json_pretty(&doc).map_err(crate::record::RecordError::Encode)?;
    match crate::stdout::write(&format!("{json}\n")) {
        Ok(true) => Ok(ExitCode::from(code)),
        Ok(false) => Ok(ExitCode::from(EXIT_BROKEN_PIPE)),
        Err(e) => Err(RunError::Output(e)),
    }
}

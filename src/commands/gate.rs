//! The gates the cockpit serves for Flagger: one server for a whole `canary watch` (whichever
//! release is open) or for `canary gate serve`, and Flagger's calls as notes in the event log.

use super::RunError;
use crate::app::Event;
use std::process::ExitCode;

use super::verbs::print;

/// The gates the cockpit answers for Flagger (`--gate-listen`): one server for the whole
/// `canary watch`, whichever release is open; its calls to every open cockpit.
pub struct Gates {
    pub book: crate::provider::flagger::gate::GateBook,
    pub addr: String,
    pub calls: tokio::sync::broadcast::Sender<crate::provider::flagger::gate::GateCall>,
}

/// Binds `addr` and serves the gates on `runtime`.
pub fn serve_gates(runtime: &tokio::runtime::Runtime, addr: &str) -> Result<Gates, RunError> {
    let listener = runtime
        .block_on(crate::provider::flagger::gate::bind(addr))
        .map_err(|e| RunError::Gate(e.to_string()))?;
    let bound = listener
        .local_addr()
        .map_or_else(|_| addr.to_string(), |a| a.to_string());
    let book = crate::provider::flagger::gate::GateBook::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (calls, _) = tokio::sync::broadcast::channel(256);
    let fan_out = calls.clone();
    runtime.spawn(crate::provider::flagger::gate::serve(
        listener,
        book.clone(),
        tx,
    ));
    runtime.spawn(async move {
        while let Some(call) = rx.recv().await {
            tracing::info!(?call, "gate call");
            // no cockpit open right now: nobody to tell
            let _ = fan_out.send(call);
        }
    });
    Ok(Gates {
        book,
        addr: bound,
        calls,
    })
}

/// Flagger's calls for this canary as notes, when an answer differs from the last one to the
/// same path (Flagger asks at every interval).
pub async fn gate_notes(
    mut calls: tokio::sync::broadcast::Receiver<crate::provider::flagger::gate::GateCall>,
    events: tokio::sync::mpsc::Sender<Event>,
    namespace: String,
    name: String,
) {
    let mut last: std::collections::HashMap<String, u16> = std::collections::HashMap::new();
    loop {
        let call = match calls.recv().await {
            Ok(call) => call,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(_) => return,
        };
        if call.namespace != namespace || call.name != name {
            continue;
        }
        if last.insert(call.path.clone(), call.status) == Some(call.status) {
            continue;
        }
        let answer = match call.status {
            200 => "200 open",
            403 => "403 closed",
            202 => "202 accepted",
            _ => "refused",
        };
        let phase = call.phase.map(|p| format!(" ({p})")).unwrap_or_default();
        let note = Event::Note {
            at: crate::model::wall_clock(),
            author: "flagger".to_string(),
            text: format!("{}{phase}: {answer}", call.path),
        };
        if events.send(note).await.is_err() {
            return;
        }
    }
}

/// `canary gate serve`: the gates alone, each call a line on stdout, until ctrl-c or SIGTERM.
pub fn gate_serve(addr: &str) -> Result<ExitCode, RunError> {
    let runtime = super::runtime()?;
    let gates = serve_gates(&runtime, addr)?;
    crate::stdout::error_line(&format!("serving Flagger gates on http://{}", gates.addr));
    let mut calls = gates.calls.subscribe();
    runtime.block_on(async move {
        let mut term: tokio::signal::unix::Signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(RunError::Runtime)?;
        loop {
            tokio::select! {
                call = calls.recv() => match call {
                    Ok(c) => {
                        let phase = c.phase.map(|p| format!(" phase={p}")).unwrap_or_default();
                        print(&format!("{} {} {}/{}{phase} -> {}\n",
                            crate::record::retention::utc_rfc3339(crate::model::wall_clock()), c.path, c.namespace, c.name, c.status))?;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return Ok(()),
                },
                _ = tokio::signal::ctrl_c() => return Ok(()),
                _ = term.recv() => return Ok(()),
            }
        }
    }).map_err(|e: RunError| e)?;
    Ok(ExitCode::SUCCESS)
}

//! The cockpit's votes on Keel's approvals: `Effect::KeelVote` is taken from the effects on
//! their way to the cluster's executor and each vote runs as a task of its own, beside the
//! terminal loop (never in it); Keel's answer comes back as `Event::KeelVoted`.

use super::{Keel, KeelError};
use crate::app::{Effect, Event};
use crate::model::wall_clock as now;
use tokio::sync::mpsc;

/// Takes the Keel votes out of `effects` and casts them with `keel`; every other effect goes on
/// to the receiver returned. Runs until `effects` closes.
pub fn beside(
    keel: Option<Keel>,
    mut effects: mpsc::UnboundedReceiver<Effect>,
    events: mpsc::Sender<Event>,
) -> mpsc::UnboundedReceiver<Effect> {
    let (onward, rest) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(effect) = effects.recv().await {
            match effect {
                Effect::KeelVote {
                    identifier,
                    version,
                    vote,
                    actor,
                } => {
                    let (keel, events) = (keel.clone(), events.clone());
                    tokio::spawn(async move {
                        let voter = actor.voter();
                        let answer = match &keel {
                            Some(k) => k.vote(&identifier, vote, &voter).await,
                            None => Err(KeelError::NoUrl),
                        };
                        if let Err(e) = &answer {
                            tracing::warn!(error = %e, %identifier, "keel vote");
                        }
                        let (approval, error) = match answer {
                            Ok(a) => (a, None),
                            Err(e) => (None, Some(e.to_string())),
                        };
                        let voted = Event::KeelVoted {
                            at: now(),
                            identifier,
                            version,
                            vote,
                            actor,
                            approval,
                            error,
                        };
                        // the cockpit closed: nobody waits for the answer
                        let _ = events.send(voted).await;
                    });
                }
                other => {
                    if onward.send(other).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rest
}

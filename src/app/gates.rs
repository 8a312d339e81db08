//! The gates this cockpit serves for Flagger (`--gate-listen`): the cockpit owns how the gates of
//! its release stand. Changes come in as events (the operator's action through its provider's
//! lever, a call to the gate server's load-tester paths) and as observations of the release (a
//! gate opened for one step closes once the weight moved; every gate closes when Flagger ended
//! the release); each change goes out as [`Effect::PublishGates`], which the executor performs
//! by publishing the gates to the server that answers Flagger.

use super::{Action, Actor, App, Effect};
use crate::model::{flagger_ended, GateChange, Gates, Millis};
use serde::{Deserialize, Serialize};

/// Who changed a gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GateBy {
    /// The operator's action, through the lever the release's provider names; `what` says
    /// what it did (`gate open for one step (from 10 %)`).
    Action {
        action: Action,
        actor: Actor,
        what: String,
    },
    /// A call to one of the gate server's load-tester paths, such as `/gate/open`.
    Call { path: String },
}

/// The gates of the release this cockpit serves them for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedGates {
    pub namespace: String,
    pub name: String,
    pub gates: Gates,
}

impl ServedGates {
    fn publish(&self, notes: Vec<String>, action: Option<(Action, Actor)>) -> Effect {
        Effect::PublishGates {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            gates: self.gates,
            notes,
            action,
        }
    }
}

impl App {
    /// The cockpit serves the gates of `namespace/name`, which stand as `gates`.
    pub(super) fn on_gates_served(
        &mut self,
        at: Millis,
        namespace: String,
        name: String,
        gates: Gates,
    ) -> Vec<Effect> {
        self.now = self.now.max(at);
        self.gates = Some(ServedGates {
            namespace,
            name,
            gates,
        });
        // the gates as published meet the release as observed
        self.follow_gates()
    }

    /// A gate changed: applied, then published.
    pub(super) fn on_gate_changed(
        &mut self,
        at: Millis,
        namespace: String,
        name: String,
        change: GateChange,
        by: GateBy,
    ) -> Vec<Effect> {
        self.now = self.now.max(at);
        let served = match &mut self.gates {
            Some(s) if s.namespace == namespace && s.name == name => s,
            other => other.insert(ServedGates {
                namespace,
                name,
                gates: Gates::CLOSED,
            }),
        };
        served.gates.apply(change);
        let effect = match &by {
            GateBy::Action {
                action,
                actor,
                what,
            } => served.publish(vec![what.clone()], Some((*action, actor.clone()))),
            GateBy::Call { .. } => served.publish(Vec::new(), None),
        };
        let mut effects = vec![effect];
        effects.extend(match by {
            GateBy::Action { actor, what, .. } => self.alert_gate(at, change, Some(&actor), &what),
            GateBy::Call { path } => self.alert_gate(
                at,
                change,
                None,
                &format!("through the gate server's {path}"),
            ),
        });
        effects
    }

    /// What the gates do when the release moves: a gate opened for one step closes once the
    /// weight moved; every gate closes when Flagger ended the release, so the next one starts
    /// closed. The notes go to the event log once the gates are published.
    pub(super) fn follow_gates(&mut self) -> Vec<Effect> {
        let (Some(served), Some(release)) = (&mut self.gates, &self.release) else {
            return Vec::new();
        };
        if (served.namespace.as_str(), served.name.as_str())
            != (release.namespace.as_str(), release.name.as_str())
        {
            return Vec::new();
        }
        let Some(view) = release
            .controller
            .as_deref()
            .filter(|v| v.kind == "flagger")
        else {
            return Vec::new();
        };
        let mut notes = Vec::new();
        let weight = release.weight.percent();
        if served.gates.observe_weight(weight) {
            notes.push(format!("gate closed again: the weight moved to {weight} %"));
        }
        if let Some(phase) = flagger_ended(view) {
            if served.gates.close_all() {
                notes.push(format!("gates closed: the release is {phase}"));
            }
        }
        if notes.is_empty() {
            return Vec::new();
        }
        vec![served.publish(notes, None)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{AppConfig, Event};
    use crate::model::{ControllerView, GateState, ReleaseSnapshot, Version, Weight};

    fn flagger(weight: u8, phase: &str) -> ReleaseSnapshot {
        ReleaseSnapshot {
            name: "podinfo".into(),
            namespace: "demo".into(),
            source: "flagger".into(),
            primary: Version {
                name: "podinfo-primary".into(),
                image: "podinfo:6.0".into(),
            },
            canary: Version {
                name: "podinfo".into(),
                image: "podinfo:6.1".into(),
            },
            weight: Weight::clamped(weight),
            canary_replicas: 1,
            phase: None,
            plan: None,
            paused: Some(false),
            controller: Some(Box::new(ControllerView {
                kind: "flagger".into(),
                phase: phase.into(),
                ..ControllerView::default()
            })),
            rules: Vec::new(),
            refusals: Vec::new(),
        }
    }

    fn observed(app: &mut App, at: i64, weight: u8, phase: &str) -> Vec<Effect> {
        app.update(Event::ReleaseObserved {
            at: Millis(at),
            release: flagger(weight, phase),
        })
    }

    fn alice() -> Actor {
        Actor::Operator {
            user: "alice".into(),
            kube_user: None,
        }
    }

    /// A cockpit on podinfo at 10 % that serves its gates, all closed.
    fn serving() -> App {
        let mut app = App::new(AppConfig::default());
        assert!(observed(&mut app, 1, 10, "Progressing").is_empty());
        let effects = app.update(Event::GatesServed {
            at: Millis(2),
            namespace: "demo".into(),
            name: "podinfo".into(),
            gates: Gates::CLOSED,
        });
        assert!(effects.is_empty(), "nothing to publish: {effects:?}");
        app
    }

    /// Opens the gate for one step as alice; the alert that tells it is checked here.
    fn step(app: &mut App, from: u8) -> Vec<Effect> {
        let effects = app.update(Event::GateChanged {
            at: Millis(3),
            namespace: "demo".into(),
            name: "podinfo".into(),
            change: GateChange::Gate(GateState::OpenForStep {
                from_weight: Some(from),
            }),
            by: GateBy::Action {
                action: Action::NextStep,
                actor: alice(),
                what: format!("gate open for one step (from {from} %)"),
            },
        });
        let (rest, alerts) = split(effects);
        assert_eq!(alerts.len(), 1, "one alert per gate change");
        assert_eq!(alerts[0].event, crate::model::AlertEvent::GateOpened);
        assert_eq!(alerts[0].actor.as_deref(), Some("alice"));
        rest
    }

    /// The effects apart from the alerts, and the alerts.
    fn split(effects: Vec<Effect>) -> (Vec<Effect>, Vec<crate::model::Alert>) {
        let mut alerts = Vec::new();
        let rest = effects
            .into_iter()
            .filter_map(|e| match e {
                Effect::Alert { alert } => {
                    alerts.push(*alert);
                    None
                }
                other => Some(other),
            })
            .collect();
        (rest, alerts)
    }

    fn gates(app: &App) -> Option<Gates> {
        app.gates.as_ref().map(|s| s.gates)
    }

    fn publish(gates: Gates, notes: &[&str], action: Option<(Action, Actor)>) -> Effect {
        Effect::PublishGates {
            namespace: "demo".into(),
            name: "podinfo".into(),
            gates,
            notes: notes.iter().map(|n| n.to_string()).collect(),
            action,
        }
    }

    fn notes(app: &App) -> Vec<String> {
        app.log.iter().map(|e| e.text.clone()).collect()
    }

    #[test]
    fn a_cockpit_without_gates_has_none_and_follows_nothing() {
        let mut app = App::new(AppConfig::default());
        assert!(observed(&mut app, 1, 10, "Progressing").is_empty());
        assert!(observed(&mut app, 2, 20, "Failed").is_empty());
        assert_eq!(app.gates, None);
    }

    #[test]
    fn the_operator_opens_the_gate_for_one_step() {
        let mut app = serving();
        let open = Gates {
            gate: GateState::OpenForStep {
                from_weight: Some(10),
            },
            rollback: false,
        };
        assert_eq!(
            step(&mut app, 10),
            vec![publish(
                open,
                &["gate open for one step (from 10 %)"],
                Some((Action::NextStep, alice()))
            )]
        );
        assert_eq!(gates(&app), Some(open));
        // the note and the result come back from the executor once published
        assert!(!notes(&app).iter().any(|n| n.contains("gate open")));
        // Flagger has not moved yet: the gate stays open
        assert!(observed(&mut app, 4, 10, "Progressing").is_empty());
        assert_eq!(gates(&app), Some(open));
    }

    #[test]
    fn a_step_gate_closes_once_the_weight_moved() {
        let mut app = serving();
        step(&mut app, 10);
        assert_eq!(
            observed(&mut app, 4, 20, "Progressing"),
            vec![publish(
                Gates::CLOSED,
                &["gate closed again: the weight moved to 20 %"],
                None
            )]
        );
        assert_eq!(gates(&app), Some(Gates::CLOSED));
        // closed already: a further move publishes nothing
        assert!(observed(&mut app, 5, 30, "Progressing").is_empty());
    }

    #[test]
    fn every_gate_closes_when_the_release_ends() {
        let mut app = serving();
        app.update(Event::GateChanged {
            at: Millis(3),
            namespace: "demo".into(),
            name: "podinfo".into(),
            change: GateChange::Rollback(true),
            by: GateBy::Action {
                action: Action::Rollback,
                actor: alice(),
                what: "rollback gate open".into(),
            },
        });
        assert_eq!(
            gates(&app),
            Some(Gates {
                gate: GateState::Closed,
                rollback: true
            })
        );
        assert_eq!(
            observed(&mut app, 4, 0, "Failed"),
            vec![publish(
                Gates::CLOSED,
                &["gates closed: the release is Failed"],
                None
            )]
        );
        assert_eq!(gates(&app), Some(Gates::CLOSED));
        // the gates are closed already: nothing more to publish
        assert!(observed(&mut app, 5, 0, "Failed (suspended)").is_empty());
    }

    #[test]
    fn a_step_gate_closes_with_both_notes_when_the_release_ends_while_moving() {
        let mut app = serving();
        step(&mut app, 10);
        app.update(Event::GateChanged {
            at: Millis(3),
            namespace: "demo".into(),
            name: "podinfo".into(),
            change: GateChange::Rollback(true),
            by: GateBy::Call {
                path: "/rollback/open".into(),
            },
        });
        assert_eq!(
            observed(&mut app, 4, 0, "Succeeded"),
            vec![publish(
                Gates::CLOSED,
                &[
                    "gate closed again: the weight moved to 0 %",
                    "gates closed: the release is Succeeded"
                ],
                None
            )]
        );
    }

    #[test]
    fn a_server_side_open_is_applied_and_published() {
        let mut app = serving();
        let effects = app.update(Event::GateChanged {
            at: Millis(3),
            namespace: "demo".into(),
            name: "podinfo".into(),
            change: GateChange::Gate(GateState::Open),
            by: GateBy::Call {
                path: "/gate/open".into(),
            },
        });
        let open = Gates {
            gate: GateState::Open,
            rollback: false,
        };
        let (effects, alerts) = split(effects);
        assert_eq!(effects, vec![publish(open, &[], None)]);
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].reason.contains("/gate/open"), "{:?}", alerts[0]);
        assert_eq!(alerts[0].actor, None);
        assert_eq!(gates(&app), Some(open));
        // a gate opened for good ignores the weight
        assert!(observed(&mut app, 4, 20, "Progressing").is_empty());
        assert_eq!(gates(&app), Some(open));
    }

    #[test]
    fn gates_served_open_for_an_old_step_close_at_once() {
        let mut app = App::new(AppConfig::default());
        observed(&mut app, 1, 30, "Progressing");
        let effects = app.update(Event::GatesServed {
            at: Millis(2),
            namespace: "demo".into(),
            name: "podinfo".into(),
            gates: Gates {
                gate: GateState::OpenForStep {
                    from_weight: Some(20),
                },
                rollback: false,
            },
        });
        assert_eq!(
            effects,
            vec![publish(
                Gates::CLOSED,
                &["gate closed again: the weight moved to 30 %"],
                None
            )]
        );
    }

    #[test]
    fn another_release_does_not_move_the_gates() {
        let mut app = serving();
        step(&mut app, 10);
        let mut other = flagger(20, "Failed");
        other.name = "backend".into();
        let effects = app.update(Event::ReleaseObserved {
            at: Millis(4),
            release: other,
        });
        assert!(effects.is_empty());
        assert!(gates(&app).is_some_and(|g| g.gate.is_open()));
    }

    #[test]
    fn replay_rebuilds_the_gates_from_the_recorded_events() {
        // the events as a live cockpit records them; effects are dropped in replay
        let mut live = serving();
        step(&mut live, 10);
        observed(&mut live, 4, 20, "Progressing");
        let recorded = [
            Event::ReleaseObserved {
                at: Millis(1),
                release: flagger(10, "Progressing"),
            },
            Event::GatesServed {
                at: Millis(2),
                namespace: "demo".into(),
                name: "podinfo".into(),
                gates: Gates::CLOSED,
            },
            Event::GateChanged {
                at: Millis(3),
                namespace: "demo".into(),
                name: "podinfo".into(),
                change: GateChange::Gate(GateState::OpenForStep {
                    from_weight: Some(10),
                }),
                by: GateBy::Action {
                    action: Action::NextStep,
                    actor: alice(),
                    what: "gate open for one step (from 10 %)".into(),
                },
            },
            Event::ReleaseObserved {
                at: Millis(4),
                release: flagger(20, "Progressing"),
            },
        ];
        let mut replay = App::new(AppConfig {
            read_only: true,
            ..AppConfig::default()
        });
        for event in recorded {
            let line = serde_json::to_string(&event).unwrap_or_default();
            let back: Result<Event, _> = serde_json::from_str(&line);
            assert_eq!(back.as_ref().ok(), Some(&event), "{line}");
            replay.update(event);
        }
        assert_eq!(replay.gates, live.gates);
    }
}

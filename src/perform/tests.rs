use super::*;
use crate::model::{RouteRule, Weight};
use std::cell::Cell;
use std::rc::Rc;

/// Whether a piece of work finished, and whether it was stopped.
type Flags = (Rc<Cell<bool>>, Rc<Cell<bool>>);

/// Work that runs until the test ends it; whether it was stopped.
struct Handle {
    finished: Rc<Cell<bool>>,
    stopped: Rc<Cell<bool>>,
}

impl Running for Handle {
    fn is_finished(&self) -> bool {
        self.finished.get()
    }
    fn stop(&mut self) {
        self.stopped.set(true);
    }
}

/// A world whose writes run on their own until the test finishes them, except where it acts at
/// once; it refuses `NextStep` and keeps what it was handed.
#[derive(Default)]
struct Fake {
    now: i64,
    at_once: bool,
    pulled: Vec<(Action, Option<Duration>, bool)>,
    handles: Vec<Flags>,
}

impl Fake {
    fn running(&mut self) -> Started<Handle> {
        let (finished, stopped) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
        self.handles.push((finished.clone(), stopped.clone()));
        Started::Running(Handle { finished, stopped })
    }
}

impl World for Fake {
    type Lever = Action;
    type Running = Handle;
    fn now(&self) -> Millis {
        Millis(self.now)
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(7)
    }
    fn plan(&self, action: Action, _actor: &Actor) -> Result<Plan<Action>, String> {
        match action {
            Action::NextStep => Err("no steps here".to_string()),
            Action::Resume => Ok(Plan::Said(vec![Event::Tick { at: self.now() }])),
            _ => Ok(Plan::Pull(action)),
        }
    }
    fn bounded(&self, lever: &Action) -> bool {
        *lever != Action::Promote
    }
    fn pull(&mut self, pull: Pull<Action, Handle>) -> Started<Handle> {
        self.pulled
            .push((pull.action, pull.limit, pull.stopped.is_some()));
        if self.at_once {
            return Started::Done {
                outcome: Ok(Some(format!("did {}", pull.action))),
                then: vec![Event::Tick { at: self.now() }],
            };
        }
        self.running()
    }
    fn route(&mut self, _job: RouteJob) -> Started<Handle> {
        self.running()
    }
}

fn error_of(events: &[Event]) -> Option<String> {
    events.iter().find_map(|e| match e {
        Event::ActionResult { error, .. } | Event::RouteResult { error, .. } => error.clone(),
        _ => None,
    })
}

fn weight(percent: u8) -> Action {
    Action::SetWeight {
        weight: Weight::clamped(percent),
    }
}

#[test]
fn one_piece_of_work_at_a_time_and_the_second_is_refused_with_the_reason() {
    let (mut world, mut executor) = (Fake::default(), Executor::default());
    assert!(executor
        .act(&mut world, weight(30), Actor::Controller)
        .is_empty());
    world.now = 4_500;
    let refused = executor.act(&mut world, Action::Pause, Actor::Controller);
    assert_eq!(
        error_of(&refused).as_deref(),
        Some("set weight 30 % is in flight (4 s): wait for its result, or roll back")
    );
    let route = RouteChange::Add {
        rule: RouteRule::cookie("tester"),
    };
    let refused = executor.route(&mut world, route, Actor::Controller);
    assert!(error_of(&refused).is_some_and(|e| e.contains("in flight")));
    // once the write ended, the next may start
    world.handles[0].0.set(true);
    assert!(executor
        .act(&mut world, Action::Pause, Actor::Controller)
        .is_empty());
    assert_eq!(world.pulled.len(), 2);
    assert!(!world.handles[0].1.get(), "nothing was stopped");
}

#[test]
fn a_rollback_stops_the_work_in_flight_and_runs_at_once() {
    let (mut world, mut executor) = (Fake::default(), Executor::default());
    executor.act(&mut world, weight(30), Actor::Controller);
    let out = executor.act(&mut world, Action::Rollback, Actor::Controller);
    assert!(world.handles[0].1.get(), "the write in flight was stopped");
    assert_eq!(error_of(&out).as_deref(), Some("stopped by a rollback"));
    assert!(matches!(
        out.as_slice(),
        [Event::ActionResult {
            action: Action::SetWeight { .. },
            ..
        }]
    ));
    // the rollback was handed what it stopped, so that it reads the release afresh
    assert_eq!(
        world.pulled.last(),
        Some(&(Action::Rollback, Some(Duration::from_secs(7)), true))
    );
}

#[test]
fn refusals_and_said_levers_start_nothing_and_staged_levers_have_no_timeout() {
    let (mut world, mut executor) = (Fake::default(), Executor::default());
    let out = executor.act(&mut world, Action::NextStep, Actor::Controller);
    assert_eq!(error_of(&out).as_deref(), Some("no steps here"));
    assert!(matches!(
        executor.act(&mut world, Action::Resume, Actor::Controller)[..],
        [Event::Tick { .. }]
    ));
    assert!(world.pulled.is_empty());
    executor.act(&mut world, Action::Promote, Actor::Controller);
    assert_eq!(world.pulled, vec![(Action::Promote, None, false)]);
    // a said lever does not wait for the work in flight
    assert!(matches!(
        executor.act(&mut world, Action::Resume, Actor::Controller)[..],
        [Event::Tick { .. }]
    ));
}

#[test]
fn work_done_at_once_says_its_note_its_result_then_what_it_changed() {
    let mut world = Fake {
        at_once: true,
        ..Fake::default()
    };
    let mut executor = Executor::default();
    for _ in 0..2 {
        let out = executor.perform(
            &mut world,
            Effect::Act {
                action: weight(10),
                actor: Actor::Controller,
            },
        );
        assert!(
            matches!(
                out.as_slice(),
                [
                    Event::Note { text, .. },
                    Event::ActionResult { error: None, .. },
                    Event::Tick { .. }
                ] if text == "did set weight 10 %"
            ),
            "{out:?}"
        );
    }
}

#[tokio::test]
async fn a_write_past_its_limit_is_given_up_and_said_so() {
    let work = Work::Act(weight(30));
    // a write that never answers
    let never = std::future::pending::<Result<(), String>>();
    let err = within(Some(Duration::from_millis(20)), &work, never)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        "set weight 30 %: no answer from the API server within 0 s; the write may or may \
         not have landed: the watches show what did"
    );
    assert_eq!(
        timed_out(&work, Duration::from_secs(30)),
        err.replace("within 0 s", "within 30 s")
    );
    let quick = async { Ok::<_, String>(5) };
    assert_eq!(within(None, &work, quick).await, Ok(5));
}

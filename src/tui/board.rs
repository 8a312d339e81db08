//! The release board as a screen of the loop: its watches start with the screen and report on
//! its channel; an action's marked releases go to the executor, each result back on the
//! channel; enter hands the release back to open its cockpit. A tick every second ages the rows.

use super::Screen;
use crate::app::Action;
use crate::board::{Board, Key, Outcome, Update};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use std::cell::Cell;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How often the rows' ages and the attention that depends on time are brought up to date.
const AGE: Duration = Duration::from_secs(1);

/// What the board leaves with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Left {
    Open(Key),
    Quit,
}

/// The board. `watch` starts the watches with the channel's sending side and hands back their
/// tasks; `act` starts an action on releases, each result coming back on the channel.
pub struct BoardScreen<'a, W, A> {
    board: &'a mut Board,
    watch: Option<W>,
    act: A,
    events: Option<mpsc::Sender<Update>>,
    tasks: Vec<tokio::task::AbortHandle>,
    left: Option<Left>,
    started: Instant,
    /// The first frame with every list drawn was named in the log.
    told: Cell<bool>,
}

impl<'a, W, A> BoardScreen<'a, W, A>
where
    W: FnOnce(mpsc::Sender<Update>) -> Vec<tokio::task::AbortHandle>,
    A: FnMut(Action, Vec<Key>, mpsc::Sender<Update>),
{
    pub fn new(board: &'a mut Board, watch: W, act: A) -> Self {
        BoardScreen {
            board,
            watch: Some(watch),
            act,
            events: None,
            tasks: Vec::new(),
            left: None,
            started: Instant::now(),
            told: Cell::new(false),
        }
    }
}

impl<W, A> Screen for BoardScreen<'_, W, A>
where
    W: FnOnce(mpsc::Sender<Update>) -> Vec<tokio::task::AbortHandle>,
    A: FnMut(Action, Vec<Key>, mpsc::Sender<Update>),
{
    type Event = Update;
    type Outcome = Left;

    fn start(&mut self, events: mpsc::Sender<Update>) {
        self.started = Instant::now();
        if let Some(watch) = self.watch.take() {
            self.tasks = watch(events.clone());
        }
        self.events = Some(events);
    }

    fn key(&mut self, key: KeyEvent) {
        match self.board.key(key) {
            Some(Outcome::Quit) => self.left = Some(Left::Quit),
            Some(Outcome::Open(k)) => self.left = Some(Left::Open(k)),
            Some(Outcome::Act(action, keys)) => {
                if let Some(tx) = &self.events {
                    (self.act)(action, keys, tx.clone());
                }
            }
            None => {}
        }
    }

    fn event(&mut self, update: Update) {
        self.board.apply(update);
    }

    fn timer(&self) -> Option<Duration> {
        Some(AGE)
    }

    fn tick(&mut self, _now: Instant) -> bool {
        self.board.tick(crate::model::wall_clock());
        true
    }

    fn render(&self, frame: &mut Frame) {
        crate::ui::board::render_board(self.board, frame);
        if self.board.listed && !self.told.replace(true) {
            tracing::info!(
                after_ms = self.started.elapsed().as_millis() as u64,
                rows = self.board.entries.len(),
                "board: first full frame"
            );
        }
    }

    fn terminate(&mut self) {
        self.left.get_or_insert(Left::Quit);
    }

    fn done(&self) -> bool {
        self.left.is_some()
    }

    fn finish(mut self) -> Left {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        self.left.unwrap_or(Left::Quit)
    }
}

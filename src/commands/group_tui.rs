//! The group cockpit in the terminal, for a demo group: the simulation steps on the screen's
//! timer, keys go to the group (or to the member `Tab` opened), the writes they ask for are
//! performed on the members' simulations at once.

use crate::source::demo::group_session::GroupSession;
use crate::source::demo::{Speed, STEP_MS};
use crate::tui::Screen;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::mpsc;

use super::RunError;

struct GroupScreen {
    session: GroupSession,
    period: Duration,
}

impl Screen for GroupScreen {
    type Event = ();
    type Outcome = GroupSession;

    fn start(&mut self, _events: mpsc::Sender<()>) {
        self.session.start();
    }

    fn key(&mut self, key: KeyEvent) {
        let effects = self.session.group.on_key(key);
        self.session.perform(effects);
    }

    fn event(&mut self, _event: ()) {}

    fn timer(&self) -> Option<Duration> {
        // the story stops moving once the group has ended; the screen stays until `q`
        self.session
            .group
            .outcome()
            .is_none()
            .then_some(self.period)
    }

    fn tick(&mut self, _now: tokio::time::Instant) -> bool {
        self.session.step();
        true
    }

    fn render(&self, frame: &mut Frame) {
        let area = frame.area();
        crate::ui::group::render_group(&self.session.group, area, frame.buffer_mut());
    }

    fn terminate(&mut self) {
        self.session.group.should_quit = true;
    }

    fn done(&self) -> bool {
        self.session.group.should_quit
    }

    fn finish(self) -> GroupSession {
        self.session
    }
}

pub fn run(session: GroupSession, speed: Speed) -> Result<ExitCode, RunError> {
    let period = match speed {
        Speed::Max => Duration::from_millis(1),
        Speed::Factor(_) => speed.real_per_virtual_second() * (STEP_MS / 1000) as u32,
    };
    let runtime = super::runtime()?;
    let session = runtime
        .block_on(crate::tui::show(GroupScreen { session, period }))
        .map_err(RunError::Terminal)?;
    tracing::info!(outcome = ?session.group.outcome(), "demo group ends");
    Ok(ExitCode::SUCCESS)
}

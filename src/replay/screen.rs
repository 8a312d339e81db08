//! `canary replay FILE`: the recorded cockpit above a timeline bar, a screen of the terminal loop
//! (`tui`): playback keys, a playback timer while playing, no channel.

use crate::app::Event;
use crate::tui::Screen;
use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::bar;
use super::playback::Playback;
use super::Player;

/// Frame interval while playing.
const PLAY_FRAME: Duration = Duration::from_millis(50);

/// Draws the replayed cockpit and, under it, the timeline: two rows when the terminal has room
/// for the cockpit's minimum size plus two, else one.
pub fn draw(player: &Player, playback: &Playback, frame: &mut Frame) {
    let area = frame.area();
    let bar_h = if area.height >= crate::ui::MIN_HEIGHT + bar::HEIGHT {
        bar::HEIGHT
    } else {
        1.min(area.height)
    };
    let cockpit = Rect {
        height: area.height - bar_h,
        ..area
    };
    let timeline = Rect {
        y: cockpit.bottom(),
        height: bar_h,
        ..area
    };
    let cursor = crate::ui::render_area(player.app(), cockpit, frame.buffer_mut());
    let theme = crate::ui::Theme::new(player.app().config.color);
    bar::render(player, playback, theme, timeline, frame.buffer_mut());
    if let Some(position) = cursor {
        frame.set_cursor_position(position);
    }
}

/// Replay as a screen of the terminal loop: the player, the playback, and the instant of the last
/// playback tick. Nothing arrives on its channel.
pub struct ReplayScreen {
    player: Player,
    playback: Playback,
    /// `None` until the first tick after playback starts: that tick moves nothing.
    last_tick: Option<Instant>,
    quit: bool,
}

impl ReplayScreen {
    pub fn new(player: Player) -> Self {
        ReplayScreen {
            player,
            playback: Playback::default(),
            last_tick: None,
            quit: false,
        }
    }

    pub fn player(&self) -> &Player {
        &self.player
    }

    pub fn playback(&self) -> &Playback {
        &self.playback
    }
}

impl Screen for ReplayScreen {
    type Event = Infallible;
    type Outcome = Player;

    fn start(&mut self, _events: mpsc::Sender<Infallible>) {}

    fn key(&mut self, key: KeyEvent) {
        let was_playing = self.playback.playing;
        self.playback.on_key(&mut self.player, key);
        if self.playback.playing && !was_playing {
            self.last_tick = None;
        }
    }

    fn event(&mut self, event: Infallible) {
        match event {}
    }

    fn resize(&mut self, width: u16, height: u16) {
        let _ = self
            .player
            .app_mut()
            .update(Event::Resize { width, height });
    }

    fn timer(&self) -> Option<Duration> {
        self.playback.playing.then_some(PLAY_FRAME)
    }

    /// Moves the position on by the wall time since the last tick, at the playback's speed.
    fn tick(&mut self, now: Instant) -> bool {
        let elapsed = self
            .last_tick
            .map_or(Duration::ZERO, |last| now.saturating_duration_since(last));
        self.last_tick = Some(now);
        self.playback.advance(&mut self.player, elapsed)
    }

    fn render(&self, frame: &mut Frame) {
        draw(&self.player, &self.playback, frame);
    }

    fn terminate(&mut self) {
        self.quit = true;
    }

    fn done(&self) -> bool {
        self.quit || self.player.app().should_quit
    }

    fn finish(self) -> Player {
        self.player
    }
}

/// Runs the replay until the viewer quits or SIGTERM arrives.
pub async fn run(player: Player) -> std::io::Result<()> {
    crate::tui::show(ReplayScreen::new(player)).await.map(drop)
}

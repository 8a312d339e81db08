//! Playing a recording: play/pause, speed, seeks and jumps between markers. Pure: the terminal
//! loop hands it keys and elapsed wall time, tests do the same.

use crate::app::keymap::{self, Command};
use crate::app::{Event, Mode};
use crate::model::Clock;
use crossterm::event::KeyEvent;
use std::time::Duration;

use super::Player;

/// The speeds `<` and `>` step through.
pub const SPEEDS: [f64; 9] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
const NORMAL_SPEED: usize = 2;
/// `←`/`→` and `shift+←`/`shift+→`.
pub const SEEK_SHORT_MS: i64 = 10_000;
pub const SEEK_LONG_MS: i64 = 60_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Playback {
    pub playing: bool,
    speed: usize,
    /// Virtual time not yet applied: the part of a millisecond left over from the last advance.
    carry_ms: f64,
    /// The answer to the last replay key, shown beside the timeline.
    pub message: Option<String>,
}

impl Default for Playback {
    fn default() -> Self {
        Self {
            playing: true,
            speed: NORMAL_SPEED,
            carry_ms: 0.0,
            message: None,
        }
    }
}

impl Playback {
    pub fn speed(&self) -> f64 {
        SPEEDS[self.speed]
    }

    /// `1×`, `0.25×`, `64×`.
    pub fn speed_label(&self) -> String {
        format!("{}×", SPEEDS[self.speed])
    }

    /// Moves the position on by `elapsed` wall time at the current speed, when playing. Stops at the
    /// end of the recording. Returns whether the position moved.
    pub fn advance(&mut self, player: &mut Player, elapsed: Duration) -> bool {
        if !self.playing {
            return false;
        }
        if player.at_end() {
            self.playing = false;
            return false;
        }
        let virtual_ms = elapsed.as_secs_f64() * 1000.0 * self.speed() + self.carry_ms;
        let whole = virtual_ms.floor();
        self.carry_ms = virtual_ms - whole;
        player.seek_by(whole as i64);
        if player.at_end() {
            self.playing = false;
            self.message = Some("end of the recording: g replays from the start".to_string());
        }
        true
    }

    /// Handles a key: replay's own keys in the normal mode, everything else goes to the cockpit
    /// (which refuses action keys: replay is read-only). Effects are dropped.
    pub fn on_key(&mut self, player: &mut Player, key: KeyEvent) {
        let replay_key = matches!(player.app().mode, Mode::Normal)
            .then(|| keymap::lookup(keymap::REPLAY, &key))
            .flatten();
        match replay_key {
            Some(command) => self.command(player, command),
            None => {
                let _ = player.app_mut().update(Event::Key(key));
            }
        }
    }

    pub fn command(&mut self, player: &mut Player, command: Command) {
        self.message = None;
        match command {
            Command::PlayPause => {
                if !self.playing && player.at_end() {
                    player.seek(player.start());
                }
                self.playing = !self.playing;
                self.carry_ms = 0.0;
            }
            Command::Faster => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Command::Slower => self.speed = self.speed.saturating_sub(1),
            Command::Back => player.seek_by(-SEEK_SHORT_MS),
            Command::Forward => player.seek_by(SEEK_SHORT_MS),
            Command::BackLong => player.seek_by(-SEEK_LONG_MS),
            Command::ForwardLong => player.seek_by(SEEK_LONG_MS),
            Command::NextMark => self.jump(player, true),
            Command::PrevMark => self.jump(player, false),
            Command::Start => player.seek(player.start()),
            Command::End => player.seek(player.end()),
            _ => {}
        }
    }

    fn jump(&mut self, player: &mut Player, forward: bool) {
        let marker = if forward {
            player.next_marker()
        } else {
            player.previous_marker()
        };
        match marker.cloned() {
            Some(m) => {
                self.message = Some(format!(
                    "T+{} {}",
                    Clock(m.at.since(player.start())),
                    m.text
                ));
                player.seek(m.at);
                // stop on the moment: the operator came here to read it
                self.playing = false;
            }
            None => {
                self.message = Some(
                    if forward {
                        "no marked event after this point"
                    } else {
                        "no marked event before this point"
                    }
                    .to_string(),
                )
            }
        }
    }
}

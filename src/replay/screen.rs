//! `canary replay FILE`: the recorded cockpit above a timeline bar, in the terminal.

use crate::app::Event;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures_util::StreamExt;
use ratatui::layout::Rect;
use ratatui::Frame;
use std::time::Duration;
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

/// Runs the replay until the viewer quits or SIGTERM arrives.
pub async fn run(mut player: Player) -> std::io::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let _guard = crate::tui::RestoreGuard;
    let mut playback = Playback::default();
    let mut keys = EventStream::new();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut ticker = tokio::time::interval(PLAY_FRAME);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_tick = Instant::now();
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|frame| draw(&player, &playback, frame))?;
            dirty = false;
        }
        tokio::select! {
            term = keys.next() => match term {
                Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                    let was_playing = playback.playing;
                    playback.on_key(&mut player, key);
                    if playback.playing && !was_playing {
                        last_tick = Instant::now();
                    }
                    dirty = true;
                }
                Some(Ok(TermEvent::Resize(width, height))) => {
                    let _ = player.app_mut().update(Event::Resize { width, height });
                    terminal.autoresize()?;
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => break,
            },
            _ = ticker.tick(), if playback.playing => {
                let now = Instant::now();
                dirty |= playback.advance(&mut player, now - last_tick);
                last_tick = now;
            }
            _ = sigterm.recv() => {
                tracing::info!("SIGTERM: quitting the replay");
                break;
            }
        }
        if player.app().should_quit {
            break;
        }
    }
    Ok(())
}

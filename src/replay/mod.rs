//! Replay of a recorded session: the same cockpit at any instant of the recording, the incident
//! timeline, and the post-mortem views that need no terminal.

pub mod player;
pub mod timeline;

pub use player::Player;
pub mod bar;
pub mod playback;
pub mod plot;
pub mod screen;
pub mod summary;

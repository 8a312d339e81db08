//! Alerts in the channels the team already watches: Discord, Slack, Microsoft Teams, Google Chat,
//! Rocket.Chat and plain webhooks. The cockpit raises alerts in `App::update`; this module turns
//! the names given with `--alert` into sinks, builds each service's payload and delivers it off
//! the UI task.

pub mod deliver;
pub mod notifier;
pub mod payload;
pub mod redact;
pub mod setup;
pub mod sink;

pub use deliver::{Policy, Waits};
pub use notifier::{Notifier, Settings, GRACE};
pub use setup::{resolve, SetupError, SinkEntry};
pub use sink::{SecretUrl, Sink, SinkKind};

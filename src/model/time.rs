//! Timestamps carried by events. `update` never reads a clock: every instant arrives inside an event.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the Unix epoch, on whatever clock the source runs (wall clock live, virtual clock
/// in the demo and in replay).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Millis(pub i64);

impl Millis {
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs * 1000)
    }

    pub fn plus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, never negative.
    pub fn since(self, earlier: Millis) -> i64 {
        (self.0 - earlier.0).max(0)
    }
}

/// The machine's clock, for live sources and the command-line verbs. `update` never calls it:
/// its instants arrive inside events.
pub fn wall_clock() -> Millis {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Millis(since_epoch.as_millis() as i64)
}

/// A duration shown as `mm:ss`, or `h:mm:ss` past an hour.
pub struct Clock(pub i64);

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.max(0) / 1000;
        let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
        if h > 0 {
            write!(f, "{h}:{m:02}:{s:02}")
        } else {
            write!(f, "{m:02}:{s:02}")
        }
    }
}

/// The time of day of an instant, `14:03:10`, in UTC.
pub struct TimeOfDay(pub Millis);

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0 .0.div_euclid(1000).rem_euclid(86_400);
        write!(
            f,
            "{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// A compact age such as `12s`, `4m`, `3h`, `2d` (kubectl style).
pub struct Age(pub i64);

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.max(0) / 1000;
        match secs {
            s if s < 120 => write!(f, "{s}s"),
            s if s < 7200 => write!(f, "{}m", s / 60),
            s if s < 172_800 => write!(f, "{}h", s / 3600),
            s => write!(f, "{}d", s / 86_400),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_age_format() {
        assert_eq!(Clock(62_000).to_string(), "01:02");
        assert_eq!(Clock(3_723_000).to_string(), "1:02:03");
        assert_eq!(Age(45_000).to_string(), "45s");
        assert_eq!(Age(600_000).to_string(), "10m");
        assert_eq!(Age(-5).to_string(), "0s");
        // 2026-01-01T14:03:10.900Z
        let at = Millis(1_767_225_600_000 + 50_590_900);
        assert_eq!(TimeOfDay(at).to_string(), "14:03:10");
        assert_eq!(TimeOfDay(Millis(-1000)).to_string(), "23:59:59");
    }
}

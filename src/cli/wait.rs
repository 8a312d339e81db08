//! `canary wait TARGET [--for promoted|rolled-back|ended] [--timeout 30m] [--image IMAGE:TAG]
//! [-o json]`: for a pipeline, until the release ends.

/// Wait until a release ends: one line per phase or weight change, then the summary. Exit 0 it
/// ended as `--for` asks (promoted by default), 3 it ended the other way (rolled back or
/// failed), 4 it waits for a person (a pause, a gate; not with `--for ended`), 5 timeout, 1 an
/// API or RBAC error, 2 usage.
#[derive(Debug, clap::Args)]
pub struct WaitArgs {
    /// The release: rollout/NAME, canary/NAME, ingress/NAME, virtualservice/NAME (vs/), …
    #[arg(value_name = "TARGET")]
    pub target: crate::model::Target,
    /// What to wait for: `promoted` (exit 0 promoted, 3 rolled back), `rolled-back` (exit 0
    /// rolled back, 3 promoted) or `ended` (either; a pause keeps the wait going).
    #[arg(long = "for", value_enum, default_value_t, value_name = "WHAT")]
    pub until: WaitFor,
    /// How long to wait before giving up (exit 5): `90s`, `30m`, `2h`.
    #[arg(long, default_value = "30m", value_name = "DURATION", value_parser = parse_wait)]
    pub timeout: std::time::Duration,
    /// Wait for the release whose canary runs this image (`shop:1.5.0` or the whole reference);
    /// without it, the release under way at the start, else the next one to start.
    #[arg(long, value_name = "IMAGE:TAG")]
    pub image: Option<String>,
    /// `json`: one object per line.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub output: super::OutputFormat,
    #[command(flatten)]
    pub connect: super::ConnectArgs,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum WaitFor {
    #[default]
    Promoted,
    RolledBack,
    Ended,
}

/// `90`, `90s`, `30m`, `2h`: at least a second, at most a week.
pub fn parse_wait(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (digits, unit) = if let Some(d) = t.strip_suffix('h') {
        (d, 3600)
    } else if let Some(d) = t.strip_suffix('m') {
        (d, 60)
    } else {
        (t.strip_suffix('s').unwrap_or(t), 1)
    };
    digits
        .parse::<u64>()
        .ok()
        .map(|n| n.saturating_mul(unit))
        .filter(|s| (1..=7 * 24 * 3600).contains(s))
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| format!("{t:?} is not a duration of 1 s to 168 h (90s, 30m, 2h)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_seconds_minutes_and_hours() {
        assert_eq!(parse_wait("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_wait("30m").unwrap().as_secs(), 1800);
        assert_eq!(parse_wait("2h").unwrap().as_secs(), 7200);
        assert_eq!(parse_wait("5").unwrap().as_secs(), 5);
        assert!(parse_wait("0s").is_err());
        assert!(parse_wait("soon").is_err());
        assert!(parse_wait("200h").is_err());
    }
}

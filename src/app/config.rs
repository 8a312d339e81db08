//! The cockpit's settings, fixed when it starts.

/// What the metrics panels say when no Prometheus is configured or found. The cockpit's note at
/// the start of such a session ends with it: replay reads the note to say it again.
pub const NO_PROMETHEUS: &str =
    "no Prometheus: --prometheus URL, --prometheus-service NS/SVC:PORT, or [prometheus] in the config";

/// Settings fixed when the cockpit starts.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The OS user, named in the log as the actor of operator actions.
    pub user: String,
    /// The Kubernetes user, when known.
    pub kube_user: Option<String>,
    /// False when `NO_COLOR` is set: meaning is then carried by symbols and modifiers.
    pub color: bool,
    /// Replay: every action key is refused.
    pub read_only: bool,
    /// A live cockpit started with `--readonly`: it watches, and every action key is refused.
    pub no_writes: bool,
    /// `canary watch`: `esc` returns to the release list and `:` opens another release.
    pub switchable: bool,
    /// The Prometheus queries behind the numbers, as (what, PromQL), for the inspect view.
    pub queries: Vec<(String, String)>,
    /// Expected time between observations; data older than three of these is shown as stale.
    pub refresh_ms: i64,
    /// Raise alerts (live). Replay shows the recorded ones instead, except from recordings made
    /// before alerts were recorded (format 1.3 and older), where it raises them again to show.
    pub raise_alerts: bool,
    /// Record the statistical judge's report once per analysis interval (live). Replay shows the
    /// recorded ones, except from recordings made before they were (format 1.4 and older).
    pub record_judgements: bool,
    /// Live, with no Prometheus configured or found: the metrics panels say how to name one.
    pub no_metrics_source: bool,
    /// How long a cluster controller may take to act on a promotion or rollback it was asked
    /// for before the cockpit warns that it has not.
    pub confirm_within_ms: i64,
}

impl AppConfig {
    /// The cockpit of a replay: `config` is the viewer's (colour, user); read-only, no release
    /// switching, no queries to show.
    pub fn replay(config: AppConfig) -> AppConfig {
        AppConfig {
            read_only: true,
            no_writes: false,
            switchable: false,
            queries: Vec::new(),
            raise_alerts: false,
            record_judgements: false,
            no_metrics_source: false,
            ..config
        }
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            user: "operator".to_string(),
            kube_user: None,
            color: true,
            read_only: false,
            no_writes: false,
            switchable: false,
            queries: Vec::new(),
            refresh_ms: 2000,
            raise_alerts: true,
            record_judgements: true,
            no_metrics_source: false,
            confirm_within_ms: super::confirm::CONFIRM_WITHIN_MS,
        }
    }
}

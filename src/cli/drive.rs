//! The flags of the cockpit's own analysis (`--drive` and its thresholds).

/// The cockpit's own analysis and progression on a release it drives, fed by Prometheus:
/// Flagger's semantics, as in the demo. It drives releases whose traffic system has no
/// controller of its own (ingress-nginx, Istio, Gateway API, Traefik, Contour); Argo Rollouts,
/// Flagger and KubeSphere run their own analysis, and `--drive` refuses them.
#[derive(Debug, Clone, clap::Args)]
pub struct DriveArgs {
    /// Run the analysis and move the weight by --step-weight up to --max-weight; roll back after
    /// --threshold failed checks, promote after a pass at the max weight. Needs --prometheus or
    /// --prometheus-service.
    #[arg(long)]
    pub drive: bool,
    /// Seconds between checks.
    #[arg(long, default_value = "60", value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..=86400))]
    pub analysis_interval: u32,
    /// Failed checks that roll back.
    #[arg(long, default_value = "5", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub threshold: u32,
    /// Minimum success rate of the canary, in percent.
    #[arg(long, default_value = "99", value_name = "PERCENT")]
    pub min_success_rate: f64,
    /// Maximum p99 latency of the canary, in milliseconds.
    #[arg(long, default_value = "500", value_name = "MS")]
    pub max_p99_ms: f64,
    /// Fewer canary requests in an interval make a check inconclusive.
    #[arg(long, default_value = "20", value_name = "N")]
    pub min_requests: u32,
    /// Maximum share of 4xx responses of the canary, in percent. Without it 4xx are shown but
    /// never fail a check.
    #[arg(long, value_name = "PERCENT")]
    pub max_4xx_rate: Option<f64>,
    /// Maximum growth of the canary's average memory per pod, in percent, from its first
    /// resource sample (within the last hour) to the latest. Without it memory never fails a
    /// check; without the resource metrics API it is not judged.
    #[arg(long, value_name = "PERCENT")]
    pub max_memory_growth: Option<f64>,
    /// Which judge decides: `threshold` (each check against the thresholds above) or
    /// `statistical` (canary against primary: Mann-Whitney, Hodges-Lehmann and error counts,
    /// scored). Default: the config's `[analysis] judge`, else threshold.
    #[arg(long, value_name = "threshold|statistical")]
    pub judge: Option<crate::model::JudgeKind>,
}

impl DriveArgs {
    pub fn settings(&self) -> Result<crate::model::AnalysisSettings, String> {
        if !(0.0..=100.0).contains(&self.min_success_rate) {
            return Err(format!(
                "--min-success-rate {} is not a percentage",
                self.min_success_rate
            ));
        }
        if !(self.max_p99_ms.is_finite() && self.max_p99_ms > 0.0) {
            return Err(format!(
                "--max-p99-ms {} is not a positive number of milliseconds",
                self.max_p99_ms
            ));
        }
        if let Some(r) = self.max_4xx_rate.filter(|r| !(0.0..=100.0).contains(r)) {
            return Err(format!("--max-4xx-rate {r} is not a percentage"));
        }
        if let Some(g) = self
            .max_memory_growth
            .filter(|g| !(g.is_finite() && *g >= 0.0))
        {
            return Err(format!(
                "--max-memory-growth {g} is not a positive percentage"
            ));
        }
        Ok(crate::model::AnalysisSettings {
            interval_secs: self.analysis_interval,
            threshold: self.threshold,
            min_success_rate: self.min_success_rate,
            max_p99_ms: self.max_p99_ms,
            min_requests: self.min_requests,
            max_4xx_rate: self.max_4xx_rate,
            max_memory_growth: self.max_memory_growth,
            judge: self.judge.unwrap_or_default(),
            ..crate::model::AnalysisSettings::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn drive(args: &[&str]) -> super::DriveArgs {
        let mut argv = vec!["canary", "watch", "ingress/shop"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv).map(|c| c.command) {
            Ok(Some(Command::Watch(w))) => w.drive,
            other => panic!("not a watch: {other:?}"),
        }
    }

    #[test]
    fn max_4xx_rate_is_off_unless_given_and_a_percentage() {
        assert_eq!(drive(&[]).settings().unwrap().max_4xx_rate, None);
        let strict = drive(&["--drive", "--max-4xx-rate", "5"])
            .settings()
            .unwrap();
        assert_eq!(strict.max_4xx_rate, Some(5.0));
        assert_eq!(strict.max_4xx_share(), Some(0.05));
        assert_eq!(
            drive(&["--max-4xx-rate", "150"]).settings().unwrap_err(),
            "--max-4xx-rate 150 is not a percentage"
        );
    }

    #[test]
    fn the_judge_is_the_thresholds_unless_given() {
        use crate::model::JudgeKind;
        assert_eq!(drive(&[]).judge, None);
        assert_eq!(drive(&[]).settings().unwrap().judge, JudgeKind::Threshold);
        let on = drive(&["--drive", "--judge", "statistical"]);
        assert_eq!(on.settings().unwrap().judge, JudgeKind::Statistical);
        let mut argv = vec!["canary", "watch", "ingress/shop", "--judge", "bayes"];
        argv.truncate(5);
        assert!(Cli::try_parse_from(argv).is_err());
    }

    #[test]
    fn max_memory_growth_is_off_unless_given() {
        assert_eq!(drive(&[]).settings().unwrap().max_memory_growth, None);
        let on = drive(&["--drive", "--max-memory-growth", "20"]);
        assert_eq!(on.settings().unwrap().max_memory_growth, Some(20.0));
        assert_eq!(
            drive(&["--max-memory-growth=-5"]).settings().unwrap_err(),
            "--max-memory-growth -5 is not a positive percentage"
        );
    }
}

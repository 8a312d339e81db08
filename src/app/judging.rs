//! Both judges' view of the canary, refreshed with each metrics sample so the analysis panel
//! shows them side by side ("thresholds: pass · judge: 62/100 marginal") without computing
//! anything while it draws. Live, the statistical judge's report goes into the recording once
//! per analysis interval (`Event::Judged`), for the post-mortem, the plot and the alerts.

use super::{App, Event};
use crate::controller::statistical::samples::{self, VersionSamples};
use crate::controller::{judge, statistical};
use crate::model::{JudgeReport, Millis, Outcome};

/// What each judge makes of the canary now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Judging {
    /// The thresholds over the last interval.
    pub thresholds: Option<Outcome>,
    /// The statistical judge over its window.
    pub report: Option<JudgeReport>,
    /// The last report recorded (live) or read from the recording (replay), and when.
    pub recorded: Option<(Millis, JudgeReport)>,
    /// What the statistical judge read, canary then primary: the overlay draws it.
    pub samples: Option<[VersionSamples; 2]>,
    /// The first metric the overlay shows.
    pub scroll: usize,
}

impl App {
    /// Judges the canary with both judges over the samples kept so far.
    pub(super) fn refresh_judging(&mut self, at: Millis) {
        if self.history.is_empty() {
            self.judging.thresholds = None;
            self.judging.report = None;
            self.judging.samples = None;
            return;
        }
        let now = self.now.max(at);
        let thresholds = judge::judge_metrics(&self.settings, &self.history, now).outcome;
        let report = statistical::judge(
            &self.settings.statistical,
            &self.history,
            &self.usage.history,
            now,
        );
        self.judging.thresholds = Some(thresholds);
        if self.config.record_judgements {
            let due = self
                .judging
                .recorded
                .as_ref()
                .is_none_or(|(last, _)| now.0 - last.0 >= self.settings.interval_ms());
            if due {
                self.judging.recorded = Some((now, report.clone()));
                self.produced.push(Event::Judged {
                    at: now,
                    report: report.clone(),
                });
            }
        }
        self.judging.report = Some(report);
        let window_ms = i64::from(self.settings.statistical.window_secs) * 1000;
        self.judging.samples = Some(samples::collect(
            &self.history,
            &self.usage.history,
            now,
            window_ms,
        ));
    }
}

impl App {
    /// A key in the judge's overlay: `j`/`k` scroll its metrics, `J`, `esc`, `?` or `q` close it.
    pub(super) fn judge_key(&mut self, key: crossterm::event::KeyEvent) {
        use super::keymap::{self, Command};
        use crossterm::event::KeyCode;
        let metrics = self.judging.report.as_ref().map_or(0, |r| r.metrics.len());
        match (keymap::lookup(keymap::HELP, &key), key.code) {
            (Some(Command::Quit), _) => self.should_quit = true,
            (Some(_), _) | (None, KeyCode::Char('J')) => {}
            (None, KeyCode::Char('j') | KeyCode::Down) => {
                self.judging.scroll = (self.judging.scroll + 1).min(metrics.saturating_sub(1));
                self.mode = super::Mode::Judge;
            }
            (None, KeyCode::Char('k') | KeyCode::Up) => {
                self.judging.scroll = self.judging.scroll.saturating_sub(1);
                self.mode = super::Mode::Judge;
            }
            (None, _) => self.mode = super::Mode::Judge,
        }
    }
}

//! The statistical judge in the post-mortem: its score over the session, the first time it
//! failed the canary, and its last report with the numbers of each metric — the same numbers the
//! cockpit showed, read from the recording's `judged` events (or, from a recording older than
//! format 1.5, judged again from its samples).

use super::labels::{offset_label, utc};
use crate::hygiene::field;
use crate::model::{JudgeReport, JudgeVerdict};
use serde::Serialize;
use std::fmt::Write as _;

/// The judge's reports over the session.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JudgeSummary {
    /// Every report's score and verdict, in order: the score over time.
    pub scores: Vec<ScorePoint>,
    /// The first report that failed the canary.
    pub first_fail: Option<ScorePoint>,
    /// The last report, whole: per metric the numbers, the class and the reason.
    pub last_t_ms: i64,
    pub last: JudgeReport,
}

/// One report's score, when it was made.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScorePoint {
    pub t_ms: i64,
    pub at: String,
    /// 0–100; `None` when no metric could be judged.
    pub score: Option<f64>,
    pub verdict: JudgeVerdict,
    /// `judge 40/100 fail (p99 High)`.
    pub headline: String,
}

/// Adds the report made at `t_ms` (the instant `at`, in ms since the epoch).
pub(super) fn read(judge: &mut Option<JudgeSummary>, t_ms: i64, at: i64, report: &JudgeReport) {
    let point = ScorePoint {
        t_ms,
        at: utc(crate::model::Millis(at)),
        score: report.score,
        verdict: report.verdict,
        headline: report.headline(),
    };
    let j = judge.get_or_insert_with(|| JudgeSummary {
        scores: Vec::new(),
        first_fail: None,
        last_t_ms: t_ms,
        last: report.clone(),
    });
    if report.verdict == JudgeVerdict::Fail && j.first_fail.is_none() {
        j.first_fail = Some(point.clone());
    }
    j.scores.push(point);
    j.last_t_ms = t_ms;
    j.last = report.clone();
}

/// The post-mortem's section of the judge.
pub(super) fn write(judge: Option<&JudgeSummary>, out: &mut String) {
    let Some(j) = judge else {
        out.push_str("\nJudge: no report recorded\n");
        return;
    };
    let scores: Vec<f64> = j.scores.iter().filter_map(|p| p.score).collect();
    let range = match (
        scores.iter().copied().reduce(f64::min),
        scores.iter().copied().reduce(f64::max),
    ) {
        (Some(lo), Some(hi)) => format!(", score {:.0}–{:.0}", lo.floor(), hi.floor()),
        _ => String::new(),
    };
    let _ = write!(out, "\nJudge: {} reports{range}\n", j.scores.len());
    if let Some(f) = &j.first_fail {
        let _ = writeln!(
            out,
            "  first fail at {}: {}",
            offset_label(f.t_ms),
            field(&f.headline)
        );
    }
    let _ = writeln!(
        out,
        "  last at {}: {}",
        offset_label(j.last_t_ms),
        field(&j.last.headline())
    );
    for m in &j.last.metrics {
        let _ = writeln!(out, "    {}", field(&m.line()));
    }
}

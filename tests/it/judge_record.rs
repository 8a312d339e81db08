//! The statistical judge's numbers everywhere after the panel: in the recording (`judged`,
//! format 1.5), in the post-mortem, in the alerts' bodies, and in the SVG plot as the score over
//! time; a recording of an older format reads as before, its samples judged again.

use crate::support::scratch;
use canary_cockpit::app::{AppConfig, Event, ReleaseOutcome};
use canary_cockpit::model::{JudgeKind, JudgeVerdict, Millis};
use canary_cockpit::record::{self, Header, Recorder, Recording, SessionSource};
use canary_cockpit::replay::{plot, summary::summarize};
use canary_cockpit::source::demo::{DemoSession, Scenario};

/// subtle-v2 under the statistical judge, recorded and read back: v2's p99 is 30 % worse, the
/// judge rolls it back.
fn subtle_run() -> Recording {
    let path = scratch("subtle").join("subtle.jsonl.zst");
    let header = Header::new(SessionSource::demo("subtle-v2", 3), Millis(0), "frontend");
    let mut scenario = Scenario::load("subtle-v2").unwrap();
    scenario.analysis.judge = Some(JudgeKind::Statistical);
    let mut session = DemoSession::new(scenario, 3, Millis(0), AppConfig::default())
        .record_to(Recorder::create(&path, &header).unwrap());
    session.start();
    assert_eq!(
        session.run_to_outcome(3_600_000),
        Some(ReleaseOutcome::RolledBack)
    );
    session.tap.finish().unwrap();
    record::read(&path).unwrap()
}

#[test]
fn the_recording_the_post_mortem_the_alerts_and_the_plot_carry_the_judge() {
    let rec = subtle_run();
    assert_eq!(rec.header.version, "1.5");
    assert!(rec.header.records_judgements());
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
    let judged: Vec<_> = rec
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Judged { at, report } => Some((*t, *at, report.clone())),
            _ => None,
        })
        .collect();
    assert!(judged.len() >= 3, "{} reports", judged.len());
    // one per analysis interval (15 s in subtle-v2), no more
    assert!(judged.windows(2).all(|w| w[1].1 .0 - w[0].1 .0 >= 15_000));
    let failed = judged
        .iter()
        .find(|(_, _, r)| r.verdict == JudgeVerdict::Fail)
        .expect("a failing report");
    assert!(failed.2.reason.contains("p99 High"), "{}", failed.2.reason);

    // the post-mortem: the score over time, the first fail, the last report's numbers
    let summary = summarize(&rec);
    let j = summary.judge.as_ref().expect("the judge in the summary");
    assert_eq!(j.scores.len(), judged.len());
    assert_eq!(j.last, judged.last().unwrap().2);
    let first = j.first_fail.as_ref().unwrap();
    assert_eq!(first.t_ms, failed.1 .0);
    assert_eq!(first.headline, failed.2.headline());
    let text = summary.to_text();
    assert!(
        text.contains(&format!("\nJudge: {} reports, score ", judged.len())),
        "{text}"
    );
    assert!(text.contains("  first fail at T+"), "{text}");
    let p99 = j.last.metrics.iter().find(|m| m.name == "p99").unwrap();
    assert!(text.contains(&format!("    {}\n", p99.line())), "{text}");
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["judge"]["last"]["metrics"][0]["name"], "error rate");
    assert!(json["judge"]["scores"][0]["verdict"].is_string());

    // the rollback's alert carries the report the cockpit had when it raised it
    let alert = rec
        .events
        .iter()
        .find_map(|(_, e)| match e {
            Event::AlertRaised { alert } if alert.event.name() == "automatic_rollback" => {
                Some(alert.clone())
            }
            _ => None,
        })
        .expect("the rollback's alert");
    let report = alert.judge.as_ref().expect("the judge in the alert");
    assert_eq!(report.verdict, JudgeVerdict::Fail);
    assert!(report
        .metrics
        .iter()
        .any(|m| m.name == "p99" && m.class == canary_cockpit::model::MetricClass::High));

    // the plot: a panel of the score, a line through the reports
    let svg = plot::svg(&rec);
    assert!(
        svg.contains("statistical judge&apos;s score (0–100)"),
        "no score panel"
    );
    assert!(svg.contains(r#"class="series judge-score""#));
}

#[test]
fn an_older_recording_reads_and_its_samples_are_judged_again() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/faulty-v2-rollback.jsonl.zst"
    );
    let rec = record::read(path).unwrap();
    assert_eq!(rec.header.version, "1.0");
    assert!(rec.warnings.is_empty(), "{:?}", rec.warnings);
    assert!(!rec.header.records_judgements());
    assert!(!rec
        .events
        .iter()
        .any(|(_, e)| matches!(e, Event::Judged { .. })));
    let summary = summarize(&rec);
    let j = summary
        .judge
        .as_ref()
        .expect("judged again from the samples");
    assert!(!j.scores.is_empty());
    // faulty-v2's canary errors: the error rate is High on its counts before the end
    assert!(
        j.first_fail
            .as_ref()
            .is_some_and(|f| f.headline.contains("critical error rate High")),
        "{:?}",
        j.first_fail
    );
    assert!(plot::svg(&rec).contains(r#"class="series judge-score""#));
}

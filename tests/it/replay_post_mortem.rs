//! The post-mortem of a recording: the summary (data, JSON, text) and the SVG picture.

use crate::support::{code, key, scratch};
use canary_cockpit::app::{Action, Actor, AppConfig, Event, ReleaseOutcome};
use canary_cockpit::model::{
    MetricsSample, Millis, Phase, ReleaseSnapshot, Version, VersionSample, Weight,
};
use canary_cockpit::record::{self, Header, Recorder, Recording, SessionSource};
use canary_cockpit::replay::plot::{self, MAX_POINTS};
use canary_cockpit::replay::summary::{summarize, Pause, SessionOutcome};
use canary_cockpit::source::demo::{DemoSession, Scenario};
use crossterm::event::KeyCode;

const NOTE: &str = "paging on-call: see <INC-42> & \"checkout\" dashboards";

fn alice() -> Actor {
    Actor::Operator {
        user: "alice".into(),
        kube_user: Some("alice@corp".into()),
    }
}

/// The faulty-v2 demo, recorded to a file and read back: alice pauses at T+00:20 and resumes at
/// T+00:40 (by key, as at the keyboard), writes a note at T+00:50, and a promotion she asks for at
/// T+01:00 is refused; the analysis rolls v2 back at T+01:30.
fn faulty_run(name: &str) -> Recording {
    let path = scratch(name).join("faulty.jsonl.zst");
    let header = Header::new(SessionSource::demo("faulty-v2", 7), Millis(0), "frontend");
    let config = AppConfig {
        user: "alice".into(),
        kube_user: Some("alice@corp".into()),
        ..AppConfig::default()
    };
    let scenario = Scenario::load("faulty-v2").unwrap();
    let mut session = DemoSession::new(scenario, 7, Millis(0), config)
        .record_to(Recorder::create(&path, &header).unwrap());
    session.start();
    session.run_until(Millis(10_000));
    // testers first: a header route to v2, cleared again at T+00:30
    let mut typed = vec![key('h')];
    typed.extend("header X-Canary=always".chars().map(key));
    typed.push(code(KeyCode::Enter));
    session.feed(typed);
    session.run_until(Millis(20_000));
    session.feed(vec![key('p')]);
    session.run_until(Millis(30_000));
    session.feed(vec![key('h'), key('y')]);
    session.run_until(Millis(40_000));
    session.feed(vec![key('p')]);
    session.run_until(Millis(50_000));
    session.feed(vec![Event::Note {
        at: Millis(50_000),
        author: "alice".into(),
        text: NOTE.into(),
    }]);
    session.run_until(Millis(60_000));
    session.feed(vec![Event::ActionResult {
        at: Millis(60_000),
        action: Action::Promote,
        actor: alice(),
        error: Some("rollouts.argoproj.io \"frontend\" is forbidden".into()),
    }]);
    assert_eq!(
        session.run_to_outcome(3_600_000),
        Some(ReleaseOutcome::RolledBack)
    );
    session.tap.finish().unwrap();
    record::read(&path).unwrap()
}

/// A recording with only a header.
fn header_only(name: &str) -> Recording {
    let path = scratch(name).join("empty.jsonl");
    let header = Header::new(
        SessionSource::cluster("prod-eu", "shop", "argo-rollouts", "rollout/api"),
        Millis(1_767_225_600_000),
        "api",
    );
    Recorder::create(&path, &header).unwrap().finish().unwrap();
    let rec = record::read(&path).unwrap();
    assert!(rec.events.is_empty());
    rec
}

fn release(weight: u8, phase: Option<Phase>) -> ReleaseSnapshot {
    ReleaseSnapshot {
        name: "api".into(),
        namespace: "shop".into(),
        source: "argo-rollouts".into(),
        primary: Version {
            name: "v7".into(),
            image: "registry/api:7".into(),
        },
        canary: Version {
            name: "v8".into(),
            image: "registry/api:8".into(),
        },
        weight: Weight::clamped(weight),
        canary_replicas: 1,
        phase,
        plan: None,
        paused: None,
        controller: None,
        rules: Vec::new(),
        refusals: Vec::new(),
    }
}

fn cluster_header(started_at: Millis) -> Header {
    Header::new(
        SessionSource::cluster("prod-eu", "shop", "argo-rollouts", "rollout/api"),
        started_at,
        "api",
    )
}

fn traffic(requests: f64, errors: f64, p99: f64) -> VersionSample {
    VersionSample {
        rps: requests / 2.0,
        requests,
        errors,
        p99_ms: Some(p99),
        ..VersionSample::default()
    }
}

fn sample(at: Millis, primary: VersionSample, canary: VersionSample) -> Event {
    Event::MetricsSampled {
        sample: MetricsSample {
            at,
            period_ms: 2000,
            primary,
            canary,
        },
    }
}

fn recording(header: Header, events: Vec<Event>) -> Recording {
    Recording {
        header,
        events: events.into_iter().map(|e| (e.at().unwrap(), e)).collect(),
        warnings: Vec::new(),
    }
}

/// Coordinates drawn for one series (class `series <name>`): polyline points and single dots.
fn series_points(svg: &str, name: &str) -> Vec<(f64, f64)> {
    let class = format!("class=\"series {name}\"");
    let mut out = Vec::new();
    for line in svg.lines().filter(|l| l.contains(&class)) {
        if let Some(points) = attr(line, "points") {
            for pair in points.split_whitespace() {
                let (x, y) = pair.split_once(',').unwrap();
                out.push((x.parse().unwrap(), y.parse().unwrap()));
            }
        } else {
            let x = attr(line, "cx").unwrap().parse().unwrap();
            let y = attr(line, "cy").unwrap().parse().unwrap();
            out.push((x, y));
        }
    }
    out
}

fn attr<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let start = line.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = line[start..].find('"')?;
    Some(&line[start..start + len])
}

/// Every `<` opens a tag (no raw markup characters in text), and tags balance.
fn assert_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg "), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.trim_end().ends_with("</svg>"));
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').expect("unclosed tag") + i;
        let tag = &rest[i + 1..end];
        assert!(!tag.contains('<'), "raw < inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "unbalanced </{name}>");
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().unwrap());
        }
        let text = &rest[end + 1
            ..rest[end + 1..]
                .find('<')
                .map_or(rest.len(), |j| end + 1 + j)];
        assert!(!text.contains('>'), "raw > in text: {text}");
        for amp in text.match_indices('&') {
            let entity = &text[amp.0..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "raw & in text: {text}"
            );
        }
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
}

#[test]
fn a_faulty_run_sums_up_to_a_rollback_after_five_failed_checks() {
    let rec = faulty_run("faulty");
    let s = summarize(&rec);

    assert_eq!(s.release, "frontend");
    assert_eq!(s.outcome, SessionOutcome::RolledBack);
    assert_eq!(s.outcome_t_ms, Some(90_000));
    assert_eq!(s.duration_ms, 90_000);
    assert_eq!(s.event_count, rec.events.len());

    assert_eq!(s.failed_verdicts.len(), 5, "{:?}", s.failed_verdicts);
    for (i, v) in s.failed_verdicts.iter().enumerate() {
        assert_eq!(v.failed_checks, i as u32 + 1);
        assert!(!v.reason.is_empty());
    }
    assert_eq!(s.failed_verdicts[4].t_ms, 90_000);
    assert_eq!(s.checks.failed, 5);
    assert!(s.checks.passed >= 1, "{:?}", s.checks);

    let changes: Vec<(i64, Phase, Phase)> = s
        .phase_changes
        .iter()
        .map(|c| (c.t_ms, c.from, c.to))
        .collect();
    assert_eq!(
        changes,
        [
            (20_000, Phase::Progressing, Phase::Paused),
            (40_000, Phase::Paused, Phase::Progressing),
            (90_000, Phase::Progressing, Phase::RollingBack),
            (90_000, Phase::RollingBack, Phase::RolledBack),
        ]
    );

    assert_eq!(s.paused_ms, 20_000);
    assert_eq!(
        s.pauses,
        [Pause {
            start_t_ms: 20_000,
            end_t_ms: 40_000,
            open: false
        }]
    );

    let ops: Vec<(i64, &str, Action, bool)> = s
        .operator_actions
        .iter()
        .map(|a| (a.t_ms, a.who.as_str(), a.action, a.ok))
        .collect();
    assert_eq!(
        ops,
        [
            (20_000, "alice (alice@corp)", Action::Pause, true),
            (40_000, "alice (alice@corp)", Action::Resume, true),
            (60_000, "alice (alice@corp)", Action::Promote, false),
        ]
    );
    assert_eq!(s.operator_actions[0].user.as_deref(), Some("alice"));
    assert!(s.operator_actions[2]
        .error
        .as_deref()
        .is_some_and(|e| e.contains("forbidden")));
    assert!(s
        .controller_actions
        .iter()
        .all(|a| a.who == "controller" && a.user.is_none()));
    assert!(s
        .controller_actions
        .iter()
        .any(|a| a.action == Action::Rollback && a.t_ms == 90_000 && a.ok));

    assert_eq!(s.notes.len(), 1);
    assert_eq!(
        (
            s.notes[0].t_ms,
            s.notes[0].author.as_str(),
            s.notes[0].text.as_str()
        ),
        (50_000, "alice", NOTE)
    );

    let limit = s.analysis.as_ref().unwrap().max_error_rate;
    assert!((limit - 0.01).abs() < 1e-9, "{limit}");
    let canary = s.peaks.canary.error_rate.as_ref().unwrap();
    assert!(canary.value > limit, "canary peak {}", canary.value);
    assert!(canary.value > 0.1, "canary peak {}", canary.value);
    let primary = s.peaks.primary.error_rate.as_ref().unwrap();
    assert!(primary.value < 0.02, "primary peak {}", primary.value);
    assert!(s.peaks.canary.p99_ms.as_ref().unwrap().value > 500.0);
    assert!(s.peaks.primary.p99_ms.as_ref().unwrap().value < 400.0);
    assert_eq!(s.weight.max_percent, Some(5));
    assert_eq!(s.weight.final_percent, Some(0));
    assert_eq!(s.versions.canary.as_ref().unwrap().name, "v2");
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn the_summary_serializes_to_stable_json() {
    let s = summarize(&faulty_run("json"));
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["release"], "frontend");
    assert_eq!(v["source"]["kind"], "demo");
    assert_eq!(v["source"]["scenario"], "faulty-v2");
    assert_eq!(v["started_at_ms"], 0);
    assert_eq!(v["started_at"], "1970-01-01T00:00:00Z");
    assert_eq!(v["duration_ms"], 90_000);
    assert_eq!(v["paused_ms"], 20_000);
    assert_eq!(v["outcome"], "rolled-back");
    assert_eq!(v["outcome_t_ms"], 90_000);
    assert_eq!(v["pauses"][0]["start_t_ms"], 20_000);
    assert_eq!(v["phase_changes"][2]["to"], "rolling-back");
    assert_eq!(v["phase_changes"][2]["from"], "progressing");
    assert_eq!(v["phase_changes"][2]["t_ms"], 90_000);
    assert_eq!(v["phase_changes"][2]["at"], "1970-01-01T00:01:30Z");

    let pause = &v["operator_actions"][0];
    assert_eq!(pause["who"], "alice (alice@corp)");
    assert_eq!(pause["user"], "alice");
    assert_eq!(pause["kube_user"], "alice@corp");
    assert_eq!(pause["action"]["kind"], "pause");
    assert_eq!(pause["ok"], true);
    assert_eq!(pause["error"], serde_json::Value::Null);
    assert_eq!(pause["t_ms"], 20_000);
    let refused = &v["operator_actions"][2];
    assert_eq!(refused["ok"], false);
    assert!(refused["error"].as_str().unwrap().contains("forbidden"));

    assert_eq!(v["notes"][0]["text"], NOTE);
    assert_eq!(v["notes"][0]["author"], "alice");
    assert_eq!(v["failed_verdicts"].as_array().unwrap().len(), 5);
    assert_eq!(v["failed_verdicts"][4]["failed_checks"], 5);
    assert!(v["failed_verdicts"][0]["reason"].is_string());
    assert_eq!(v["checks"]["failed"], 5);
    assert!(
        v["peaks"]["canary"]["error_rate"]["value"]
            .as_f64()
            .unwrap()
            > 0.01
    );
    assert!(v["peaks"]["canary"]["error_rate"]["t_ms"].is_i64());
    assert!(v["peaks"]["primary"]["p99_ms"]["value"].is_f64());
    assert_eq!(v["analysis"]["threshold"], 5);
    assert_eq!(v["warnings"], serde_json::json!([]));
    assert_eq!(v["controller_actions"][0]["who"], "controller");
    assert_eq!(v["controller_actions"][0]["user"], serde_json::Value::Null);
}

#[test]
fn the_text_post_mortem_names_what_happened() {
    let text = summarize(&faulty_run("text")).to_text();
    let line = |start: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no line starting with {start:?} in\n{text}"))
    };
    assert!(text.starts_with("Post-mortem: frontend\n"), "{text}");
    assert!(
        line("outcome").ends_with("rolled-back at T+01:30"),
        "{text}"
    );
    assert!(line("duration").ends_with("01:30"), "{text}");
    assert!(line("paused").ends_with("00:20 (1 pause)"), "{text}");
    assert!(
        line("source ").ends_with("demo faulty-v2 (seed 7)"),
        "{text}"
    );
    assert!(line("T+00:20").contains("Progressing -> Paused"), "{text}");
    assert!(text.contains("RollingBack -> RolledBack"), "{text}");
    for want in [
        "Operator actions",
        "Controller actions",
        "Notes",
        "Checks: ",
        "5 failed",
        "failed 5/5",
        "Peaks",
        NOTE,
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    let pause = text
        .lines()
        .find(|l| l.contains("alice (alice@corp)") && l.contains("pause"))
        .unwrap();
    assert!(pause.ends_with("ok"), "{pause}");
    let refused = text
        .lines()
        .find(|l| l.contains("alice (alice@corp)") && l.contains("promote"))
        .unwrap();
    assert!(
        refused.contains("failed: rollouts.argoproj.io"),
        "{refused}"
    );

    // The overview's values start in one column.
    let columns: Vec<usize> = ["source ", "started", "duration", "outcome", "paused"]
        .iter()
        .map(|k| {
            let l = line(k);
            l.len() - l[k.len() + 2..].trim_start().len()
        })
        .collect();
    assert!(
        columns.windows(2).all(|w| w[0] == w[1]),
        "{columns:?}\n{text}"
    );
    assert!(!text.contains('\x1b'));
    let routes = text
        .split("Testers' routes")
        .nth(1)
        .unwrap_or_else(|| panic!("no routes section in\n{text}"));
    let added = line("T+00:10");
    assert!(
        added.contains("alice (alice@corp)")
            && added.contains("route header X-Canary=always to the canary")
            && added.ends_with("ok"),
        "{routes}"
    );
    assert!(
        line("T+00:30").contains("clear the cockpit's routes"),
        "{routes}"
    );
}

#[test]
fn an_empty_recording_says_none_everywhere() {
    let rec = header_only("empty");
    let s = summarize(&rec);
    assert_eq!(s.duration_ms, 0);
    assert_eq!(s.paused_ms, 0);
    assert_eq!(s.outcome, SessionOutcome::Undecided);
    assert_eq!(s.outcome_t_ms, None);
    assert!(s.phase_changes.is_empty() && s.operator_actions.is_empty() && s.notes.is_empty());
    assert!(s.failed_verdicts.is_empty() && s.controller_actions.is_empty());
    assert_eq!(s.peaks.canary.error_rate, None);
    assert_eq!(s.peaks.primary.p99_ms, None);
    assert_eq!(s.started_at, "2026-01-01T00:00:00Z");

    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["outcome"], "undecided");
    assert_eq!(v["peaks"]["canary"]["error_rate"], serde_json::Value::Null);
    assert_eq!(v["analysis"], serde_json::Value::Null);

    let text = s.to_text();
    for section in [
        "Phase changes",
        "Operator actions",
        "Controller actions",
        "Notes",
    ] {
        let after = text.split(&format!("\n{section}\n")).nth(1).unwrap();
        assert!(
            after.starts_with("  none\n"),
            "{section} is not 'none':\n{text}"
        );
    }
    assert!(text.contains("failed checks: none"), "{text}");
    assert!(text.contains("undecided"), "{text}");
    let warnings = text.split("\nWarnings\n").nth(1).unwrap();
    assert_eq!(
        warnings.lines().count(),
        rec.warnings.len().max(1),
        "{text}"
    );
    if rec.warnings.is_empty() {
        assert_eq!(warnings, "  none\n");
    }
    assert!(!text.contains('%'), "no traffic is not 0 %:\n{text}");
    assert_eq!(text.matches("no traffic").count(), 4, "{text}");

    let svg = plot::svg(&rec);
    assert_well_formed(&svg);
    assert!(svg.contains("no data"), "{svg}");
}

#[test]
fn a_cluster_pause_counts_and_silence_is_not_zero_errors() {
    let t0 = Millis(1_767_225_600_000);
    let at = |secs: i64| t0.plus_ms(secs * 1000);
    let quiet = VersionSample::default();
    let events = vec![
        Event::ReleaseObserved {
            at: at(0),
            release: release(10, Some(Phase::Progressing)),
        },
        sample(at(2), traffic(200.0, 0.0, 120.0), quiet),
        Event::ReleaseObserved {
            at: at(10),
            release: release(10, Some(Phase::Paused)),
        },
        Event::ReleaseObserved {
            at: at(25),
            release: release(20, Some(Phase::Progressing)),
        },
        Event::ReleaseObserved {
            at: at(50),
            release: release(20, Some(Phase::Paused)),
        },
        Event::Tick { at: at(60) },
    ];
    let s = summarize(&recording(cluster_header(t0), events));
    assert_eq!(s.duration_ms, 60_000);
    assert_eq!(s.paused_ms, 15_000 + 10_000);
    assert_eq!(
        s.pauses,
        [
            Pause {
                start_t_ms: 10_000,
                end_t_ms: 25_000,
                open: false
            },
            Pause {
                start_t_ms: 50_000,
                end_t_ms: 60_000,
                open: true
            }
        ]
    );
    assert_eq!(s.peaks.primary.error_rate.as_ref().unwrap().value, 0.0);
    assert_eq!(s.peaks.canary.error_rate, None, "no canary traffic");
    assert_eq!(s.peaks.canary.p99_ms, None);
    assert_eq!(s.outcome, SessionOutcome::Undecided);
    let text = s.to_text();
    assert!(text.contains("cluster prod-eu, namespace shop, argo-rollouts rollout/api"));
    let canary = text
        .lines()
        .find(|l| l.trim_start().starts_with("canary (v8)"))
        .unwrap();
    assert!(
        canary.contains("no traffic") && !canary.contains('%'),
        "{canary}"
    );
    assert!(text.contains("0.0 % at T+00:02"), "{text}");
    let nothing = recording(cluster_header(t0), Vec::new());
    assert!(summarize(&nothing)
        .to_text()
        .ends_with("\nWarnings\n  none\n"));
    assert_well_formed(&plot::svg(&nothing));
}

#[test]
fn the_picture_shows_weight_traffic_and_the_escaped_note() {
    let rec = faulty_run("plot");
    let svg = plot::svg(&rec);
    assert_well_formed(&svg);
    let weight = series_points(&svg, "weight");
    assert!(weight.len() >= 4, "{weight:?}");
    assert!(!series_points(&svg, "canary-error").is_empty());
    assert!(!series_points(&svg, "primary-p99").is_empty());
    assert!(svg.contains("&lt;INC-42&gt; &amp; &quot;checkout&quot;"));
    assert!(!svg.contains("<INC-42>"));
    assert!(svg.contains("frontend"));
    assert!(svg.contains("demo faulty-v2 (seed 7)"));
    assert!(svg.contains("rolled-back"));
    assert!(svg.contains("rolled back"), "the rollback marker");
    assert!(svg.contains("pause (alice)"));
    assert_eq!(svg.matches("class=\"failed-check\"").count(), 5);
    assert!(svg.contains("T+01:30"));
}

#[test]
fn an_eight_hour_recording_is_downsampled_and_keeps_its_spike() {
    let t0 = Millis(1_767_225_600_000);
    let mut events = Vec::new();
    let hours = 8;
    let samples = hours * 3600 / 2;
    for i in 0..samples {
        let at = t0.plus_ms(i * 2000);
        if i % 600 == 0 {
            let weight = ((i / 600) % 11 * 10) as u8;
            events.push(Event::ReleaseObserved {
                at,
                release: release(weight, Some(Phase::Progressing)),
            });
        }
        let canary = if i == samples / 2 {
            traffic(100.0, 80.0, 2500.0)
        } else if (3000..3100).contains(&i) {
            VersionSample::default()
        } else {
            traffic(100.0, (i % 3) as f64, 150.0 + (i % 7) as f64)
        };
        events.push(sample(at, traffic(400.0, (i % 2) as f64, 140.0), canary));
        events.push(Event::Tick { at });
    }
    let rec = recording(cluster_header(t0), events);
    assert!(rec.events.len() > 28_000);
    let s = summarize(&rec);
    assert_eq!(s.duration_ms, (samples - 1) * 2000);
    assert_eq!(s.peaks.canary.error_rate.as_ref().unwrap().value, 0.8);
    assert_eq!(
        s.peaks.canary.error_rate.as_ref().unwrap().t_ms,
        samples / 2 * 2000
    );

    let svg = plot::svg(&rec);
    assert_well_formed(&svg);
    for series in [
        "weight",
        "primary-error",
        "canary-error",
        "primary-p99",
        "canary-p99",
    ] {
        let n = series_points(&svg, series).len();
        assert!(n > 0 && n <= MAX_POINTS, "{series}: {n} points");
    }
    // The single 80 % sample still reaches far above the ~1 % the canary shows otherwise.
    let ys: Vec<f64> = series_points(&svg, "canary-error")
        .iter()
        .map(|p| p.1)
        .collect();
    let (top, bottom) = ys
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(*y), hi.max(*y)));
    assert!(bottom - top > 100.0, "spike lost: {top}..{bottom}");
    // The stretch without canary traffic breaks the canary's line.
    assert!(
        svg.lines()
            .filter(|l| l.contains("class=\"series canary-error\""))
            .count()
            >= 2
    );
    assert!(
        svg.contains("T+8:00:00") || svg.contains("T+7:00:00"),
        "hour ticks"
    );
    assert!(svg.len() < 400_000, "{} bytes", svg.len());
}

#[test]
fn outages_are_listed_with_their_lengths() {
    let t0 = Millis(1_000_000);
    let events = vec![
        Event::ReleaseObserved {
            at: t0,
            release: release(20, None),
        },
        Event::SourceError {
            at: t0.plus_ms(10_000),
            source: "watch".into(),
            message: "lost the API server at https://10.0.0.1:6443: connection refused; retrying; the data is stale".into(),
        },
        Event::Tick {
            at: t0.plus_ms(60_000),
        },
        Event::Heartbeat {
            at: t0.plus_ms(135_000),
        },
        Event::SourceError {
            at: t0.plus_ms(140_000),
            source: "metrics".into(),
            message: "Prometheus unreachable".into(),
        },
        Event::Tick {
            at: t0.plus_ms(200_000),
        },
    ];
    let rec = recording(cluster_header(t0), events);
    let summary = summarize(&rec);
    let outages: Vec<(&str, i64, i64, bool)> = summary
        .outages
        .iter()
        .map(|o| (o.source.as_str(), o.t_ms, o.duration_ms, o.ended))
        .collect();
    assert_eq!(
        outages,
        vec![
            ("watch", 10_000, 125_000, true),
            ("metrics", 140_000, 60_000, false)
        ]
    );
    let text = summary.to_text();
    let section = text
        .split("Outages")
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        section.contains("the API server (watch)") && section.contains("02:05"),
        "{text}"
    );
    assert!(
        section.contains("(until the end of the recording)"),
        "{text}"
    );
    // the replayed cockpit tells the recovery in its event log
    let mut app = canary_cockpit::app::App::new(rec.header.replay_config(AppConfig::default()));
    for (_, e) in rec.events.iter().cloned() {
        app.update(e);
    }
    assert!(app
        .log
        .iter()
        .any(|e| e.text == "API server back after 2m05s; relisted"));
}

/// The leaky-v2 demo recorded and read back: its resource samples are in the recording, the
/// replayed cockpit has them, and the summary names each version's peak memory per pod.
#[test]
fn resource_samples_are_recorded_replayed_and_summed_up() {
    let path = scratch("leaky").join("leaky.jsonl.zst");
    let header = Header::new(SessionSource::demo("leaky-v2", 5), Millis(0), "frontend");
    let scenario = Scenario::load("leaky-v2").unwrap();
    let mut session = DemoSession::new(scenario, 5, Millis(0), AppConfig::default())
        .record_to(Recorder::create(&path, &header).unwrap());
    session.start();
    assert_eq!(
        session.run_to_outcome(3_600_000),
        Some(ReleaseOutcome::RolledBack)
    );
    let live_samples = session.app.usage.history.iter().len();
    session.tap.finish().unwrap();
    let rec = record::read(&path).unwrap();
    let recorded = rec
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::ResourcesSampled { .. }))
        .count();
    assert!(recorded >= 6, "one every 15 s: {recorded}");
    assert_eq!(recorded, live_samples);

    let mut replayed =
        canary_cockpit::app::App::new(rec.header.replay_config(AppConfig::default()));
    for (_, e) in &rec.events {
        let _ = replayed.update(e.clone());
    }
    assert_eq!(replayed.usage.history.iter().len(), recorded);
    assert_eq!(
        replayed.usage.history.latest(),
        session.app.usage.history.latest()
    );

    let s = summarize(&rec);
    let canary = s.peaks.canary.memory_per_pod.as_ref().expect("canary peak");
    let primary = s
        .peaks
        .primary
        .memory_per_pod
        .as_ref()
        .expect("primary peak");
    // the leak: the canary's peak is its last sample, far above where it started (140Mi)
    assert!(canary.bytes > 170 << 20, "{canary:?}");
    assert!(canary.t_ms > 60_000, "{canary:?}");
    assert!(primary.bytes < 200 << 20, "{primary:?}");
    let text = s.to_text();
    assert!(text.contains("memory/pod"), "{text}");
    let v = serde_json::to_value(&s).unwrap();
    assert!(v["peaks"]["canary"]["memory_per_pod"]["bytes"].is_u64());
}

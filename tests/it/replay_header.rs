//! Replay reads as replay: the header names the recording's time at the position instead of the
//! data's age, and the panels say what the live session had said (no Prometheus, metrics
//! unavailable), from the recording's events.

use crate::support::{self, rows};
use canary_cockpit::app::{AppConfig, Event, NO_PROMETHEUS};
use canary_cockpit::model::{MetricsSample, Millis, VersionSample};
use canary_cockpit::record::{Header, Recording, SessionSource};
use canary_cockpit::replay::playback::Playback;
use canary_cockpit::replay::Player;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// 2026-01-01T14:02:00Z: the recording starts.
const START: Millis = Millis(1_767_225_600_000 + (14 * 3600 + 2 * 60) * 1000);

/// The replay screen (cockpit and timeline) at `w` × `ht`.
fn draw(player: &Player, w: u16, ht: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, ht)).unwrap();
    terminal
        .draw(|f| canary_cockpit::replay::screen::draw(player, &Playback::default(), f))
        .unwrap();
    terminal
}

fn shown(player: &Player, w: u16, ht: u16) -> Vec<String> {
    rows(draw(player, w, ht).backend().buffer())
}

/// A live `watch` of ingress/frontend: the release, its pods, the cockpit's note that it found
/// no Prometheus, then a heartbeat a second for two minutes.
fn no_prometheus_recording() -> Recording {
    let h = support::just_observed(true);
    let mut release = h.release.clone();
    release.source = "ingress-nginx".to_string();
    let mut events = vec![
        Event::ReleaseObserved { at: START, release },
        Event::PodsObserved {
            at: START,
            pods: h.pods.clone(),
        },
        Event::Note {
            at: START,
            author: "cockpit".to_string(),
            text: format!("no Prometheus service found in the cluster: {NO_PROMETHEUS}"),
        },
    ];
    for s in 1..=120 {
        events.push(Event::Heartbeat {
            at: START.plus_ms(s * 1000),
        });
    }
    let header = Header::new(
        SessionSource::cluster("prod-eu", "demo", "ingress-nginx", "ingress/frontend"),
        START,
        "frontend",
    )
    .with_refresh_ms(1000);
    Recording {
        header,
        events: events
            .into_iter()
            .map(|e| (e.at().unwrap_or(START), e))
            .collect(),
        warnings: Vec::new(),
    }
}

#[test]
fn the_header_names_the_recordings_time_and_the_panels_say_no_prometheus() {
    let mut player = Player::new(no_prometheus_recording(), AppConfig::default());
    player.seek(START.plus_ms(70_000));
    for (w, ht) in [(80, 24), (120, 40)] {
        let screen = shown(&player, w, ht);
        let header = &screen[0];
        assert!(
            header.contains("recorded 14:03:10 UTC"),
            "{w}×{ht}: {header}"
        );
        assert!(!header.contains("data "), "{w}×{ht}: {header}");
        let text = screen.join("\n");
        assert_eq!(
            text.matches("│no Prometheus:").count(),
            2,
            "traffic and errors, as the live session said:\n{text}"
        );
        assert!(!text.contains("no metrics yet"), "{text}");
    }
    insta::assert_snapshot!(
        "replay_no_prometheus_80x24",
        draw(&player, 80, 24).backend()
    );
    // the time follows the position
    player.seek(START.plus_ms(5_000));
    let header = shown(&player, 120, 40).remove(0);
    assert!(header.contains("recorded 14:02:05 UTC"), "{header}");
}

/// The metrics failed while recording, then came back: replay says "metrics unavailable" and
/// the footer's error between the two, as the live cockpit did, and neither after.
#[test]
fn a_recorded_metrics_outage_reads_as_it_did_live() {
    let mut recording = no_prometheus_recording();
    recording
        .events
        .retain(|(_, e)| !matches!(e, Event::Note { .. }));
    let side = VersionSample {
        rps: 10.0,
        requests: 20.0,
        p99_ms: Some(100.0),
        ..VersionSample::default()
    };
    let sample = |s: i64| MetricsSample {
        at: START.plus_ms(s * 1000),
        period_ms: 2000,
        primary: side,
        canary: side,
    };
    let outage = START.plus_ms(30_500);
    recording.events.extend([
        (
            START.plus_ms(20_000),
            Event::MetricsSampled { sample: sample(20) },
        ),
        (
            outage,
            Event::SourceError {
                at: outage,
                source: "metrics".into(),
                message: "Prometheus at http://prometheus.monitoring:9090 did not answer".into(),
            },
        ),
        (
            START.plus_ms(60_000),
            Event::MetricsSampled { sample: sample(60) },
        ),
    ]);
    recording.events.sort_by_key(|(t, _)| *t);
    let mut player = Player::new(recording, AppConfig::default());
    player.seek(START.plus_ms(40_000));
    let text = shown(&player, 120, 40).join("\n");
    assert!(
        text.contains("metrics unavailable: Prometheus at"),
        "{text}"
    );
    assert!(
        text.contains("✖ metrics: Prometheus at"),
        "the footer:\n{text}"
    );
    assert!(!text.contains("no metrics yet"), "{text}");
    player.seek(START.plus_ms(61_000));
    let text = shown(&player, 120, 40).join("\n");
    assert!(!text.contains("metrics unavailable"), "{text}");
    assert!(!text.contains("✖ metrics:"), "{text}");
}

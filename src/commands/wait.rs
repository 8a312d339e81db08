//! `canary wait TARGET`: for a pipeline, until the release it deployed ends. The release is
//! followed by the same list+watch as `canary watch` (no request in steady state); each read goes
//! through the right-release rule ([`rule`]), each phase or weight change is one line
//! ([`line`]), and the waited span ends with the post-mortem of `canary replay --summary`.

mod line;
mod rule;

use crate::app::{App, AppConfig, Event};
use crate::cli::{OutputFormat, WaitArgs};
use crate::cluster::{connect, Cluster};
use crate::live::watches::{Change, Item, WatchSet};
use crate::live::Observed;
use crate::model::{wall_clock as now, Millis};
use crate::record::{Header, Recording, SessionSource, Tap};
use line::{Json, State};
use rule::{End, Ending, Step, Waiter};
use std::process::ExitCode;
use std::time::Duration;

use super::{runtime, RunError};

/// Exit code when the release ended the other way than `--for` asks (rolled back or failed, for
/// `--for promoted`).
pub const EXIT_ENDED_OTHERWISE: u8 = super::EXIT_RELEASE_FAILED;
/// Exit code when the release waits for a person (a pause, a gate).
pub const EXIT_HUMAN: u8 = 4;
/// Exit code when the timeout passed first.
pub const EXIT_TIMEOUT: u8 = 5;

pub fn wait(args: WaitArgs) -> Result<ExitCode, RunError> {
    let runtime = runtime()?;
    let cluster = runtime.block_on(connect(&args.connect))?;
    let observed = runtime.block_on(crate::live::release::read_to_watch(&cluster, &args.target))?;
    let code = runtime.block_on(follow(&cluster, observed, &args))?;
    Ok(ExitCode::from(code))
}

/// What the wait prints, as text or JSON lines.
struct Out {
    json: bool,
}

impl Out {
    fn say(&self, text: &str, json: Json<'_>) -> Result<(), RunError> {
        let line = if self.json {
            json.line()
        } else {
            format!("{text}\n")
        };
        // a reader that went away (`| head`) ends nothing: the exit code still tells
        crate::stdout::write(&line)
            .map(drop)
            .map_err(RunError::Output)
    }

    fn note(&self, at: Millis, text: &str) -> Result<(), RunError> {
        let json = Json::Note {
            at: crate::record::retention::utc_rfc3339(at),
            text,
        };
        self.say(&format!("{} {text}", line::clock(at)), json)
    }
}

/// The wait itself: the release as first read, then each read the watches give, until it ends,
/// a person must act, or the timeout passes.
async fn follow(cluster: &Cluster, first: Observed, args: &WaitArgs) -> Result<u8, RunError> {
    let out = Out {
        json: args.output == OutputFormat::Json,
    };
    let start = now();
    let deadline = tokio::time::Instant::now() + args.timeout;
    let command = format!("{} -n {}", args.target, cluster.namespace);
    let header = Header::new(
        SessionSource::cluster(
            &cluster.context,
            &cluster.namespace,
            args.target.kind.provider(),
            &args.target.to_string(),
        ),
        start,
        first.snapshot.name.clone(),
    );
    let mut app = App::new(AppConfig::default());
    let mut tap = Tap::new(None).keeping();
    let mut feed = |app: &mut App, event: Event| drop(tap.feed(app, event));
    feed(
        &mut app,
        Event::ReleaseObserved {
            at: start,
            release: first.snapshot.clone(),
        },
    );
    feed(
        &mut app,
        Event::PodsObserved {
            at: start,
            pods: first.pods.clone(),
        },
    );
    let seen = rule::seen(&first, &command);
    let mut waiter = Waiter::new(args.until, args.image.clone(), &seen);
    let opening = opening(&waiter, &seen, args);
    feed(&mut app, note(start, &opening));
    out.note(start, &opening)?;
    let mut printed: Option<State> = None;
    let mut latest = first;
    let mut set = WatchSet::start(cluster, &latest);
    let mut lost = false;
    let mut heartbeat = tokio::time::interval(Duration::from_secs(1));
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut fresh = true;
    let (ending, at) = loop {
        if fresh {
            fresh = false;
            let at = now();
            let seen = rule::seen(&latest, &command);
            let step = waiter.observe(&seen);
            if let Step::Follows { mark } = &step {
                let text = format!("following the release {}", short(mark, &seen));
                feed(&mut app, note(at, &text));
                out.note(at, &text)?;
            }
            let state = State::of(&latest, waiter.following().unwrap_or(""));
            if printed.as_ref() != Some(&state) {
                let json = Json::Change {
                    at: crate::record::retention::utc_rfc3339(at),
                    state: &state,
                };
                out.say(&state.text(at), json)?;
                printed = Some(state);
            }
            if let Step::Ends(ending) = step {
                break (ending, at);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break (Ending::Timeout, now()),
            change = set.next() => match change {
                None => break (Ending::Timeout, now()),
                Some(Change { watch, item: Item::Failed { words, detail } }) => {
                    tracing::warn!(%detail, "watch failed");
                    set.failing[watch] = true;
                    if !std::mem::replace(&mut lost, true) {
                        let at = now();
                        let text = format!("lost the API server at {}: {words}; retrying", cluster.server);
                        feed(&mut app, Event::SourceError { at, source: "watch".to_string(), message: text.clone() });
                        out.note(at, &text)?;
                    }
                }
                Some(Change { item: Item::Restarting | Item::Warning { .. }, .. }) => {}
                Some(Change { watch, item }) => {
                    if matches!(item, Item::Listed) {
                        set.listed[watch] = true;
                        set.failing[watch] = false;
                    }
                    if !set.listed.iter().all(|l| *l) {
                        continue;
                    }
                    lost = set.failing();
                    if let Some(Ok(next)) = set.rebuild(&latest, None) {
                        let at = now();
                        if next.snapshot != latest.snapshot {
                            feed(&mut app, Event::ReleaseObserved { at, release: next.snapshot.clone() });
                            fresh = true;
                        }
                        if next.pods != latest.pods {
                            feed(&mut app, Event::PodsObserved { at, pods: next.pods.clone() });
                        }
                        // the marks (applied spec, pod hash) are read from the route
                        fresh |= next.route != latest.route;
                        latest = next;
                    }
                }
            },
            _ = heartbeat.tick() => {
                if set.failing() && cluster.client.apiserver_version().await.is_ok() {
                    // the server answers again: fresh lists, so that nothing missed stays missed
                    set = WatchSet::start(cluster, &latest);
                }
            }
        }
    };
    let (outcome, code, message) = describe(&waiter, &ending, args.timeout);
    feed(&mut app, note(at, &message));
    let text = format!("{} {outcome}: {message}", line::clock(at));
    let json = Json::End {
        at: crate::record::retention::utc_rfc3339(at),
        outcome,
        exit: code,
        message: &message,
    };
    out.say(&text, json)?;
    let recording = Recording {
        header,
        events: tap
            .kept()
            .iter()
            .filter_map(|e| e.at().map(|t| (t, e.clone())))
            .collect(),
        warnings: Vec::new(),
    };
    let summary = crate::replay::summary::summarize(&recording);
    out.say(
        &format!("\n{}", summary.to_text().trim_end()),
        Json::Summary { summary: &summary },
    )?;
    Ok(code)
}

/// The first line: what the wait waits for.
fn opening(waiter: &Waiter, seen: &rule::Seen, args: &WaitArgs) -> String {
    let what = match args.until {
        crate::cli::WaitFor::Promoted => "its promotion",
        crate::cli::WaitFor::RolledBack => "its rollback",
        crate::cli::WaitFor::Ended => "its end",
    };
    let which = match (&args.image, waiter.following()) {
        (Some(image), _) => format!("the release whose canary runs {image}"),
        (None, Some(mark)) => format!("the release under way ({})", short(mark, seen)),
        (None, None) => format!(
            "the next release (the last one, {}, {})",
            short(&seen.mark, seen),
            seen.ended.map_or("ended", End::label)
        ),
    };
    format!(
        "waiting up to {} for {what}: {which}",
        crate::model::Clock(args.timeout.as_millis() as i64)
    )
}

/// A mark as the operator reads it: an image whole, a hash or a spec's hash cut to 12.
fn short(mark: &str, seen: &rule::Seen) -> String {
    if mark.is_empty() {
        "not known yet".to_string()
    } else if mark == seen.canary_image {
        mark.to_string()
    } else {
        mark.chars().take(12).collect()
    }
}

/// The outcome's word, the exit code and the words of the last line.
fn describe(waiter: &Waiter, ending: &Ending, timeout: Duration) -> (&'static str, u8, String) {
    let code = waiter.exit_code(ending);
    match ending {
        Ending::Ended(end) => (end.label(), code, format!("the release {}", end.label())),
        Ending::Timeout => (
            "timeout",
            code,
            format!(
                "the release did not end within {}",
                crate::model::Clock(timeout.as_millis() as i64)
            ),
        ),
        Ending::Human(who) => ("waiting", code, format!("waiting for a person: {who}")),
        Ending::Replaced { by } => (
            "replaced",
            code,
            format!("the canary runs {by} now: the release waited for was replaced"),
        ),
    }
}

fn note(at: Millis, text: &str) -> Event {
    Event::Note {
        at,
        author: "canary wait".to_string(),
        text: text.to_string(),
    }
}

//! `canary watch`: the cockpit on a live release, and the release list before it.

use crate::app::picker::{Choice, Picker};
use crate::app::{App, AppConfig, Event, Exit, Level, PickedFrom};
use crate::cli::WatchArgs;
use crate::cluster::identity::Identity;
use crate::cluster::{connect, Cluster};
use crate::live::Observed;
use crate::model::Target;
use crate::record::{Header, SessionSource, Tap};
use std::process::ExitCode;

use super::{runtime, RunError};

/// `canary watch [TARGET]`: the cockpit on a live release; without a target, the list of the
/// namespace's (`-A`: every namespace's) releases first. `esc` in the cockpit returns to the
/// list, `:` opens another release.
pub fn watch(args: WatchArgs) -> Result<ExitCode, RunError> {
    if args.all_namespaces {
        return super::board::from_watch(args);
    }
    let runtime = runtime()?;
    let plan = crate::model::Plan::linear(args.step_weight, args.max_weight)
        .map_err(|e| RunError::Plan(e.to_string()))?;
    let cluster = runtime.block_on(connect(&args.connect))?;
    // the screen is up from here on: the API server's waits go to the log, and to the cockpit's
    // event log once a release is open
    cluster.waits.quiet();
    // who acts, as the API server sees it: asked once for the session
    let identity = runtime.block_on(crate::cluster::identity::who(&cluster));
    // every --alert name is checked before the cockpit opens: a bad one sends nothing
    let alerting = super::alerts::resolve(
        &args.alerts.alert,
        args.metrics.config.as_deref(),
        Some(&cluster.context),
    )?;
    let gates = match &args.gate_listen {
        Some(addr) => Some(super::gate::serve_gates(&runtime, addr)?),
        None => None,
    };
    let scope = if args.all_namespaces {
        "all namespaces".to_string()
    } else {
        format!("namespace {}", cluster.namespace)
    };
    let mut picker = Picker::new(
        scope,
        cluster.namespace.clone(),
        crate::paths::colour_enabled(),
    );
    let mut next = args.target.clone().map(|target| Next {
        namespace: cluster.namespace.clone(),
        target,
        from: None,
    });
    // a release named on the command line that cannot be read ends the command; one chosen in
    // the list sends the operator back to the list with the reason
    let mut from_list = next.is_none();
    loop {
        let Next {
            namespace,
            target,
            from,
        } = match next.take() {
            Some(found) => found,
            None => {
                from_list = true;
                let c = cluster.clone();
                let all = args.all_namespaces;
                let list = move || {
                    let c = c.clone();
                    async move {
                        crate::live::discover::releases(&c, all)
                            .await
                            .map_err(|e| e.to_string())
                    }
                };
                match runtime
                    .block_on(crate::tui::run_picker(&mut picker, list))
                    .map_err(RunError::Terminal)?
                {
                    Choice::Open(pick) => Next {
                        namespace: pick.namespace,
                        target: pick.target,
                        from: Some(pick.from),
                    },
                    Choice::Reload | Choice::Quit => return Ok(ExitCode::SUCCESS),
                }
            }
        };
        let mut here = cluster.clone();
        here.namespace = namespace;
        let observed = match runtime.block_on(crate::live::release::read_to_watch(&here, &target)) {
            Ok(o) => o,
            Err(e) if from_list => {
                picker.say(Level::Error, format!("{target}: {e}"));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let opened = Opened {
            cluster: here,
            observed,
            from,
            identity: identity.clone(),
        };
        match cockpit(
            &runtime,
            opened,
            &args,
            plan.clone(),
            gates.as_ref(),
            &alerting,
        )? {
            None => return Ok(ExitCode::SUCCESS),
            Some(Exit::Back) => {}
            Some(Exit::Open(target)) => {
                next = Some(Next {
                    namespace: picker.namespace.clone(),
                    target,
                    from: Some(PickedFrom::Typed),
                })
            }
        }
        from_list = true;
    }
}

/// The release to open next, and how the operator chose it (`None`: named on the command line).
struct Next {
    namespace: String,
    target: Target,
    from: Option<PickedFrom>,
}

/// A release as read when the cockpit opens it, how the operator chose it, and who acts.
pub(super) struct Opened {
    pub(super) cluster: Cluster,
    pub(super) observed: Observed,
    pub(super) from: Option<PickedFrom>,
    pub(super) identity: Identity,
}

/// The cockpit on one release until the operator quits (`None`) or leaves it for another.
pub(super) fn cockpit(
    runtime: &tokio::runtime::Runtime,
    opened: Opened,
    args: &WatchArgs,
    plan: crate::model::Plan,
    gates: Option<&super::gate::Gates>,
    alerting: &crate::alert::setup::Resolved,
) -> Result<Option<Exit>, RunError> {
    let Opened {
        cluster,
        mut observed,
        from,
        identity,
    } = opened;
    let target = observed.target.clone();
    // a release whose controller walks its own steps shows them; the operator's stepping plan
    // is for the releases the cockpit moves
    if observed.route.plan.is_none() {
        observed.snapshot.plan = Some(plan.clone());
    }
    let start = crate::model::wall_clock();
    let refresh_ms = crate::live::watch::HEARTBEAT.as_millis() as i64;
    let config = AppConfig {
        user: crate::paths::os_user(),
        kube_user: identity.actor(),
        color: crate::paths::colour_enabled(),
        read_only: false,
        no_writes: args.readonly,
        switchable: true,
        queries: Vec::new(),
        refresh_ms,
        raise_alerts: true,
        record_judgements: true,
        no_metrics_source: false,
        confirm_within_ms: crate::app::CONFIRM_WITHIN_MS,
    };
    let header = Header::new(
        SessionSource::cluster(
            &cluster.context,
            &cluster.namespace,
            target.kind.provider(),
            &target.to_string(),
        ),
        start,
        observed.snapshot.name.clone(),
    )
    .with_refresh_ms(refresh_ms);
    let metrics = super::metrics_setup(runtime, &cluster, &observed, &args.metrics)?;
    let poller = metrics.poller;
    let resources = super::resources_fetcher(&cluster, &observed, &args.metrics, poller.as_ref());
    let config = AppConfig {
        no_metrics_source: poller.is_none(),
        queries: poller.as_ref().map_or_else(Vec::new, |p| {
            let q = &p.queries;
            let head = format!("{} template, from {}", q.template, p.endpoint.describe());
            let mut shown = vec![(
                format!("request rate by {} ({head})", q.by),
                q.requests.clone(),
            )];
            for (what, query) in q.all().into_iter().skip(1) {
                let what = match what {
                    "5xx" | "4xx" => format!("{what} rate by {}", q.by),
                    p => format!("{p} in ms by {}", q.by),
                };
                shown.push((what, query.to_string()));
            }
            shown
        }),
        ..config
    };
    let mut app = if args.drive.drive {
        if observed.route.controller_owned() {
            return Err(RunError::Plan(format!(
                "--drive: {} has a controller of its own, which runs the analysis",
                observed.target
            )));
        }
        if poller.is_none() {
            let why = metrics.none_found.as_deref().unwrap_or("no Prometheus");
            return Err(RunError::Plan(format!(
                "--drive needs metrics ({why}): pass --prometheus URL or --prometheus-service NS/SERVICE:PORT"
            )));
        }
        let mut settings = args.drive.settings().map_err(RunError::Plan)?;
        if args.drive.judge.is_none() {
            let configured = crate::config::load(args.metrics.config.as_deref())?.judge()?;
            settings.judge = configured.unwrap_or_default();
        }
        // the cockpit's analysis plan applies, not a hand-driving one
        observed.snapshot.plan = None;
        App::driving(config, settings, plan)
    } else {
        App::new(config)
    };
    let recorder = super::open_recorder(&args.record, false, &header)?;
    if let Some(r) = &recorder {
        app.set_status(
            crate::app::Level::Info,
            format!("recording to {}", r.path().display()),
        );
    }
    let mut tap = Tap::new(recorder);
    // what the operator picked comes first: the rest of the session follows from it
    let picked = from.map(|from| Event::ReleasePicked {
        at: start,
        namespace: cluster.namespace.clone(),
        target: target.clone(),
        from,
    });
    let mut first: Vec<Event> = picked.into_iter().collect();
    first.extend([
        Event::ReleaseObserved {
            at: start,
            release: observed.snapshot.clone(),
        },
        Event::PodsObserved {
            at: start,
            pods: observed.pods.clone(),
        },
    ]);
    // who the actions are recorded as
    first.push(Event::Note {
        at: start,
        author: "cockpit".to_string(),
        text: identity.note(),
    });
    // which backend is the canary, when a rule rather than the release's definition told it
    first.extend(observed.route.canary_note().map(|text| Event::Note {
        at: start,
        author: "cockpit".to_string(),
        text,
    }));
    first.extend(observed.bypass().iter().map(|rule| Event::Note {
        at: start,
        author: "cockpit".to_string(),
        text: format!("{rule}: matching requests go to the canary whatever the weight"),
    }));
    for event in first {
        tap.feed(&mut app, event);
    }
    tracing::info!(target = %target, namespace = %cluster.namespace, context = %cluster.context, "watch starts");
    let options = crate::live::executor::Options {
        keep_canary: args.keep_canary,
        read_only: args.readonly,
        gates: gates.map(|g| (g.book.clone(), g.addr.clone())),
        timeout: std::time::Duration::from_secs(args.action_timeout),
    };
    let calls = gates.map(|g| g.calls.subscribe());
    // where the metrics come from, or why there are none
    let source = match (&metrics.source, &metrics.none_found) {
        (Some(source), _) => Some(format!("metrics from {source}")),
        (None, Some(why)) => Some(format!("{why}: {}", crate::ui::NO_PROMETHEUS)),
        (None, None) => None,
    };
    if let Some(text) = source {
        let note = Event::Note {
            at: start,
            author: "cockpit".to_string(),
            text,
        };
        tap.feed(&mut app, note);
    }
    if let Some(p) = &poller {
        let q = &p.queries;
        let mut text = format!(
            "metrics ({}) from {} every {} s: requests {} · errors {} · p99 {}",
            q.template,
            p.endpoint.describe(),
            p.interval.as_secs(),
            q.requests,
            q.errors,
            q.p99_ms
        );
        text.push_str(&crate::metrics::templates::missing(q));
        tap.feed(
            &mut app,
            Event::Note {
                at: start,
                author: "cockpit".to_string(),
                text,
            },
        );
    }
    let mut alerting = alerting.clone();
    super::alerts::flagger_sinks(runtime, &cluster, &observed, &mut alerting);
    let said = super::alerts::describe(&alerting.sinks);
    for text in alerting.notes.iter().cloned().chain(said) {
        let note = Event::Note {
            at: start,
            author: "cockpit".to_string(),
            text,
        };
        tap.feed(&mut app, note);
    }
    let keel = super::keel::beside(
        runtime,
        &cluster,
        &observed,
        args.keel_url.as_deref(),
        args.metrics.config.as_deref(),
    );
    for text in keel.notes {
        let note = Event::Note {
            at: start,
            author: "cockpit".to_string(),
            text,
        };
        tap.feed(&mut app, note);
    }
    let keel = keel.poll;
    let voter = keel.as_ref().map(|(k, _)| k.clone());
    let notifier = super::alerts::start(runtime, alerting.sinks, tap.path().as_deref())?;
    let (ns, name) = (cluster.namespace.clone(), observed.route.name.clone());
    let ns_keel = cluster.namespace.clone();
    let source = notifier.handle().beside(move |events, effects| {
        if let Some(calls) = calls {
            tokio::spawn(super::gate::gate_notes(calls, events.clone(), ns, name));
        }
        if let Some(p) = poller {
            tokio::spawn(p.run(events.clone()));
        }
        if let Some(r) = resources {
            tokio::spawn(r.run(events.clone()));
        }
        if let Some((keel, workloads)) = keel {
            tokio::spawn(crate::keel::poll::run(
                keel,
                ns_keel,
                workloads,
                events.clone(),
            ));
        }
        let effects = crate::keel::vote::beside(voter, effects, events.clone());
        crate::live::watch::run(cluster, observed, options, events, effects)
    });
    let (mut app, mut tap) = runtime
        .block_on(crate::tui::run(app, tap, source))
        .map_err(RunError::Terminal)?;
    let late = runtime.block_on(notifier.finish(crate::alert::GRACE));
    super::alerts::record_late(&mut tap, &mut app, &late);
    if let Some(path) = tap.finish()? {
        // the terminal may be gone (SIGHUP): the line is a courtesy, not a duty
        crate::stdout::error_line(&format!(
            "session recorded: canary replay {}",
            path.display()
        ));
    }
    Ok(app.exit)
}

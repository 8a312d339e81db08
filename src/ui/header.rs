//! One line: which release, where it comes from, its phase and step, how long it runs, how fresh
//! the data is. A stale screen says so in red. In replay, the recording's time at the position
//! (`recorded 14:03:10 UTC`) stands in place of the data's age.

use super::text;
use super::theme::{phase_mark, Theme};
use crate::app::App;
use crate::hygiene::field;
use crate::model::{Age, Clock, TimeOfDay};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

pub struct Header<'a> {
    pub app: &'a App,
    pub theme: Theme,
}

/// A piece of the header; the lowest `rank` goes first when the line is too narrow.
struct Part<'a> {
    rank: u8,
    spans: Vec<Span<'a>>,
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let title = Span::styled(" canary cockpit ", t.title().patch(t.cursor()));
        let Some(release) = &app.release else {
            let line = Line::from(vec![
                title.clone(),
                Span::raw("  "),
                Span::styled("waiting for the release…", t.warn()),
            ]);
            buf.set_line(area.x, area.y, &line, area.width);
            return;
        };
        let mut parts = vec![
            Part {
                rank: 1,
                spans: vec![title],
            },
            Part {
                rank: 9,
                spans: vec![
                    Span::styled(format!("{}/", field(&release.namespace)), t.plain()),
                    Span::styled(field(&release.name), t.bold()),
                ],
            },
            Part {
                rank: 6,
                spans: vec![Span::styled(field(&release.source), t.dim())],
            },
            Part {
                rank: 9,
                spans: vec![Span::styled(
                    format!("{} {}", phase_mark(app.phase), app.phase),
                    t.phase(app.phase),
                )],
            },
        ];
        if app.config.no_writes {
            // the operator must never wonder why a key does nothing
            parts.insert(
                1,
                Part {
                    rank: 10,
                    spans: vec![Span::styled("RO", t.warn())],
                },
            );
        }
        let controller = app.release.as_ref().and_then(|r| r.controller.as_ref());
        if let Some(view) = controller.filter(|v| !v.steps.is_empty()) {
            // the controller's own steps, not the weight's place in a plan
            let m = view.steps.len();
            let n = view.current_step.map_or(0, |i| (i + 1).min(m));
            parts.push(Part {
                rank: 5,
                spans: vec![Span::raw(format!("step {n}/{m}"))],
            });
        } else if let Some(plan) = app.plan().filter(|_| !app.phase.is_final()) {
            let (n, m) = plan.position(app.weight());
            parts.push(Part {
                rank: 5,
                spans: vec![Span::raw(format!("step {n}/{m}"))],
            });
        }
        parts.push(Part {
            rank: 2,
            spans: vec![
                Span::styled("elapsed ", t.dim()),
                Span::raw(Clock(app.elapsed_ms()).to_string()),
            ],
        });
        let age = app.data_age_ms().unwrap_or(0);
        let stale = app
            .is_stale()
            .then(|| Span::styled(format!("STALE: no data for {}", Age(age)), t.alarm()));
        if app.config.read_only {
            // replay: the recording's time at the position, not the age of data shown now
            parts.push(Part {
                rank: 8,
                spans: vec![
                    Span::styled("recorded ", t.dim()),
                    Span::raw(format!("{} UTC", TimeOfDay(app.now))),
                ],
            });
            parts.extend(stale.map(|s| Part {
                rank: 7,
                spans: vec![s],
            }));
        } else {
            parts.push(Part {
                rank: 8,
                spans: match stale {
                    Some(s) => vec![s],
                    None => vec![
                        Span::styled("data ", t.dim()),
                        Span::raw(format!("{} ago", Age(age))),
                    ],
                },
            });
        }

        let sep = " │ ";
        let total = |parts: &[Part]| -> usize {
            parts
                .iter()
                .map(|p| p.spans.iter().map(Span::width).sum::<usize>() + text::width(sep))
                .sum::<usize>()
        };
        while total(&parts) > usize::from(area.width) {
            let Some(i) = parts
                .iter()
                .enumerate()
                .filter(|(_, p)| p.rank < 9)
                .min_by_key(|(_, p)| p.rank)
                .map(|(i, _)| i)
            else {
                break;
            };
            parts.remove(i);
        }
        let mut spans = Vec::new();
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(sep, t.dim()));
            }
            spans.extend(part.spans);
        }
        buf.set_line(area.x, area.y, &Line::from(spans), area.width);
    }
}

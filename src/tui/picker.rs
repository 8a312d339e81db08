//! The release list of `canary watch` as a screen of the loop: the listing runs as a task and
//! reports on the channel; `r` lists again; the operator's choice ends the screen and abandons a
//! listing still under way.

use super::Screen;
use crate::app::picker::{Choice, Listed, Picker};
use crate::app::Level;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use std::future::Future;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// One reading of the release list: the releases, and what could not be listed; or why nothing
/// could be.
pub type Listing = Result<(Vec<Listed>, Vec<String>), String>;

/// The release list. `list` reads the releases; it runs as a task beside the loop at the start
/// and on every reload.
pub struct PickerScreen<'a, F> {
    picker: &'a mut Picker,
    list: F,
    events: Option<mpsc::Sender<Listing>>,
    /// The listing under way.
    pending: Option<AbortHandle>,
    choice: Option<Choice>,
}

impl<'a, F, Fut> PickerScreen<'a, F>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Listing> + Send + 'static,
{
    pub fn new(picker: &'a mut Picker, list: F) -> Self {
        PickerScreen {
            picker,
            list,
            events: None,
            pending: None,
            choice: None,
        }
    }

    fn spawn_listing(&mut self) {
        let Some(events) = self.events.clone() else {
            return;
        };
        self.picker.loading = true;
        let job = tokio::spawn((self.list)());
        self.pending = Some(job.abort_handle());
        tokio::spawn(async move {
            let listing = match job.await {
                Ok(listing) => listing,
                // abandoned: the operator chose meanwhile
                Err(e) if e.is_cancelled() => return,
                Err(e) => Err(format!("listing the releases stopped: {e}")),
            };
            // the list was closed meanwhile: nobody waits for this listing
            let _ = events.send(listing).await;
        });
    }
}

impl<F, Fut> Screen for PickerScreen<'_, F>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Listing> + Send + 'static,
{
    type Event = Listing;
    type Outcome = Choice;

    fn start(&mut self, events: mpsc::Sender<Listing>) {
        self.events = Some(events);
        self.spawn_listing();
    }

    fn key(&mut self, key: KeyEvent) {
        match self.picker.key(key) {
            Some(Choice::Reload) if self.pending.is_none() => self.spawn_listing(),
            // a listing is already under way
            Some(Choice::Reload) => {}
            Some(choice) => self.choice = Some(choice),
            None => {}
        }
    }

    fn event(&mut self, listing: Listing) {
        self.pending = None;
        match listing {
            Ok((releases, missing)) => {
                self.picker.set_releases(releases);
                if !missing.is_empty() {
                    self.picker.say(Level::Warn, missing.join("; "));
                }
            }
            Err(e) => self.picker.set_error(e),
        }
    }

    fn render(&self, frame: &mut Frame) {
        crate::ui::picker::render_picker(self.picker, frame);
    }

    fn terminate(&mut self) {
        self.choice.get_or_insert(Choice::Quit);
    }

    fn done(&self) -> bool {
        self.choice.is_some()
    }

    fn finish(mut self) -> Choice {
        if let Some(pending) = self.pending.take() {
            pending.abort();
        }
        self.choice.unwrap_or(Choice::Quit)
    }
}

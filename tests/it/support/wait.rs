//! Waiting for a condition instead of for a fixed time: poll it, at intervals that start short
//! and grow, until it holds; if it still does not when the patience runs out, panic with a
//! message that names what never happened (and what the last look saw).
//!
//! A test sleeps only where the passage of time is what it checks, and says so beside the sleep.

use std::fmt::Debug;
use std::future::Future;
use std::time::{Duration, Instant};

/// The first pause between two looks; it doubles up to [`LONGEST`].
const SHORTEST: Duration = Duration::from_millis(5);
const LONGEST: Duration = Duration::from_millis(200);

/// What a look at a condition answers: met (with what it found), or not yet (with what it saw,
/// for the message should it never be met).
pub trait Condition {
    type Met;
    fn met(self) -> Result<Self::Met, String>;
}

impl Condition for bool {
    type Met = ();
    fn met(self) -> Result<(), String> {
        if self {
            Ok(())
        } else {
            Err("false".to_string())
        }
    }
}

impl<T> Condition for Option<T> {
    type Met = T;
    fn met(self) -> Result<T, String> {
        self.ok_or_else(|| "none yet".to_string())
    }
}

impl<T, E: Debug> Condition for Result<T, E> {
    type Met = T;
    fn met(self) -> Result<T, String> {
        self.map_err(|e| format!("{e:?}"))
    }
}

fn never(what: &str, patience: Duration, looks: usize, last: &str) -> ! {
    panic!("{what}: never happened within {patience:?} ({looks} looks; the last saw: {last})")
}

/// Looks at `check` until it is met and returns what it found; panics naming `what` after
/// `patience`. For async tests on the tokio runtime.
pub async fn wait_until<C, F>(
    what: &str,
    patience: Duration,
    mut check: impl FnMut() -> F,
) -> C::Met
where
    C: Condition,
    F: Future<Output = C>,
{
    let deadline = Instant::now() + patience;
    let mut pause = SHORTEST;
    let mut looks = 0;
    loop {
        looks += 1;
        match check().await.met() {
            Ok(found) => return found,
            Err(last) if Instant::now() >= deadline => never(what, patience, looks, &last),
            Err(_) => {}
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST);
    }
}

/// [`wait_until`] for tests that run on a plain thread.
pub fn wait_until_sync<C: Condition>(
    what: &str,
    patience: Duration,
    mut check: impl FnMut() -> C,
) -> C::Met {
    let deadline = Instant::now() + patience;
    let mut pause = SHORTEST;
    let mut looks = 0;
    loop {
        looks += 1;
        match check().met() {
            Ok(found) => return found,
            Err(last) if Instant::now() >= deadline => never(what, patience, looks, &last),
            Err(_) => {}
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(LONGEST);
    }
}

#[cfg(test)]
mod tests {
    use super::{wait_until, wait_until_sync};
    use std::cell::Cell;
    use std::time::Duration;

    #[test]
    fn returns_what_the_condition_found_once_it_holds() {
        let looks = Cell::new(0);
        let found = wait_until_sync("the third look", Duration::from_secs(5), || {
            looks.set(looks.get() + 1);
            (looks.get() == 3).then_some("found")
        });
        assert_eq!((found, looks.get()), ("found", 3));
        let n = crate::support::runtime().block_on(wait_until(
            "an Ok",
            Duration::from_secs(5),
            || async { Ok::<_, String>(7) },
        ));
        assert_eq!(n, 7);
    }

    #[test]
    #[should_panic(expected = "the sky falls: never happened within 30ms")]
    fn names_what_never_happened() {
        wait_until_sync("the sky falls", Duration::from_millis(30), || false);
    }

    #[test]
    #[should_panic(expected = "the last saw: \"403 forbidden\"")]
    fn tells_what_the_last_look_saw() {
        crate::support::runtime().block_on(wait_until(
            "the grant",
            Duration::from_millis(30),
            || async { Err::<(), _>("403 forbidden") },
        ));
    }
}

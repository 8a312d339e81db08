//! Which entries the board shows and in what order: by attention, then the longest in its phase
//! first; the `/` filter and the `!` attention-only switch; the counts of the header.

use crate::model::Millis;

use super::attention::Attention;
use super::entry::Entry;

/// What the header counts: `3 waiting · 1 failing · 41 fine`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub waiting: usize,
    pub failing: usize,
    pub stalled: usize,
    pub no_pods: usize,
    pub unreachable: usize,
    pub fine: usize,
}

impl Counts {
    pub fn of<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Counts {
        let mut c = Counts::default();
        for e in entries {
            match e.row().attention {
                Attention::Failing(_) => c.failing += 1,
                Attention::Waiting(_) => c.waiting += 1,
                Attention::Stalled(_) => c.stalled += 1,
                Attention::NoReadyCanary(_) => c.no_pods += 1,
                Attention::Unreachable(_) => c.unreachable += 1,
                Attention::Fine => c.fine += 1,
            }
        }
        c
    }

    /// `3 waiting · 1 failing · 41 fine`, the other kinds only when there are some.
    pub fn line(&self) -> String {
        let mut parts = vec![
            format!("{} waiting", self.waiting),
            format!("{} failing", self.failing),
        ];
        for (n, word) in [
            (self.stalled, "stalled"),
            (self.no_pods, "without ready canary pods"),
            (self.unreachable, "unreachable"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {word}"));
            }
        }
        parts.push(format!("{} fine", self.fine));
        parts.join(" · ")
    }
}

/// The indices into `entries` the board shows, in order: attention first, then the longest in
/// its phase, then by context, namespace and target.
pub fn order(entries: &[Entry], filter: &str, attention_only: bool) -> Vec<usize> {
    let needle = filter.trim().to_lowercase();
    let mut shown: Vec<usize> = (0..entries.len())
        .filter(|&i| {
            let row = entries[i].row();
            (!attention_only || row.attention.needs_look())
                && (needle.is_empty() || row.haystack().contains(&needle))
        })
        .collect();
    shown.sort_by(|&a, &b| {
        let (ra, rb) = (entries[a].row(), entries[b].row());
        ra.attention
            .rank()
            .cmp(&rb.attention.rank())
            .then(ra.facts.since.cmp(&rb.facts.since))
            .then_with(|| entries[a].key().cmp(entries[b].key()))
    });
    shown
}

/// The time every entry's age is prepared at, and the attention that depends on it.
pub fn refresh(entries: &mut [Entry], now: Millis) {
    for e in entries {
        e.row_mut().refresh(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::attention::tests::facts;
    use crate::board::entry::Row;
    use crate::model::{Hold, Phase};

    fn entry(target: &str, f: impl FnOnce(&mut crate::board::Facts)) -> Entry {
        let mut facts = facts(target);
        f(&mut facts);
        Entry::Release(Box::new(Row::new(facts, Millis(60_000))))
    }

    fn entries() -> Vec<Entry> {
        vec![
            entry("rollout/fine-new", |f| f.since = Millis(50_000)),
            entry("rollout/fine-old", |f| f.since = Millis(10_000)),
            entry("canary/waits", |f| {
                f.hold = Some(Hold::Gate {
                    gate: "confirm-promotion".to_string(),
                })
            }),
            entry("canary/fails", |f| {
                f.state = Some(Phase::Failed);
                f.phase = "Failed".to_string();
            }),
        ]
    }

    fn targets(e: &[Entry], order: &[usize]) -> Vec<String> {
        order.iter().map(|&i| e[i].key().target.clone()).collect()
    }

    #[test]
    fn attention_first_then_the_longest_in_phase() {
        let e = entries();
        assert_eq!(
            targets(&e, &order(&e, "", false)),
            [
                "canary/fails",
                "canary/waits",
                "rollout/fine-old",
                "rollout/fine-new"
            ]
        );
        assert_eq!(Counts::of(&e).line(), "1 waiting · 1 failing · 2 fine");
    }

    #[test]
    fn the_filter_and_attention_only() {
        let e = entries();
        assert_eq!(
            targets(&e, &order(&e, "FINE-", false)),
            ["rollout/fine-old", "rollout/fine-new"]
        );
        assert_eq!(
            targets(&e, &order(&e, "", true)),
            ["canary/fails", "canary/waits"]
        );
        // the filter reads the reason too
        assert_eq!(
            targets(&e, &order(&e, "confirm-promotion", false)),
            ["canary/waits"]
        );
        assert!(order(&e, "nothing-like-it", false).is_empty());
    }
}

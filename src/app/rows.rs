//! Display rows for the pods panel, prepared in `update` so that render only slices them.

use crate::model::{Pod, PodSet, Side};

#[derive(Clone, Debug, PartialEq)]
pub enum PodRow {
    Group {
        side: Side,
        version: String,
        ready: usize,
        total: usize,
        shown: usize,
    },
    Pod {
        side: Side,
        pod: Pod,
    },
}

/// Rows grouped primary then canary; `filter` keeps pods whose name or status contains it.
pub fn build(
    pods: &PodSet,
    primary_version: &str,
    canary_version: &str,
    filter: &str,
) -> Vec<PodRow> {
    let needle = filter.trim().to_lowercase();
    let mut rows = Vec::with_capacity(pods.primary.len() + pods.canary.len() + 2);
    for (side, version) in [
        (Side::Primary, primary_version),
        (Side::Canary, canary_version),
    ] {
        let all = pods.side(side);
        let keep: Vec<&Pod> = all
            .iter()
            .filter(|p| {
                needle.is_empty()
                    || p.name.to_lowercase().contains(&needle)
                    || p.status.label().to_lowercase().contains(&needle)
            })
            .collect();
        rows.push(PodRow::Group {
            side,
            version: version.to_string(),
            ready: pods.ready_count(side),
            total: all.len(),
            shown: keep.len(),
        });
        rows.extend(keep.into_iter().map(|p| PodRow::Pod {
            side,
            pod: p.clone(),
        }));
    }
    rows
}

//! The board's rows: a group shows as one row that opens into its members.

use super::members::{membership, Candidate, GroupSpec};

/// One row of the board.
#[derive(Clone, Debug, PartialEq)]
pub enum BoardRow<T> {
    /// A release in no group (or alone in its group).
    Single(T),
    /// A group of two or more, its members in promotion order.
    Group { spec: GroupSpec, members: Vec<T> },
}

/// Groups release summaries for the board: each group becomes one row at the place of its
/// first member in `items`, its members in promotion order; the other releases keep their
/// place. `candidate` tells how each summary is found (its target, annotations and labels).
pub fn group_rows<T>(items: Vec<T>, candidate: impl Fn(&T) -> Candidate) -> Vec<BoardRow<T>> {
    let candidates: Vec<Candidate> = items.iter().map(&candidate).collect();
    let (groups, _) = membership(&candidates);
    let groups: Vec<GroupSpec> = groups.into_iter().filter(|g| g.members.len() > 1).collect();
    let group_of = |c: &Candidate| {
        groups.iter().position(|g| {
            g.namespace == c.namespace && g.members.iter().any(|m| m.target == c.target)
        })
    };
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let mut rows = Vec::new();
    let mut placed = vec![false; groups.len()];
    for i in 0..slots.len() {
        match group_of(&candidates[i]) {
            None => {
                if let Some(item) = slots[i].take() {
                    rows.push(BoardRow::Single(item));
                }
            }
            Some(g) if !placed[g] => {
                placed[g] = true;
                let spec = groups[g].clone();
                let members = spec
                    .members
                    .iter()
                    .filter_map(|m| {
                        let j = candidates
                            .iter()
                            .position(|c| c.namespace == spec.namespace && c.target == m.target)?;
                        slots[j].take()
                    })
                    .collect();
                rows.push(BoardRow::Group { spec, members });
            }
            Some(_) => {}
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{COMPONENT, PART_OF};

    fn c(target: &str, labels: &[(&str, &str)]) -> Candidate {
        Candidate {
            target: target.into(),
            name: target.split('/').nth(1).unwrap().into(),
            namespace: "shop".into(),
            annotations: Default::default(),
            workload_labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_group_is_one_row_at_its_first_members_place() {
        let items = vec![
            c("vs/alone", &[]),
            c(
                "ingress/frontend",
                &[(PART_OF, "shop"), (COMPONENT, "frontend")],
            ),
            c("vs/solo", &[(PART_OF, "blog")]),
            c("vs/backend", &[(PART_OF, "shop"), (COMPONENT, "backend")]),
        ];
        let rows = group_rows(items, Clone::clone);
        assert_eq!(rows.len(), 3);
        assert!(matches!(&rows[0], BoardRow::Single(x) if x.target == "vs/alone"));
        let BoardRow::Group { spec, members } = &rows[1] else {
            panic!("{rows:?}")
        };
        assert_eq!(spec.name, "shop");
        let order: Vec<&str> = members.iter().map(|m| m.target.as_str()).collect();
        assert_eq!(order, ["vs/backend", "ingress/frontend"]);
        // a group of one is a plain row
        assert!(matches!(&rows[2], BoardRow::Single(x) if x.target == "vs/solo"));
    }
}

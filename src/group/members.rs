//! Which releases form a group, and their promotion order.
//!
//! In this order of precedence:
//! - the annotation `canary-cockpit.io/group: NAME` on the routing object, with an optional
//!   `canary-cockpit.io/group-order: N` (lower is promoted first; members without one come
//!   after, by name);
//! - else the recommended label `app.kubernetes.io/part-of` shared by the releases' workloads,
//!   ordered by `app.kubernetes.io/component` (backend, api, database before frontend, web,
//!   ui; other components between), then by name;
//! - or the targets given on the command line, in promotion order.

use std::collections::BTreeMap;
use thiserror::Error;

pub const GROUP_ANNOTATION: &str = "canary-cockpit.io/group";
pub const ORDER_ANNOTATION: &str = "canary-cockpit.io/group-order";
pub const PART_OF: &str = "app.kubernetes.io/part-of";
pub const COMPONENT: &str = "app.kubernetes.io/component";

/// A release as the group finder sees it: its routing object's annotations and its
/// workload's labels (outside text: names reach a terminal only through the text hygiene).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candidate {
    /// The release's target, as the operator would type it (`ingress/frontend`).
    pub target: String,
    /// The release's name (`frontend`).
    pub name: String,
    pub namespace: String,
    pub annotations: BTreeMap<String, String>,
    pub workload_labels: BTreeMap<String, String>,
}

/// What made the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    Annotation,
    PartOf,
    CommandLine,
}

impl Basis {
    pub fn describe(self) -> &'static str {
        match self {
            Basis::Annotation => "annotation canary-cockpit.io/group",
            Basis::PartOf => "label app.kubernetes.io/part-of",
            Basis::CommandLine => "the command line",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub target: String,
    pub name: String,
}

/// A group and its members in promotion order (rollback goes the other way).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSpec {
    pub name: String,
    pub namespace: String,
    pub basis: Basis,
    pub members: Vec<Member>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum GroupError {
    #[error("{target}: annotation {ORDER_ANNOTATION} is '{value}', not a whole number")]
    BadOrder { target: String, value: String },
    #[error("{target}: annotation {GROUP_ANNOTATION} is '{value}', not a group name (letters, digits, '-', '.', '_', at most 63)")]
    BadName { target: String, value: String },
    #[error("no group '{name}' in namespace {namespace}: no routing object has annotation {GROUP_ANNOTATION}: {name} and no workload has label {PART_OF}={name}{known}")]
    NotFound {
        name: String,
        namespace: String,
        known: String,
    },
    #[error("group '{name}' has one member ({member}): a group needs two; open it alone with `canary watch {member}`")]
    OneMember { name: String, member: String },
    #[error("{target} is given twice")]
    Twice { target: String },
}

fn valid_name(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// The rank of a component in the promotion order: the backend tiers first.
pub fn component_rank(component: Option<&str>) -> u8 {
    match component.map(str::to_ascii_lowercase).as_deref() {
        Some("backend" | "api" | "database" | "db") => 0,
        Some("frontend" | "web" | "ui") => 2,
        _ => 1,
    }
}

/// Which group a candidate belongs to, on what basis, and its sort key; an annotation that
/// cannot be read is an error naming the object (its release is then no group's member).
/// A member's place in its group: the group-order annotation, then the component's rank.
type SortKey = (i64, u8);

/// A candidate's group: its name, what made it, and the member's sort key.
type Key = (String, Basis, SortKey);

fn key_of(c: &Candidate) -> Result<Option<Key>, GroupError> {
    if let Some(value) = c.annotations.get(GROUP_ANNOTATION) {
        let value = value.trim();
        if !valid_name(value) {
            return Err(GroupError::BadName {
                target: c.target.clone(),
                value: value.to_string(),
            });
        }
        let order = match c.annotations.get(ORDER_ANNOTATION) {
            None => i64::MAX,
            Some(v) => v.trim().parse().map_err(|_| GroupError::BadOrder {
                target: c.target.clone(),
                value: v.clone(),
            })?,
        };
        return Ok(Some((value.to_string(), Basis::Annotation, (order, 0))));
    }
    if let Some(value) = c.workload_labels.get(PART_OF) {
        let value = value.trim();
        if valid_name(value) {
            let rank = component_rank(c.workload_labels.get(COMPONENT).map(String::as_str));
            return Ok(Some((value.to_string(), Basis::PartOf, (0, rank))));
        }
    }
    Ok(None)
}

/// Every group among `candidates` (one namespace's releases), each in promotion order, and the
/// errors of the objects whose annotations could not be read. A group of one is kept: the board
/// shows it as a row; `find` refuses to open it as a group.
pub fn membership(candidates: &[Candidate]) -> (Vec<GroupSpec>, Vec<GroupError>) {
    type Found<'a> = (Basis, Vec<(SortKey, &'a Candidate)>);
    let mut groups: BTreeMap<(String, String), Found> = BTreeMap::new();
    let mut errors = Vec::new();
    for c in candidates {
        match key_of(c) {
            Ok(Some((name, basis, key))) => {
                let entry = groups
                    .entry((c.namespace.clone(), name))
                    .or_insert((basis, Vec::new()));
                // an annotated member and a part-of member of one name: the annotation rules
                if basis == Basis::Annotation && entry.0 == Basis::PartOf {
                    *entry = (basis, Vec::new());
                }
                if basis == entry.0 {
                    entry.1.push((key, c));
                }
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    let specs = groups
        .into_iter()
        .map(|((namespace, name), (basis, mut members))| {
            members
                .sort_by(|a, b| (a.0, &a.1.name, &a.1.target).cmp(&(b.0, &b.1.name, &b.1.target)));
            GroupSpec {
                name,
                namespace,
                basis,
                members: members
                    .into_iter()
                    .map(|(_, c)| Member {
                        target: c.target.clone(),
                        name: c.name.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    (specs, errors)
}

/// The group `name` in `namespace`, with at least two members.
pub fn find(
    candidates: &[Candidate],
    namespace: &str,
    name: &str,
) -> Result<GroupSpec, GroupError> {
    let (groups, _) = membership(candidates);
    let known: Vec<&str> = groups
        .iter()
        .filter(|g| g.namespace == namespace)
        .map(|g| g.name.as_str())
        .collect();
    let Some(group) = groups
        .iter()
        .find(|g| g.namespace == namespace && g.name == name)
    else {
        return Err(GroupError::NotFound {
            name: name.to_string(),
            namespace: namespace.to_string(),
            known: if known.is_empty() {
                String::new()
            } else {
                format!(" (groups here: {})", known.join(", "))
            },
        });
    };
    if let [only] = group.members.as_slice() {
        return Err(GroupError::OneMember {
            name: name.to_string(),
            member: only.target.clone(),
        });
    }
    Ok(group.clone())
}

/// A group from targets given on the command line, in promotion order; it is named after them.
pub fn from_command_line(
    namespace: &str,
    targets: &[(String, String)],
) -> Result<GroupSpec, GroupError> {
    let mut members: Vec<Member> = Vec::new();
    for (target, name) in targets {
        if members.iter().any(|m| &m.target == target) {
            return Err(GroupError::Twice {
                target: target.clone(),
            });
        }
        members.push(Member {
            target: target.clone(),
            name: name.clone(),
        });
    }
    let name = members
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join("+");
    Ok(GroupSpec {
        name,
        namespace: namespace.to_string(),
        basis: Basis::CommandLine,
        members,
    })
}

#[cfg(test)]
#[path = "members_tests.rs"]
mod tests;

//! Demo group scenarios: a group of releases told together (`frontend-backend`). A group file
//! names its member scenarios in promotion order; built-in members come with the binary, a
//! group file's members are read beside it.

use super::{Scenario, ScenarioError};
use crate::group::GroupPolicy;
use serde::Deserialize;
use std::path::Path;

/// Group scenarios shipped in the binary, from `assets/scenarios/groups/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "frontend-backend",
        include_str!("../../../assets/scenarios/groups/frontend-backend.toml"),
    ),
    (
        "frontend-backend-healthy",
        include_str!("../../../assets/scenarios/groups/frontend-backend-healthy.toml"),
    ),
];

/// The member scenarios the built-in groups name.
const MEMBERS: &[(&str, &str)] = &[
    (
        "shop-frontend.toml",
        include_str!("../../../assets/scenarios/groups/shop-frontend.toml"),
    ),
    (
        "shop-backend.toml",
        include_str!("../../../assets/scenarios/groups/shop-backend.toml"),
    ),
    (
        "shop-backend-faulty.toml",
        include_str!("../../../assets/scenarios/groups/shop-backend-faulty.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    name: String,
    description: String,
    group: String,
    #[serde(default)]
    policy: Option<String>,
    members: Vec<String>,
}

/// A group of demo releases.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupScenario {
    pub name: String,
    pub description: String,
    /// The group's name (`shop`).
    pub group: String,
    pub policy: GroupPolicy,
    /// In promotion order.
    pub members: Vec<Scenario>,
}

impl GroupScenario {
    /// Whether `name_or_path` names a group scenario: a built-in one, or a file with a
    /// top-level `members` list.
    pub fn is_group(name_or_path: &str) -> bool {
        if BUILT_IN.iter().any(|(n, _)| *n == name_or_path) {
            return true;
        }
        let path = Path::new(name_or_path);
        path.is_file()
            && std::fs::read_to_string(path).is_ok_and(|t| {
                t.lines()
                    .any(|l| l.trim_start().starts_with("members") && l.contains('='))
            })
    }

    /// A built-in group (`frontend-backend`) or a path to a group file.
    pub fn load(name_or_path: &str) -> Result<Self, ScenarioError> {
        if let Some((name, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            let origin = format!("'{name}' (built in)");
            return Self::parse(text, &origin, |member| {
                let (file, text) = MEMBERS.iter().find(|(f, _)| *f == member).ok_or_else(|| {
                    ScenarioError::Invalid {
                        origin: origin.clone(),
                        field: "members".into(),
                        message: format!("no built-in member '{member}'"),
                    }
                })?;
                Scenario::parse(text, &format!("'{file}' (built in)"))
            });
        }
        let path = Path::new(name_or_path);
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, &path.display().to_string(), |member| {
            Scenario::load(&dir.join(member).to_string_lossy())
        })
    }

    fn parse(
        text: &str,
        origin: &str,
        member: impl Fn(&str) -> Result<Scenario, ScenarioError>,
    ) -> Result<Self, ScenarioError> {
        let bad = |field: &str, message: String| ScenarioError::Invalid {
            origin: origin.to_string(),
            field: field.to_string(),
            message,
        };
        let file: GroupFile = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            origin: origin.to_string(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        let policy = match &file.policy {
            Some(p) => p.parse().map_err(|e| bad("policy", e))?,
            None => GroupPolicy::default(),
        };
        if !(2..=8).contains(&file.members.len()) {
            return Err(bad("members", "a group has 2 to 8 members".into()));
        }
        let members = file
            .members
            .iter()
            .map(|m| member(m))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, a) in members.iter().enumerate() {
            if members[..i]
                .iter()
                .any(|b| b.release.name == a.release.name)
            {
                return Err(bad(
                    "members",
                    format!("two members release '{}'", a.release.name),
                ));
            }
        }
        Ok(Self {
            name: file.name,
            description: file.description,
            group: file.group,
            policy,
            members,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_groups_load_backend_first() {
        for (name, _) in BUILT_IN {
            let g = GroupScenario::load(name).unwrap();
            assert!(GroupScenario::is_group(name));
            let order: Vec<&str> = g.members.iter().map(|m| m.release.name.as_str()).collect();
            assert_eq!(order, ["backend", "frontend"], "{name}");
        }
        assert!(!GroupScenario::is_group("faulty-v2"));
    }

    #[test]
    fn a_bad_group_file_says_which_field() {
        let err = GroupScenario::parse(
            "name = \"x\"\ndescription = \"d\"\ngroup = \"g\"\npolicy = \"some\"\nmembers = []",
            "x.toml",
            |_| unreachable!(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("field `policy`"), "{err}");
        let err = GroupScenario::parse(
            "name = \"x\"\ndescription = \"d\"\ngroup = \"g\"\nmembers = [\"a\"]",
            "x.toml",
            |_| unreachable!(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("2 to 8 members"), "{err}");
    }
}

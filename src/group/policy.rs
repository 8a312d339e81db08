//! What the group does when one member fails (`--group-policy`).

use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GroupPolicy {
    /// The group stops and the members that had moved roll back, in reverse order.
    #[default]
    AllOrNone,
    /// The failing member rolls back alone; the others go on.
    Independent,
}

impl GroupPolicy {
    pub fn label(self) -> &'static str {
        match self {
            GroupPolicy::AllOrNone => "all-or-none",
            GroupPolicy::Independent => "independent",
        }
    }
}

impl fmt::Display for GroupPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl std::str::FromStr for GroupPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all-or-none" => Ok(GroupPolicy::AllOrNone),
            "independent" => Ok(GroupPolicy::Independent),
            other => Err(format!(
                "'{other}' is not a group policy: all-or-none (the default) or independent"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_and_names_them_on_a_typo() {
        assert_eq!("independent".parse(), Ok(GroupPolicy::Independent));
        assert_eq!("all-or-none".parse(), Ok(GroupPolicy::AllOrNone));
        let err = "all".parse::<GroupPolicy>().unwrap_err();
        assert!(
            err.contains("all-or-none (the default) or independent"),
            "{err}"
        );
        assert_eq!(GroupPolicy::default().to_string(), "all-or-none");
    }
}

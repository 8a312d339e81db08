//! The group's analysis: each member's verdict, and the group's, which fails when any member
//! fails.

use crate::model::Outcome;

/// One member's line in the group's analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberVerdict {
    pub name: String,
    /// Its last check, if any.
    pub last: Option<Outcome>,
    pub failed_checks: u32,
    pub threshold: u32,
    /// Why it failed, once it did.
    pub failure: Option<String>,
}

impl MemberVerdict {
    /// `backend ✖ failed 5/5: error rate 14 % > 1 %`, `frontend ✔ passed 0/5`.
    pub fn line(&self) -> String {
        let (mark, word) = match (&self.failure, self.last) {
            (Some(_), _) | (None, Some(Outcome::Fail)) => ("✖", "failed"),
            (None, Some(Outcome::Pass)) => ("✔", "passed"),
            (None, Some(Outcome::Inconclusive)) => ("?", "inconclusive"),
            (None, None) => ("·", "no check yet"),
        };
        let mut line = format!(
            "{} {mark} {word} {}/{}",
            self.name, self.failed_checks, self.threshold
        );
        if let Some(why) = &self.failure {
            line.push_str(": ");
            line.push_str(why);
        }
        line
    }
}

/// The group's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupVerdict {
    /// A member failed: the group fails.
    Failed { member: String },
    /// Every member's last check passed.
    Passing,
    /// A member has no passing check yet (no check, inconclusive, or a failure below its
    /// threshold).
    Waiting { members: Vec<String> },
}

impl GroupVerdict {
    pub fn of(members: &[MemberVerdict]) -> Self {
        if let Some(m) = members.iter().find(|m| m.failure.is_some()) {
            return GroupVerdict::Failed {
                member: m.name.clone(),
            };
        }
        let waiting: Vec<String> = members
            .iter()
            .filter(|m| m.last != Some(Outcome::Pass))
            .map(|m| m.name.clone())
            .collect();
        if waiting.is_empty() {
            GroupVerdict::Passing
        } else {
            GroupVerdict::Waiting { members: waiting }
        }
    }

    pub fn line(&self) -> String {
        match self {
            GroupVerdict::Failed { member } => format!("group ✖ failed: {member} failed"),
            GroupVerdict::Passing => "group ✔ every member passes".to_string(),
            GroupVerdict::Waiting { members } => {
                format!("group · waiting for {}", members.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, last: Option<Outcome>, failed: u32, failure: Option<&str>) -> MemberVerdict {
        MemberVerdict {
            name: name.into(),
            last,
            failed_checks: failed,
            threshold: 5,
            failure: failure.map(Into::into),
        }
    }

    #[test]
    fn the_group_fails_when_any_member_fails() {
        let list = [
            v("backend", Some(Outcome::Fail), 5, Some("5 failed checks")),
            v("frontend", Some(Outcome::Pass), 0, None),
        ];
        assert_eq!(
            GroupVerdict::of(&list),
            GroupVerdict::Failed {
                member: "backend".into()
            }
        );
        assert_eq!(list[0].line(), "backend ✖ failed 5/5: 5 failed checks");
        assert_eq!(list[1].line(), "frontend ✔ passed 0/5");
    }

    #[test]
    fn passing_needs_every_member_and_waiting_names_the_others() {
        let list = [
            v("backend", Some(Outcome::Pass), 0, None),
            v("frontend", Some(Outcome::Fail), 1, None),
        ];
        assert_eq!(
            GroupVerdict::of(&list).line(),
            "group · waiting for frontend"
        );
        let both = [
            v("backend", Some(Outcome::Pass), 0, None),
            v("frontend", Some(Outcome::Pass), 1, None),
        ];
        assert_eq!(GroupVerdict::of(&both), GroupVerdict::Passing);
    }
}

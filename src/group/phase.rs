//! The group's phase, shown above the members' bands.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupPhase {
    /// The members step together.
    Progressing,
    Paused,
    /// Members are promoted in order; `member` is the one rolling out now.
    Promoting {
        member: String,
    },
    /// Members roll back in reverse order; `member` is the one rolling back now.
    RollingBack {
        member: String,
        cause: String,
    },
    Promoted,
    RolledBack,
    /// Some members promoted and others rolled back (`independent`, or a member that could no
    /// longer be rolled back).
    Mixed,
    /// A rollback write failed: the operator must look.
    Failed,
}

impl GroupPhase {
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            GroupPhase::Promoted | GroupPhase::RolledBack | GroupPhase::Mixed | GroupPhase::Failed
        )
    }

    pub fn label(&self) -> &'static str {
        match self {
            GroupPhase::Progressing => "Progressing",
            GroupPhase::Paused => "Paused",
            GroupPhase::Promoting { .. } => "Promoting",
            GroupPhase::RollingBack { .. } => "RollingBack",
            GroupPhase::Promoted => "Promoted",
            GroupPhase::RolledBack => "RolledBack",
            GroupPhase::Mixed => "Mixed",
            GroupPhase::Failed => "Failed",
        }
    }
}

impl fmt::Display for GroupPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupPhase::Promoting { member } => write!(f, "Promoting {member}"),
            GroupPhase::RollingBack { member, cause } => {
                write!(f, "RollingBack {member} ({cause})")
            }
            other => f.write_str(other.label()),
        }
    }
}

//! Where the operator goes from a release, and how the release ended.

use crate::model::Target;

/// Where the operator goes from this release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Back to the list of releases.
    Back,
    /// Straight to another release, by its target (`ingress/NAME`, `vs/NAME`, …), as typed
    /// after `:` and checked there.
    Open(Target),
}

/// How the release ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseOutcome {
    Promoted,
    RolledBack,
    Failed,
}

impl ReleaseOutcome {
    pub fn label(self) -> &'static str {
        match self {
            ReleaseOutcome::Promoted => "promoted",
            ReleaseOutcome::RolledBack => "rolled-back",
            ReleaseOutcome::Failed => "failed",
        }
    }
}

//! The group cockpit in the terminal, for a demo group.

use crate::source::demo::group_session::GroupSession;
use crate::source::demo::Speed;
use std::process::ExitCode;

use super::RunError;

pub fn run(_session: GroupSession, _speed: Speed) -> Result<ExitCode, RunError> {
    Err(RunError::Usage(
        "the group cockpit runs headless for now: add --headless".to_string(),
    ))
}

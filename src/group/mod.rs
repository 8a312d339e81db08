//! Release groups: a frontend and its backend released as one. Pure: which releases form a
//! group and in what order ([`members`]), how the group steps, promotes and rolls back
//! ([`plan`]), what it does when a member fails ([`policy`]), its phase ([`phase`]) and its
//! verdict ([`verdict`]). No I/O; the app drives one plan per group through the one executor.

pub mod board;
pub mod members;
pub mod phase;
pub mod plan;
mod plan_end;
pub mod policy;
pub mod verdict;

pub use board::{group_rows, BoardRow};
pub use members::{
    find, from_command_line, membership, Basis, Candidate, GroupError, GroupSpec, Member,
    COMPONENT, GROUP_ANNOTATION, ORDER_ANNOTATION, PART_OF,
};
pub use phase::GroupPhase;
pub use plan::{Command, GroupAction, GroupPlan, MemberState, Report, Step};
pub use policy::GroupPolicy;
pub use verdict::{GroupVerdict, MemberVerdict};

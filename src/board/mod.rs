//! The release board (`canary board`): every release of every system in every namespace and
//! cluster the user may list, one entry each, with what waits for a human on top.
//!
//! Pure, like `App::update`: the live layer hands in what it observed ([`Facts`]), keys come in,
//! and what the operator chose goes out ([`Outcome`]). Nothing here reads a clock or the network:
//! every instant arrives with the call that needs it.
//!
//! - [`entry`]: what one release shows (its [`Facts`], its [`Row`] of display cells) and the
//!   board's list of [`Entry`]s;
//! - [`attention`]: what needs a human, and why;
//! - [`view`]: the sort, the filter, the counts in the header;
//! - [`state`]: the board itself (selection, marks, the confirmation, each row's result);
//! - [`keys`]: what each key does;
//! - [`update`]: what the live layer tells the board.

pub mod attention;
pub mod entry;
pub mod keys;
pub mod state;
pub mod update;
pub mod view;

pub use attention::{attention, Attention};
pub use entry::{ActionPlan, Compare, Entry, Facts, Key, Ready, Row};
pub use keys::Outcome;
pub use state::{Board, BoardMode, ContextState, Planned, RowResult};
pub use update::Update;

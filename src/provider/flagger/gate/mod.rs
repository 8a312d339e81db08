//! Gates Flagger asks before it acts, served by the cockpit.
//!
//! Flagger calls webhooks at fixed moments of a canary release. Its load tester answers them with
//! manual gates, and the cockpit serves the same paths, so an existing Canary spec can point its
//! webhooks at the cockpit instead without other changes:
//!
//! - The `confirm-rollout`, `confirm-traffic-increase` and `confirm-promotion` webhooks point at
//!   `POST /gate/check`. The cockpit answers 200 when the gate of that canary is open (Flagger goes
//!   ahead) and 403 when it is closed (Flagger waits and asks again). Gates start closed.
//! - The `rollback` webhook points at `POST /rollback/check`. The cockpit answers 200 when someone
//!   asked for a rollback of that canary (Flagger rolls back now) and 403 otherwise.
//! - `POST /gate/open`, `/gate/close`, `/rollback/open` and `/rollback/close` set those gates and
//!   answer 202, just as on the load tester, so scripts written for it keep working.
//!
//! Every request carries a small JSON body naming the canary: `{"name": "...", "namespace":
//! "..."}`. Flagger adds `phase`, `checksum` and `metadata`; the phase is kept for the event log and
//! everything else is ignored.
//!
//! [`book`] holds the gates as published; [`server`] speaks HTTP through hyper, one request per
//! connection (`connection`), answered from the book (`answer`). The gates of the release a
//! cockpit has open belong to that cockpit: the book hands them over ([`Handover`]), the server
//! sends it the changes asked through `/gate/open` and the like, and the cockpit publishes how
//! its gates stand. `canary gate serve` owns every canary's gates itself. The server has no authentication: anyone who
//! can reach its port can open gates, so bind it where only Flagger and the operator can connect.

mod answer;
pub mod book;
mod connection;
pub mod server;
mod wire;

pub use book::{GateBook, GateChange, GateRequest, GateState, Gates, Handover};
pub use server::{bind, serve, GateCall, GateError};

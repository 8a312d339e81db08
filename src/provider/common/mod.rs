//! What every traffic system shares: the route as read and the levers it names ([`route`]), the
//! writes the executor performs ([`write`]), which backend is the canary ([`infer`]), where the
//! metrics are ([`hints`]) and the list a system's releases are found in ([`discover`]).

pub mod discover;
pub mod hints;
pub mod infer;
pub mod route;
pub mod write;

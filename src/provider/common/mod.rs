//! What every traffic system shares: the route as read and the levers it names ([`route`]), the
//! writes the executor performs ([`write`]), which backend is the canary ([`infer`]), where the
//! metrics are ([`hints`]), the list a system's releases are found in ([`discover`]), how a
//! release ends by its layout ([`takeover`]) and the write that ends it ([`ending`]).

pub mod alerts;
pub mod discover;
pub mod ending;
#[cfg(test)]
pub mod fixture;
pub mod hints;
pub mod infer;
pub mod lever;
pub mod route;
pub mod takeover;
pub mod write;

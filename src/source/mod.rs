//! Producers of events and executors of effects.

pub mod demo;

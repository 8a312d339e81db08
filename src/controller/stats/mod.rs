//! The statistics of the statistical judge, pure and dependency-free: the normal distribution, the
//! Mann-Whitney U test and the Hodges-Lehmann shift with its interval as R's
//! `wilcox.test(x, y, conf.int = TRUE, exact = FALSE, correct = TRUE)` computes them, and the
//! difference of two proportions with Newcombe's hybrid score interval.
//!
//! `tests/it/judge_reference.rs` holds each of them against R on generated samples.

pub mod hodges_lehmann;
pub mod mann_whitney;
pub mod normal;
pub mod proportions;
mod rank;
mod zeroin;

pub use hodges_lehmann::{hodges_lehmann, HodgesLehmann};
pub use mann_whitney::{mann_whitney, MannWhitney};
pub use proportions::{two_proportions, wilson, TwoProportions};

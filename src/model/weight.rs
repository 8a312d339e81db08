//! Traffic weight of the canary, 0–100 %. The primary gets the complement.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(try_from = "u8", into = "u8")]
pub struct Weight(u8);

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WeightError {
    #[error("enter a whole number of percent")]
    Empty,
    #[error("'{0}' is not a whole number: enter 0 to 100")]
    NotANumber(String),
    #[error("{0} is out of range: the weight is 0 to 100")]
    OutOfRange(i64),
}

impl Weight {
    pub const ZERO: Weight = Weight(0);
    pub const FULL: Weight = Weight(100);

    pub fn new(percent: u8) -> Result<Self, WeightError> {
        if percent > 100 {
            return Err(WeightError::OutOfRange(i64::from(percent)));
        }
        Ok(Self(percent))
    }

    /// A weight from a value already known to be a percentage; above 100 becomes 100.
    pub fn clamped(percent: u8) -> Self {
        Self(percent.min(100))
    }

    pub fn percent(self) -> u8 {
        self.0
    }

    /// The primary's share.
    pub fn complement(self) -> Weight {
        Weight(100 - self.0)
    }

    /// Parses what an operator typed: surrounding blanks and a trailing `%` are allowed.
    pub fn parse_input(text: &str) -> Result<Self, WeightError> {
        let t = text.trim();
        let t = t.strip_suffix('%').unwrap_or(t).trim();
        if t.is_empty() {
            return Err(WeightError::Empty);
        }
        let n: i64 = t
            .parse()
            .map_err(|_| WeightError::NotANumber(text.trim().to_string()))?;
        if !(0..=100).contains(&n) {
            return Err(WeightError::OutOfRange(n));
        }
        Ok(Self(n as u8))
    }
}

impl TryFrom<u8> for Weight {
    type Error = WeightError;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Weight::new(v)
    }
}

impl From<Weight> for u8 {
    fn from(w: Weight) -> u8 {
        w.0
    }
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_operator_input() {
        assert_eq!(Weight::parse_input(" 30 "), Ok(Weight(30)));
        assert_eq!(Weight::parse_input("45%"), Ok(Weight(45)));
        assert_eq!(Weight::parse_input(""), Err(WeightError::Empty));
        assert_eq!(
            Weight::parse_input("101"),
            Err(WeightError::OutOfRange(101))
        );
        assert_eq!(Weight::parse_input("-1"), Err(WeightError::OutOfRange(-1)));
        assert!(matches!(
            Weight::parse_input("12.5"),
            Err(WeightError::NotANumber(_))
        ));
        assert!(matches!(
            Weight::parse_input("abc"),
            Err(WeightError::NotANumber(_))
        ));
        assert_eq!(Weight(30).complement(), Weight(70));
    }
}

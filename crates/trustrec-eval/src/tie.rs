//! How tied scores translate into a rank.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::EvalError;

/// Tie handling for [`crate::rank_of`]. Models that collapse to constant
/// scores look perfect under `Optimistic`, so reporting `Pessimistic` or
/// `Mean` as well exposes them.
///
/// Serialises as the lowercase name (the `FromStr` spelling); the
/// capitalised variant name is also accepted when deserialising.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TieRule {
    /// rank = 1 + #items with a strictly higher score (the seed papers' code).
    #[default]
    #[serde(rename = "optimistic", alias = "Optimistic")]
    Optimistic,
    /// rank = 1 + #items with a score >= the target's, the target excluded.
    #[serde(rename = "pessimistic", alias = "Pessimistic")]
    Pessimistic,
    /// Average of the optimistic and pessimistic ranks (may be x.5).
    #[serde(rename = "mean", alias = "Mean")]
    Mean,
}

impl TieRule {
    /// Rank from the number of strictly higher items and of tied items
    /// (the target itself not counted).
    pub(crate) fn rank(self, higher: usize, ties: usize) -> f64 {
        let base = 1.0 + higher as f64;
        match self {
            TieRule::Optimistic => base,
            TieRule::Pessimistic => base + ties as f64,
            TieRule::Mean => base + ties as f64 / 2.0,
        }
    }

    /// The lowercase name used by `FromStr` and serde.
    pub fn as_str(self) -> &'static str {
        match self {
            TieRule::Optimistic => "optimistic",
            TieRule::Pessimistic => "pessimistic",
            TieRule::Mean => "mean",
        }
    }
}

impl fmt::Display for TieRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TieRule {
    type Err = EvalError;

    /// Case-insensitive, surrounding whitespace ignored (CLI/config input).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        [TieRule::Optimistic, TieRule::Pessimistic, TieRule::Mean]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| EvalError::UnknownTieRule(s.to_owned()))
    }
}

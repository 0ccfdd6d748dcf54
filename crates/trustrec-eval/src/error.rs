//! The single error type of the crate.

use thiserror::Error;

/// Why an evaluation call was rejected. Returned rather than panicking so a
/// bad run (NaN scores, inconsistent splits) fails loudly but recoverably.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum EvalError {
    /// Two inputs that must agree in size do not.
    #[error("shape mismatch for {what}: expected {expected}, got {actual}")]
    ShapeMismatch {
        what: &'static str,
        expected: usize,
        actual: usize,
    },
    /// A score that takes part in a comparison is NaN.
    #[error("NaN score for item {item}")]
    NanScore { item: u32 },
    /// The target id is not a valid column of the score row.
    #[error("target item {target} out of range for {n_items} items")]
    TargetOutOfRange { target: u32, n_items: usize },
    /// An excluded (already seen) id is not a valid column.
    #[error("excluded item {item} out of range for {n_items} items")]
    ExcludedOutOfRange { item: u32, n_items: usize },
    /// A cutoff of 0 makes every metric trivially 0, which is always a bug.
    #[error("cutoff k must be at least 1")]
    ZeroK,
    /// A rank must be >= 1 (or +inf for "never ranked").
    #[error("rank must be >= 1 or +inf, got {0}")]
    InvalidRank(f64),
    /// Accumulators built with different cutoffs cannot be merged.
    #[error("cannot merge accumulators with cutoffs {left:?} and {right:?}")]
    KsMismatch { left: Vec<usize>, right: Vec<usize> },
    /// A numeric parameter is outside its valid range.
    #[error("invalid parameter {name} = {value}")]
    InvalidParameter { name: &'static str, value: f64 },
    /// A tie rule name that `TieRule::from_str` does not know.
    #[error("unknown tie rule {0:?} (expected optimistic, pessimistic or mean)")]
    UnknownTieRule(String),
    /// An error located at one query row of a batch call.
    #[error("row {row}: {source}")]
    AtRow {
        row: usize,
        #[source]
        source: Box<EvalError>,
    },
}

impl EvalError {
    /// Attaches the query row so batch errors point at the offending user.
    pub(crate) fn at_row(self, row: usize) -> Self {
        EvalError::AtRow {
            row,
            source: Box::new(self),
        }
    }
}

//! One error type for every way input can be wrong, always pointing at file, line and column so
//! a user can fix the data without a debugger.

use std::fmt;
use std::path::{Path, PathBuf};

/// What is wrong at a given place in an input file.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A required column is absent from the header (or the row is too short for it).
    MissingColumn,
    /// The field is not a number.
    BadNumber(String),
    /// The field parses but is NaN or infinite, which would poison time sorting.
    NonFinite(String),
    /// The row has a different number of fields than the header (or the first row).
    Ragged { expected: usize, found: usize },
    /// The file has no data rows.
    EmptyFile,
    /// A header name occurs twice, so column lookup would be ambiguous.
    DuplicateHeader,
    /// The bytes are not valid UTF-8.
    NotUtf8,
    /// A date is not `YYYY-MM-DD`.
    BadDate(String),
    /// A field that must not be empty is empty.
    EmptyField,
    /// Syntax or shape error reported by the underlying parser.
    Syntax(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MissingColumn => write!(f, "missing column"),
            Problem::BadNumber(v) => write!(f, "not a number: {v:?}"),
            Problem::NonFinite(v) => write!(f, "number is NaN or infinite: {v:?}"),
            Problem::Ragged { expected, found } => {
                write!(f, "ragged row: expected {expected} fields, found {found}")
            }
            Problem::EmptyFile => write!(f, "file has no data rows"),
            Problem::DuplicateHeader => write!(f, "duplicate header name"),
            Problem::NotUtf8 => write!(f, "invalid UTF-8"),
            Problem::BadDate(v) => write!(f, "not a YYYY-MM-DD date: {v:?}"),
            Problem::EmptyField => write!(f, "empty field"),
            Problem::Syntax(m) => write!(f, "syntax error: {m}"),
        }
    }
}

/// Every failure of this crate.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read. The OS error is part of the message, not a
    /// `source`, so an error chain (`{:#}`) does not print it twice.
    #[error("{}: cannot read: {err}", file.display())]
    Io { file: PathBuf, err: std::io::Error },
    /// Malformed content at a known place (line is 1-based, column is a header name or
    /// `field N`, 1-based).
    #[error("{}: line {line}, column `{column}`: {problem}", file.display())]
    Malformed {
        file: PathBuf,
        line: u64,
        column: String,
        problem: Problem,
    },
    /// A format name that [`crate::Format`] does not know.
    #[error("unknown format {name:?}; valid formats: {valid}")]
    UnknownFormat { name: String, valid: String },
    /// A split name that [`crate::SplitKind`] does not know.
    #[error("unknown split {name:?}; valid splits: {valid}")]
    UnknownSplit { name: String, valid: String },
    /// Options that cannot work together (e.g. csv format without a column map).
    #[error("invalid options: {0}")]
    InvalidOption(String),
    /// A split produced no training data, no validation cases or no test cases.
    #[error("split {kind}: the {part} set is empty ({hint})")]
    EmptySplit {
        kind: String,
        part: &'static str,
        hint: String,
    },
    /// A split would let a model see the future.
    #[error("leakage in split: user {user}, position {pos}: {reason}")]
    Leakage { user: u32, pos: u32, reason: String },
}

impl DataError {
    pub(crate) fn io(file: &Path, source: std::io::Error) -> Self {
        DataError::Io {
            file: file.to_path_buf(),
            err: source,
        }
    }

    pub(crate) fn at(file: &Path, line: u64, column: impl Into<String>, problem: Problem) -> Self {
        DataError::Malformed {
            file: file.to_path_buf(),
            line,
            column: column.into(),
            problem,
        }
    }
}

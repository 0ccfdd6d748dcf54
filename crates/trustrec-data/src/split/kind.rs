//! Split kinds, parsed from `name` or `name:a,b` (e.g. `user-ratio:0.2,0.1`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DataError;

/// How evaluation cases are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SplitKind {
    /// RecBole `LS valid_and_test`, time order: per user with >= 3 interactions, the last item
    /// is test and the one before it valid; shorter users are training only.
    LeaveOneOut,
    /// Per user with >= 3 interactions: the last `ceil(test * n)` items are test cases, the
    /// `ceil(valid * n)` before them valid (at least one training item is always kept).
    UserRatio { test: f64, valid: f64 },
    /// Global time cuts at interaction-time quantiles: the latest `test` fraction of
    /// interactions (ties at the cut included) are test cases, the `valid` fraction before valid.
    GlobalTime { test: f64, valid: f64 },
    /// Sessions whose first event lies within the last `test_days` (86,400 s days, counted back
    /// from the log's last timestamp) are test sessions, the `valid_days` before that valid.
    SessionDate { test_days: f64, valid_days: f64 },
}

const NAMES: &str = "leave-one-out, user-ratio[:test,valid], global-time[:test,valid], \
                     session-date[:test_days,valid_days]";

impl SplitKind {
    /// The kind's name without parameters.
    pub fn name(&self) -> &'static str {
        match self {
            SplitKind::LeaveOneOut => "leave-one-out",
            SplitKind::UserRatio { .. } => "user-ratio",
            SplitKind::GlobalTime { .. } => "global-time",
            SplitKind::SessionDate { .. } => "session-date",
        }
    }

    /// Rejects fractions or day counts that cannot give three non-empty parts.
    pub(crate) fn validate(&self) -> Result<(), DataError> {
        let bad = |msg: String| Err(DataError::InvalidOption(format!("split {self}: {msg}")));
        match *self {
            SplitKind::LeaveOneOut => Ok(()),
            SplitKind::UserRatio { test, valid } | SplitKind::GlobalTime { test, valid } => {
                let ok = |x: f64| x.is_finite() && x > 0.0 && x < 1.0;
                if !ok(test) || !ok(valid) || test + valid >= 1.0 {
                    return bad("fractions must be in (0, 1) with test + valid < 1".into());
                }
                Ok(())
            }
            SplitKind::SessionDate {
                test_days,
                valid_days,
            } => {
                let ok = |x: f64| x.is_finite() && x > 0.0;
                if !ok(test_days) || !ok(valid_days) {
                    return bad("day counts must be positive".into());
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for SplitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SplitKind::LeaveOneOut => f.write_str(self.name()),
            SplitKind::UserRatio { test, valid } | SplitKind::GlobalTime { test, valid } => {
                write!(f, "{}:{test},{valid}", self.name())
            }
            SplitKind::SessionDate {
                test_days,
                valid_days,
            } => write!(f, "{}:{test_days},{valid_days}", self.name()),
        }
    }
}

impl FromStr for SplitKind {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self, DataError> {
        let unknown = || DataError::UnknownSplit {
            name: s.to_string(),
            valid: NAMES.to_string(),
        };
        let (name, params) = match s.trim().split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (s.trim(), None),
        };
        let (a, b) = match params {
            None => (None, None),
            Some(p) => {
                let (a, b) = p.split_once(',').ok_or_else(unknown)?;
                let num = |x: &str| x.trim().parse::<f64>().map_err(|_| unknown());
                (Some(num(a)?), Some(num(b)?))
            }
        };
        let kind = match name.to_ascii_lowercase().as_str() {
            "leave-one-out" if params.is_none() => SplitKind::LeaveOneOut,
            "user-ratio" => SplitKind::UserRatio {
                test: a.unwrap_or(0.1),
                valid: b.unwrap_or(0.1),
            },
            "global-time" => SplitKind::GlobalTime {
                test: a.unwrap_or(0.1),
                valid: b.unwrap_or(0.1),
            },
            "session-date" => SplitKind::SessionDate {
                test_days: a.unwrap_or(1.0),
                valid_days: b.unwrap_or(1.0),
            },
            _ => return Err(unknown()),
        };
        kind.validate()?;
        Ok(kind)
    }
}

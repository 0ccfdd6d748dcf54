//! Leak-free train/valid/test splits over per-user time-sorted sequences.
//!
//! A [`Split`] keeps every user's full sequence; training data is a per-user prefix and each
//! evaluation [`Case`] is a position whose history is everything before it in that user's
//! sequence (which may include earlier valid/test items, as in RecBole's evaluation).

mod kind;
mod leakage;

pub use kind::SplitKind;
pub use leakage::check_leakage;

use serde::{Deserialize, Serialize};

use crate::{DataError, InteractionLog, Sequences};

/// One evaluation case: target `seqs.items_of(user)[pos]`, history `seqs.items_of(user)[..pos]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Case {
    pub user: u32,
    pub pos: u32,
}

/// Full sequences plus which prefix trains and which positions are evaluated.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub kind: SplitKind,
    pub seqs: Sequences,
    /// Per user: number of leading items that are training data (0 allowed).
    pub train_len: Vec<u32>,
    /// Validation cases, ordered by user then position.
    pub valid: Vec<Case>,
    /// Test cases, ordered by user then position.
    pub test: Vec<Case>,
}

impl Split {
    /// `1 + largest item id in the sequences` (0 when empty): the id space models must cover.
    /// Catalog-only items beyond it are not counted; use `InteractionLog::n_items` for those.
    pub fn n_items(&self) -> usize {
        self.seqs.items.iter().max().map_or(0, |&m| m as usize + 1)
    }

    /// How often each item occurs in the training prefixes (length [`Split::n_items`]), e.g.
    /// for popularity baselines and negative sampling.
    pub fn train_item_counts(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.n_items()];
        for (u, &n) in self.train_len.iter().enumerate() {
            for &i in &self.seqs.items_of(u)[..n as usize] {
                counts[i as usize] += 1;
            }
        }
        counts
    }

    /// Total number of training interactions.
    pub fn n_train(&self) -> usize {
        self.train_len.iter().map(|&n| n as usize).sum()
    }
}

/// Builds a split of `log` and verifies it with [`check_leakage`].
///
/// Errors when the kind's parameters are invalid or the train, valid or test part is empty.
pub fn split(log: &InteractionLog, kind: &SplitKind) -> Result<Split, DataError> {
    kind.validate()?;
    let seqs = Sequences::from_log(log);
    let mut train_len = vec![0u32; seqs.len()];
    let (mut valid, mut test) = (Vec::new(), Vec::new());
    let case = |u: usize, pos: usize| Case {
        user: u as u32,
        pos: pos as u32,
    };
    match *kind {
        SplitKind::LeaveOneOut | SplitKind::UserRatio { .. } => {
            for (u, len) in train_len.iter_mut().enumerate() {
                let n = seqs.len_of(u);
                if n < 3 {
                    *len = n as u32;
                    continue;
                }
                let (n_test, n_valid) = match *kind {
                    SplitKind::UserRatio { test, valid } => {
                        let n_test = ((test * n as f64).ceil() as usize).clamp(1, n - 2);
                        let n_valid = ((valid * n as f64).ceil() as usize).clamp(1, n - 1 - n_test);
                        (n_test, n_valid)
                    }
                    _ => (1, 1),
                };
                let first_test = n - n_test;
                let first_valid = first_test - n_valid;
                *len = first_valid as u32;
                valid.extend((first_valid..first_test).map(|p| case(u, p)));
                test.extend((first_test..n).map(|p| case(u, p)));
            }
        }
        SplitKind::GlobalTime { .. } => {
            let (t_valid, t_test) = cuts(kind, &seqs.times);
            for (u, len) in train_len.iter_mut().enumerate() {
                let times = seqs.times_of(u);
                *len = times.partition_point(|&t| t < t_valid) as u32;
                for (p, &t) in times.iter().enumerate().skip(*len as usize) {
                    if t >= t_test {
                        test.push(case(u, p));
                    } else {
                        valid.push(case(u, p));
                    }
                }
            }
        }
        SplitKind::SessionDate { .. } => {
            let (t_valid, t_test) = cuts(kind, &seqs.times);
            for (u, len) in train_len.iter_mut().enumerate() {
                let times = seqs.times_of(u);
                let Some(&start) = times.first() else {
                    continue;
                };
                let cases = (1..times.len()).map(|p| case(u, p));
                if start >= t_test {
                    test.extend(cases);
                } else if start >= t_valid {
                    valid.extend(cases);
                } else {
                    *len = times.len() as u32;
                }
            }
        }
    }
    let s = Split {
        kind: *kind,
        seqs,
        train_len,
        valid,
        test,
    };
    let empty = |part: &'static str, hint: &str| {
        Err(DataError::EmptySplit {
            kind: kind.to_string(),
            part,
            hint: hint.to_string(),
        })
    };
    let hint = match kind {
        SplitKind::LeaveOneOut | SplitKind::UserRatio { .. } => {
            "no user has at least 3 interactions"
        }
        SplitKind::GlobalTime { .. } => "the log's times do not spread across the cuts",
        SplitKind::SessionDate { .. } => "no session (of length >= 2) starts in that period",
    };
    if s.n_train() == 0 {
        return empty("train", hint);
    }
    if s.valid.is_empty() {
        return empty("valid", hint);
    }
    if s.test.is_empty() {
        return empty("test", hint);
    }
    check_leakage(&s)?;
    Ok(s)
}

/// `(t_valid, t_test)` for the time-based kinds (`-inf`, `-inf` for the others).
///
/// Global time: quantiles of all interaction times. Session date: the log's last time minus
/// `test_days` (and minus `valid_days` more) days of 86,400 s.
pub(crate) fn cuts(kind: &SplitKind, times: &[f64]) -> (f64, f64) {
    if times.is_empty() {
        return (f64::NEG_INFINITY, f64::NEG_INFINITY);
    }
    match *kind {
        SplitKind::GlobalTime { test, valid } => {
            let mut t = times.to_vec();
            let mut quantile = |frac: f64| {
                let k = ((t.len() as f64 * (1.0 - frac)).floor() as usize).min(t.len() - 1);
                *t.select_nth_unstable_by(k, f64::total_cmp).1
            };
            let t_test = quantile(test);
            let t_valid = quantile(test + valid);
            (t_valid, t_test)
        }
        SplitKind::SessionDate {
            test_days,
            valid_days,
        } => {
            let end = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let t_test = end - test_days * 86_400.0;
            (t_test - valid_days * 86_400.0, t_test)
        }
        _ => (f64::NEG_INFINITY, f64::NEG_INFINITY),
    }
}

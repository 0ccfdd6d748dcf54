//! Independent verification that a split never lets a model see the future.

use super::{Case, Split, SplitKind, cuts};
use crate::DataError;

fn leak(c: Case, reason: String) -> DataError {
    DataError::Leakage {
        user: c.user,
        pos: c.pos,
        reason,
    }
}

/// Checks that every case is in range and outside its user's training prefix, that each
/// target's time is `>=` all of that user's training times, that a user's valid positions all
/// precede its test positions, and for the time-based kinds that the global cuts hold.
pub fn check_leakage(split: &Split) -> Result<(), DataError> {
    let seqs = &split.seqs;
    let n_users = seqs.len();
    if split.train_len.len() != n_users {
        return Err(DataError::InvalidOption(format!(
            "split has {} train lengths for {n_users} sequences",
            split.train_len.len()
        )));
    }
    let (t_valid, t_test) = cuts(&split.kind, &seqs.times);
    let mut last_train = vec![f64::NEG_INFINITY; n_users];
    for (u, &n) in split.train_len.iter().enumerate() {
        let times = seqs.times_of(u);
        let prefix = times.get(..n as usize).ok_or_else(|| {
            leak(
                Case {
                    user: u as u32,
                    pos: n,
                },
                format!(
                    "training prefix {n} exceeds sequence length {}",
                    times.len()
                ),
            )
        })?;
        last_train[u] = prefix.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if matches!(split.kind, SplitKind::GlobalTime { .. }) && last_train[u] >= t_valid {
            let c = Case {
                user: u as u32,
                pos: 0,
            };
            return Err(leak(
                c,
                format!(
                    "training time {} is not before the valid cut {t_valid}",
                    last_train[u]
                ),
            ));
        }
    }
    let mut max_valid_pos = vec![None::<u32>; n_users];
    for (part, cases) in [("valid", &split.valid), ("test", &split.test)] {
        let cut = if part == "valid" { t_valid } else { t_test };
        for &c in cases {
            let u = c.user as usize;
            let time = (u < n_users)
                .then(|| seqs.times_of(u).get(c.pos as usize).copied())
                .flatten()
                .ok_or_else(|| leak(c, format!("{part} case out of range")))?;
            if c.pos < split.train_len[u] {
                return Err(leak(
                    c,
                    format!("{part} target lies inside the training prefix"),
                ));
            }
            if time < last_train[u] {
                return Err(leak(
                    c,
                    format!(
                        "{part} target time {time} precedes training time {}",
                        last_train[u]
                    ),
                ));
            }
            let start = seqs.times_of(u)[0];
            let checked = match split.kind {
                SplitKind::GlobalTime { .. } => time,
                SplitKind::SessionDate { .. } => start,
                _ => f64::INFINITY,
            };
            if checked < cut {
                return Err(leak(
                    c,
                    format!("{part} case time {checked} precedes the {part} cut {cut}"),
                ));
            }
            if part == "valid" {
                let m = &mut max_valid_pos[u];
                *m = Some(m.map_or(c.pos, |p| p.max(c.pos)));
            } else if max_valid_pos[u].is_some_and(|p| p >= c.pos) {
                return Err(leak(
                    c,
                    "test position does not follow all valid positions".into(),
                ));
            }
        }
    }
    Ok(())
}

//! Tie-aware rank of one target item in a score row, in O(n) without sorting.

use crate::{EvalError, TieRule};

/// Rank (1-based; `f64` because [`TieRule::Mean`] can give x.5) of `target`
/// among `scores`, ignoring the already-seen items in `excluded`.
///
/// The target is never excluded even if listed, duplicates in `excluded` are
/// harmless, and NaN is only an error where it would be compared (the target
/// or a non-excluded item), so masked-out garbage does not abort a run.
pub fn rank_of(
    scores: &[f32],
    target: u32,
    excluded: &[u32],
    tie: TieRule,
) -> Result<f64, EvalError> {
    rank_in_pieces(&[scores], target, excluded, tie, &mut Vec::new())
}

/// [`rank_of`] for a row stored as consecutive pieces (the row is their concatenation;
/// `target` and `excluded` index into it), so scores can stay where a kernel wrote them
/// (HierSRec's candidate slabs) instead of being copied into one row first; a whole row is one
/// piece. `mask` is caller-owned scratch, so batch evaluation does not allocate per row: it is
/// all-false on entry and on exit.
pub fn rank_in_pieces(
    pieces: &[&[f32]],
    target: u32,
    excluded: &[u32],
    tie: TieRule,
    mask: &mut Vec<bool>,
) -> Result<f64, EvalError> {
    let n: usize = pieces.iter().map(|p| p.len()).sum();
    let at = |i: usize| {
        let mut i = i;
        for p in pieces {
            if i < p.len() {
                return p[i];
            }
            i -= p.len();
        }
        unreachable!("index checked against the row length")
    };
    if target as usize >= n {
        return Err(EvalError::TargetOutOfRange { target, n_items: n });
    }
    let t = at(target as usize);
    if t.is_nan() {
        return Err(EvalError::NanScore { item: target });
    }
    if let Some(&item) = excluded.iter().find(|&&e| e as usize >= n) {
        return Err(EvalError::ExcludedOutOfRange { item, n_items: n });
    }
    let (mut higher, mut equal, mut has_nan) = (0, 0, false);
    for p in pieces {
        let (h, e, nan) = count_against(p, t);
        (higher, equal, has_nan) = (higher + h, equal + e, has_nan | nan);
    }
    if excluded.is_empty() && !has_nan {
        // `equal` counts the target itself.
        return Ok(tie.rank(higher, equal - 1));
    }
    if mask.len() != n {
        mask.clear();
        mask.resize(n, false);
    }
    for &e in excluded {
        let i = e as usize;
        if e != target && !mask[i] {
            mask[i] = true;
            higher -= usize::from(at(i) > t);
            equal -= usize::from(at(i) == t);
        }
    }
    let nan_item = if has_nan {
        (0..n).find(|&i| at(i).is_nan() && !mask[i])
    } else {
        None
    };
    for &e in excluded {
        mask[e as usize] = false;
    }
    match nan_item {
        Some(i) => Err(EvalError::NanScore {
            item: u32::try_from(i).unwrap_or(u32::MAX),
        }),
        None => Ok(tie.rank(higher, equal - 1)),
    }
}

/// Counts scores strictly above and equal to `t`, and whether any is NaN.
/// Branch-free so the compiler can vectorise the one pass over the row; the counters are `u32`
/// within pieces of at most 2^24 scores (they cannot wrap), which packs twice as many lanes per
/// vector as `usize` counters: 0.34 -> 0.17 ns per score on a 12,101-item row, one thread.
fn count_against(scores: &[f32], t: f32) -> (usize, usize, bool) {
    let (mut higher, mut equal, mut nan) = (0, 0, false);
    for piece in scores.chunks(1 << 24) {
        // Wrapping adds: an overflow-checked add would keep this loop scalar in builds with
        // overflow checks, which tests and the CLI use.
        let (mut h, mut e, mut n) = (0u32, 0u32, 0u32);
        for &s in piece {
            h = h.wrapping_add(u32::from(s > t));
            e = e.wrapping_add(u32::from(s == t));
            n |= u32::from(s.is_nan());
        }
        (higher, equal, nan) = (higher + h as usize, equal + e as usize, nan | (n != 0));
    }
    (higher, equal, nan)
}

//! Top-K retrieval and full ranked lists from score rows.

use crate::full::check_excluded;
use crate::matrix::Scorer;
use crate::{EvalError, MatRef};

/// Top-`k` item ids per query row, best first, ties broken by lower id;
/// excluded items are never returned. Scored in parallel blocks like
/// [`crate::evaluate_full`]. Rows with fewer than `k` eligible items return
/// all of them. NaN in an eligible score is an error.
pub fn top_k(
    queries: MatRef,
    items: MatRef,
    bias: Option<&[f32]>,
    excluded: Option<&[Vec<u32>]>,
    k: usize,
) -> Result<Vec<Vec<u32>>, EvalError> {
    if k == 0 {
        return Err(EvalError::ZeroK);
    }
    let scorer = Scorer::new(queries, items, bias)?;
    let (n, m) = (scorer.n_rows(), scorer.n_items());
    if let Some(ex) = excluded {
        check_excluded(ex, n, m)?;
    }
    let no_excluded: &[u32] = &[];
    let blocks = scorer.map_blocks(scorer.default_block_rows(), |rows, scores| {
        rows.clone()
            .zip(scores.chunks_exact(m.max(1)))
            .map(|(row, s)| {
                let ex = excluded.map_or(no_excluded, |e| &e[row]);
                if let Some(item) = first_nan(s, ex) {
                    return Err(EvalError::NanScore { item }.at_row(row));
                }
                Ok(select_top(s, ex, k))
            })
            .collect::<Result<Vec<_>, _>>()
    });
    let mut out = Vec::with_capacity(n);
    for block in blocks {
        out.extend(block?);
    }
    Ok(out)
}

/// Top-`k` ids of one score row, best first, ties by lower id. Excluded
/// ids (out-of-range ones are ignored) are never returned; NaN scores rank
/// last. Only the `k` winners are sorted, after `select_nth_unstable`.
pub fn top_k_row(scores: &[f32], excluded: &[u32], k: usize) -> Vec<u32> {
    select_top(scores, excluded, k)
}

/// Full ranked list (argsort, best first, ties by lower id) of one score
/// row without the excluded items; the input to rank-list stability.
pub fn ranked_list(scores: &[f32], excluded: &[u32]) -> Vec<u32> {
    let mut keys = candidate_keys(scores, excluded);
    keys.sort_unstable();
    keys.into_iter().map(id_of).collect()
}

/// Streams the row through a small buffer: a key enters only if it beats
/// the current k-th best, and a full buffer is cut back to k with
/// `select_nth_unstable`. Most items cost one integer comparison, and no
/// per-row buffer of size m is needed.
fn select_top(scores: &[f32], excluded: &[u32], k: usize) -> Vec<u32> {
    if k == 0 {
        return Vec::new();
    }
    let cap = k.saturating_mul(2).max(64);
    let mut buf: Vec<u64> = Vec::with_capacity(cap.min(scores.len()));
    let mut threshold = u64::MAX;
    let mut push = |key: u64| {
        if key < threshold {
            buf.push(key);
            if buf.len() >= cap {
                buf.select_nth_unstable(k - 1);
                buf.truncate(k);
                threshold = buf[k - 1];
            }
        }
    };
    let n = scores.len().min(u32::MAX as usize);
    let keys = scores[..n].iter().zip(0u32..).map(|(&s, i)| key(s, i));
    if excluded.is_empty() {
        keys.for_each(&mut push);
    } else {
        let keep = keep_mask(n, excluded);
        keys.zip(keep)
            .filter(|&(_, k)| k)
            .for_each(|(key, _)| push(key));
    }
    if k < buf.len() {
        buf.select_nth_unstable(k - 1);
        buf.truncate(k);
    }
    buf.sort_unstable();
    buf.into_iter().map(id_of).collect()
}

/// Sort keys of the non-excluded items. Ids are u32, so rows longer than
/// `u32::MAX` are truncated to the addressable range.
fn candidate_keys(scores: &[f32], excluded: &[u32]) -> Vec<u64> {
    let n = scores.len().min(u32::MAX as usize);
    let all = scores[..n].iter().zip(0u32..).map(|(&s, i)| key(s, i));
    if excluded.is_empty() {
        return all.collect();
    }
    all.zip(keep_mask(n, excluded))
        .filter_map(|(k, keep)| keep.then_some(k))
        .collect()
}

/// `true` for items that may be returned; out-of-range ids are ignored.
fn keep_mask(n: usize, excluded: &[u32]) -> Vec<bool> {
    let mut keep = vec![true; n];
    for &e in excluded {
        if let Some(k) = keep.get_mut(e as usize) {
            *k = false;
        }
    }
    keep
}

/// Packs (score, id) into one u64 whose ascending order is "higher score
/// first, NaN last, then lower id", so selection and sorting compare plain
/// integers instead of chasing indices into the score row. -0.0 and 0.0
/// tie, matching `rank_of`.
fn key(score: f32, id: u32) -> u64 {
    let ordered = if score.is_nan() {
        0
    } else {
        // Monotone map of f32 onto u32 (after folding -0.0 into 0.0):
        // flip all bits of negatives, only the sign bit of positives.
        // Branch-free because random signs defeat the branch predictor.
        let bits = (score + 0.0).to_bits();
        bits ^ (((bits as i32) >> 31) as u32 | 1 << 31)
    };
    (u64::from(!ordered) << 32) | u64::from(id)
}

fn id_of(key: u64) -> u32 {
    key as u32
}

/// First NaN score among the non-excluded items (rare path: only scans
/// `excluded` when the row has a NaN at all).
fn first_nan(scores: &[f32], excluded: &[u32]) -> Option<u32> {
    if !scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    (0u32..)
        .zip(scores)
        .find(|&(i, s)| s.is_nan() && !excluded.contains(&i))
        .map(|(i, _)| i)
}

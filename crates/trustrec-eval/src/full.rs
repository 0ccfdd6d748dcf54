//! Full-catalogue evaluation: score every item for every query, rank the target.

use crate::matrix::Scorer;
use crate::rank::rank_in_pieces;
use crate::{EvalError, MatRef, MetricAccumulator, Metrics, TieRule};

/// Inputs for [`evaluate_full`]: scores are `queries * items^T (+ bias)`.
#[derive(Clone, Copy, Debug)]
pub struct EvalRequest<'a> {
    /// n x d query (user/session) embeddings.
    pub queries: MatRef<'a>,
    /// m x d item embeddings.
    pub items: MatRef<'a>,
    /// Optional per-item additive score bias (length m).
    pub bias: Option<&'a [f32]>,
    /// Held-out target item per query row (length n).
    pub targets: &'a [u32],
    /// Already-seen items per query row (length n), never ranked.
    pub excluded: Option<&'a [Vec<u32>]>,
    /// How tied scores are ranked (see [`TieRule`]).
    pub tie: TieRule,
    /// Metric cutoffs; each must be >= 1.
    pub ks: &'a [usize],
}

/// Ranks every row's target against the whole catalogue and returns the
/// metrics plus the rank of each row.
///
/// Scores are computed in blocks of rows with sgemm and blocks run in
/// parallel, so the full n x m matrix never exists. Metrics are summed
/// sequentially from the ranks, making them bitwise independent of block
/// size and thread count.
pub fn evaluate_full(req: &EvalRequest) -> Result<(Metrics, Vec<f64>), EvalError> {
    let scorer = Scorer::new(req.queries, req.items, req.bias)?;
    let block_rows = scorer.default_block_rows();
    evaluate_with(req, &scorer, block_rows)
}

/// [`evaluate_full`] with an explicit block size (rows scored per sgemm
/// call), to bound memory on very large catalogues or to test blocking.
/// A `block_rows` of 0 is treated as 1.
pub fn evaluate_full_blocked(
    req: &EvalRequest,
    block_rows: usize,
) -> Result<(Metrics, Vec<f64>), EvalError> {
    let scorer = Scorer::new(req.queries, req.items, req.bias)?;
    evaluate_with(req, &scorer, block_rows)
}

fn evaluate_with(
    req: &EvalRequest,
    scorer: &Scorer,
    block_rows: usize,
) -> Result<(Metrics, Vec<f64>), EvalError> {
    validate(req, scorer)?;
    let m = scorer.n_items();
    let no_excluded: &[u32] = &[];
    let blocks = scorer.map_blocks(block_rows, |rows, scores| {
        let mut mask = Vec::new();
        rows.clone()
            .zip(scores.chunks_exact(m.max(1)))
            .map(|(row, s)| {
                let ex = req.excluded.map_or(no_excluded, |e| &e[row]);
                rank_in_pieces(&[&s[..m]], req.targets[row], ex, req.tie, &mut mask)
                    .map_err(|e| e.at_row(row))
            })
            .collect::<Result<Vec<f64>, EvalError>>()
    });
    let mut ranks = Vec::with_capacity(scorer.n_rows());
    for block in blocks {
        ranks.extend(block?);
    }
    let mut acc = MetricAccumulator::new(req.ks);
    ranks.iter().for_each(|&r| acc.add_rank(r));
    Ok((acc.finish(), ranks))
}

/// Cheap up-front checks so errors are deterministic and precede the GEMM.
fn validate(req: &EvalRequest, scorer: &Scorer) -> Result<(), EvalError> {
    let (n, m) = (scorer.n_rows(), scorer.n_items());
    if req.ks.contains(&0) {
        return Err(EvalError::ZeroK);
    }
    check_len("targets length (queries.rows)", n, req.targets.len())?;
    if let Some(row) = req.targets.iter().position(|&t| t as usize >= m) {
        let target = req.targets[row];
        return Err(EvalError::TargetOutOfRange { target, n_items: m }.at_row(row));
    }
    if let Some(ex) = req.excluded {
        check_excluded(ex, n, m)?;
    }
    Ok(())
}

pub(crate) fn check_len(
    what: &'static str,
    expected: usize,
    actual: usize,
) -> Result<(), EvalError> {
    if expected != actual {
        return Err(EvalError::ShapeMismatch {
            what,
            expected,
            actual,
        });
    }
    Ok(())
}

/// One excluded list per row, every id a valid item.
pub fn check_excluded(ex: &[Vec<u32>], n: usize, m: usize) -> Result<(), EvalError> {
    check_len("excluded length (queries.rows)", n, ex.len())?;
    for (row, list) in ex.iter().enumerate() {
        if let Some(&item) = list.iter().find(|&&e| e as usize >= m) {
            return Err(EvalError::ExcludedOutOfRange { item, n_items: m }.at_row(row));
        }
    }
    Ok(())
}

//! Rank-list sensitivity between two models: for every query row, both models' full rankings
//! of the same catalogue are compared. Scores are produced block by block (never the whole
//! `n x m` matrix), each row is argsorted once per model (O(m log m)) and every measure is O(m).

use rayon::prelude::*;

use super::{average_overlap, jaccard_at_k, try_rbo};
use crate::matrix::{MatRef, Scorer};
use crate::{EvalError, topk::ranked_list};

/// Similarity of the two rankings of one query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairRls {
    /// Average overlap over the full list (the CASPER paper's "RBO").
    pub ao: f64,
    /// Rank-biased overlap with the requested `p` and depth.
    pub rbo: f64,
    /// Jaccard similarity of the two top-K sets.
    pub jaccard: f64,
}

/// Options for [`compare_rankings`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairOptions {
    pub jaccard_k: usize,
    pub rbo_p: f64,
    /// RBO depth; `None` = the full list.
    pub rbo_depth: Option<usize>,
}

/// Compares model A (`a_queries` x `a_items`) with model B row by row. Both must have the same
/// number of rows (the same test instances) and items (the same catalogue).
pub fn compare_rankings(
    a_queries: MatRef,
    a_items: MatRef,
    b_queries: MatRef,
    b_items: MatRef,
    opts: &PairOptions,
) -> Result<Vec<PairRls>, EvalError> {
    let a = Scorer::new(a_queries, a_items, None)?;
    let b = Scorer::new(b_queries, b_items, None)?;
    for (what, x, y) in [
        ("rows of model B (test instances)", a.n_rows(), b.n_rows()),
        ("items of model B (catalogue)", a.n_items(), b.n_items()),
    ] {
        if x != y {
            return Err(EvalError::ShapeMismatch {
                what,
                expected: x,
                actual: y,
            });
        }
    }
    try_rbo(&[], &[], opts.rbo_p, opts.rbo_depth)?;
    let block = a.default_block_rows();
    let n_blocks = a.n_rows().div_ceil(block);
    let blocks: Vec<Vec<PairRls>> = (0..n_blocks)
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(sa, sb), i| {
                let rows = i * block..((i + 1) * block).min(a.n_rows());
                a.score_block(rows.clone(), sa);
                b.score_block(rows.clone(), sb);
                let m = a.n_items();
                (0..rows.len())
                    .map(|r| {
                        let la = ranked_list(&sa[r * m..(r + 1) * m], &[]);
                        let lb = ranked_list(&sb[r * m..(r + 1) * m], &[]);
                        PairRls {
                            ao: average_overlap(&la, &lb, None),
                            rbo: try_rbo(&la, &lb, opts.rbo_p, opts.rbo_depth).unwrap_or(f64::NAN),
                            jaccard: jaccard_at_k(&la, &lb, opts.jaccard_k),
                        }
                    })
                    .collect()
            },
        )
        .collect();
    Ok(blocks.into_iter().flatten().collect())
}

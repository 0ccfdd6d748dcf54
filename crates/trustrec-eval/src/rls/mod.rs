//! Rank-list similarity: how much two rankings of the same catalogue agree.
//!
//! All functions take ranked item-id lists (best first, no duplicates
//! expected; repeated ids are counted once) and return a value in [0, 1].
//! Two empty lists are identical (1.0); an empty and a non-empty list share
//! nothing (0.0).

mod ao;
mod jaccard;
mod marks;
mod pairwise;
mod rbo;

pub use ao::average_overlap;
pub use jaccard::jaccard_at_k;
pub use pairwise::{PairOptions, PairRls, compare_rankings};
pub use rbo::{rbo, try_rbo};

/// Evaluation depth: `depth` clamped to the longer list (a prefix past
/// the end of a list is the whole list), or the longer list's length.
fn eval_depth(a: &[u32], b: &[u32], depth: Option<usize>) -> usize {
    let full = a.len().max(b.len());
    depth.map_or(full, |d| d.min(full))
}

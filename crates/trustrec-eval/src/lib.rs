//! Ranking evaluation for trustrec: tie-aware ranks, top-K metrics,
//! blocked full-catalogue scoring and rank-list similarity.
//!
//! Everything returns [`EvalError`] on bad input instead of panicking,
//! because scores come straight from (possibly diverged) models.

mod error;
mod full;
mod matrix;
mod metrics;
mod rank;
pub mod rls;
mod stats;
mod tie;
mod topk;

pub use error::EvalError;
pub use full::{EvalRequest, check_excluded, evaluate_full, evaluate_full_blocked};
pub use matrix::{MatRef, scores_nt, scores_nt_into};
pub use metrics::{MetricAccumulator, Metrics};
pub use rank::{rank_in_pieces, rank_of};
pub use rls::{average_overlap, jaccard_at_k, rbo, try_rbo};
pub use stats::{MeanStd, aggregate_metrics, mean_std, median};
pub use tie::TieRule;
pub use topk::{ranked_list, top_k, top_k_row};

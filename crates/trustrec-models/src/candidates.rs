//! HierSRec's scalable inference: rank only the items of the top predicted categories.
//!
//! (choice) Candidates are exactly `ceil(share * n_items)` items: whole categories in order of
//! predicted probability, the last one cut to its most popular training items. A fixed size
//! makes the cost predictable whatever the category sizes; a target outside the set is a miss.

use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;
use trustrec_data::{Case, Split};
use trustrec_eval::{EvalRequest, MatRef, MetricAccumulator, Metrics, rank_of};

use crate::batch::{case_targets, collate_eval};
use crate::input::SeqInput;
use crate::model::Recommender;
use crate::ops::to_vec;
use crate::score::EvalOptions;

/// Accuracy and cost of candidate ranking against full-catalogue ranking, same model and cases.
#[derive(Clone, Debug, Serialize)]
pub struct CandidateReport {
    /// Configured share of the catalogue ranked per case.
    pub share: f64,
    pub n_candidates: usize,
    /// Metrics ranking only the candidates.
    pub candidates: Metrics,
    /// Metrics ranking every item.
    pub full: Metrics,
    /// Share of cases whose target is among their candidates.
    pub target_coverage: f64,
    /// Seconds to score and rank every case over all items / over the candidates (both after
    /// the model forward pass, which they share; candidate time includes choosing them).
    pub full_seconds: f64,
    pub candidate_seconds: f64,
    pub speedup: f64,
}

/// Candidate vs full ranking for a HierSRec model; `None` for other models.
pub fn evaluate_candidates(
    model: &Recommender,
    split: &Split,
    cases: &[Case],
    opts: &EvalOptions,
    device: &burn::tensor::Device,
) -> anyhow::Result<Option<CandidateReport>> {
    let Recommender::HierSRec(h) = model else {
        return Ok(None);
    };
    anyhow::ensure!(!cases.is_empty(), "no evaluation cases");
    let max_len = opts.max_len;
    let inputs = collate_eval(split, cases, max_len);
    let (mut queries, mut logits) = (Vec::new(), Vec::new());
    for part in inputs.chunks(opts.chunk * max_len) {
        let input = SeqInput::new(part, part.len() / max_len, max_len, device);
        let (q, c) = model
            .last_with_categories(&input)
            .ok_or_else(|| anyhow::anyhow!("model has no category head"))?;
        queries.extend(to_vec(q)?);
        logits.extend(to_vec(c)?);
    }
    let items = to_vec(model.item_table())?;
    let dim = queries.len() / cases.len();
    let n_items = items.len() / dim;
    let feats = h.features();
    let by_cat = feats.items_by_category(&split.train_item_counts());
    let share = h.candidate_share();
    let budget = ((share * n_items as f64).ceil() as usize).clamp(1, n_items);
    let targets = case_targets(split, cases);

    let t = Instant::now();
    let req = EvalRequest {
        queries: MatRef::new(&queries, cases.len(), dim)?,
        items: MatRef::new(&items, n_items, dim)?,
        bias: None,
        targets: &targets,
        excluded: None,
        tie: opts.tie,
        ks: &opts.ks,
    };
    let (full, _) = trustrec_eval::evaluate_full(&req)?;
    let full_seconds = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let n_cat = feats.n_categories;
    let ranks: Vec<Option<f64>> = (0..cases.len())
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(order, cand, scores), row| {
                let q = &queries[row * dim..(row + 1) * dim];
                let lg = &logits[row * n_cat..(row + 1) * n_cat];
                choose(lg, &by_cat, budget, order, cand);
                scores.clear();
                scores.extend(
                    cand.iter()
                        .map(|&i| dot(q, &items[i as usize * dim..][..dim])),
                );
                let pos = cand.iter().position(|&i| i == targets[row])?;
                Some(rank_of(scores, pos as u32, &[], opts.tie))
            },
        )
        .map(|r| r.transpose())
        .collect::<Result<_, _>>()?;
    let candidate_seconds = t.elapsed().as_secs_f64();

    let mut acc = MetricAccumulator::new(&opts.ks);
    for r in &ranks {
        acc.add_rank(r.unwrap_or(f64::INFINITY));
    }
    let covered = ranks.iter().filter(|r| r.is_some()).count();
    Ok(Some(CandidateReport {
        share,
        n_candidates: budget,
        candidates: acc.finish(),
        full,
        target_coverage: covered as f64 / cases.len() as f64,
        full_seconds,
        candidate_seconds,
        speedup: full_seconds / candidate_seconds.max(1e-12),
    }))
}

/// Fills `cand` with `budget` items: categories by descending logit (ties: smaller id), each
/// category's items most popular first.
pub fn choose(
    logits: &[f32],
    by_cat: &[Vec<u32>],
    budget: usize,
    order: &mut Vec<u32>,
    cand: &mut Vec<u32>,
) {
    let better = |a: &u32, b: &u32| {
        logits[*b as usize]
            .total_cmp(&logits[*a as usize])
            .then(a.cmp(b))
    };
    order.clear();
    order.extend(0..logits.len() as u32);
    cand.clear();
    // Only the best few categories are usually needed: select them in O(C) and sort just those,
    // widening the window (and re-doing the work) only when they do not fill the budget.
    let mut top = 32.min(order.len());
    loop {
        if top < order.len() {
            order.select_nth_unstable_by(top, better);
        }
        order[..top].sort_unstable_by(better);
        for &c in &order[..top] {
            let room = budget - cand.len();
            let list = &by_cat[c as usize];
            cand.extend_from_slice(&list[..list.len().min(room)]);
            if cand.len() == budget {
                return;
            }
        }
        if top == order.len() {
            return;
        }
        cand.clear();
        top = (top * 4).min(order.len());
    }
}

/// Dot product with 8 independent accumulators (vectorises without fast-math).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

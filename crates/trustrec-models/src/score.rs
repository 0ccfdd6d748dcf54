//! Evaluation outside the autodiff graph: the model only produces final hidden states and the
//! item table; scoring, ranking and top-K run in plain Rust (trustrec-eval).

use burn::tensor::Device;
use trustrec_data::{Case, Split};
use trustrec_eval::{EvalRequest, MatRef, Metrics, TieRule};

use crate::batch::{
    case_histories, case_targets, collate_eval, collate_eval_times, write_history, write_times,
};
use crate::input::SeqInput;
use crate::model::Recommender;
use crate::ops::to_vec;
use crate::plain::PlainSasRec;
use crate::plain_gru::PlainGru4Rec;

/// Query vectors and item table of a model, as plain row-major buffers.
pub struct Embeddings {
    pub queries: Vec<f32>,
    pub items: Vec<f32>,
    pub dim: usize,
    /// Per-query category logits, from the same forward pass, for models with a category head
    /// (HierSRec's candidate generation reads them).
    pub category_logits: Option<Vec<f32>>,
}

impl Embeddings {
    pub fn n_items(&self) -> usize {
        self.items.len() / self.dim
    }
    pub fn query_mat(&self) -> MatRef<'_> {
        MatRef {
            data: &self.queries,
            rows: self.queries.len() / self.dim,
            cols: self.dim,
        }
    }
    pub fn item_mat(&self) -> MatRef<'_> {
        MatRef {
            data: &self.items,
            rows: self.n_items(),
            cols: self.dim,
        }
    }
}

/// Last-position hidden states for left-padded `inputs` (`rows * max_len`), plus the category
/// logits of models with a category head (HierSRec), from the same pass. `times` (aligned with
/// `inputs`) is required by models that read times and ignored by the others. SASRec runs on
/// the plain-Rust forward pass ([`PlainSasRec`]) when no history is empty, GRU4Rec always on
/// [`PlainGru4Rec`]; every other case on burn ([`burn_query_states`]).
pub fn query_states(
    model: &Recommender,
    inputs: &[i64],
    times: Option<&[f64]>,
    max_len: usize,
    chunk: usize,
    device: &Device,
) -> anyhow::Result<(Vec<f32>, Option<Vec<f32>>)> {
    if let Recommender::SasRec(m) = model
        && inputs.chunks(max_len).all(|row| row.last() != Some(&0))
    {
        return Ok((PlainSasRec::new(m)?.last_states(inputs, max_len)?, None));
    }
    if let Recommender::Gru4Rec(m) = model {
        return Ok((PlainGru4Rec::new(m)?.last_states(inputs, max_len)?, None));
    }
    burn_query_states(model, inputs, times, max_len, chunk, device)
}

/// [`query_states`] through burn's forward pass, in chunks of `chunk` rows. For models whose
/// states ignore padding ([`Recommender::masks_padding`]) the rows are taken longest first and
/// each chunk drops the columns that are padding in all its rows (rows are left-padded and
/// positions count from the right, so the states do not change): evaluation histories are
/// mostly far shorter than `max_len` (amazon-beauty: ~9 of 50).
pub fn burn_query_states(
    model: &Recommender,
    inputs: &[i64],
    times: Option<&[f64]>,
    max_len: usize,
    chunk: usize,
    device: &Device,
) -> anyhow::Result<(Vec<f32>, Option<Vec<f32>>)> {
    let span = model.time_span();
    anyhow::ensure!(
        span.is_none() || times.is_some(),
        "this model reads interaction times, but none were given"
    );
    let rows = inputs.len() / max_len;
    let trims = model.masks_padding();
    // Columns each row needs: from its first real item to the end.
    let width: Vec<usize> = inputs
        .chunks(max_len)
        .map(|row| match trims {
            true => (max_len - row.iter().take_while(|&&i| i == 0).count()).max(1),
            false => max_len,
        })
        .collect();
    let mut order: Vec<usize> = (0..rows).collect();
    order.sort_by_key(|&r| std::cmp::Reverse(width[r]));
    let (mut states, mut logits): (Vec<f32>, Vec<f32>) = (Vec::new(), Vec::new());
    let (mut dim, mut n_cat) = (0, 0);
    for part in order.chunks(chunk.max(1)) {
        let w = width[part[0]];
        let items: Vec<i64> = part
            .iter()
            .flat_map(|&r| &inputs[(r + 1) * max_len - w..(r + 1) * max_len])
            .copied()
            .collect();
        let mut input = SeqInput::new(&items, part.len(), w, device);
        if let (Some(times), Some(span)) = (times, span) {
            let t: Vec<f64> = part
                .iter()
                .flat_map(|&r| &times[(r + 1) * max_len - w..(r + 1) * max_len])
                .copied()
                .collect();
            input = input.with_times(&items, &t, span, device);
        }
        let (q, c) = match model.last_with_categories(&input) {
            Some((q, c)) => (to_vec(q)?, Some(to_vec(c)?)),
            None => (to_vec(model.last_hidden(&input))?, None),
        };
        if states.is_empty() {
            dim = q.len() / part.len();
            states = vec![0.0; rows * dim];
            if let Some(c) = &c {
                n_cat = c.len() / part.len();
                logits = vec![0.0; rows * n_cat];
            }
        }
        for (i, &r) in part.iter().enumerate() {
            states[r * dim..(r + 1) * dim].copy_from_slice(&q[i * dim..(i + 1) * dim]);
            if let Some(c) = &c {
                logits[r * n_cat..(r + 1) * n_cat].copy_from_slice(&c[i * n_cat..(i + 1) * n_cat]);
            }
        }
    }
    Ok((states, (n_cat > 0).then_some(logits)))
}

/// Queries (and category logits, where the model has them) for `cases` plus the item table.
/// `model` must be a `valid()` copy on a plain device.
pub fn embed_cases(
    model: &Recommender,
    split: &Split,
    cases: &[Case],
    max_len: usize,
    chunk: usize,
    device: &Device,
) -> anyhow::Result<Embeddings> {
    let inputs = collate_eval(split, cases, max_len);
    let times = model
        .time_span()
        .map(|_| collate_eval_times(split, cases, max_len));
    let (queries, category_logits) =
        query_states(model, &inputs, times.as_deref(), max_len, chunk, device)?;
    let table = model.item_table();
    let [_, dim] = table.dims();
    Ok(Embeddings {
        queries,
        items: to_vec(table)?,
        dim,
        category_logits,
    })
}

/// Options for full-catalogue evaluation.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    pub ks: Vec<usize>,
    pub tie: TieRule,
    pub mask_seen: bool,
    pub max_len: usize,
    pub chunk: usize,
}

impl EvalOptions {
    /// The full-catalogue request ranking `targets` for `emb`'s queries.
    pub fn request<'a>(
        &'a self,
        emb: &'a Embeddings,
        targets: &'a [u32],
        excluded: Option<&'a [Vec<u32>]>,
    ) -> EvalRequest<'a> {
        EvalRequest {
            queries: emb.query_mat(),
            items: emb.item_mat(),
            bias: None,
            targets,
            excluded,
            tie: self.tie,
            ks: &self.ks,
        }
    }
}

/// Full-catalogue metrics and per-case ranks for `cases`.
pub fn evaluate_cases(
    model: &Recommender,
    split: &Split,
    cases: &[Case],
    opts: &EvalOptions,
    device: &Device,
) -> anyhow::Result<(Metrics, Vec<f64>)> {
    anyhow::ensure!(!cases.is_empty(), "no evaluation cases");
    let t = std::time::Instant::now();
    let emb = embed_cases(model, split, cases, opts.max_len, opts.chunk, device)?;
    let embed_seconds = t.elapsed().as_secs_f64();
    let out = evaluate_embedded(&emb, split, cases, opts)?;
    tracing::debug!(
        "evaluation of {} cases: model forward {embed_seconds:.3} s, scoring + ranking {:.3} s",
        cases.len(),
        t.elapsed().as_secs_f64() - embed_seconds
    );
    Ok(out)
}

/// [`evaluate_cases`] from embeddings already computed for `cases`, so that other reports on
/// the same cases (HierSRec's candidates) need no second forward pass.
pub fn evaluate_embedded(
    emb: &Embeddings,
    split: &Split,
    cases: &[Case],
    opts: &EvalOptions,
) -> anyhow::Result<(Metrics, Vec<f64>)> {
    anyhow::ensure!(!cases.is_empty(), "no evaluation cases");
    let targets = case_targets(split, cases);
    let excluded = opts.mask_seen.then(|| case_histories(split, cases));
    let req = opts.request(emb, &targets, excluded.as_deref());
    trustrec_eval::evaluate_full(&req).map_err(|e| anyhow::anyhow!("evaluation failed: {e}"))
}

/// Top-`k` dense item ids for each free-form history (dense ids), best first. `times` gives each
/// history's interaction times (same lengths); without them, models that read times (TiSASRec)
/// see equal times, i.e. every interval 0, so their ranking ignores the timing of the history.
pub fn recommend(
    model: &Recommender,
    histories: &[Vec<u32>],
    times: Option<&[Vec<f64>]>,
    k: usize,
    mask_seen: bool,
    max_len: usize,
    device: &Device,
) -> anyhow::Result<Vec<Vec<u32>>> {
    let mut inputs = vec![0i64; histories.len() * max_len];
    for (row, h) in inputs.chunks_mut(max_len).zip(histories) {
        write_history(row, h);
    }
    // Zeros are equal times: all intervals 0.
    let mut stamps = vec![0f64; inputs.len()];
    if let Some(times) = times {
        anyhow::ensure!(
            times.len() == histories.len()
                && times.iter().zip(histories).all(|(t, h)| t.len() == h.len()),
            "recommend: times must match the histories' lengths"
        );
        for (row, t) in stamps.chunks_mut(max_len).zip(times) {
            write_times(row, t);
        }
    }
    let (queries, _) = query_states(model, &inputs, Some(&stamps), max_len, 256, device)?;
    let table = model.item_table();
    let [_, dim] = table.dims();
    let items = to_vec(table)?;
    let q = MatRef {
        data: &queries,
        rows: histories.len(),
        cols: dim,
    };
    let it = MatRef {
        data: &items,
        rows: items.len() / dim,
        cols: dim,
    };
    let excluded = mask_seen.then_some(histories);
    trustrec_eval::top_k(q, it, None, excluded, k).map_err(|e| anyhow::anyhow!("top-k failed: {e}"))
}

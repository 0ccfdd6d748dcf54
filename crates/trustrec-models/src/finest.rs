//! FINEST (rank-preserving fine-tuning): after normal training, remember each training
//! position's top-K list (REF) and the next K items (COMP); then fine-tune on freshly perturbed
//! data every epoch with two hinge terms that keep REF in order and above COMP:
//!
//!   L1 = mean max(0, m - (s[REF_j] - s[REF_j+1]))      j < K - 1
//!   L2 = mean max(0, m - (s[REF_j] - s[COMP_j]))       j < K
//!   loss = training loss + lambda * (L1 + L2)          (raw scores, m = 0.1)
//!
//! Lists are keyed by the data row of the position's input interaction, so a position is
//! regularized only when that interaction exists in the data the references came from.

use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use trustrec_data::Split;
use trustrec_eval::{MatRef, top_k};

use crate::batch::{Sample, TrainBatch, collate_train, samples_for};
use crate::config::{ModelKind, TrainConfig};
use crate::input::SeqInput;
use crate::loss::{cross_entropy_logits, loss_states, sampled_bce};
use crate::model::Recommender;
use crate::ops::to_vec;

/// FINEST hyper-parameters (defaults per model kind follow the paper's code).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FinestConfig {
    /// Fine-tuning epochs (after the normal ones).
    pub epochs: usize,
    pub lr: f64,
    pub lambda: f64,
    pub margin: f64,
    /// Length of the reference list (and of the comparison list).
    pub k: usize,
    /// Share of training rows perturbed in each simulated epoch.
    pub fraction: f64,
}

impl FinestConfig {
    /// lr 1e-3 for the attention models, 1e-4 for the LSTM/GRU (the paper's code); lambda 0.1
    /// for TiSASRec (the paper's), 1.0 otherwise: the paper gives none for SASRec, and at its
    /// 0.1% budget 1.0 made SASRec more stable than 0.1 in all six audits (docs/stability.md,
    /// FINEST).
    pub fn for_kind(kind: ModelKind, epochs: usize) -> Self {
        let attention = matches!(kind, ModelKind::SasRec | ModelKind::TiSasRec);
        Self {
            epochs,
            lr: if attention { 1e-3 } else { 1e-4 },
            lambda: if kind == ModelKind::TiSasRec {
                0.1
            } else {
                1.0
            },
            margin: 0.1,
            k: 100,
            fraction: 0.01,
        }
    }

    pub fn validate(&self, n_items: usize) -> anyhow::Result<()> {
        anyhow::ensure!(self.k >= 2, "finest.k must be >= 2");
        anyhow::ensure!(
            2 * self.k <= n_items,
            "finest.k = {} needs at least {} items, the data has {n_items}",
            self.k,
            2 * self.k
        );
        anyhow::ensure!(
            self.lr > 0.0 && self.lr.is_finite(),
            "finest.lr must be > 0"
        );
        anyhow::ensure!(
            self.lambda >= 0.0 && self.lambda.is_finite(),
            "finest.lambda must be a finite number >= 0, got {}",
            self.lambda
        );
        anyhow::ensure!(
            self.margin >= 0.0 && self.margin.is_finite(),
            "finest.margin must be a finite number >= 0, got {}",
            self.margin
        );
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.fraction),
            "finest.fraction must be in [0, 1]"
        );
        Ok(())
    }
}

/// Top-2K item ids per training position, keyed by the data row of its input interaction.
#[derive(Clone, Debug, Default)]
pub struct RefLists {
    pub k: usize,
    /// Slot per data row (`u32::MAX` = no list).
    slot: Vec<u32>,
    /// `2k` ids per slot: REF = the first `k`, COMP = the next `k`.
    items: Vec<u32>,
}

impl RefLists {
    pub fn get(&self, row: u32) -> Option<&[u32]> {
        let s = *self.slot.get(row as usize)?;
        (s != u32::MAX).then(|| &self.items[s as usize * 2 * self.k..(s as usize + 1) * 2 * self.k])
    }

    pub fn len(&self) -> usize {
        self.items.len() / (2 * self.k).max(1)
    }

    /// Lists from `(data row, top-2k ids)` pairs (the first list of a row wins).
    pub fn from_lists(k: usize, lists: impl IntoIterator<Item = (u32, Vec<u32>)>) -> Self {
        let mut out = RefLists {
            k,
            ..Default::default()
        };
        for (row, list) in lists {
            assert_eq!(list.len(), 2 * k, "a reference list holds 2k ids");
            out.push(row, &list);
        }
        out
    }

    fn push(&mut self, row: u32, list: &[u32]) {
        let r = row as usize;
        if r >= self.slot.len() {
            self.slot.resize(r + 1, u32::MAX);
        }
        if self.slot[r] == u32::MAX {
            self.slot[r] = self.len() as u32;
            self.items.extend_from_slice(list);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Computes the reference lists of a trained (`valid()`) model on `split`'s training positions
/// (the samples `train` cuts; `train.eval_batch` of them per forward pass).
pub fn reference_lists(
    model: &Recommender,
    split: &Split,
    train: &TrainConfig,
    max_len: usize,
    k: usize,
    device: &Device,
) -> anyhow::Result<RefLists> {
    let samples = samples_for(split, train, max_len);
    let chunk = train.eval_batch;
    let span = model.time_span();
    let table = model.item_table();
    let [n_items, dim] = table.dims();
    let table = to_vec(table)?;
    let max_row = split.seqs.rows.iter().filter(|&&r| r != u32::MAX).max();
    let mut out = RefLists {
        k,
        slot: vec![u32::MAX; max_row.map_or(0, |&r| r as usize + 1)],
        items: Vec::new(),
    };
    for part in samples.chunks(chunk.max(1)) {
        let batch = collate_batch(model, split, part, max_len);
        if batch.targets.is_empty() {
            continue;
        }
        let input = batch_input(&batch, span, device);
        let states = to_vec(model.query(loss_states(model.hidden(&input), &batch, device)))?;
        let lists = top_k(
            MatRef::new(&states, batch.targets.len(), dim).map_err(|e| anyhow::anyhow!("{e}"))?,
            MatRef::new(&table, n_items, dim).map_err(|e| anyhow::anyhow!("{e}"))?,
            None,
            None,
            2 * k,
        )
        .map_err(|e| anyhow::anyhow!("reference lists: {e}"))?;
        for (&row, list) in batch.rows.iter().zip(lists) {
            if row != u32::MAX {
                out.push(row, &list);
            }
        }
    }
    Ok(out)
}

/// Collates a training batch for `model`: with times if it reads them, trimmed of all-padding
/// columns if that leaves its states unchanged ([`Recommender::masks_padding`]).
pub(crate) fn collate_batch(
    model: &Recommender,
    split: &Split,
    samples: &[Sample],
    max_len: usize,
) -> TrainBatch {
    let batch = collate_train(split, samples, max_len, model.time_span().is_some());
    if model.masks_padding() {
        batch.trim_padding()
    } else {
        batch
    }
}

/// The model input of a collated batch (with interval matrices for time-aware models).
pub(crate) fn batch_input(batch: &TrainBatch, span: Option<usize>, device: &Device) -> SeqInput {
    let input = SeqInput::new(&batch.inputs, batch.batch, batch.max_len, device);
    match (&batch.times, span) {
        (Some(times), Some(span)) => input.with_times(&batch.inputs, times, span, device),
        _ => input,
    }
}

/// The model's own training loss plus the weighted rank-preserving hinge terms at positions
/// with a list: full-softmax cross-entropy, or with `negatives` (one per target) the sampled
/// BCE the model was trained with, so fine-tuning keeps the model's objective.
pub fn finest_loss(
    states: Tensor<2>,
    table: Tensor<2>,
    batch: &TrainBatch,
    refs: &RefLists,
    cfg: &FinestConfig,
    negatives: Option<&[i64]>,
    device: &Device,
) -> Tensor<1> {
    let k = refs.k;
    let (mut pos, mut reference, mut comparison) = (Vec::new(), Vec::new(), Vec::new());
    for (p, &row) in batch.rows.iter().enumerate() {
        if let Some(list) = (row != u32::MAX).then(|| refs.get(row)).flatten() {
            pos.push(p as i64);
            reference.extend(list[..k].iter().map(|&i| i as i64));
            comparison.extend(list[k..].iter().map(|&i| i as i64));
        }
    }
    let r = pos.len();
    let pos = Tensor::<1, Int>::from_data(TensorData::new(pos, [r]), device);
    // Raw scores of the regularized positions, shared with the cross-entropy when there is one.
    let (base, rows) = match negatives {
        None => {
            let logits = states.matmul(table.transpose());
            let ce = cross_entropy_logits(logits.clone(), &batch.targets, device);
            (ce, (r > 0).then(|| logits.select(0, pos)))
        }
        Some(negs) => {
            let bce = sampled_bce(states.clone(), table.clone(), &batch.targets, negs, device);
            (
                bce,
                (r > 0).then(|| states.select(0, pos).matmul(table.transpose())),
            )
        }
    };
    let Some(rows) = rows.filter(|_| cfg.lambda != 0.0) else {
        return base;
    };
    let idx = |v: Vec<i64>| Tensor::<2, Int>::from_data(TensorData::new(v, [r, k]), device);
    let s_ref = rows.clone().gather(1, idx(reference));
    let s_comp = rows.gather(1, idx(comparison));
    let m = cfg.margin as f32;
    let order = s_ref.clone().slice([0..r, 0..k - 1]) - s_ref.clone().slice([0..r, 1..k]);
    let l1 = relu(order.neg().add_scalar(m)).mean();
    let l2 = relu((s_ref - s_comp).neg().add_scalar(m)).mean();
    base + (l1 + l2).mul_scalar(cfg.lambda as f32)
}

//! Turning a split into padded training samples and evaluation inputs.
//!
//! Sequences are left-padded to `max_len` with 0, and model item index = dense item id + 1, so
//! the last real item is always at position `max_len - 1`.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use trustrec_data::{Case, Split};

use crate::config::TrainConfig;

/// How training sequences become samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainMode {
    /// Original SASRec: one sample per user (its last `max_len` training items), loss at every
    /// position.
    Sequence,
    /// Every training interaction is a target exactly once: each user's training sequence is cut
    /// into consecutive windows of `max_len` targets, loss at every position (default).
    Window,
    /// Like `Window`, but windows end every `stride` targets (`train.stride`, default
    /// `max_len / 2`) and carry the loss only on those, so every target is still a target
    /// exactly once and sees at least `max_len - stride + 1` items of history where the user has
    /// them (in `Window`, the first targets of a window see almost none, unlike at evaluation),
    /// and a batch of N targets mixes ~N / stride users. `max_len / stride` times `Window`'s
    /// encoder work (stride 25: ~35% more time per epoch on ml-100k, where the output layer
    /// dominates). Stride 1 with positions counted from the start gives every target the
    /// inputs and positions it has in `Prefix`, at a fraction of the cost for short users.
    Overlap,
    /// RecBole's augmentation: one sample per prefix, loss only at its last position (~`max_len`
    /// times more encoder work for the same targets; kept for parity experiments).
    Prefix,
    /// Like `Window`, but every epoch each long user's cut points move by a random offset (the
    /// newest window takes 1..=`max_len` targets, the others `max_len`), so a target is not
    /// seen with the same truncated history every epoch; same cost as `Window`.
    Jitter,
}

impl FromStr for TrainMode {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "sequence" => Ok(Self::Sequence),
            "window" => Ok(Self::Window),
            "overlap" => Ok(Self::Overlap),
            "prefix" => Ok(Self::Prefix),
            "jitter" => Ok(Self::Jitter),
            o => anyhow::bail!(
                "unknown train mode '{o}' (expected sequence, window, overlap, prefix or jitter)"
            ),
        }
    }
}

/// One training sample: targets are positions `< end` of `user`'s sequence, and the loss covers
/// the last `n_loss` of the positions the window holds, or, with `every > 1`, every `every`-th
/// of those starting at the `phase`-th (see `TrainConfig::spread`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    pub user: u32,
    pub end: u32,
    pub n_loss: u32,
    pub every: u32,
    pub phase: u32,
}

/// All training samples of a split for `mode` with the other `[train]` settings at their
/// defaults (see [`samples_for`]).
pub fn training_samples(split: &Split, mode: TrainMode, max_len: usize) -> Vec<Sample> {
    let cfg = TrainConfig {
        mode,
        ..TrainConfig::default()
    };
    samples_for(split, &cfg, max_len)
}

/// The training samples a run's `[train]` settings ask for, in a deterministic order (users
/// ascending). `Jitter` gives `Window`'s cuts here; [`epoch_samples`] moves them.
pub fn samples_for(split: &Split, cfg: &TrainConfig, max_len: usize) -> Vec<Sample> {
    samples_cut(split, cfg, max_len, || max_len as u32)
}

/// One epoch's samples: [`samples_for`]'s, except in `Jitter` mode, where each user's newest
/// window takes a random 1..=`max_len` targets drawn from `rng`.
pub fn epoch_samples(
    split: &Split,
    cfg: &TrainConfig,
    max_len: usize,
    rng: &mut impl rand::Rng,
) -> Vec<Sample> {
    samples_cut(split, cfg, max_len, || rng.gen_range(1..=max_len as u32))
}

/// Samples with `first()` targets in the newest window of each long `Jitter` user.
fn samples_cut(
    split: &Split,
    cfg: &TrainConfig,
    max_len: usize,
    mut first: impl FnMut() -> u32,
) -> Vec<Sample> {
    let (mode, stride) = (cfg.mode, cfg.stride.unwrap_or(max_len / 2));
    let l = max_len as u32;
    let mut out = Vec::new();
    let whole = |user, end, n_loss| Sample {
        user,
        end,
        n_loss,
        every: 1,
        phase: 0,
    };
    for (user, &n) in split.train_len.iter().enumerate() {
        let user = user as u32;
        if n < 2 {
            continue;
        }
        match mode {
            TrainMode::Sequence => out.push(whole(user, n, l)),
            TrainMode::Jitter if n > l + 1 => {
                let take = first().clamp(1, l);
                out.push(whole(user, n, take));
                let mut end = n - take;
                while end >= 2 {
                    out.push(whole(user, end, l));
                    end = end.saturating_sub(l);
                }
            }
            TrainMode::Window | TrainMode::Jitter => {
                let mut end = n;
                while end >= 2 {
                    out.push(whole(user, end, l));
                    end = end.saturating_sub(l);
                }
            }
            TrainMode::Overlap => {
                let stride = (stride as u32).clamp(1, l);
                let mut end = n;
                // A window whose inputs reach the user's first item takes every target left.
                while end > l + 1 {
                    out.push(whole(user, end, stride));
                    end -= stride;
                }
                if end >= 2 {
                    out.push(whole(user, end, l));
                }
            }
            TrainMode::Prefix => {
                out.extend((2..=n).map(|end| whole(user, end, 1)));
            }
        }
    }
    match cfg.spread {
        Some(k) if k > 1 => spread(&out, k as u32, max_len),
        _ => out,
    }
}

/// Each sample as `k` copies, copy `j` carrying the loss on its `j`-th, `j + k`-th, ... target
/// (copies left without a target are dropped): every target stays a target exactly once.
fn spread(samples: &[Sample], k: u32, max_len: usize) -> Vec<Sample> {
    let mut out = Vec::with_capacity(samples.len() * k as usize);
    for s in samples {
        let n = s.n_targets(max_len) as u32;
        out.extend((0..k.min(n)).map(|phase| Sample {
            every: k,
            phase,
            ..*s
        }));
    }
    out
}

impl Sample {
    /// Loss positions this sample contributes to a batch (its window may hold fewer than
    /// `n_loss` inputs near the start of a sequence).
    pub fn n_targets(&self, max_len: usize) -> usize {
        let span = self.loss_span(max_len);
        let (every, phase) = (self.every.max(1) as usize, self.phase as usize);
        span.saturating_sub(phase).div_ceil(every)
    }

    /// How many of the window's last positions the loss may cover (before `every`).
    fn loss_span(&self, max_len: usize) -> usize {
        let inputs = (self.end as usize - 1).min(max_len);
        inputs.min(self.n_loss as usize)
    }
}

/// Consecutive ranges of `samples` forming the batches of one epoch: `batch_size` samples each,
/// or, with `batch_targets`, as many samples as it takes to hold at least that many loss
/// targets. RecBole's `train_batch_size` counts targets (one per prefix sample); a window
/// carries up to `max_len`, so equal sample counts are not equal steps (on ml-100k 32 windows
/// hold ~1,290 targets, 40 per window on average, against RecBole's 256).
pub fn batch_ranges(
    samples: &[Sample],
    max_len: usize,
    batch_size: usize,
    batch_targets: Option<usize>,
) -> Vec<std::ops::Range<usize>> {
    let Some(want) = batch_targets else {
        let n = samples.len();
        let size = batch_size.max(1);
        return (0..n).step_by(size).map(|a| a..(a + size).min(n)).collect();
    };
    let mut out = Vec::new();
    let (mut start, mut held) = (0, 0);
    for (i, s) in samples.iter().enumerate() {
        held += s.n_targets(max_len);
        if held >= want.max(1) {
            out.push(start..i + 1);
            (start, held) = (i + 1, 0);
        }
    }
    if start < samples.len() {
        out.push(start..samples.len());
    }
    out
}

/// A collated training batch in flat buffers ready for tensors.
#[derive(Debug, Default, Clone)]
pub struct TrainBatch {
    pub batch: usize,
    pub max_len: usize,
    /// `[batch * max_len]` model item indices (0 = padding).
    pub inputs: Vec<i64>,
    /// Flat indices `b * max_len + i` of positions that carry a loss.
    pub loss_pos: Vec<i64>,
    /// Dense target item id (0-based) of each loss position.
    pub targets: Vec<i64>,
    /// Data row of each loss position's input interaction (`u32::MAX` for inserted ones): the
    /// key of FINEST's reference lists.
    pub rows: Vec<u32>,
    /// `[batch * max_len]` time of each input position (0 at padding); only for models that
    /// read times.
    pub times: Option<Vec<f64>>,
}

impl TrainBatch {
    /// Drops the leading columns that are padding in every row, so the batch is only as wide as
    /// its longest input. Exact for models that mask padded keys and count positions from the
    /// right (the attention models, see [`crate::model::Recommender::masks_padding`]): their
    /// states at real positions do not change, and the encoder does `width / max_len` of the
    /// work (on amazon-beauty the mean input is ~6 items against a width of 50).
    pub fn trim_padding(mut self) -> Self {
        let l = self.max_len;
        let real = |row: &[i64]| l - row.iter().take_while(|&&i| i == 0).count();
        let w = self.inputs.chunks(l).map(real).max().unwrap_or(0).max(1);
        if w == l {
            return self;
        }
        let cut = l - w;
        self.inputs = drop_leading_columns(&self.inputs, l, cut);
        if let Some(t) = self.times.as_mut() {
            *t = drop_leading_columns(t, l, cut);
        }
        for p in &mut self.loss_pos {
            let (row, col) = (*p as usize / l, *p as usize % l);
            *p = (row * w + col - cut) as i64;
        }
        self.max_len = w;
        self
    }
}

/// Rows of `width` values without their first `cut` values.
fn drop_leading_columns<T: Copy>(v: &[T], width: usize, cut: usize) -> Vec<T> {
    v.chunks(width)
        .flat_map(|r| r[cut..].iter().copied())
        .collect()
}

/// Collates `samples` into one left-padded batch, with the inputs' times if `with_times`.
pub fn collate_train(
    split: &Split,
    samples: &[Sample],
    max_len: usize,
    with_times: bool,
) -> TrainBatch {
    let mut b = TrainBatch {
        batch: samples.len(),
        max_len,
        inputs: vec![0; samples.len() * max_len],
        times: with_times.then(|| vec![0.0; samples.len() * max_len]),
        ..Default::default()
    };
    for (row, s) in samples.iter().enumerate() {
        let seq = split.seqs.items_of(s.user as usize);
        let data_rows = split.seqs.rows_of(s.user as usize);
        let end = s.end as usize;
        // Inputs are seq[a..end-1], each predicting the following item.
        let a = (end - 1).saturating_sub(max_len);
        let inputs = &seq[a..end - 1];
        let pad = max_len - inputs.len();
        let base = row * max_len;
        for (i, &item) in inputs.iter().enumerate() {
            b.inputs[base + pad + i] = item as i64 + 1;
        }
        if let Some(t) = b.times.as_mut() {
            let times = &split.seqs.times_of(s.user as usize)[a..end - 1];
            t[base + pad..base + max_len].copy_from_slice(times);
        }
        let first_loss = inputs.len() - s.loss_span(max_len);
        let every = s.every.max(1) as usize;
        for i in (first_loss + s.phase as usize..inputs.len()).step_by(every) {
            b.loss_pos.push((base + pad + i) as i64);
            b.targets.push(seq[a + i + 1] as i64);
            b.rows.push(data_rows[a + i]);
        }
    }
    b
}

/// Left-padded model input for evaluation cases: the last `max_len` items before each target.
pub fn collate_eval(split: &Split, cases: &[Case], max_len: usize) -> Vec<i64> {
    let mut out = vec![0i64; cases.len() * max_len];
    for (row, c) in cases.iter().enumerate() {
        let seq = split.seqs.items_of(c.user as usize);
        write_history(
            &mut out[row * max_len..(row + 1) * max_len],
            &seq[..c.pos as usize],
        );
    }
    out
}

/// Times of the inputs [`collate_eval`] builds, left-padded with 0 the same way.
pub fn collate_eval_times(split: &Split, cases: &[Case], max_len: usize) -> Vec<f64> {
    let mut out = vec![0.0; cases.len() * max_len];
    for (row, c) in cases.iter().enumerate() {
        let times = split.seqs.times_of(c.user as usize);
        write_times(
            &mut out[row * max_len..(row + 1) * max_len],
            &times[..c.pos as usize],
        );
    }
    out
}

/// Writes one left-padded history (dense ids) into `row` as model indices.
pub fn write_history(row: &mut [i64], hist: &[u32]) {
    let hist = &hist[hist.len().saturating_sub(row.len())..];
    let pad = row.len() - hist.len();
    row[..pad].fill(0);
    for (dst, &item) in row[pad..].iter_mut().zip(hist) {
        *dst = item as i64 + 1;
    }
}

/// Writes the times of one history into `row`, aligned with [`write_history`].
pub fn write_times(row: &mut [f64], times: &[f64]) {
    let times = &times[times.len().saturating_sub(row.len())..];
    let pad = row.len() - times.len();
    row[..pad].fill(0.0);
    row[pad..].copy_from_slice(times);
}

/// Target item (dense id) of each case.
pub fn case_targets(split: &Split, cases: &[Case]) -> Vec<u32> {
    cases
        .iter()
        .map(|c| split.seqs.items_of(c.user as usize)[c.pos as usize])
        .collect()
}

/// Items each case's user has already seen (its whole history), for `--mask-seen`.
pub fn case_histories(split: &Split, cases: &[Case]) -> Vec<Vec<u32>> {
    cases
        .iter()
        .map(|c| split.seqs.items_of(c.user as usize)[..c.pos as usize].to_vec())
        .collect()
}

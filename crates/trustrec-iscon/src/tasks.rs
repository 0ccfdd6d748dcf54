//! The two predictors as [`Task`]s: how a batch of target interactions becomes tensors.

use burn::tensor::{Device, Tensor, TensorData};

use crate::examples::{
    ExampleConfig, context_items, item_sequence, previous_sessions, session_features,
};
use crate::fit::Task;
use crate::nets::{ContextInput, ContextNet, IntSeqs, ItemInput, ItemNet, int1, int2};
use crate::sessions::IsconData;

/// Context prediction: target = the k-means context of the target's session.
pub struct ContextTask<'a> {
    pub data: &'a IsconData,
    pub cfg: ExampleConfig,
    /// `n_sessions x dim` session embeddings.
    pub session_emb: &'a [f32],
    pub dim: usize,
    pub features: Vec<[f32; 3]>,
    /// Context of every session.
    pub labels: &'a [u32],
}

impl<'a> ContextTask<'a> {
    pub fn new(
        data: &'a IsconData,
        cfg: ExampleConfig,
        session_emb: &'a [f32],
        dim: usize,
        labels: &'a [u32],
    ) -> Self {
        Self {
            features: session_features(data),
            data,
            cfg,
            session_emb,
            dim,
            labels,
        }
    }

    fn input(&self, batch: &[usize], device: &Device) -> ContextInput {
        let hist: Vec<Vec<Option<usize>>> = batch
            .iter()
            .map(|&i| previous_sessions(self.data, i, self.cfg.max_sessions))
            .collect();
        let t = hist.iter().map(Vec::len).max().unwrap_or(1);
        let w = self.dim + 3;
        let mut flat = vec![0f32; batch.len() * t * w];
        for (r, h) in hist.iter().enumerate() {
            for (p, s) in h.iter().enumerate() {
                if let Some(s) = *s {
                    let row = &mut flat[(r * t + p) * w..(r * t + p + 1) * w];
                    row[..self.dim]
                        .copy_from_slice(&self.session_emb[s * self.dim..(s + 1) * self.dim]);
                    row[self.dim..].copy_from_slice(&self.features[s]);
                }
            }
        }
        let items: Vec<Vec<i64>> = batch
            .iter()
            .map(|&i| context_items(self.data, i, self.cfg.max_len))
            .collect();
        let users: Vec<i64> = batch.iter().map(|&i| self.data.user_of(i) as i64).collect();
        ContextInput {
            users: int1(&users, device),
            sessions: Tensor::from_data(TensorData::new(flat, [batch.len(), t, w]), device),
            session_lens: hist.iter().map(Vec::len).collect(),
            items: IntSeqs::new(&items, 0, device),
        }
    }
}

impl Task for ContextTask<'_> {
    type Net = ContextNet;

    fn key(&self, i: usize) -> usize {
        let s = self.data.session_of[i] as usize;
        let first = self.data.session_offsets[self.data.sessions[s].user as usize];
        let hist = (s - first + 1).min(self.cfg.max_sessions);
        let items = (i - self.data.sessions[s].start + 1).min(self.cfg.max_len);
        hist * 64 + items.min(63)
    }

    fn target(&self, i: usize) -> u32 {
        self.labels[self.data.session_of[i] as usize]
    }

    fn logits(&self, net: &ContextNet, batch: &[usize], device: &Device) -> Tensor<2> {
        net.forward(&self.input(batch, device), device)
    }
}

/// Next-item prediction over the whole catalogue, with (ISCON) or without (ablation) the
/// predicted contexts.
pub struct ItemTask<'a> {
    pub data: &'a IsconData,
    pub max_len: usize,
    /// Top-k predicted contexts per interaction (`n_interactions x top_k`), empty for the
    /// ablation.
    pub contexts: &'a [u32],
    pub top_k: usize,
}

impl Task for ItemTask<'_> {
    type Net = ItemNet;

    fn key(&self, i: usize) -> usize {
        item_sequence(self.data, i, self.max_len).len()
    }

    fn target(&self, i: usize) -> u32 {
        self.data.items[i]
    }

    fn logits(&self, net: &ItemNet, batch: &[usize], device: &Device) -> Tensor<2> {
        let pad = self.data.n_items as i64;
        let seqs: Vec<Vec<i64>> = batch
            .iter()
            .map(|&i| {
                let s = item_sequence(self.data, i, self.max_len);
                if s.is_empty() {
                    vec![pad]
                } else {
                    s.iter().map(|&x| x as i64).collect()
                }
            })
            .collect();
        let users: Vec<i64> = batch.iter().map(|&i| self.data.user_of(i) as i64).collect();
        let k = self.top_k.max(1);
        let ctx: Vec<i64> = batch
            .iter()
            .flat_map(|&i| {
                (0..k).map(move |j| self.contexts.get(i * k + j).map_or(0, |&c| c as i64))
            })
            .collect();
        let input = ItemInput {
            users: int1(&users, device),
            items: IntSeqs::new(&seqs, pad, device),
            contexts: int2(&ctx, k, device),
        };
        net.forward(&input, device)
    }
}

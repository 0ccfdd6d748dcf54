//! The two predictors (steps 4-5) as burn modules.
//!
//! Variable-length sequences are right-padded and each BiLSTM contributes its output at the
//! last real position, exactly what the original's packed-sequence `out[len - 1]` is: the
//! forward direction's state after the whole sequence, and the reverse direction's state after
//! one step over the last element (it starts there). The reverse half is therefore computed on
//! the last element alone, which is exact and never reads padding. As in the original, that
//! one step starts from zero state, so the reverse direction's recurrent weights and forget
//! gate never receive a gradient (kept for fidelity; see `tests/predictors.rs`).

use burn::module::Module;
use burn::nn::{BiLstm, BiLstmConfig, Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use trustrec_models::ops::l2_normalise;

/// Sizes of both predictors (original: hidden 256, context width 32, top 3).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetConfig {
    /// User/item embedding width and LSTM hidden size per direction.
    pub hidden: usize,
    pub context_dim: usize,
    pub top_k: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            hidden: 64,
            context_dim: 32,
            top_k: 3,
        }
    }
}

/// Right-padded int sequences `[b, t]` and their lengths.
pub struct IntSeqs {
    pub ids: Tensor<2, Int>,
    pub lens: Vec<usize>,
}

impl IntSeqs {
    /// Pads `seqs` (each non-empty) with `pad` to the longest one.
    pub fn new(seqs: &[Vec<i64>], pad: i64, device: &Device) -> Self {
        let t = seqs.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let mut flat = Vec::with_capacity(seqs.len() * t);
        for s in seqs {
            flat.extend_from_slice(s);
            flat.extend(std::iter::repeat_n(pad, t - s.len()));
        }
        Self {
            ids: Tensor::from_data(TensorData::new(flat, [seqs.len(), t]), device),
            lens: seqs.iter().map(|s| s.len().max(1)).collect(),
        }
    }
}

pub fn int1(v: &[i64], device: &Device) -> Tensor<1, Int> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

pub fn int2(v: &[i64], cols: usize, device: &Device) -> Tensor<2, Int> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len() / cols, cols]), device)
}

/// `[forward state after the sequence, reverse state after the last element]`, `[b, 2h]`.
pub fn bilstm_last(lstm: &BiLstm, x: Tensor<3>, lens: &[usize], device: &Device) -> Tensor<2> {
    let [b, t, d] = x.dims();
    let idx: Vec<i64> = lens
        .iter()
        .enumerate()
        .map(|(r, &l)| (r * t + l.clamp(1, t) - 1) as i64)
        .collect();
    let idx = int1(&idx, device);
    let (out, _) = lstm.forward.forward(x.clone(), None);
    let h = out.dims()[2];
    let fwd = out.reshape([b * t, h]).select(0, idx.clone());
    let last = x.reshape([b * t, d]).select(0, idx).reshape([b, 1, d]);
    let (rev, _) = lstm.reverse.forward(last, None);
    Tensor::cat(vec![fwd, rev.reshape([b, h])], 1)
}

fn bilstm(d_in: usize, h: usize, device: &Device) -> BiLstm {
    BiLstmConfig::new(d_in, h, true).init(device)
}

/// Context predictor: BiLSTM over previous sessions (embedding + 3 features), BiLSTM over the
/// items so far, user embedding -> logits over contexts.
#[derive(Module, Debug)]
pub struct ContextNet {
    user_emb: Embedding,
    /// Index 0 is the start token, item `j` is `j + 1`.
    item_emb: Embedding,
    session_lstm: BiLstm,
    item_lstm: BiLstm,
    fc: Linear,
}

/// One batch of context-predictor inputs.
pub struct ContextInput {
    pub users: Tensor<1, Int>,
    /// `[b, s, session_dim + 3]`, right-padded with zeros.
    pub sessions: Tensor<3>,
    pub session_lens: Vec<usize>,
    pub items: IntSeqs,
}

impl ContextNet {
    pub fn new(
        cfg: &NetConfig,
        n_users: usize,
        n_items: usize,
        session_dim: usize,
        n_contexts: usize,
        device: &Device,
    ) -> Self {
        let h = cfg.hidden;
        Self {
            user_emb: EmbeddingConfig::new(n_users, h).init(device),
            item_emb: EmbeddingConfig::new(n_items + 1, h).init(device),
            session_lstm: bilstm(session_dim + 3, h, device),
            item_lstm: bilstm(h, h, device),
            fc: LinearConfig::new(5 * h, n_contexts).init(device),
        }
    }

    pub fn forward(&self, x: &ContextInput, device: &Device) -> Tensor<2> {
        let s = bilstm_last(
            &self.session_lstm,
            x.sessions.clone(),
            &x.session_lens,
            device,
        );
        let items = self.item_emb.forward(x.items.ids.clone());
        let i = bilstm_last(&self.item_lstm, items, &x.items.lens, device);
        let u = embed_rows(&self.user_emb, &x.users);
        let z = Tensor::cat(vec![l2_normalise(s), l2_normalise(i), l2_normalise(u)], 1);
        self.fc.forward(z)
    }
}

/// `[b, dim]` rows of `emb` for `[b]` ids.
fn embed_rows(emb: &Embedding, ids: &Tensor<1, Int>) -> Tensor<2> {
    let [b] = ids.dims();
    let h = emb.weight.dims()[1];
    emb.forward(ids.clone().reshape([b, 1])).reshape([b, h])
}

/// Item predictor: BiLSTM over [previous session's last item] + items so far, user embedding
/// and (unless it is the no-context ablation) the embeddings of the top-k predicted contexts ->
/// logits over the whole catalogue.
#[derive(Module, Debug)]
pub struct ItemNet {
    user_emb: Embedding,
    /// Index `n_items` is padding.
    item_emb: Embedding,
    lstm: BiLstm,
    context_emb: Option<Embedding>,
    fc: Linear,
}

/// One batch of item-predictor inputs.
pub struct ItemInput {
    pub users: Tensor<1, Int>,
    pub items: IntSeqs,
    /// `[b, top_k]` context ids (ignored by the ablation).
    pub contexts: Tensor<2, Int>,
}

impl ItemNet {
    /// `n_contexts = None` builds the ablation without context embeddings.
    pub fn new(
        cfg: &NetConfig,
        n_users: usize,
        n_items: usize,
        n_contexts: Option<usize>,
        device: &Device,
    ) -> Self {
        let h = cfg.hidden;
        let ctx = n_contexts.map(|c| EmbeddingConfig::new(c, cfg.context_dim).init(device));
        let width = 3 * h
            + if ctx.is_some() {
                cfg.top_k * cfg.context_dim
            } else {
                0
            };
        Self {
            user_emb: EmbeddingConfig::new(n_users, h).init(device),
            item_emb: EmbeddingConfig::new(n_items + 1, h).init(device),
            lstm: bilstm(h, h, device),
            context_emb: ctx,
            fc: LinearConfig::new(width, n_items).init(device),
        }
    }

    pub fn forward(&self, x: &ItemInput, device: &Device) -> Tensor<2> {
        let items = self.item_emb.forward(x.items.ids.clone());
        let last = bilstm_last(&self.lstm, items, &x.items.lens, device);
        let u = embed_rows(&self.user_emb, &x.users);
        let mut parts = vec![l2_normalise(u), l2_normalise(last)];
        if let Some(emb) = &self.context_emb {
            let [b, k] = x.contexts.dims();
            let c = emb
                .forward(x.contexts.clone())
                .reshape([b, k * emb.weight.dims()[1]]);
            parts.push(l2_normalise(c));
        }
        self.fc.forward(Tensor::cat(parts, 1))
    }
}

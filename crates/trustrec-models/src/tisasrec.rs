//! TiSASRec (Li, Wang & McAuley, WSDM 2020): SASRec whose attention also sees the clipped time
//! interval between every two positions. Follows the official code (pmixer/TiSASRec.pytorch):
//! item embeddings scaled by sqrt(d); separate absolute-position and interval embeddings for keys
//! and values, added after the key/value projections; queries layer-normed, keys and values not;
//! no output projection; ReLU feed-forward with a residual; a final layer norm. Initialisation,
//! layer-norm epsilon and dropout are SASRec's (see `sasrec.rs`).

use std::ops::Range;

use burn::module::Module;
use burn::nn::activation::ActivationConfig;
use burn::nn::transformer::{PositionWiseFeedForward, PositionWiseFeedForwardConfig};
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear,
    LinearConfig,
};
use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Device, Tensor};

use crate::config::{ModelConfig, Positions};
use crate::input::SeqInput;
use crate::sasrec::{INIT, LN_EPS, positions};

/// One time-aware self-attention block plus its feed-forward.
#[derive(Module, Debug)]
pub struct TimeBlock {
    q_norm: LayerNorm,
    query: Linear,
    key: Linear,
    value: Linear,
    ff_norm: LayerNorm,
    pwff: PositionWiseFeedForward,
}

#[derive(Module, Debug)]
pub struct TiSasRec {
    item_emb: Embedding,
    pos_k: Embedding,
    pos_v: Embedding,
    time_k: Embedding,
    time_v: Embedding,
    blocks: Vec<TimeBlock>,
    last_norm: LayerNorm,
    dropout: Dropout,
    heads: usize,
    time_span: usize,
    n_items: usize,
    #[module(skip)]
    from: Positions,
    #[module(skip)]
    bulk: bool,
}

/// What every block reads besides its input: key/value position rows `[1 or batch, len, d]`, key/value
/// interval embeddings `[batch, len, len, d]`, and the padding indicator `[batch, len, 1]`.
struct Relations {
    pos_k: Tensor<3>,
    pos_v: Tensor<3>,
    time_k: Tensor<4>,
    time_v: Tensor<4>,
    real: Tensor<3>,
}

fn embedding(n: usize, d: usize, device: &Device) -> Embedding {
    EmbeddingConfig::new(n, d)
        .with_initializer(INIT)
        .init(device)
}

fn linear(d: usize, device: &Device) -> Linear {
    LinearConfig::new(d, d).with_initializer(INIT).init(device)
}

fn norm(d: usize, device: &Device) -> LayerNorm {
    LayerNormConfig::new(d).with_epsilon(LN_EPS).init(device)
}

impl TiSasRec {
    pub fn new(cfg: &ModelConfig, n_items: usize, device: &Device) -> Self {
        let d = cfg.dim;
        let block = || TimeBlock {
            q_norm: norm(d, device),
            query: linear(d, device),
            key: linear(d, device),
            value: linear(d, device),
            ff_norm: norm(d, device),
            pwff: PositionWiseFeedForwardConfig::new(d, cfg.inner)
                .with_dropout(cfg.ffn_dropout())
                .with_initializer(INIT)
                .with_activation(ActivationConfig::Relu)
                .init(device),
        };
        Self {
            item_emb: embedding(n_items + 1, d, device),
            pos_k: embedding(cfg.max_len, d, device),
            pos_v: embedding(cfg.max_len, d, device),
            time_k: embedding(cfg.time_span + 1, d, device),
            time_v: embedding(cfg.time_span + 1, d, device),
            blocks: (0..cfg.layers).map(|_| block()).collect(),
            last_norm: norm(d, device),
            dropout: DropoutConfig::new(cfg.dropout).init(),
            heads: cfg.heads,
            time_span: cfg.time_span,
            n_items,
            from: cfg.positions,
            bulk: cfg.bulk_dropout,
        }
    }

    /// Largest interval bucket; inputs must carry intervals clipped to it.
    pub fn time_span(&self) -> usize {
        self.time_span
    }

    fn embed(&self, input: &SeqInput) -> (Tensor<3>, Relations) {
        let [b, len] = input.dims();
        let [_, d] = self.item_emb.weight.dims();
        let iv = input
            .intervals
            .clone()
            .expect("TiSASRec needs interval matrices: build the input with SeqInput::with_times")
            .reshape([b, len * len]);
        let times = |emb: &Embedding| self.drop(emb.forward(iv.clone())).reshape([b, len, len, d]);
        let x = self
            .item_emb
            .forward(input.items.clone())
            .mul_scalar((d as f64).sqrt());
        let rel = Relations {
            pos_k: self.drop(positions(&self.pos_k, input, self.from)),
            pos_v: self.drop(positions(&self.pos_v, input, self.from)),
            time_k: times(&self.time_k),
            time_v: times(&self.time_v),
            real: input.real.clone(),
        };
        (self.drop(x) * rel.real.clone(), rel)
    }

    /// The model's dropout, its mask drawn in bulk with `bulk_dropout` (see [`crate::encode`]).
    fn drop<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        crate::encode::dropout(&self.dropout, x, self.bulk)
    }

    /// `[batch, len, dim]` hidden state at every position.
    pub fn hidden(&self, input: &SeqInput) -> Tensor<3> {
        let [_, len] = input.dims();
        let (mut x, rel) = self.embed(input);
        for block in &self.blocks {
            x = self.block(block, x, 0..len, &rel, input.attn_mask.clone());
        }
        self.last_norm.forward(x)
    }

    /// `[batch, dim]` state at the last position only: the last block computes one query row
    /// (same result as `hidden(..)[:, len-1]`, since a row depends on the others only as keys).
    pub fn last_hidden(&self, input: &SeqInput) -> Tensor<2> {
        let [b, len] = input.dims();
        let (last, body) = self.blocks.split_last().expect("TiSASRec has a layer");
        let (mut x, rel) = self.embed(input);
        for block in body {
            x = self.block(block, x, 0..len, &rel, input.attn_mask.clone());
        }
        let mask = input.attn_mask.clone().slice([0..b, len - 1..len, 0..len]);
        let x = self.block(last, x, len - 1..len, &rel, mask);
        let [_, _, d] = x.dims();
        self.last_norm.forward(x).reshape([b, d])
    }

    /// One block for the query positions `rows` (keys and values are all `len` positions):
    /// softmax(Q (K + P_K + R_K)ᵀ / sqrt(d_head)) (V + P_V + R_V), per head. `mask` is
    /// `[batch, rows, len]`. Returns `[batch, rows, d]`.
    fn block(
        &self,
        blk: &TimeBlock,
        x: Tensor<3>,
        rows: Range<usize>,
        rel: &Relations,
        mask: Tensor<3, Bool>,
    ) -> Tensor<3> {
        let [b, len, d] = x.dims();
        let (h, lq) = (self.heads, rows.len());
        let dh = d / h;
        let q_in = blk
            .q_norm
            .forward(x.clone().slice([0..b, rows.clone(), 0..d]));
        let q = blk.query.forward(q_in.clone()).reshape([b, lq, h, dh]);
        let heads = |t: Tensor<3>| t.reshape([b, len, h, dh]).swap_dims(1, 2);
        let k = heads(blk.key.forward(x.clone()) + rel.pos_k.clone());
        let v = heads(blk.value.forward(x) + rel.pos_v.clone());
        // Interval embeddings of the query rows as `[b * lq * h, len, dh]`: one small matmul per
        // (query, head) pair, never a `[.., len, len, d]` product.
        let per_query = |t: &Tensor<4>| {
            t.clone()
                .slice([0..b, rows.clone(), 0..len, 0..d])
                .reshape([b, lq, len, h, dh])
                .swap_dims(2, 3)
                .reshape([b * lq * h, len, dh])
        };
        let time_scores = per_query(&rel.time_k)
            .matmul(q.clone().reshape([b * lq * h, dh, 1]))
            .reshape([b, lq, h, len])
            .swap_dims(1, 2);
        let q = q.swap_dims(1, 2);
        let scores = (q.matmul(k.transpose()) + time_scores).div_scalar((dh as f64).sqrt());
        let scores = scores.mask_fill(mask.unsqueeze_dim::<4>(1), -1e9);
        let w = self.drop(softmax(scores, 3));
        let time_ctx = w
            .clone()
            .swap_dims(1, 2)
            .reshape([b * lq * h, 1, len])
            .matmul(per_query(&rel.time_v))
            .reshape([b, lq, h, dh]);
        let ctx = w.matmul(v).swap_dims(1, 2) + time_ctx;
        let y = blk.ff_norm.forward(q_in + ctx.reshape([b, lq, d]));
        let ff = crate::encode::feed_forward(&blk.pwff, y.clone(), self.bulk);
        let y = y + self.drop(ff);
        // Padded positions stay zero, as in the official code.
        y * rel.real.clone().slice([0..b, rows, 0..1])
    }

    /// `[n_items, dim]` output item representations (padding row excluded).
    pub fn item_table(&self) -> Tensor<2> {
        let [n, d] = self.item_emb.weight.dims();
        debug_assert_eq!(n, self.n_items + 1);
        self.item_emb.weight.val().slice([1..n, 0..d])
    }
}

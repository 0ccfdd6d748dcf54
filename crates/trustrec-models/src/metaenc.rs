//! The two halves every item-ID-free model shares: an item encoder that sees only metadata, and
//! a session encoder (Transformer + mean over real positions) over those item vectors.

use std::sync::Arc;

use burn::module::Module;
use burn::nn::transformer::TransformerEncoder;
use burn::nn::{Dropout, Embedding, EmbeddingConfig, LayerNorm, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::config::{ModelConfig, Positions, SessionPool};
use crate::features::ItemFeatures;
use crate::input::SeqInput;
use crate::sasrec::{attention_parts, positions};

/// Item vectors from metadata only: one embedding table per attribute field (multi-valued
/// fields mean-pooled), concatenated and projected linearly to the model width. Its size depends
/// on the number of attribute values, never on the number of items.
///
/// burn's default initialisers (N(0, 1) embeddings, Kaiming-uniform projection), not SASRec's
/// N(0, 0.02): with the small ones the item vectors came out ~100x smaller than the position
/// embeddings, the layer norm saw only positions, and on ml-100k the session queries of all
/// test users collapsed to one vector (variance 7e-5 against a squared norm of 17).
#[derive(Module, Debug)]
pub struct MetaEncoder {
    fields: Vec<Embedding>,
    proj: Linear,
    #[module(skip)]
    feats: Arc<ItemFeatures>,
}

impl MetaEncoder {
    pub fn new(cfg: &ModelConfig, feats: &Arc<ItemFeatures>, device: &Device) -> Self {
        let d = cfg.dim;
        let fields = feats
            .fields
            .iter()
            .map(|f| EmbeddingConfig::new(f.n_values, d).init(device))
            .collect::<Vec<_>>();
        Self {
            proj: LinearConfig::new(d * fields.len(), d).init(device),
            fields,
            feats: Arc::clone(feats),
        }
    }

    pub fn features(&self) -> &ItemFeatures {
        &self.feats
    }

    /// `[n_items, dim]` vector of every item.
    pub fn table(&self) -> Tensor<2> {
        let n = self.feats.n_items;
        let parts = self
            .fields
            .iter()
            .zip(&self.feats.fields)
            .map(|(emb, f)| {
                let device = emb.weight.val().device();
                let idx = Tensor::<2, Int>::from_data(
                    TensorData::new(f.idx.clone(), [n, f.width]),
                    &device,
                );
                let w = Tensor::<3>::from_data(
                    TensorData::new(f.weight.clone(), [n, f.width, 1]),
                    &device,
                );
                let [_, d] = emb.weight.dims();
                (emb.forward(idx) * w).sum_dim(1).reshape([n, d])
            })
            .collect::<Vec<_>>();
        self.proj.forward(Tensor::cat(parts, 1))
    }
}

/// Transformer over a session's item vectors, pooled by the mean over real positions (or, as an
/// option, read at the newest position: [`SessionPool`]).
///
/// (choice) Attention is causal, so the state at position t is exactly the encoding of the
/// prefix ending at t: one forward pass trains every prefix of a sequence at once (the
/// one-example-per-prefix protocol at a fraction of the cost), and evaluation reads the last
/// position.
#[derive(Module, Debug)]
pub struct SessionEncoder {
    pos_emb: Embedding,
    norm: LayerNorm,
    dropout: Dropout,
    encoder: TransformerEncoder,
    #[module(skip)]
    from: Positions,
    #[module(skip)]
    bulk: bool,
    #[module(skip)]
    pool: SessionPool,
}

impl SessionEncoder {
    pub fn new(cfg: &ModelConfig, device: &Device) -> Self {
        let (pos_emb, norm, dropout, encoder) = attention_parts(cfg, device);
        Self {
            pos_emb,
            norm,
            dropout,
            encoder,
            from: cfg.positions,
            bulk: cfg.bulk_dropout,
            pool: cfg.session_pool,
        }
    }

    /// `[batch, len, dim]` session vector of every prefix: the mean of the encoder outputs over
    /// the real positions up to and including each position (zero before the first real item),
    /// or with [`SessionPool::Last`] the output at that position.
    pub fn forward(&self, table: Tensor<2>, input: &SeqInput) -> Tensor<3> {
        let [b, len] = input.dims();
        let [_, d] = table.dims();
        let pad = Tensor::<2>::zeros([1, d], &table.device());
        let padded = Tensor::cat(vec![pad, table], 0);
        let x = padded
            .select(0, input.items.clone().reshape([b * len]))
            .reshape([b, len, d]);
        let x = crate::encode::dropout(
            &self.dropout,
            self.norm
                .forward(x + positions(&self.pos_emb, input, self.from)),
            self.bulk,
        );
        let h = crate::encode::encode(&self.encoder, x, input.attn_mask.clone(), self.bulk);
        if self.pool == SessionPool::Last {
            return h;
        }
        let real = input.real.clone();
        let sum = (h * real.clone()).cumsum(1);
        let count = real.cumsum(1).clamp_min(1.0);
        sum / count
    }
}

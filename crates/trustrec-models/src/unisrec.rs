//! UniSRec-style text-only recommender (Hou et al., KDD 2022, without item-ID embeddings):
//! item vector = mixture-of-experts adapter over the frozen sentence vector of the item's text;
//! SASRec over the sequence of item vectors; score = cosine(query, item) / temperature, trained
//! with full cross-entropy. A new item with text is scored like any other: the only item state
//! is its text.

use std::sync::Arc;

use anyhow::Context;
use burn::module::{Module, Param};
use burn::nn::transformer::TransformerEncoder;
use burn::nn::{Dropout, DropoutConfig, Embedding, LayerNorm, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};

use crate::config::{ModelConfig, Positions};
use crate::features::ItemFeatures;
use crate::input::SeqInput;
use crate::ops::l2_normalise;
use crate::sasrec::{INIT, attention_parts, positions};

#[derive(Module, Debug)]
pub struct UniSRec {
    /// Frozen `[n_items, text_dim]` sentence vectors (never updated: no gradient).
    text: Param<Tensor<2>>,
    /// All experts as one `text_dim -> experts * dim` map.
    experts: Linear,
    gate: Linear,
    adapter_dropout: Dropout,
    pos_emb: Embedding,
    norm: LayerNorm,
    dropout: Dropout,
    encoder: TransformerEncoder,
    n_experts: usize,
    dim: usize,
    temperature: f64,
    #[module(skip)]
    from: Positions,
    #[module(skip)]
    bulk: bool,
}

impl UniSRec {
    pub fn new(
        cfg: &ModelConfig,
        feats: &Arc<ItemFeatures>,
        device: &Device,
    ) -> anyhow::Result<Self> {
        let text = feats
            .text
            .as_ref()
            .context("model unisrec needs sentence vectors of the item texts")?;
        let n = feats.n_items;
        let table =
            Tensor::<2>::from_data(TensorData::new(text.data.clone(), [n, text.dim]), device);
        let (pos_emb, norm, dropout, encoder) = attention_parts(cfg, device);
        let lin = |i, o| LinearConfig::new(i, o).with_initializer(INIT).init(device);
        Ok(Self {
            text: Param::from_tensor(table).set_require_grad(false),
            experts: lin(text.dim, cfg.experts * cfg.dim),
            gate: lin(text.dim, cfg.experts),
            adapter_dropout: DropoutConfig::new(cfg.adapter_dropout).init(),
            pos_emb,
            norm,
            dropout,
            encoder,
            n_experts: cfg.experts,
            dim: cfg.dim,
            temperature: cfg.temperature,
            from: cfg.positions,
            bulk: cfg.bulk_dropout,
        })
    }

    /// Adapted (unnormalised) vectors of text vectors `x` (`[n, text_dim]` -> `[n, dim]`).
    fn adapt(&self, x: Tensor<2>) -> Tensor<2> {
        let n = x.dims()[0];
        let x = crate::encode::dropout(&self.adapter_dropout, x, self.bulk);
        let e = self
            .experts
            .forward(x.clone())
            .reshape([n, self.n_experts, self.dim]);
        let g = softmax(self.gate.forward(x), 1).reshape([n, self.n_experts, 1]);
        (e * g).sum_dim(1).reshape([n, self.dim])
    }

    /// `[batch, len, dim]` SASRec states over the adapted vectors of the input items.
    pub fn hidden(&self, input: &SeqInput) -> Tensor<3> {
        let [b, len] = input.dims();
        let text = self.text.val();
        let t = text.dims()[1];
        let pad = Tensor::<2>::zeros([1, t], &text.device());
        let rows =
            Tensor::cat(vec![pad, text], 0).select(0, input.items.clone().reshape([b * len]));
        let x = self.adapt(rows).reshape([b, len, self.dim]);
        let x = crate::encode::dropout(
            &self.dropout,
            self.norm
                .forward(x + positions(&self.pos_emb, input, self.from)),
            self.bulk,
        );
        crate::encode::encode(&self.encoder, x, input.attn_mask.clone(), self.bulk)
    }

    /// Unit-length state divided by the temperature, so that a dot product with
    /// [`item_table`](Self::item_table) is cosine / temperature.
    pub fn query(&self, s: Tensor<2>) -> Tensor<2> {
        l2_normalise(s).div_scalar(self.temperature)
    }

    /// Unit item vectors the model gives texts with sentence vectors `text` (`[k, text_dim]`):
    /// how a rewritten description would be scored.
    pub fn item_vectors(&self, text: Tensor<2>) -> Tensor<2> {
        l2_normalise(self.adapt(text))
    }

    /// The frozen `[n_items, text_dim]` sentence vectors.
    pub fn text_table(&self) -> Tensor<2> {
        self.text.val()
    }

    /// `[n_items, dim]` unit-length adapted item vectors.
    pub fn item_table(&self) -> Tensor<2> {
        l2_normalise(self.adapt(self.text.val()))
    }
}

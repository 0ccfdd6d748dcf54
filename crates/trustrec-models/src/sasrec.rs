//! SASRec (Kang & McAuley 2018): causal self-attention over the item sequence, item embeddings
//! shared between input and output, as in RecBole's implementation.

use burn::module::Module;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, LayerNorm, LayerNormConfig,
};
use burn::tensor::{Device, Tensor};

use crate::config::ModelConfig;
use crate::input::SeqInput;

#[derive(Module, Debug)]
pub struct SasRec {
    item_emb: Embedding,
    pos_emb: Embedding,
    norm: LayerNorm,
    dropout: Dropout,
    encoder: TransformerEncoder,
    n_items: usize,
}

/// RecBole's `initializer_range`: N(0, 0.02) for embeddings and linear layers.
pub(crate) const INIT: Initializer = Initializer::Normal {
    mean: 0.0,
    std: 0.02,
};

impl SasRec {
    pub fn new(cfg: &ModelConfig, n_items: usize, device: &Device) -> Self {
        let d = cfg.dim;
        Self {
            item_emb: EmbeddingConfig::new(n_items + 1, d)
                .with_initializer(INIT)
                .init(device),
            pos_emb: EmbeddingConfig::new(cfg.max_len, d)
                .with_initializer(INIT)
                .init(device),
            norm: LayerNormConfig::new(d).with_epsilon(1e-12).init(device),
            dropout: DropoutConfig::new(cfg.dropout).init(),
            encoder: TransformerEncoderConfig::new(d, cfg.inner, cfg.heads, cfg.layers)
                .with_dropout(cfg.dropout)
                .with_layer_norm_eps(1e-12)
                .with_initializer(INIT)
                .init(device),
            n_items,
        }
    }

    /// `[batch, len, dim]` hidden state at every position.
    pub fn hidden(&self, input: &SeqInput) -> Tensor<3> {
        let [_, len] = input.dims();
        let x = self.item_emb.forward(input.items.clone());
        let [_, d] = self.pos_emb.weight.dims();
        let pos = self
            .pos_emb
            .weight
            .val()
            .slice([0..len, 0..d])
            .unsqueeze::<3>();
        let x = self.dropout.forward(self.norm.forward(x + pos));
        self.encoder
            .forward(TransformerEncoderInput::new(x).mask_attn(input.attn_mask.clone()))
    }

    /// `[n_items, dim]` output item representations (padding row excluded).
    pub fn item_table(&self) -> Tensor<2> {
        let [n, d] = self.item_emb.weight.dims();
        debug_assert_eq!(n, self.n_items + 1);
        self.item_emb.weight.val().slice([1..n, 0..d])
    }
}

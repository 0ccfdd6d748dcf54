//! SASRec (Kang & McAuley 2018): causal self-attention over the item sequence, item embeddings
//! shared between input and output, as in RecBole's implementation.

use burn::module::Module;
use burn::nn::attention::MhaInput;
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig};
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, LayerNorm, LayerNormConfig,
};
use burn::tensor::{Device, Tensor};

use crate::config::{ModelConfig, Positions};
use crate::input::SeqInput;

#[derive(Module, Debug)]
pub struct SasRec {
    item_emb: Embedding,
    pos_emb: Embedding,
    norm: LayerNorm,
    dropout: Dropout,
    encoder: TransformerEncoder,
    n_items: usize,
    #[module(skip)]
    from: Positions,
    #[module(skip)]
    bulk: bool,
}

/// RecBole's `initializer_range`: N(0, 0.02) for embeddings and linear layers.
pub(crate) const INIT: Initializer = Initializer::Normal {
    mean: 0.0,
    std: 0.02,
};

/// RecBole's `layer_norm_eps`, shared by the attention models.
pub(crate) const LN_EPS: f64 = 1e-12;

/// Position vectors of `input` from a table of `max_len` rows: `[1, len, dim]` (its last `len`
/// rows, broadcast over the batch) counted from the end, `[batch, len, dim]` from the start.
/// Either way a batch trimmed of its all-padding columns
/// ([`crate::batch::TrainBatch::trim_padding`]) gets the same vectors at its real positions.
pub(crate) fn positions(emb: &Embedding, input: &SeqInput, from: Positions) -> Tensor<3> {
    match from {
        Positions::FromEnd => {
            let [max_len, d] = emb.weight.dims();
            let [_, len] = input.dims();
            emb.weight
                .val()
                .slice([max_len - len..max_len, 0..d])
                .unsqueeze::<3>()
        }
        Positions::FromStart => emb.forward(input.start_offsets()),
    }
}

/// The parts every Transformer recommender shares (RecBole's SASRec settings): position table,
/// input layer norm, dropout and the post-norm encoder stack.
pub(crate) fn attention_parts(
    cfg: &ModelConfig,
    device: &Device,
) -> (Embedding, LayerNorm, Dropout, TransformerEncoder) {
    let d = cfg.dim;
    let mut encoder = TransformerEncoderConfig::new(d, cfg.inner, cfg.heads, cfg.layers)
        .with_dropout(cfg.dropout)
        .with_layer_norm_eps(LN_EPS)
        .with_initializer(INIT)
        .init(device);
    // burn's layer drops out inside its feed-forward too; RecBole's does not.
    for layer in &mut encoder.layers {
        layer.pwff.dropout = DropoutConfig::new(cfg.ffn_dropout()).init();
    }
    (
        EmbeddingConfig::new(cfg.max_len, d)
            .with_initializer(INIT)
            .init(device),
        LayerNormConfig::new(d).with_epsilon(LN_EPS).init(device),
        DropoutConfig::new(cfg.dropout).init(),
        encoder,
    )
}

impl SasRec {
    pub fn new(cfg: &ModelConfig, n_items: usize, device: &Device) -> Self {
        let (pos_emb, norm, dropout, encoder) = attention_parts(cfg, device);
        Self {
            item_emb: EmbeddingConfig::new(n_items + 1, cfg.dim)
                .with_initializer(INIT)
                .init(device),
            pos_emb,
            norm,
            dropout,
            encoder,
            n_items,
            from: cfg.positions,
            bulk: cfg.bulk_dropout,
        }
    }

    fn embed(&self, input: &SeqInput) -> Tensor<3> {
        let x = self.item_emb.forward(input.items.clone());
        let pos = positions(&self.pos_emb, input, self.from);
        crate::encode::dropout(&self.dropout, self.norm.forward(x + pos), self.bulk)
    }

    /// `[batch, len, dim]` hidden state at every position.
    pub fn hidden(&self, input: &SeqInput) -> Tensor<3> {
        crate::encode::encode(
            &self.encoder,
            self.embed(input),
            input.attn_mask.clone(),
            self.bulk,
        )
    }

    /// `[batch, dim]` state at the last position only. Scoring needs nothing else, so the last
    /// layer runs its query, residuals and feed-forward on one position instead of `len`
    /// (same result as `hidden(..)[:, len-1]`; the layers are post-norm, as built in `new`).
    pub fn last_hidden(&self, input: &SeqInput) -> Tensor<2> {
        let [b, len] = input.dims();
        let (last, body) = self
            .encoder
            .layers
            .split_last()
            .expect("SASRec has a layer");
        let mut x = self.embed(input);
        for layer in body {
            x = layer.forward(x, None, Some(input.attn_mask.clone()));
        }
        let [_, _, d] = x.dims();
        let q = x.clone().slice([0..b, len - 1..len, 0..d]);
        let mask = input.attn_mask.clone().slice([0..b, len - 1..len, 0..len]);
        let attn = MhaInput::new(q.clone(), x.clone(), x).mask_attn(mask);
        let ctx = last.mha.forward(attn).context;
        let y = last.norm_1.forward(q + last.dropout.forward(ctx));
        let z = last
            .norm_2
            .forward(y.clone() + last.dropout.forward(last.pwff.forward(y)));
        z.reshape([b, d])
    }

    /// Item table, position table, input norm, encoder and position origin, for the plain-Rust
    /// forward pass.
    pub(crate) fn parts(
        &self,
    ) -> (
        &Embedding,
        &Embedding,
        &LayerNorm,
        &TransformerEncoder,
        Positions,
    ) {
        (
            &self.item_emb,
            &self.pos_emb,
            &self.norm,
            &self.encoder,
            self.from,
        )
    }

    /// `[n_items, dim]` output item representations (padding row excluded).
    pub fn item_table(&self) -> Tensor<2> {
        let [n, d] = self.item_emb.weight.dims();
        debug_assert_eq!(n, self.n_items + 1);
        self.item_emb.weight.val().slice([1..n, 0..d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probs(cfg: &ModelConfig) -> Vec<(f64, f64)> {
        let (_, _, input_dropout, encoder) = attention_parts(cfg, &Device::flex());
        assert_eq!(input_dropout.prob, cfg.dropout);
        let layers = encoder.layers.iter();
        layers
            .map(|l| (l.dropout.prob, l.pwff.dropout.prob))
            .collect()
    }

    /// `ffn_dropout` sets only the dropout inside each feed-forward block; unset, it follows
    /// `dropout` (burn's layer as it comes).
    #[test]
    fn ffn_dropout_sets_only_the_inner_feed_forward_dropout() {
        let mut cfg = ModelConfig::default();
        assert_eq!(probs(&cfg), vec![(0.2, 0.2); 2]);
        cfg.ffn_dropout = Some(0.0);
        assert_eq!(probs(&cfg), vec![(0.2, 0.0); 2]);
        cfg.ffn_dropout = Some(1.0);
        let err = cfg.validate().unwrap_err().to_string();
        assert!(err.contains("model.ffn_dropout"), "{err}");
    }
}

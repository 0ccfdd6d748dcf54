//! Recurrent next-item models: GRU4Rec (Hidasi et al., RecBole's variant) and the LSTM victim
//! model of the CASPER paper. Both embed items, run the RNN, project to the item space and score
//! against the shared item embeddings.

use burn::module::Module;
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Gru, GruConfig, Initializer, Linear,
    LinearConfig, Lstm, LstmConfig,
};
use burn::tensor::{Device, Tensor};

use crate::config::ModelConfig;
use crate::input::SeqInput;

/// Padded positions get zero embeddings and the RNNs have no bias, so a left-padded prefix leaves
/// the state exactly zero: padding cannot leak into the hidden state. With `bulk` the dropout
/// mask is drawn in bulk (see [`crate::encode`]).
fn embed(emb: &Embedding, drop: &Dropout, input: &SeqInput, bulk: bool) -> Tensor<3> {
    let x = emb.forward(input.items.clone()) * input.real.clone();
    crate::encode::dropout(drop, x, bulk)
}

fn table(emb: &Embedding) -> Tensor<2> {
    let [n, d] = emb.weight.dims();
    emb.weight.val().slice([1..n, 0..d])
}

/// Xavier-normal item embeddings as in RecBole's GRU4Rec (burn's Xavier needs fans that
/// `EmbeddingConfig` does not pass, so the std is spelled out).
fn item_embedding(n_items: usize, d: usize, device: &Device) -> Embedding {
    let std = (2.0 / (n_items + 1 + d) as f64).sqrt();
    EmbeddingConfig::new(n_items + 1, d)
        .with_initializer(Initializer::Normal { mean: 0.0, std })
        .init(device)
}

#[derive(Module, Debug)]
pub struct Gru4Rec {
    pub(crate) item_emb: Embedding,
    emb_dropout: Dropout,
    pub(crate) gru: Gru,
    pub(crate) dense: Linear,
    #[module(skip)]
    bulk: bool,
}

impl Gru4Rec {
    pub fn new(cfg: &ModelConfig, n_items: usize, device: &Device) -> Self {
        Self {
            item_emb: item_embedding(n_items, cfg.dim, device),
            emb_dropout: DropoutConfig::new(cfg.dropout).init(),
            gru: GruConfig::new(cfg.dim, cfg.rnn_hidden, false)
                .with_initializer(Initializer::XavierUniform { gain: 1.0 })
                .init(device),
            dense: LinearConfig::new(cfg.rnn_hidden, cfg.dim).init(device),
            bulk: cfg.bulk_dropout,
        }
    }

    pub fn hidden(&self, input: &SeqInput) -> Tensor<3> {
        let x = embed(&self.item_emb, &self.emb_dropout, input, self.bulk);
        self.dense.forward(self.gru.forward(x, None))
    }

    pub fn item_table(&self) -> Tensor<2> {
        table(&self.item_emb)
    }
}

#[derive(Module, Debug)]
pub struct LstmRec {
    item_emb: Embedding,
    emb_dropout: Dropout,
    lstm: Lstm,
    dense: Linear,
    #[module(skip)]
    bulk: bool,
}

impl LstmRec {
    pub fn new(cfg: &ModelConfig, n_items: usize, device: &Device) -> Self {
        Self {
            item_emb: item_embedding(n_items, cfg.dim, device),
            emb_dropout: DropoutConfig::new(cfg.dropout).init(),
            lstm: LstmConfig::new(cfg.dim, cfg.rnn_hidden, false)
                .with_initializer(Initializer::XavierUniform { gain: 1.0 })
                .init(device),
            dense: LinearConfig::new(cfg.rnn_hidden, cfg.dim).init(device),
            bulk: cfg.bulk_dropout,
        }
    }

    pub fn hidden(&self, input: &SeqInput) -> Tensor<3> {
        let x = embed(&self.item_emb, &self.emb_dropout, input, self.bulk);
        let (out, _) = self.lstm.forward(x, None);
        self.dense.forward(out)
    }

    pub fn item_table(&self) -> Tensor<2> {
        table(&self.item_emb)
    }
}

//! The closed set of sequential recommenders, behind one type the training loop understands.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::config::{ModelConfig, ModelKind};
use crate::input::SeqInput;
use crate::rnn::{Gru4Rec, LstmRec};
use crate::sasrec::SasRec;
use crate::tisasrec::TiSasRec;

/// Any trustrec sequential model. Every variant maps an item sequence to a hidden state per
/// position and scores items by a dot product with its item table.
// One model lives per run, so the variants' size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Recommender {
    SasRec(SasRec),
    TiSasRec(TiSasRec),
    Gru4Rec(Gru4Rec),
    Lstm(LstmRec),
}

impl Recommender {
    /// Builds a freshly initialised model; call `device.seed(seed)` first for reproducibility.
    pub fn new(cfg: &ModelConfig, n_items: usize, device: &Device) -> Self {
        match cfg.name {
            ModelKind::SasRec => Self::SasRec(SasRec::new(cfg, n_items, device)),
            ModelKind::TiSasRec => Self::TiSasRec(TiSasRec::new(cfg, n_items, device)),
            ModelKind::Gru4Rec => Self::Gru4Rec(Gru4Rec::new(cfg, n_items, device)),
            ModelKind::Lstm => Self::Lstm(LstmRec::new(cfg, n_items, device)),
        }
    }

    /// The interval clip when the model reads times (its inputs then need
    /// [`SeqInput::with_times`]), `None` otherwise.
    pub fn time_span(&self) -> Option<usize> {
        match self {
            Self::TiSasRec(m) => Some(m.time_span()),
            _ => None,
        }
    }

    /// `[batch, len, dim]` hidden states.
    pub fn hidden(&self, input: &SeqInput) -> Tensor<3> {
        match self {
            Self::SasRec(m) => m.hidden(input),
            Self::TiSasRec(m) => m.hidden(input),
            Self::Gru4Rec(m) => m.hidden(input),
            Self::Lstm(m) => m.hidden(input),
        }
    }

    /// `[n_items, dim]` item representations; score = hidden · row.
    pub fn item_table(&self) -> Tensor<2> {
        match self {
            Self::SasRec(m) => m.item_table(),
            Self::TiSasRec(m) => m.item_table(),
            Self::Gru4Rec(m) => m.item_table(),
            Self::Lstm(m) => m.item_table(),
        }
    }

    /// `[batch, dim]` hidden state at the last position (the query for next-item scoring).
    /// The attention models compute only that position in their last layer; the RNNs need every
    /// step anyway.
    pub fn last_hidden(&self, input: &SeqInput) -> Tensor<2> {
        match self {
            Self::SasRec(m) => m.last_hidden(input),
            Self::TiSasRec(m) => m.last_hidden(input),
            Self::Gru4Rec(m) => last_position(m.hidden(input)),
            Self::Lstm(m) => last_position(m.hidden(input)),
        }
    }
}

/// `[batch, dim]` row at the last position of `[batch, len, dim]` states.
fn last_position(h: Tensor<3>) -> Tensor<2> {
    let [b, l, d] = h.dims();
    h.slice([0..b, l - 1..l, 0..d]).reshape([b, d])
}

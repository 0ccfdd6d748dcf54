//! The closed set of sequential recommenders, behind one type the training loop understands.

use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::config::{ModelConfig, ModelKind};
use crate::features::ItemFeatures;
use crate::hiersrec::HierSRec;
use crate::input::SeqInput;
use crate::m2trec::M2TRec;
use crate::rnn::{Gru4Rec, LstmRec};
use crate::sasrec::SasRec;
use crate::tisasrec::TiSasRec;
use crate::unisrec::UniSRec;

/// Any trustrec sequential model. Every variant maps an item sequence to a hidden state per
/// position, turns a state into an item query ([`Recommender::query`], the identity for the
/// ID-based models) and scores items by a dot product with its item table.
// One model lives per run, so the variants' size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Recommender {
    SasRec(SasRec),
    TiSasRec(TiSasRec),
    Gru4Rec(Gru4Rec),
    Lstm(LstmRec),
    M2TRec(M2TRec),
    HierSRec(HierSRec),
    UniSRec(UniSRec),
}

impl Recommender {
    /// Builds a freshly initialised model; call `device.seed(seed)` first for reproducibility.
    /// The metadata-aware models need `features` covering all `n_items` items.
    pub fn new(
        cfg: &ModelConfig,
        n_items: usize,
        features: Option<&Arc<ItemFeatures>>,
        device: &Device,
    ) -> anyhow::Result<Self> {
        let feats = || -> anyhow::Result<&Arc<ItemFeatures>> {
            let f = features.ok_or_else(|| {
                anyhow::anyhow!(
                    "model {} needs item metadata: pass --items PATH (RecBole .item, S3-Rec \
                     item2attributes.json or LLMRank .item) or use data that carries it",
                    cfg.name
                )
            })?;
            anyhow::ensure!(
                f.n_items >= n_items,
                "item metadata covers {} items, the model's item space has {n_items}",
                f.n_items
            );
            Ok(f)
        };
        Ok(match cfg.name {
            ModelKind::SasRec => Self::SasRec(SasRec::new(cfg, n_items, device)),
            ModelKind::TiSasRec => Self::TiSasRec(TiSasRec::new(cfg, n_items, device)),
            ModelKind::Gru4Rec => Self::Gru4Rec(Gru4Rec::new(cfg, n_items, device)),
            ModelKind::Lstm => Self::Lstm(LstmRec::new(cfg, n_items, device)),
            ModelKind::M2TRec => Self::M2TRec(M2TRec::new(cfg, feats()?, device)),
            ModelKind::HierSRec => Self::HierSRec(HierSRec::new(cfg, feats()?, device)),
            ModelKind::UniSRec => Self::UniSRec(UniSRec::new(cfg, feats()?, device)?),
        })
    }

    /// The interval clip when the model reads times (its inputs then need
    /// [`SeqInput::with_times`]), `None` otherwise.
    pub fn time_span(&self) -> Option<usize> {
        match self {
            Self::TiSasRec(m) => Some(m.time_span()),
            _ => None,
        }
    }

    /// Whether a real position's state ignores the padding before it: true for the attention
    /// models (padded keys are masked, positions count from the right), false for the RNNs,
    /// which step through the padding. Training batches are trimmed for the former.
    pub fn masks_padding(&self) -> bool {
        !matches!(self, Self::Gru4Rec(_) | Self::Lstm(_))
    }

    /// `[batch, len, dim]` hidden states.
    pub fn hidden(&self, input: &SeqInput) -> Tensor<3> {
        match self {
            Self::SasRec(m) => m.hidden(input),
            Self::TiSasRec(m) => m.hidden(input),
            Self::Gru4Rec(m) => m.hidden(input),
            Self::Lstm(m) => m.hidden(input),
            Self::M2TRec(m) => m.hidden(input),
            Self::HierSRec(m) => m.hidden(input),
            Self::UniSRec(m) => m.hidden(input),
        }
    }

    /// `[n, dim]` item queries for `[n, dim]` hidden states (identity for the ID-based models).
    pub fn query(&self, states: Tensor<2>) -> Tensor<2> {
        match self {
            Self::M2TRec(m) => m.query(states),
            Self::HierSRec(m) => m.query(states),
            Self::UniSRec(m) => m.query(states),
            _ => states,
        }
    }

    /// The auxiliary (multi-task) loss for hidden states whose next items are `targets`, for
    /// the models that have one.
    pub fn aux_loss(
        &self,
        states: Tensor<2>,
        targets: &[i64],
        device: &Device,
    ) -> Option<Tensor<1>> {
        match self {
            Self::M2TRec(m) => Some(m.aux_loss(states, targets, device)),
            Self::HierSRec(m) => Some(m.aux_loss(states, targets, device)),
            _ => None,
        }
    }

    /// HierSRec's `[batch, n_categories]` next-category logits at the last position, with the
    /// item queries; `None` for models without a category head.
    pub fn last_with_categories(&self, input: &SeqInput) -> Option<(Tensor<2>, Tensor<2>)> {
        match self {
            Self::HierSRec(m) => {
                let s = last_position(m.hidden(input));
                Some((m.query(s.clone()), m.category_logits(s)))
            }
            _ => None,
        }
    }

    /// `[n_items, dim]` item representations; score = hidden · row.
    pub fn item_table(&self) -> Tensor<2> {
        match self {
            Self::SasRec(m) => m.item_table(),
            Self::TiSasRec(m) => m.item_table(),
            Self::Gru4Rec(m) => m.item_table(),
            Self::Lstm(m) => m.item_table(),
            Self::M2TRec(m) => m.item_table(),
            Self::HierSRec(m) => m.item_table(),
            Self::UniSRec(m) => m.item_table(),
        }
    }

    /// `[batch, dim]` item query at the last position (what next-item scoring needs).
    /// The attention models compute only that position in their last layer; the RNNs need every
    /// step anyway.
    pub fn last_hidden(&self, input: &SeqInput) -> Tensor<2> {
        match self {
            Self::SasRec(m) => m.last_hidden(input),
            Self::TiSasRec(m) => m.last_hidden(input),
            Self::Gru4Rec(m) => last_position(m.hidden(input)),
            Self::Lstm(m) => last_position(m.hidden(input)),
            Self::M2TRec(m) => m.query(last_position(m.hidden(input))),
            Self::HierSRec(m) => m.query(last_position(m.hidden(input))),
            Self::UniSRec(m) => m.query(last_position(m.hidden(input))),
        }
    }
}

/// `[batch, dim]` row at the last position of `[batch, len, dim]` states.
fn last_position(h: Tensor<3>) -> Tensor<2> {
    let [b, l, d] = h.dims();
    h.slice([0..b, l - 1..l, 0..d]).reshape([b, d])
}

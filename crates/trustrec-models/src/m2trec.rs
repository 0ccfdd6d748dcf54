//! M2TRec (Shalaby, Oh et al., RecSys 2022): an item-ID-free multi-task Transformer. Items exist
//! only through their metadata, so an item never seen in training but with known metadata is
//! scored like any other, and the parameter count does not grow with the catalogue.

use std::sync::Arc;

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{log_sigmoid, log_softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::config::ModelConfig;
use crate::features::ItemFeatures;
use crate::input::SeqInput;
use crate::metaenc::{MetaEncoder, SessionEncoder};
use crate::sasrec::INIT;

#[derive(Module, Debug)]
pub struct M2TRec {
    items: MetaEncoder,
    session: SessionEncoder,
    /// Projects the session vector into the item space (scores = query · item vector).
    query: Linear,
    cat_head: Linear,
    sub_head: Linear,
    cat_weight: f64,
    sub_weight: f64,
}

impl M2TRec {
    pub fn new(cfg: &ModelConfig, feats: &Arc<ItemFeatures>, device: &Device) -> Self {
        let d = cfg.dim;
        let lin = |i, o| LinearConfig::new(i, o).with_initializer(INIT).init(device);
        Self {
            items: MetaEncoder::new(cfg, feats, device),
            session: SessionEncoder::new(cfg, device),
            query: lin(d, d),
            cat_head: lin(d, feats.n_categories),
            sub_head: lin(d, feats.n_sub),
            cat_weight: cfg.cat_weight,
            sub_weight: cfg.sub_weight,
        }
    }

    /// `[batch, len, dim]` session vector of every prefix.
    pub fn hidden(&self, input: &SeqInput) -> Tensor<3> {
        self.session.forward(self.items.table(), input)
    }

    pub fn query(&self, s: Tensor<2>) -> Tensor<2> {
        self.query.forward(s)
    }

    pub fn item_table(&self) -> Tensor<2> {
        self.items.table()
    }

    /// `cat_weight` · next-category cross-entropy + `sub_weight` · next-sub-category
    /// multi-label BCE, for session vectors `s` whose next items are `targets`.
    pub fn aux_loss(&self, s: Tensor<2>, targets: &[i64], device: &Device) -> Tensor<1> {
        let feats = self.items.features();
        let cat = category_loss(self.cat_head.forward(s.clone()), feats, targets, device);
        let sub = subcategory_loss(self.sub_head.forward(s), feats, targets, device);
        cat * self.cat_weight + sub * self.sub_weight
    }
}

/// Mean cross-entropy of `logits` (`[n, n_categories]`) against the targets' primary categories.
pub(crate) fn category_loss(
    logits: Tensor<2>,
    feats: &ItemFeatures,
    targets: &[i64],
    device: &Device,
) -> Tensor<1> {
    let n = targets.len();
    let labels: Vec<i64> = targets
        .iter()
        .map(|&t| feats.category[t as usize] as i64)
        .collect();
    let t = Tensor::<2, Int>::from_data(TensorData::new(labels, [n, 1]), device);
    log_softmax(logits, 1).gather(1, t).mean().neg()
}

/// (choice) Mean binary cross-entropy over all `[n, n_sub]` labels (PyTorch's default
/// reduction), so a large sub-category vocabulary does not outweigh the item loss.
fn subcategory_loss(
    logits: Tensor<2>,
    feats: &ItemFeatures,
    targets: &[i64],
    device: &Device,
) -> Tensor<1> {
    let n = targets.len();
    let mut y = vec![0f32; n * feats.n_sub];
    for (row, &t) in targets.iter().enumerate() {
        for &v in feats.subs_of(t as usize) {
            y[row * feats.n_sub + v as usize] = 1.0;
        }
    }
    let y = Tensor::<2>::from_data(TensorData::new(y, [n, feats.n_sub]), device);
    let pos = log_sigmoid(logits.clone()) * y.clone();
    let neg = log_sigmoid(logits.neg()) * (y.neg() + 1.0);
    (pos + neg).mean().neg()
}

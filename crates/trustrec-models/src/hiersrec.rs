//! HierSRec (Oh et al., RecSys 2023 workshop): the M2TRec encoder with a next-category head whose
//! distribution is fed into the next-item head, so the item query knows the predicted category;
//! at inference the category distribution also picks the candidates (see `candidates`).

use std::sync::Arc;

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

use crate::config::ModelConfig;
use crate::features::ItemFeatures;
use crate::input::SeqInput;
use crate::m2trec::category_loss;
use crate::metaenc::{MetaEncoder, SessionEncoder};
use crate::sasrec::INIT;

#[derive(Module, Debug)]
pub struct HierSRec {
    items: MetaEncoder,
    session: SessionEncoder,
    cat_head: Linear,
    /// f(p_cat): (choice) a linear map of the category distribution. The "expected category
    /// embedding" alternative, sum_c p_c E_c, is the same map without its bias.
    cat_proj: Linear,
    /// Item query from [s || f(p_cat)].
    query: Linear,
    cat_weight: f64,
    candidate_share: f64,
    candidate_head: f64,
}

impl HierSRec {
    pub fn new(cfg: &ModelConfig, feats: &Arc<ItemFeatures>, device: &Device) -> Self {
        let d = cfg.dim;
        let lin = |i, o| LinearConfig::new(i, o).with_initializer(INIT).init(device);
        Self {
            items: MetaEncoder::new(cfg, feats, device),
            session: SessionEncoder::new(cfg, device),
            cat_head: lin(d, feats.n_categories),
            cat_proj: lin(feats.n_categories, d),
            query: lin(2 * d, d),
            cat_weight: cfg.cat_weight,
            candidate_share: cfg.candidate_share,
            candidate_head: cfg.candidate_head,
        }
    }

    /// Share of the catalogue ranked at inference.
    pub fn candidate_share(&self) -> f64 {
        self.candidate_share
    }

    /// Share of the candidates reserved for the most popular training items.
    pub fn candidate_head(&self) -> f64 {
        self.candidate_head
    }

    pub fn features(&self) -> &ItemFeatures {
        self.items.features()
    }

    /// `[batch, len, dim]` session vector of every prefix.
    pub fn hidden(&self, input: &SeqInput) -> Tensor<3> {
        self.session.forward(self.items.table(), input)
    }

    /// `[n, n_categories]` next-category logits.
    pub fn category_logits(&self, s: Tensor<2>) -> Tensor<2> {
        self.cat_head.forward(s)
    }

    pub fn query(&self, s: Tensor<2>) -> Tensor<2> {
        let p = softmax(self.category_logits(s.clone()), 1);
        self.query
            .forward(Tensor::cat(vec![s, self.cat_proj.forward(p)], 1))
    }

    pub fn item_table(&self) -> Tensor<2> {
        self.items.table()
    }

    /// `cat_weight` · next-category cross-entropy.
    pub fn aux_loss(&self, s: Tensor<2>, targets: &[i64], device: &Device) -> Tensor<1> {
        category_loss(self.category_logits(s), self.features(), targets, device) * self.cat_weight
    }
}

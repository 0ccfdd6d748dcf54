//! Model and training configuration (TOML/JSON via serde; CLI flags override fields).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use trustrec_eval::TieRule;

use crate::backend::BackendKind;
use crate::batch::TrainMode;
use crate::features::CategoryRule;

/// Which sequential recommender to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    SasRec,
    /// SASRec with time-interval aware attention (Li, Wang & McAuley 2020).
    TiSasRec,
    Gru4Rec,
    Lstm,
    /// Item-ID-free metadata-aware multi-task Transformer (Shalaby, Oh et al. 2022).
    M2TRec,
    /// M2TRec's encoder with a next-category head feeding the item head (Oh et al. 2023).
    HierSRec,
    /// Text-only UniSRec-style model: item vectors from a mixture-of-experts adapter over
    /// frozen sentence vectors of the item texts (Hou et al. 2022), no item-ID embeddings.
    UniSRec,
}

impl ModelKind {
    /// Whether the model reads interaction times (inputs then carry interval matrices).
    pub fn needs_times(self) -> bool {
        self == Self::TiSasRec
    }

    /// Whether the model represents items by their metadata (and needs an item catalog).
    pub fn needs_features(self) -> bool {
        matches!(self, Self::M2TRec | Self::HierSRec)
    }

    /// Whether the model represents items by sentence vectors of their texts.
    pub fn needs_text(self) -> bool {
        self == Self::UniSRec
    }

    /// Whether the model is a Transformer (heads and layers apply).
    fn is_attention(self) -> bool {
        !matches!(self, Self::Gru4Rec | Self::Lstm)
    }
}

/// Where a Transformer's position table starts counting in a left-padded window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Positions {
    /// The newest item is always the last row (the original SASRec code: a fixed-length,
    /// left-padded window with positions `0..max_len`).
    #[default]
    FromEnd,
    /// The window's oldest item is row 0 (RecBole, which left-aligns its sequences). With the
    /// loss at every position, each target then sees the positions it would see as the last
    /// item of its own prefix, as at evaluation; from the end, only a window's last target does.
    FromStart,
}

impl FromStr for Positions {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "from-end" => Ok(Self::FromEnd),
            "from-start" => Ok(Self::FromStart),
            o => anyhow::bail!("unknown positions '{o}' (expected from-end or from-start)"),
        }
    }
}

/// How the metadata models (M2TRec, HierSRec) turn a session's Transformer outputs into one
/// session vector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionPool {
    /// The mean over the real positions so far (the M2TRec paper's rule).
    #[default]
    Mean,
    /// (choice) The output at the newest position, as SASRec reads it: under causal attention
    /// it already encodes the whole prefix, and it weighs the newest items as attention learns
    /// to, where the mean weighs every position alike.
    Last,
}

impl FromStr for SessionPool {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "mean" => Ok(Self::Mean),
            "last" => Ok(Self::Last),
            o => anyhow::bail!("unknown session pool '{o}' (expected mean or last)"),
        }
    }
}

impl FromStr for ModelKind {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "sasrec" => Ok(Self::SasRec),
            "tisasrec" => Ok(Self::TiSasRec),
            "gru4rec" => Ok(Self::Gru4Rec),
            "lstm" => Ok(Self::Lstm),
            "m2trec" => Ok(Self::M2TRec),
            "hiersrec" => Ok(Self::HierSRec),
            "unisrec" => Ok(Self::UniSRec),
            o => anyhow::bail!(
                "unknown model '{o}' (expected sasrec, tisasrec, gru4rec, lstm, m2trec, hiersrec or unisrec)"
            ),
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SasRec => "sasrec",
            Self::TiSasRec => "tisasrec",
            Self::Gru4Rec => "gru4rec",
            Self::Lstm => "lstm",
            Self::M2TRec => "m2trec",
            Self::HierSRec => "hiersrec",
            Self::UniSRec => "unisrec",
        })
    }
}

/// Architecture hyper-parameters. Defaults follow the backbone protocol (RecBole's SASRec).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    pub name: ModelKind,
    /// Embedding / hidden size of the item space.
    pub dim: usize,
    pub layers: usize,
    pub heads: usize,
    /// Transformer feed-forward size.
    pub inner: usize,
    pub dropout: f64,
    /// Transformer models: dropout between the two feed-forward layers of a block. `None` =
    /// `dropout` (burn's encoder layer and the original SASRec code); `Some(0.0)` = RecBole,
    /// whose `FeedForward` drops out only after the second layer.
    pub ffn_dropout: Option<f64>,
    /// RNN state size (GRU4Rec, LSTM).
    pub rnn_hidden: usize,
    /// Longest history the model sees.
    pub max_len: usize,
    /// Transformer models: where position rows are counted from.
    pub positions: Positions,
    /// Draw dropout masks in bulk from a fast generator (the default) instead of burn's
    /// per-element sampler (`false`; runs made before 2026-11-30 evening used it): same model,
    /// other masks, faster epochs (see [`crate::encode`]).
    pub bulk_dropout: bool,
    /// TiSASRec: largest time interval (in units of the user's smallest gap); longer ones are
    /// clipped to it.
    pub time_span: usize,
    /// M2TRec / HierSRec: attribute fields the item encoder reads (empty = all).
    pub item_fields: Vec<String>,
    /// M2TRec / HierSRec: the field categories come from (default: `class`, `category` or
    /// `categories` if present, else the first item field).
    pub category_field: Option<String>,
    /// How one primary category is picked from a multi-valued category field.
    pub category_rule: CategoryRule,
    /// M2TRec / HierSRec: how the session vector is read from the Transformer outputs.
    pub session_pool: SessionPool,
    /// M2TRec / HierSRec: (choice) add each item's bucketed training count as one more
    /// attribute field ([`crate::ItemFeatures::with_popularity`]).
    pub popularity_field: bool,
    /// Weight of the next-category loss (M2TRec l1, HierSRec lambda).
    pub cat_weight: f64,
    /// M2TRec: weight of the next-sub-category (multi-label) loss (l2).
    pub sub_weight: f64,
    /// HierSRec: share of the catalogue ranked at inference (items of the top categories).
    pub candidate_share: f64,
    /// HierSRec: (choice) share of that budget always given to the most popular training
    /// items, the rest filled by top categories; 0 = categories only (the spec's rule), under
    /// which a popular target of an unpredicted category is a certain miss.
    pub candidate_head: f64,
    /// UniSRec: number of linear experts in the text adapter.
    pub experts: usize,
    /// UniSRec: softmax temperature of the cosine scores.
    pub temperature: f64,
    /// UniSRec: dropout on the text vectors entering the adapter.
    pub adapter_dropout: f64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            name: ModelKind::SasRec,
            dim: 64,
            layers: 2,
            heads: 2,
            inner: 256,
            dropout: 0.2,
            ffn_dropout: None,
            rnn_hidden: 128,
            max_len: 50,
            positions: Positions::default(),
            bulk_dropout: true,
            time_span: 256,
            item_fields: Vec::new(),
            category_field: None,
            category_rule: CategoryRule::default(),
            session_pool: SessionPool::default(),
            popularity_field: false,
            cat_weight: 1.0,
            sub_weight: 1.0,
            candidate_share: 0.04,
            candidate_head: 0.25,
            experts: 8,
            temperature: 0.07,
            adapter_dropout: 0.2,
        }
    }
}

impl ModelConfig {
    /// The dropout between a Transformer block's feed-forward layers (see `ffn_dropout`).
    pub fn ffn_dropout(&self) -> f64 {
        self.ffn_dropout.unwrap_or(self.dropout)
    }

    /// Defaults for a model kind (RecBole's for GRU4Rec: dropout 0.3, hidden 128; TiSASRec
    /// shares SASRec's, with the paper's time span 256).
    pub fn for_kind(name: ModelKind) -> Self {
        let base = Self {
            name,
            ..Self::default()
        };
        match name {
            ModelKind::SasRec
            | ModelKind::TiSasRec
            | ModelKind::M2TRec
            | ModelKind::HierSRec
            | ModelKind::UniSRec => base,
            ModelKind::Gru4Rec | ModelKind::Lstm => Self {
                dropout: 0.3,
                ..base
            },
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.dim > 0, "model.dim must be > 0");
        anyhow::ensure!(self.max_len > 0, "model.max_len must be > 0");
        anyhow::ensure!(
            (0.0..1.0).contains(&self.dropout),
            "model.dropout must be in [0, 1), got {}",
            self.dropout
        );
        if let Some(p) = self.ffn_dropout {
            anyhow::ensure!(
                (0.0..1.0).contains(&p),
                "model.ffn_dropout must be in [0, 1), got {p}"
            );
        }
        anyhow::ensure!(
            self.cat_weight >= 0.0 && self.sub_weight >= 0.0,
            "model.cat_weight and model.sub_weight must be >= 0"
        );
        anyhow::ensure!(
            self.candidate_share > 0.0 && self.candidate_share <= 1.0,
            "model.candidate_share must be in (0, 1], got {}",
            self.candidate_share
        );
        anyhow::ensure!(
            (0.0..1.0).contains(&self.candidate_head),
            "model.candidate_head must be in [0, 1), got {}",
            self.candidate_head
        );
        anyhow::ensure!(
            self.name.needs_features()
                || (self.session_pool == SessionPool::Mean && !self.popularity_field),
            "model.session_pool and model.popularity_field apply only to m2trec and hiersrec, \
             not {}",
            self.name
        );
        anyhow::ensure!(self.experts > 0, "model.experts must be > 0");
        anyhow::ensure!(
            self.temperature > 0.0 && self.temperature.is_finite(),
            "model.temperature must be > 0, got {}",
            self.temperature
        );
        anyhow::ensure!(
            (0.0..1.0).contains(&self.adapter_dropout),
            "model.adapter_dropout must be in [0, 1), got {}",
            self.adapter_dropout
        );
        if self.name.is_attention() {
            anyhow::ensure!(self.layers > 0, "model.layers must be > 0");
            anyhow::ensure!(
                self.heads > 0 && self.dim.is_multiple_of(self.heads),
                "model.dim ({}) must be divisible by model.heads ({})",
                self.dim,
                self.heads
            );
        } else {
            anyhow::ensure!(self.rnn_hidden > 0, "model.rnn_hidden must be > 0");
        }
        Ok(())
    }
}

/// Training loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LossKind {
    /// Full-softmax cross-entropy over the whole catalogue.
    Ce,
    /// Binary cross-entropy with one uniformly sampled negative per target (original SASRec).
    Bce,
}

impl FromStr for LossKind {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "ce" => Ok(Self::Ce),
            "bce" => Ok(Self::Bce),
            o => anyhow::bail!("unknown loss '{o}' (expected ce or bce)"),
        }
    }
}

/// Optimisation, early stopping and evaluation settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    /// When set, batches are cut by loss targets instead of samples: each holds at least this
    /// many (RecBole's `train_batch_size` semantics; see [`crate::batch::batch_ranges`]).
    pub batch_targets: Option<usize>,
    pub lr: f64,
    pub weight_decay: f64,
    /// Stop after this many validations without improvement.
    pub patience: usize,
    /// Metric key (as in results.json) that selects the best epoch.
    pub valid_metric: String,
    /// Validate every N epochs.
    pub eval_every: usize,
    pub mode: TrainMode,
    /// `overlap` mode: targets per window (default `max_len / 2`); see [`TrainMode::Overlap`].
    pub stride: Option<usize>,
    /// Each sample trained as K copies, each carrying the loss on every K-th of its targets,
    /// so a batch of N targets mixes ~K times as many users (and costs K times the encoder
    /// work); every target is still a target exactly once per epoch. Unset = 1.
    pub spread: Option<usize>,
    pub loss: LossKind,
    pub ks: Vec<usize>,
    pub tie: TieRule,
    /// Exclude items already in the history from the ranking.
    pub mask_seen: bool,
    /// Rows per forward pass when computing evaluation states.
    pub eval_batch: usize,
    pub backend: BackendKind,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 200,
            // 32 windows (~1,500 targets) per step: on ml-100k SASRec reached valid NDCG@10
            // 0.055 after 5 epochs, against 0.045 with 128 windows per step.
            batch_size: 32,
            batch_targets: None,
            lr: 1e-3,
            weight_decay: 0.0,
            patience: 10,
            valid_metric: "ndcg@10".into(),
            eval_every: 1,
            mode: TrainMode::Window,
            stride: None,
            spread: None,
            loss: LossKind::Ce,
            ks: vec![10, 20],
            tie: TieRule::Optimistic,
            mask_seen: false,
            eval_batch: 512,
            backend: BackendKind::default(),
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.epochs > 0, "train.epochs must be > 0");
        anyhow::ensure!(self.batch_size > 0, "train.batch_size must be > 0");
        anyhow::ensure!(
            self.batch_targets != Some(0),
            "train.batch_targets must be > 0"
        );
        anyhow::ensure!(self.stride != Some(0), "train.stride must be > 0");
        anyhow::ensure!(self.spread != Some(0), "train.spread must be > 0");
        anyhow::ensure!(self.eval_batch > 0, "train.eval_batch must be > 0");
        anyhow::ensure!(self.eval_every > 0, "train.eval_every must be > 0");
        anyhow::ensure!(
            self.lr.is_finite() && self.lr > 0.0,
            "train.lr must be a positive number, got {}",
            self.lr
        );
        anyhow::ensure!(
            !self.ks.is_empty() && !self.ks.contains(&0),
            "train.ks must be non-empty and > 0"
        );
        let known = self
            .ks
            .iter()
            .flat_map(|k| ["hit", "recall", "ndcg", "mrr"].map(move |m| format!("{m}@{k}")));
        let mut known: Vec<String> = known.collect();
        known.push("mrr".into());
        anyhow::ensure!(
            known.contains(&self.valid_metric),
            "train.valid_metric '{}' is not computed; choose one of {}",
            self.valid_metric,
            known.join(", ")
        );
        Ok(())
    }
}

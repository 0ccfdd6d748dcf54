//! Sequential recommenders (SASRec, TiSASRec, GRU4Rec, LSTM; the item-ID-free M2TRec and
//! HierSRec) on burn, and the one training loop they share. Tensor-framework types stay inside
//! this crate: callers get plain `Vec<f32>` states and dense item ids.

pub mod autodiff;
pub mod backend;
pub mod batch;
pub mod candidates;
pub mod checkpoint;
pub mod config;
pub mod encode;
pub mod features;
pub mod finest;
pub mod hiersrec;
pub mod input;
pub mod loss;
pub mod m2trec;
pub mod metaenc;
pub mod model;
pub mod ops;
pub mod plain;
pub mod plain_gru;
pub mod rnn;
pub mod sasrec;
pub mod score;
pub mod tisasrec;
pub mod train;
pub mod unisrec;

pub use backend::{BackendKind, DEFAULT_BACKEND, device};
pub use batch::TrainMode;
/// The compute device handle (re-exported so callers need not depend on burn).
pub use burn::tensor::Device;
pub use config::{LossKind, ModelConfig, ModelKind, Positions, SessionPool, TrainConfig};
pub use features::{CategoryRule, ItemFeatures, POPULARITY_FIELD, TextVectors};
pub use finest::FinestConfig;
pub use model::Recommender;
pub use train::{
    CheckpointOptions, FinestOutput, FitOutput, Trainer, epoch_seed, init_model, optimizer,
    rng_guard,
};

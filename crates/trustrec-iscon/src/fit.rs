//! Training and evaluation shared by both predictors: Adam with L2 weight decay, batches built
//! from length buckets, early stopping on validation Recall@10, full-catalogue ranks through
//! trustrec-eval (rank = 1 + number of candidates scoring strictly higher).
//!
//! Determinism follows `trustrec_models::train`: the whole fit holds burn's RNG lock, the
//! network is initialised right after `device.seed(seed)`, and epoch `e`'s batch order comes
//! from `ChaCha8(epoch_seed(seed, e))`.

use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use trustrec_eval::{MetricAccumulator, Metrics, TieRule, rank_of};
use trustrec_models::ops::to_vec;
use trustrec_models::{TrainConfig, epoch_seed, optimizer, rng_guard};

use crate::nets::int2;

/// Optimisation settings (original: Adam 1e-3, weight decay 1e-5, batch 1024, patience 5,
/// up to 200 epochs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitConfig {
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    pub patience: usize,
    pub max_epochs: usize,
    /// Rows per evaluation forward pass.
    pub eval_batch: usize,
}

impl Default for FitConfig {
    fn default() -> Self {
        Self {
            batch_size: 1024,
            lr: 1e-3,
            weight_decay: 1e-5,
            patience: 5,
            max_epochs: 200,
            eval_batch: 2048,
        }
    }
}

impl FitConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.batch_size > 0, "batch size must be > 0");
        anyhow::ensure!(self.eval_batch > 0, "evaluation batch must be > 0");
        anyhow::ensure!(self.max_epochs > 0, "max epochs must be > 0");
        anyhow::ensure!(
            self.lr > 0.0 && self.lr.is_finite(),
            "learning rate must be > 0"
        );
        anyhow::ensure!(self.weight_decay >= 0.0, "weight decay must be >= 0");
        Ok(())
    }
}

/// What a predictor needs to be trained on examples named by `usize` ids.
pub trait Task {
    type Net: Module + Clone;
    /// Sequence-length bucket of an example (batches group equal keys to avoid padding).
    fn key(&self, example: usize) -> usize;
    /// The class to predict.
    fn target(&self, example: usize) -> u32;
    /// Logits `[b, n_classes]` for a batch of examples.
    fn logits(&self, net: &Self::Net, batch: &[usize], device: &Device) -> Tensor<2>;
}

/// Result of [`fit`].
pub struct Fitted<N> {
    /// The best network by validation Recall@10 (plain, for inference).
    pub net: N,
    pub best_epoch: usize,
    pub best_valid: Metrics,
    pub train_loss: Vec<f64>,
    pub epoch_seconds: Vec<f64>,
    pub eval_seconds: Vec<f64>,
}

/// Mean cross-entropy of `logits` against `targets`.
pub fn cross_entropy(logits: Tensor<2>, targets: &[u32], device: &Device) -> Tensor<1> {
    let t: Vec<i64> = targets.iter().map(|&x| x as i64).collect();
    log_softmax(logits, 1)
        .gather(1, int2(&t, 1, device))
        .mean()
        .neg()
}

/// Batches of one epoch: shuffle, stable-sort by key, chunk, shuffle the chunks.
fn batches(
    task: &impl Task,
    train: &[usize],
    size: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<Vec<usize>> {
    let mut order = train.to_vec();
    order.shuffle(rng);
    order.sort_by_key(|&e| task.key(e));
    let mut chunks: Vec<Vec<usize>> = order.chunks(size).map(<[usize]>::to_vec).collect();
    chunks.shuffle(rng);
    chunks
}

/// Trains the network `build` makes (on the autodiff version of `device`), validating every
/// epoch; stops after `patience` epochs without a better validation Recall@10.
pub fn fit<T: Task>(
    task: &T,
    build: impl FnOnce(&Device) -> T::Net,
    train: &[usize],
    valid: &[usize],
    cfg: &FitConfig,
    seed: u64,
    device: &Device,
) -> anyhow::Result<Fitted<T::Net>> {
    cfg.validate()?;
    anyhow::ensure!(!train.is_empty(), "no training examples");
    anyhow::ensure!(!valid.is_empty(), "no validation examples");
    let _guard = rng_guard();
    let ad = device.clone().autodiff();
    ad.seed(seed);
    let mut net = build(&ad);
    let mut optim = optimizer(&TrainConfig {
        weight_decay: cfg.weight_decay,
        ..TrainConfig::default()
    });
    let mut out = Fitted {
        net: net.valid(),
        best_epoch: 0,
        best_valid: Metrics::new(),
        train_loss: Vec::new(),
        epoch_seconds: Vec::new(),
        eval_seconds: Vec::new(),
    };
    let mut best = f64::NEG_INFINITY;
    for epoch in 0..cfg.max_epochs {
        let t0 = Instant::now();
        let mut rng = ChaCha8Rng::seed_from_u64(epoch_seed(seed, epoch));
        ad.seed(rng.r#gen());
        let (mut total, mut count) = (0.0, 0usize);
        for batch in batches(task, train, cfg.batch_size, &mut rng) {
            let targets: Vec<u32> = batch.iter().map(|&e| task.target(e)).collect();
            let _graph = trustrec_models::autodiff::exclusive();
            let loss = cross_entropy(task.logits(&net, &batch, &ad), &targets, &ad);
            let value: f64 = loss.clone().into_scalar::<f64>();
            anyhow::ensure!(
                value.is_finite(),
                "training loss became {value} at epoch {epoch}"
            );
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(cfg.lr, net, grads);
            total += value * batch.len() as f64;
            count += batch.len();
        }
        out.train_loss.push(total / count as f64);
        out.epoch_seconds.push(t0.elapsed().as_secs_f64());
        let t1 = Instant::now();
        let snapshot = net.valid();
        let m = evaluate(task, &snapshot, valid, &[10], cfg.eval_batch, device)?;
        out.eval_seconds.push(t1.elapsed().as_secs_f64());
        let score = m.get("recall@10").copied().unwrap_or(0.0);
        tracing::info!(
            "epoch {epoch}: loss {:.4}, valid recall@10 {score:.4} ({:.1} s)",
            total / count as f64,
            out.epoch_seconds[epoch]
        );
        if score > best {
            best = score;
            out.best_epoch = epoch;
            out.best_valid = m;
            out.net = snapshot;
        } else if epoch - out.best_epoch >= cfg.patience {
            break;
        }
    }
    Ok(out)
}

/// Logits of `examples` in chunks, row-major `[n, n_classes]` in the order of `examples`, on
/// the plain `device`. Chunks are formed in key order (like training batches) so that short
/// sequences are not padded to the longest one in the set.
pub fn all_logits<T: Task>(
    task: &T,
    net: &T::Net,
    examples: &[usize],
    chunk: usize,
    device: &Device,
) -> anyhow::Result<(Vec<f32>, usize)> {
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.sort_by_key(|&p| task.key(examples[p]));
    let mut out = Vec::new();
    let mut cols = 0;
    for positions in order.chunks(chunk.max(1)) {
        let batch: Vec<usize> = positions.iter().map(|&p| examples[p]).collect();
        let logits = task.logits(net, &batch, device);
        cols = logits.dims()[1];
        if out.is_empty() {
            out = vec![0f32; examples.len() * cols];
        }
        let v = to_vec(logits)?;
        for (&p, row) in positions.iter().zip(v.chunks(cols)) {
            out[p * cols..(p + 1) * cols].copy_from_slice(row);
        }
    }
    Ok((out, cols))
}

/// Full-catalogue metrics (`hit@K`, `recall@K`, `mrr@K`, `ndcg@K`, `mrr`) of `examples`.
pub fn evaluate<T: Task>(
    task: &T,
    net: &T::Net,
    examples: &[usize],
    ks: &[usize],
    chunk: usize,
    device: &Device,
) -> anyhow::Result<Metrics> {
    let mut acc = MetricAccumulator::try_new(ks)?;
    let (scores, cols) = all_logits(task, net, examples, chunk, device)?;
    for (row, &e) in scores.chunks(cols.max(1)).zip(examples) {
        acc.try_add_rank(rank_of(row, task.target(e), &[], TieRule::Optimistic)?)?;
    }
    Ok(acc.finish())
}

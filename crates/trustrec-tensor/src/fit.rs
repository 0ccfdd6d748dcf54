//! Training a completion model: MSE on standardised values, Adam, early stopping on validation
//! RMSE with the best-validation snapshot kept; and, when asked, DAIN's per-cell influence
//! traces collected along the way.
//!
//! Influence (official DAIN, TracIn-style, last layer only): after every epoch `e`, with `h_c`
//! the last hidden vector and `r_c = yhat_c - y_c`, the output layer's gradient of cell `c` is
//! `g_c = r_c [h_c, 1]` and the validation gradient is `G_e = sum_v r_v [h_v, 1]`; cell `c`
//! gets `sum_{e <= best} <g_c, G_e>`. Only that scalar is kept per cell (never the gradients),
//! so the trace costs one forward pass over the training cells per epoch.

use std::str::FromStr;
use std::time::Instant;

use anyhow::{bail, ensure};
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use trustrec_models::ops::to_vec;
use trustrec_models::{TrainConfig, epoch_seed, optimizer, rng_guard};

use crate::cp::{CpModel, fit_cp};
use crate::net::{CellBatch, CompletionNet, NetConfig, NetKind};
use crate::sparse::SparseTensor;

/// Which completion model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Costco,
    Mlp,
    Cp,
}

impl FromStr for ModelKind {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Ok(match s {
            "costco" => Self::Costco,
            "mlp" => Self::Mlp,
            "cp" => Self::Cp,
            other => bail!("unknown completion model '{other}' (expected costco, mlp or cp)"),
        })
    }
}

/// Model sizes and optimisation settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitConfig {
    pub model: ModelKind,
    /// Embedding width per mode (CP: the rank).
    pub rank: usize,
    /// MLP hidden widths.
    pub layers: Vec<usize>,
    /// CoSTCo channels.
    pub channels: usize,
    pub lr: f64,
    pub batch_size: usize,
    pub max_epochs: usize,
    /// Epochs without a better validation RMSE before stopping.
    pub patience: usize,
    pub weight_decay: f64,
    /// CP-ALS ridge penalty.
    pub ridge: f64,
}

impl Default for FitConfig {
    fn default() -> Self {
        Self {
            model: ModelKind::Mlp,
            rank: 16,
            layers: vec![128, 128, 64],
            channels: 32,
            lr: 1e-3,
            batch_size: 1024,
            max_epochs: 50,
            patience: 10,
            weight_decay: 0.0,
            ridge: 0.1,
        }
    }
}

impl FitConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        ensure!(self.rank > 0, "rank must be > 0");
        ensure!(self.batch_size > 0, "batch size must be > 0");
        ensure!(self.max_epochs > 0, "max epochs must be > 0");
        ensure!(
            self.lr > 0.0 && self.lr.is_finite(),
            "learning rate must be > 0"
        );
        ensure!(self.weight_decay >= 0.0, "weight decay must be >= 0");
        ensure!(self.ridge >= 0.0, "ridge must be >= 0");
        if self.model == ModelKind::Mlp {
            ensure!(
                !self.layers.is_empty() && self.layers.iter().all(|&w| w > 0),
                "MLP layers must be non-empty and > 0"
            );
        }
        if self.model == ModelKind::Costco {
            ensure!(self.channels > 0, "CoSTCo channels must be > 0");
        }
        Ok(())
    }

    fn net(&self) -> NetConfig {
        NetConfig {
            kind: if self.model == ModelKind::Costco {
                NetKind::Costco
            } else {
                NetKind::Mlp
            },
            rank: self.rank,
            layers: self.layers.clone(),
            channels: self.channels,
        }
    }
}

/// Values are standardised with the training mean and deviation; predictions are mapped back.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Scale {
    pub mean: f64,
    pub std: f64,
}

impl Scale {
    pub fn of(values: &[f32]) -> Self {
        let n = values.len().max(1) as f64;
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| (v as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        let std = if var > 1e-24 { var.sqrt() } else { 1.0 };
        Self { mean, std }
    }
    pub fn to_z(&self, v: f32) -> f32 {
        ((v as f64 - self.mean) / self.std) as f32
    }
    pub fn from_z(&self, z: f32) -> f32 {
        (z as f64 * self.std + self.mean) as f32
    }
}

/// A trained model.
// One per run; boxing the network would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Trained {
    Net(CompletionNet),
    Cp(CpModel),
}

/// The best-validation model and how it got there.
pub struct Fitted {
    pub model: Trained,
    pub scale: Scale,
    pub best_epoch: usize,
    pub epochs_run: usize,
    /// Optimiser steps per epoch (CP: ALS sweeps count one step each).
    pub steps_per_epoch: usize,
    pub valid_rmse: Vec<f64>,
    pub train_loss: Vec<f64>,
    pub epoch_seconds: Vec<f64>,
    /// DAIN influence of every training cell (in the order of `train`), when traced.
    pub importance: Option<Vec<f64>>,
    /// Seconds spent on the influence trace (extra forward passes and dot products).
    pub influence_seconds: f64,
}

impl Fitted {
    pub(crate) fn new(model: Trained, scale: Scale, steps_per_epoch: usize) -> Self {
        Self {
            model,
            scale,
            best_epoch: 0,
            epochs_run: 0,
            steps_per_epoch,
            valid_rmse: Vec::new(),
            train_loss: Vec::new(),
            epoch_seconds: Vec::new(),
            importance: None,
            influence_seconds: 0.0,
        }
    }

    /// Records epoch `epoch` (validation RMSE, seconds); returns `Some(true)` when it is the best
    /// so far, `Some(false)` when training goes on, `None` when patience has run out.
    pub(crate) fn record(
        &mut self,
        epoch: usize,
        rmse: f64,
        seconds: f64,
        patience: usize,
    ) -> anyhow::Result<Option<bool>> {
        ensure!(
            rmse.is_finite(),
            "validation RMSE became {rmse} at epoch {epoch}"
        );
        let best = self
            .valid_rmse
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        self.valid_rmse.push(rmse);
        self.epoch_seconds.push(seconds);
        self.epochs_run = epoch + 1;
        if rmse < best {
            self.best_epoch = epoch;
            Ok(Some(true))
        } else if epoch - self.best_epoch >= patience {
            Ok(None)
        } else {
            Ok(Some(false))
        }
    }

    /// Predictions in original units for the cells `idx` (`order` indices per cell).
    pub fn predict(&self, idx: &[u32], order: usize, device: &Device) -> anyhow::Result<Vec<f32>> {
        let z = match &self.model {
            Trained::Net(net) => forward_all(net, idx, order, None, device)?.0,
            Trained::Cp(cp) => cp.predict(idx),
        };
        Ok(z.into_iter().map(|v| self.scale.from_z(v)).collect())
    }
}

/// Cells per inference forward pass.
const EVAL_CHUNK: usize = 8192;

/// Predictions (standardised) of all cells, and, given a validation gradient `grad`
/// (`[h, 1]`-weighted residual sum), each cell's `r_c (<h_c, grad_h> + grad_b)` for its
/// standardised target `z`.
fn forward_all(
    net: &CompletionNet,
    idx: &[u32],
    order: usize,
    trace: Option<(&[f64], &[f32])>,
    device: &Device,
) -> anyhow::Result<(Vec<f32>, Vec<f64>)> {
    let n = idx.len() / order;
    let mut preds = Vec::with_capacity(n);
    let mut scores = Vec::new();
    for (chunk_no, chunk) in idx.chunks(EVAL_CHUNK * order).enumerate() {
        let batch = CellBatch::new(chunk, order, device);
        let h = net.hidden(&batch);
        let p = to_vec(net.head(h.clone()))?;
        if let Some((grad, z)) = trace {
            let width = grad.len() - 1;
            let hv = to_vec(h)?;
            for (j, row) in hv.chunks(width).enumerate() {
                let c = chunk_no * EVAL_CHUNK + j;
                let r = (p[j] - z[c]) as f64;
                let dot: f64 = row.iter().zip(grad).map(|(&a, &g)| a as f64 * g).sum();
                scores.push(r * (dot + grad[width]));
            }
        }
        preds.extend(p);
    }
    Ok((preds, scores))
}

/// `sum_v r_v [h_v, 1]` over validation cells, and their standardised predictions.
fn valid_gradient(
    net: &CompletionNet,
    idx: &[u32],
    order: usize,
    z: &[f32],
    device: &Device,
) -> anyhow::Result<(Vec<f64>, Vec<f32>)> {
    let mut grad: Vec<f64> = Vec::new();
    let mut preds = Vec::with_capacity(z.len());
    for (chunk_no, chunk) in idx.chunks(EVAL_CHUNK * order).enumerate() {
        let batch = CellBatch::new(chunk, order, device);
        let h = net.hidden(&batch);
        let width = h.dims()[1];
        let p = to_vec(net.head(h.clone()))?;
        if grad.is_empty() {
            grad = vec![0.0; width + 1];
        }
        for (j, row) in to_vec(h)?.chunks(width).enumerate() {
            let r = (p[j] - z[chunk_no * EVAL_CHUNK + j]) as f64;
            for (g, &a) in grad.iter_mut().zip(row) {
                *g += r * a as f64;
            }
            grad[width] += r;
        }
        preds.extend(p);
    }
    Ok((grad, preds))
}

/// One epoch's contribution to every training cell's influence, `<g_c, G>`, for `net` as it is
/// (targets `zt`, `zv` standardised). [`fit`] sums these over epochs.
pub fn epoch_influence(
    net: &CompletionNet,
    train: &SparseTensor,
    zt: &[f32],
    valid: &SparseTensor,
    zv: &[f32],
    device: &Device,
) -> anyhow::Result<Vec<f64>> {
    let (grad, _) = valid_gradient(net, &valid.idx, valid.order(), zv, device)?;
    Ok(forward_all(net, &train.idx, train.order(), Some((&grad, zt)), device)?.1)
}

/// RMSE of standardised predictions, in original units.
pub(crate) fn rmse_z(pred: &[f32], z: &[f32], scale: &Scale) -> f64 {
    let se: f64 = pred
        .iter()
        .zip(z)
        .map(|(&p, &t)| ((p - t) as f64).powi(2))
        .sum();
    (se / z.len().max(1) as f64).sqrt() * scale.std
}

/// Trains `cfg.model` on `train`, early-stopping on `valid`; `trace` collects DAIN's influence
/// (neural models only). Same seed, same data, same config: same model.
pub fn fit(
    train: &SparseTensor,
    valid: &SparseTensor,
    cfg: &FitConfig,
    seed: u64,
    trace: bool,
    device: &Device,
) -> anyhow::Result<Fitted> {
    cfg.validate()?;
    ensure!(!train.is_empty(), "no training cells");
    ensure!(!valid.is_empty(), "no validation cells");
    let scale = Scale::of(&train.values);
    let zt: Vec<f32> = train.values.iter().map(|&v| scale.to_z(v)).collect();
    let zv: Vec<f32> = valid.values.iter().map(|&v| scale.to_z(v)).collect();
    if cfg.model == ModelKind::Cp {
        ensure!(
            !trace,
            "DAIN's influence needs a neural model (costco or mlp), not cp"
        );
        // Scaled but not centred: a constant shift would add one to the CP rank.
        let scale = Scale { mean: 0.0, ..scale };
        let zt: Vec<f32> = train.values.iter().map(|&v| scale.to_z(v)).collect();
        let zv: Vec<f32> = valid.values.iter().map(|&v| scale.to_z(v)).collect();
        return fit_cp(train, &zt, valid, &zv, scale, cfg, seed);
    }
    let order = train.order();
    let _guard = rng_guard();
    let ad = device.clone().autodiff();
    ad.seed(seed);
    let mut net = CompletionNet::new(&cfg.net(), &train.shape, &ad);
    let mut optim = optimizer(&TrainConfig {
        weight_decay: cfg.weight_decay,
        ..TrainConfig::default()
    });
    let steps_per_epoch = train.len().div_ceil(cfg.batch_size);
    let mut out = Fitted::new(Trained::Net(net.valid()), scale, steps_per_epoch);
    let mut running = trace.then(|| vec![0.0f64; train.len()]);
    let mut positions: Vec<usize> = (0..train.len()).collect();
    let mut batch_idx = Vec::with_capacity(cfg.batch_size * order);
    let mut batch_z = Vec::with_capacity(cfg.batch_size);
    for epoch in 0..cfg.max_epochs {
        let t0 = Instant::now();
        let mut rng = ChaCha8Rng::seed_from_u64(epoch_seed(seed, epoch));
        positions.shuffle(&mut rng);
        let mut total = 0.0;
        for chunk in positions.chunks(cfg.batch_size) {
            batch_idx.clear();
            batch_z.clear();
            for &p in chunk {
                batch_idx.extend_from_slice(train.cell(p));
                batch_z.push(zt[p]);
            }
            let _graph = trustrec_models::autodiff::exclusive();
            let x = CellBatch::new(&batch_idx, order, &ad);
            let y = Tensor::<1>::from_data(TensorData::new(batch_z.clone(), [chunk.len()]), &ad);
            let loss = (net.forward(&x) - y).powi_scalar(2).mean();
            let value: f64 = loss.clone().into_scalar::<f64>();
            ensure!(
                value.is_finite(),
                "training loss became {value} at epoch {epoch}"
            );
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(cfg.lr, net, grads);
            total += value * chunk.len() as f64;
        }
        out.train_loss.push(total / train.len() as f64);
        let snapshot = net.valid();
        // The validation gradient needs the hidden vectors; without a trace, predictions do.
        let pv = match running.as_mut() {
            Some(run) => {
                let (grad, pv) = valid_gradient(&snapshot, &valid.idx, order, &zv, device)?;
                let t_trace = Instant::now();
                let (_, s) = forward_all(&snapshot, &train.idx, order, Some((&grad, &zt)), device)?;
                for (a, b) in run.iter_mut().zip(s) {
                    *a += b;
                }
                out.influence_seconds += t_trace.elapsed().as_secs_f64();
                pv
            }
            None => forward_all(&snapshot, &valid.idx, order, None, device)?.0,
        };
        let rmse = rmse_z(&pv, &zv, &scale);
        tracing::debug!(
            "epoch {epoch}: train mse {:.4}, valid rmse {rmse:.4}",
            total / train.len() as f64
        );
        match out.record(epoch, rmse, t0.elapsed().as_secs_f64(), cfg.patience)? {
            Some(true) => {
                out.model = Trained::Net(snapshot);
                if let Some(run) = &running {
                    out.importance = Some(run.clone());
                }
            }
            Some(false) => {}
            None => break,
        }
    }
    Ok(out)
}

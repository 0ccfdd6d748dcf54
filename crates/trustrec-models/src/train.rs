//! The one training loop every model shares: seeded shuffling, Adam, per-epoch validation with
//! early stopping, atomic checkpoints with exact resume, a progress bar and one JSON line per
//! epoch.
//!
//! Determinism: the batch order of epoch `e` comes from `ChaCha8(seed, stream e)` and burn's
//! RNG (dropout) is re-seeded from `(seed, e)` at the start of every epoch, so a resumed run
//! replays exactly the epochs an uninterrupted one would.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, decay::WeightDecayConfig};
use burn::tensor::{Device, Tensor};
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use trustrec_data::Split;
use trustrec_eval::Metrics;

use crate::batch::{Sample, TrainMode, batch_ranges, epoch_samples, samples_for};
use crate::checkpoint::{TrainerState, load_checkpoint, save_checkpoint, save_model};
use crate::config::{LossKind, ModelConfig, TrainConfig};
use crate::features::ItemFeatures;
use crate::finest::{
    FinestConfig, RefLists, batch_input, collate_batch, finest_loss, reference_lists,
};
use crate::input::SeqInput;
use crate::loss::{cross_entropy, loss_states, sampled_bce};
use crate::model::Recommender;
use crate::score::{EvalOptions, evaluate_cases};

/// One epoch's record (also emitted as a JSON line).
#[derive(Clone, Debug, Serialize)]
pub struct EpochLog {
    pub epoch: usize,
    pub loss: f64,
    pub train_seconds: f64,
    pub eval_seconds: Option<f64>,
    pub valid: Option<Metrics>,
    pub improved: bool,
}

/// Where checkpoints go and whether to resume from them.
#[derive(Clone, Debug, Default)]
pub struct CheckpointOptions {
    pub dir: Option<PathBuf>,
    pub resume: bool,
}

/// Result of [`fit`].
pub struct FitOutput {
    /// Best model (by the validation metric), as a plain inference copy.
    pub model: Recommender,
    pub best_epoch: Option<usize>,
    pub best_valid: Option<Metrics>,
    pub epochs: Vec<serde_json::Value>,
    pub epoch_seconds: Vec<f64>,
    pub eval_seconds: Vec<f64>,
    pub stopped_early: bool,
    /// The trainable model after the last epoch (what fine-tuning continues from).
    pub last: Recommender,
}

/// FINEST's regularizer for one fine-tuning run.
pub(crate) struct Regularizer<'r> {
    pub refs: &'r RefLists,
    pub cfg: &'r FinestConfig,
}

/// Result of [`Trainer::fit_finest`].
pub struct FinestOutput {
    /// The fine-tuned model, as a plain inference copy.
    pub model: Recommender,
    pub reference_positions: usize,
    pub reference_seconds: f64,
    pub finetune_seconds: Vec<f64>,
    /// Seconds spent building each epoch's simulated perturbation (part of `finetune_seconds`).
    pub simulate_seconds: Vec<f64>,
    pub finetune_loss: Vec<f64>,
}

/// Receives each epoch's JSON log line.
pub type EpochCallback<'a> = Box<dyn FnMut(&serde_json::Value) + 'a>;

/// Everything [`fit`] needs besides the data.
pub struct Trainer<'a> {
    pub model_cfg: &'a ModelConfig,
    pub train_cfg: &'a TrainConfig,
    pub seed: u64,
    /// Size of the model's item space; `None` = [`Split::n_items`]. A stability audit sets it so
    /// that the original and the perturbed run start from identical weights even when a
    /// perturbation removes the largest item id.
    pub n_items: Option<usize>,
    /// Item metadata, for the models that represent items by it (M2TRec, HierSRec).
    pub features: Option<Arc<ItemFeatures>>,
    pub device: Device,
    pub checkpoint: CheckpointOptions,
    pub progress: bool,
    /// Called with each epoch's log line.
    pub on_epoch: Option<EpochCallback<'a>>,
}

/// Seed of epoch `epoch`'s batch order (and burn RNG) for a run seeded with `seed`.
pub fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (epoch as u64).wrapping_add(1)
}

/// burn's random generator is process-wide, so two trainings running at once in one process
/// would interleave their draws. Everything that seeds and then draws holds this lock, which
/// makes "same seed, same numbers" hold even for concurrent callers (tests, parallel audits).
static RNG_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Holds burn's process-wide RNG for the caller; other crates that seed and
/// draw from burn (e.g. ISCON's predictors) take it too (the lock is `RNG_LOCK`).
pub fn rng_guard() -> std::sync::MutexGuard<'static, ()> {
    RNG_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Builds the initial model for `seed` (same seed, same weights); `features` is required by
/// the metadata-aware models.
pub fn init_model(
    cfg: &ModelConfig,
    n_items: usize,
    features: Option<&Arc<ItemFeatures>>,
    seed: u64,
    device: &Device,
) -> anyhow::Result<Recommender> {
    let _guard = rng_guard();
    let model = build_model(cfg, n_items, features, seed, device)?;
    // burn initialises parameters lazily, at first use; draw them now, under the lock, or a
    // concurrent seeded run (a parallel test, a parallel audit) interleaves its draws with ours.
    model.visit(&mut Materialise);
    Ok(model)
}

/// Touches every float parameter, which runs its pending initialisation.
struct Materialise;

impl ModuleVisitor for Materialise {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

fn build_model(
    cfg: &ModelConfig,
    n_items: usize,
    features: Option<&Arc<ItemFeatures>>,
    seed: u64,
    device: &Device,
) -> anyhow::Result<Recommender> {
    device.seed(seed);
    Recommender::new(cfg, n_items, features, device)
}

/// Adam (epsilon 1e-8) with L2 weight decay when `cfg.weight_decay > 0`, as every trainer uses.
pub fn optimizer(cfg: &TrainConfig) -> ModuleOptimizer {
    let mut adam = AdamConfig::new().with_epsilon(1e-8);
    if cfg.weight_decay > 0.0 {
        adam = adam.with_weight_decay(Some(WeightDecayConfig::new(cfg.weight_decay as f32)));
    }
    adam.init()
}

impl Trainer<'_> {
    fn eval_options(&self) -> EvalOptions {
        EvalOptions {
            ks: self.train_cfg.ks.clone(),
            tie: self.train_cfg.tie,
            mask_seen: self.train_cfg.mask_seen,
            max_len: self.model_cfg.max_len,
            chunk: self.train_cfg.eval_batch,
        }
    }

    /// Trains on `split.train_len` prefixes, validating on `split.valid`. With no validation
    /// cases the run trains for exactly `epochs` epochs and returns the last model (the fixed
    /// protocol of the stability papers).
    pub fn fit(&mut self, split: &Split) -> anyhow::Result<FitOutput> {
        self.model_cfg.validate()?;
        self.train_cfg.validate()?;
        let _guard = rng_guard();
        let cfg = self.train_cfg;
        let max_len = self.model_cfg.max_len;
        let ad = self.device.clone().autodiff();
        let samples = samples_for(split, cfg, max_len);
        anyhow::ensure!(
            !samples.is_empty(),
            "the training split has no sequence with 2 or more items"
        );
        let n_items = self.n_items.unwrap_or_else(|| split.n_items());
        anyhow::ensure!(
            n_items >= split.n_items(),
            "n_items {n_items} is smaller than the split's item space {}",
            split.n_items()
        );
        let validate = !split.valid.is_empty();

        let mut model = build_model(
            self.model_cfg,
            n_items,
            self.features.as_ref(),
            self.seed,
            &ad,
        )?;
        let mut optim = optimizer(cfg);
        let mut state = TrainerState {
            epochs_done: 0,
            best_epoch: None,
            best_score: f64::NEG_INFINITY,
            bad_validations: 0,
            history: Vec::new(),
        };
        let best_path = self.checkpoint.dir.as_ref().map(|d| d.join("best.bpk"));
        let mut best_model = model.valid();
        if let (Some(dir), true) = (&self.checkpoint.dir, self.checkpoint.resume)
            && let Some((m, o, s)) =
                load_checkpoint(&dir.join("last"), model.clone(), optim.clone())?
        {
            tracing::info!(
                "resuming from {} after epoch {}",
                dir.display(),
                s.epochs_done
            );
            (model, optim, state) = (m, o, s);
            best_model = match best_path.as_ref().filter(|p| p.exists()) {
                Some(p) => crate::checkpoint::load_model(model.valid(), p)?,
                None => model.valid(),
            };
        }

        let bar = self.progress_bar(cfg.epochs, state.epochs_done);
        let mut stopped_early = false;
        for epoch in state.epochs_done..cfg.epochs {
            if state.bad_validations >= cfg.patience {
                stopped_early = true;
                break;
            }
            let t0 = Instant::now();
            let (m, loss) = self.train_epoch(
                model, &mut optim, split, &samples, epoch, n_items, &ad, None,
            )?;
            model = m;
            let train_seconds = t0.elapsed().as_secs_f64();
            let mut log = EpochLog {
                epoch,
                loss,
                train_seconds,
                eval_seconds: None,
                valid: None,
                improved: false,
            };
            if !validate {
                best_model = model.valid();
            } else if (epoch + 1) % cfg.eval_every == 0 || epoch + 1 == cfg.epochs {
                let t1 = Instant::now();
                let snapshot = model.valid();
                let (metrics, _) = evaluate_cases(
                    &snapshot,
                    split,
                    &split.valid,
                    &self.eval_options(),
                    &self.device,
                )?;
                log.eval_seconds = Some(t1.elapsed().as_secs_f64());
                let score = *metrics.get(&cfg.valid_metric).unwrap_or(&f64::NAN);
                anyhow::ensure!(
                    score.is_finite(),
                    "validation {} is not finite at epoch {epoch}",
                    cfg.valid_metric
                );
                if score > state.best_score {
                    state.best_score = score;
                    state.best_epoch = Some(epoch);
                    state.bad_validations = 0;
                    log.improved = true;
                    if let Some(p) = &best_path {
                        save_model(&snapshot, p)?;
                    }
                    best_model = snapshot;
                } else {
                    state.bad_validations += 1;
                }
                log.valid = Some(metrics);
            }
            let line = serde_json::to_value(&log)?;
            if let Some(cb) = self.on_epoch.as_mut() {
                cb(&line);
            }
            state.history.push(line);
            state.epochs_done = epoch + 1;
            if let Some(dir) = &self.checkpoint.dir {
                save_checkpoint(&dir.join("last"), &model, &optim, &state)?;
            }
            bar.set_message(format!(
                "loss {loss:.4} best {} {:.4}",
                cfg.valid_metric, state.best_score
            ));
            bar.inc(1);
        }
        if state.bad_validations >= cfg.patience && state.epochs_done < cfg.epochs {
            stopped_early = true;
        }
        bar.finish_and_clear();
        let best_valid = state.best_epoch.and_then(|e| {
            state
                .history
                .iter()
                .find(|h| h["epoch"] == e)
                .and_then(|h| serde_json::from_value(h["valid"].clone()).ok())
        });
        let field = |k: &str| {
            state
                .history
                .iter()
                .filter_map(|h| h[k].as_f64())
                .collect::<Vec<_>>()
        };
        Ok(FitOutput {
            last: model,
            model: best_model,
            best_epoch: state.best_epoch,
            best_valid,
            epoch_seconds: field("train_seconds"),
            eval_seconds: field("eval_seconds"),
            epochs: state.history,
            stopped_early,
        })
    }

    /// FINEST in one call: [`Trainer::fit`] on `split`, then [`Trainer::finetune`] with the
    /// simulated perturbations of `simulate`. Returns the normal and the stabilized model.
    pub fn fit_finest(
        &mut self,
        split: &Split,
        finest: &FinestConfig,
        simulate: &mut dyn FnMut(usize) -> anyhow::Result<Split>,
    ) -> anyhow::Result<(FitOutput, FinestOutput)> {
        let pre = self.fit(split)?;
        let out = self.finetune(&pre, split, finest, simulate)?;
        Ok((pre, out))
    }

    /// FINEST fine-tuning of a normally trained model `pre` (trained on `ref_split`, whose
    /// training positions get reference lists): `finest.epochs` epochs with a fresh Adam, epoch
    /// `e` on `simulate(e)` (the fine-tuning data under a fresh simulated perturbation), with the
    /// rank-preserving loss. The fine-tuning data may differ from `ref_split` (e.g. perturbed
    /// data): positions whose input row has no list carry only the cross-entropy.
    pub fn finetune(
        &mut self,
        pre: &FitOutput,
        ref_split: &Split,
        finest: &FinestConfig,
        simulate: &mut dyn FnMut(usize) -> anyhow::Result<Split>,
    ) -> anyhow::Result<FinestOutput> {
        let n_items = self.n_items.unwrap_or_else(|| ref_split.n_items());
        finest.validate(n_items)?;
        let _guard = rng_guard();
        let max_len = self.model_cfg.max_len;
        let t = Instant::now();
        let refs = reference_lists(
            &pre.model,
            ref_split,
            self.train_cfg,
            max_len,
            finest.k,
            &self.device,
        )?;
        let reference_seconds = t.elapsed().as_secs_f64();
        let ad = self.device.clone().autodiff();
        let mut model = pre.last.clone();
        let mut optim = optimizer(self.train_cfg);
        let reg = Regularizer {
            refs: &refs,
            cfg: finest,
        };
        let (mut finetune_seconds, mut simulate_seconds, mut finetune_loss) =
            (Vec::new(), Vec::new(), Vec::new());
        let first = self.train_cfg.epochs;
        for e in 0..finest.epochs {
            let t = Instant::now();
            let sim = simulate(e)?;
            simulate_seconds.push(t.elapsed().as_secs_f64());
            let samples = samples_for(&sim, self.train_cfg, max_len);
            let (m, loss) = self.train_epoch(
                model,
                &mut optim,
                &sim,
                &samples,
                first + e,
                n_items,
                &ad,
                Some(&reg),
            )?;
            model = m;
            finetune_loss.push(loss);
            finetune_seconds.push(t.elapsed().as_secs_f64());
        }
        Ok(FinestOutput {
            model: model.valid(),
            reference_positions: refs.len(),
            reference_seconds,
            finetune_seconds,
            simulate_seconds,
            finetune_loss,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn train_epoch(
        &self,
        mut model: Recommender,
        optim: &mut ModuleOptimizer,
        split: &Split,
        samples: &[Sample],
        epoch: usize,
        n_items: usize,
        ad: &Device,
        reg: Option<&Regularizer>,
    ) -> anyhow::Result<(Recommender, f64)> {
        let cfg = self.train_cfg;
        let lr = reg.map_or(cfg.lr, |r| r.cfg.lr);
        let max_len = self.model_cfg.max_len;
        let mut rng = ChaCha8Rng::seed_from_u64(epoch_seed(self.seed, epoch));
        let seed = rng.r#gen();
        ad.seed(seed);
        crate::encode::seed_masks(seed);
        let mut order = match cfg.mode {
            TrainMode::Jitter => epoch_samples(split, cfg, max_len, &mut rng),
            _ => samples.to_vec(),
        };
        order.shuffle(&mut rng);
        let n_items = n_items as i64;
        let span = model.time_span();
        let (mut total, mut count) = (0.0f64, 0usize);
        for range in batch_ranges(&order, max_len, cfg.batch_size, cfg.batch_targets) {
            let chunk = &order[range];
            let batch = collate_batch(&model, split, chunk, max_len);
            if batch.targets.is_empty() {
                continue;
            }
            let _graph = crate::autodiff::exclusive();
            let input = batch_input(&batch, span, ad);
            let hidden = loss_states(model.hidden(&input), &batch, ad);
            let aux = model.aux_loss(hidden.clone(), &batch.targets, ad);
            let states = model.query(hidden);
            let negs = (cfg.loss == LossKind::Bce)
                .then(|| sample_negatives(&batch.targets, n_items, &mut rng));
            let table = model.item_table();
            let loss = match (reg, &negs) {
                (Some(r), _) => {
                    finest_loss(states, table, &batch, r.refs, r.cfg, negs.as_deref(), ad)
                }
                (None, None) => cross_entropy(states, table, &batch.targets, ad),
                (None, Some(negs)) => sampled_bce(states, table, &batch.targets, negs, ad),
            };
            let loss = match aux {
                Some(aux) => loss + aux,
                None => loss,
            };
            let value: f64 = loss.clone().into_scalar::<f64>();
            anyhow::ensure!(
                value.is_finite(),
                "training loss became {value} at epoch {epoch}"
            );
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
            total += value * batch.targets.len() as f64;
            count += batch.targets.len();
        }
        Ok((model, total / count.max(1) as f64))
    }

    fn progress_bar(&self, epochs: usize, done: usize) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(epochs as u64).with_position(done as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} epoch {pos}/{len} [{elapsed_precise}] {wide_bar} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    }
}

/// One uniformly drawn negative per target, never equal to the target.
fn sample_negatives(targets: &[i64], n_items: i64, rng: &mut ChaCha8Rng) -> Vec<i64> {
    targets
        .iter()
        .map(|&t| {
            if n_items < 2 {
                return t;
            }
            loop {
                let c = rng.gen_range(0..n_items);
                if c != t {
                    return c;
                }
            }
        })
        .collect()
}

/// Median seconds of one full training step (forward, CE loss at every position, backward, Adam)
/// on synthetic ids (and one time unit per position), after one warm-up step. Used by
/// `trustrec bench backends`.
pub fn time_steps(
    cfg: &ModelConfig,
    n_items: usize,
    inputs: &[i64],
    targets: &[i64],
    batch: usize,
    steps: usize,
    device: &Device,
) -> anyhow::Result<f64> {
    let ad = device.clone().autodiff();
    let l = cfg.max_len;
    let mut model = init_model(cfg, n_items, None, 1, &ad)?;
    let mut optim = optimizer(&TrainConfig::default());
    let tb = crate::batch::TrainBatch {
        batch,
        max_len: l,
        inputs: inputs.to_vec(),
        loss_pos: (0..(batch * l) as i64).collect(),
        targets: targets.to_vec(),
        times: None,
        rows: Vec::new(),
    };
    let stamps: Vec<f64> = (0..batch * l).map(|i| (i % l) as f64).collect();
    let mut times = Vec::new();
    for step in 0..=steps {
        let t = Instant::now();
        let _graph = crate::autodiff::exclusive();
        let mut input = SeqInput::new(&tb.inputs, batch, l, &ad);
        if let Some(span) = model.time_span() {
            input = input.with_times(&tb.inputs, &stamps, span, &ad);
        }
        let states = loss_states(model.hidden(&input), &tb, &ad);
        let loss = cross_entropy(states, model.item_table(), &tb.targets, &ad);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-3, model, grads);
        let _ = model.item_table().slice([0..1, 0..1]).into_scalar::<f32>();
        if step > 0 {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    Ok(trustrec_eval::median(&mut times).unwrap_or(f64::NAN))
}

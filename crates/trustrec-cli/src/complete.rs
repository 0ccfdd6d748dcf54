//! `trustrec complete`: neural tensor completion with optional DAIN / baseline augmentation
//! over several seeds; writes DIR/results.json, DIR/report.md and DIR/predictions.tsv, or,
//! with `--scaling`, the cost of DAIN's importance + augmentation against tensor size.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, ensure};
use clap::Args;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use trustrec_data::{Format, LoadOptions};
use trustrec_models::checkpoint::write_bytes_atomic;
use trustrec_tensor::augment::{entity_weights, sample_cells};
use trustrec_tensor::logs::{CellValue, log_tensor, parse_bin};
use trustrec_tensor::split::split_cells;
use trustrec_tensor::{Augment, AugmentConfig, FitConfig, ModelKind, SparseTensor, fit::fit};

use crate::complete_report::{report_md, scaling_plot};
use crate::robust::write_json;

#[derive(Args)]
pub struct CompleteArgs {
    /// A `.npy` array, a coordinate file, or an interaction log (recbole / jodie).
    #[arg(long)]
    pub data: PathBuf,
    /// npy | coo | recbole | jodie (logs become user x item x time-bin tensors).
    #[arg(long, default_value = "npy")]
    pub format: String,
    /// npy: a same-shape array whose non-zero entries mark missing cells (NaN is missing too).
    #[arg(long)]
    pub mask: Option<PathBuf>,
    /// coo: declared mode sizes, e.g. 64,12,10 (indices must then be integers inside them).
    #[arg(long, value_delimiter = ',')]
    pub shape: Option<Vec<usize>>,
    /// Logs: time-bin width (day, week, month = 30 days, or seconds).
    #[arg(long, default_value = "month")]
    pub time_bin: String,
    /// Logs: cell value: count, log-count, or a numeric column of the file (e.g. rating).
    #[arg(long, default_value = "count")]
    pub value: String,
    /// costco | mlp | cp
    #[arg(long, default_value = "mlp")]
    pub model: String,
    /// Comma list of none | dain | random | frequency. `metrics.test` in results.json is the
    /// first one listed other than none (none when it is the only one).
    #[arg(long, default_value = "none", value_delimiter = ',')]
    pub augment: Vec<String>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Several seeds (overrides --seed); the report gives mean and std over them.
    #[arg(long, value_delimiter = ',')]
    pub seeds: Option<Vec<u64>>,
    /// New cells as a fraction of the training cells.
    #[arg(long, default_value_t = 0.5)]
    pub ratio: f64,
    /// DAIN entity importance: sum or mean of the cell importances.
    #[arg(long, default_value = "sum")]
    pub aggregate: String,
    /// DAIN cell importance from signed influence: abs (official), shift or positive.
    #[arg(long, default_value = "abs")]
    pub importance: String,
    /// Values of new cells: model (the first model's predictions, official) or mean (the
    /// training mean; an ablation of the value predictor).
    #[arg(long, default_value = "model")]
    pub values: String,
    /// Train and valid fractions of the observed cells (test is the rest).
    #[arg(long, value_delimiter = ',', default_value = "0.72,0.18")]
    pub split: Vec<f64>,
    /// Keep this fraction of the observed cells (seeded) before splitting.
    #[arg(long, default_value_t = 1.0)]
    pub subsample: f64,
    /// Embedding width per mode (CP: rank).
    #[arg(long, default_value_t = 16)]
    pub rank: usize,
    /// MLP hidden widths (official DAIN: 1024,1024,128).
    #[arg(long, value_delimiter = ',', default_value = "128,128,64")]
    pub layers: Vec<usize>,
    #[arg(long, default_value_t = 32)]
    pub channels: usize,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 1024)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 50)]
    pub max_epochs: usize,
    #[arg(long, default_value_t = 10)]
    pub patience: usize,
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    #[arg(long, default_value_t = 0.1)]
    pub ridge: f64,
    /// Instead of the comparison: time DAIN's importance + augmentation on these fractions of
    /// the observed cells (fixed --max-epochs, no early stop); writes scaling.json / .svg.
    #[arg(long, value_delimiter = ',')]
    pub scaling: Option<Vec<f64>>,
    /// flex | ndarray | cuda
    #[arg(long)]
    pub backend: Option<String>,
    #[arg(long)]
    pub out: PathBuf,
}

impl CompleteArgs {
    fn fit_config(&self) -> anyhow::Result<FitConfig> {
        let c = FitConfig {
            model: self.model.parse()?,
            rank: self.rank,
            layers: self.layers.clone(),
            channels: self.channels,
            lr: self.lr,
            batch_size: self.batch_size,
            max_epochs: self.max_epochs,
            patience: self.patience,
            weight_decay: self.weight_decay,
            ridge: self.ridge,
        };
        c.validate()?;
        Ok(c)
    }
}

/// The tensor and the SHA-256 of the bytes it came from (each file read once).
fn load_tensor(a: &CompleteArgs) -> anyhow::Result<(SparseTensor, String)> {
    let mut h = Sha256::new();
    let mut read = |p: &Path| -> anyhow::Result<Vec<u8>> {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        h.update(&bytes);
        Ok(bytes)
    };
    let npy = trustrec_tensor::npy::parse_npy_in;
    let tensor = match a.format.as_str() {
        "npy" => {
            let arr = npy(&a.data, &read(&a.data)?)?;
            let mask = match a.mask.as_deref() {
                Some(m) => Some(npy(m, &read(m)?)?),
                None => None,
            };
            trustrec_tensor::npy::dense_to_sparse(&arr, mask.as_ref())
                .with_context(|| format!("{}", a.data.display()))?
        }
        "coo" => {
            let bytes = read(&a.data)?;
            let text = std::str::from_utf8(&bytes)
                .with_context(|| format!("reading {}: not UTF-8 text", a.data.display()))?;
            trustrec_tensor::coords::parse_coords_in(&a.data, text, a.shape.as_deref())?
        }
        log => {
            let format: Format = log.parse().map_err(|e| {
                anyhow::anyhow!("unknown tensor format '{log}' (npy, coo, recbole, jodie): {e}")
            })?;
            let loaded = trustrec_data::load(&a.data, format, &LoadOptions::default())
                .with_context(|| format!("loading {}", a.data.display()))?;
            let value: CellValue = a.value.parse()?;
            let t = log_tensor(&loaded, parse_bin(&a.time_bin)?, &value)?;
            return Ok((t, loaded.source.hash));
        }
    };
    Ok((tensor, format!("{:x}", h.finalize())))
}

/// `fraction` of the cells, drawn with `seed` (all of them at 1).
fn subsample(t: &SparseTensor, fraction: f64, seed: u64) -> anyhow::Result<SparseTensor> {
    ensure!(
        fraction > 0.0 && fraction <= 1.0,
        "subsample fraction must be in (0, 1], got {fraction}"
    );
    if fraction >= 1.0 {
        return Ok(t.clone());
    }
    let mut order: Vec<usize> = (0..t.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ 0x5AB5_A3B1));
    order.truncate(((t.len() as f64) * fraction).round().max(1.0) as usize);
    order.sort_unstable();
    Ok(t.subset(&order))
}

fn errors(pred: &[f32], truth: &[f32]) -> Value {
    let n = truth.len().max(1) as f64;
    let (mut se, mut ae) = (0.0, 0.0);
    for (&p, &t) in pred.iter().zip(truth) {
        let d = (p - t) as f64;
        se += d * d;
        ae += d.abs();
    }
    json!({"rmse": (se / n).sqrt(), "mse": se / n, "mae": ae / n})
}

pub fn complete_cmd(a: CompleteArgs) -> anyhow::Result<()> {
    let cfg = a.fit_config()?;
    let device = trustrec_models::device(match &a.backend {
        Some(b) => b.parse()?,
        None => trustrec_models::DEFAULT_BACKEND,
    })?;
    ensure!(
        a.split.len() == 2,
        "--split takes two fractions: train,valid"
    );
    ensure!(a.ratio > 0.0 && a.ratio.is_finite(), "--ratio must be > 0");
    let acfg = AugmentConfig {
        aggregate: a.aggregate.parse()?,
        importance: a.importance.parse()?,
    };
    ensure!(
        matches!(a.values.as_str(), "model" | "mean"),
        "--values must be model or mean, got '{}'",
        a.values
    );
    let augments: Vec<Augment> = a
        .augment
        .iter()
        .map(|s| s.parse())
        .collect::<anyhow::Result<_>>()?;
    ensure!(!augments.is_empty(), "--augment names no augmentation");
    if cfg.model == ModelKind::Cp {
        ensure!(
            augments.iter().all(|&x| x == Augment::None),
            "augmentation needs a neural model (costco or mlp); cp supports --augment none"
        );
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let (full, hash) = load_tensor(&a)?;
    let seeds = a.seeds.clone().unwrap_or_else(|| vec![a.seed]);
    let header = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "data": {"path": a.data, "format": a.format, "mask": a.mask, "hash": hash,
                 "subsample": a.subsample, "time_bin": a.time_bin, "value": a.value,
                 "tensor": full.summary()},
        "config": {"fit": cfg, "augment": a.augment, "ratio": a.ratio, "dain": acfg, "values": a.values,
                   "split": a.split, "seeds": seeds, "backend": a.backend},
    });
    if let Some(fracs) = &a.scaling {
        return scaling(&a, &full, &cfg, &seeds, fracs, header, &device);
    }
    let tensor = subsample(&full, a.subsample, seeds[0])?;
    tracing::info!("tensor {:?}: {} observed cells", tensor.shape, tensor.len());
    let mut runs = Vec::new();
    for &seed in &seeds {
        let t0 = Instant::now();
        let sp = split_cells(tensor.len(), a.split[0], a.split[1], seed)?;
        let (train, valid, test) = (
            tensor.subset(&sp.train),
            tensor.subset(&sp.valid),
            tensor.subset(&sp.test),
        );
        let trace = augments.contains(&Augment::Dain);
        let base = fit(&train, &valid, &cfg, seed, trace, &device)?;
        let base_seconds = t0.elapsed().as_secs_f64();
        let n = tensor.order();
        let base_pred = base.predict(&test.idx, n, &device)?;
        let exclude = train.keys();
        for &how in &augments {
            let t1 = Instant::now();
            let (fitted, pred, n_aug, aug_seconds) = if how == Augment::None {
                (None, base_pred.clone(), 0, 0.0)
            } else {
                let w = entity_weights(how, &train, base.importance.as_deref(), acfg)?;
                let m = (train.len() as f64 * a.ratio).round() as usize;
                let idx = sample_cells(&train.shape, &w, m, &exclude, seed)?;
                let values = if a.values == "mean" {
                    vec![base.scale.mean as f32; idx.len() / n]
                } else {
                    base.predict(&idx, n, &device)?
                };
                let aug_seconds = t1.elapsed().as_secs_f64();
                let augmented = train.extended(&idx, &values);
                let f = fit(&augmented, &valid, &cfg, seed, false, &device)?;
                let p = f.predict(&test.idx, n, &device)?;
                (Some(f), p, values.len(), aug_seconds)
            };
            let f = fitted.as_ref().unwrap_or(&base);
            if seed == seeds[0] && how == main_augment(&augments) {
                write_predictions(&a.out.join("predictions.tsv"), &test, &pred)?;
            }
            let test_err = errors(&pred, &test.values);
            tracing::info!("seed {seed} {how}: test {test_err} ({n_aug} new cells)");
            runs.push(json!({
                "seed": seed, "augment": how.to_string(),
                "n_train": train.len(), "n_valid": valid.len(), "n_test": test.len(),
                "n_augmented": n_aug,
                "test": test_err,
                "best_valid_rmse": f.valid_rmse[f.best_epoch],
                "best_epoch": f.best_epoch, "epochs_run": f.epochs_run,
                "steps_per_epoch": f.steps_per_epoch,
                "steps_to_best": f.steps_per_epoch * (f.best_epoch + 1),
                "valid_rmse": f.valid_rmse, "train_loss": f.train_loss,
                "seconds": if how == Augment::None { base_seconds } else { t1.elapsed().as_secs_f64() },
                "influence_seconds": if how == Augment::Dain { base.influence_seconds } else { 0.0 },
                "augment_seconds": aug_seconds,
            }));
        }
        let results = assemble(&header, &runs, &augments);
        write_json(&a.out.join("results.json"), &results)?;
        write_bytes_atomic(&a.out.join("report.md"), report_md(&results).as_bytes())?;
    }
    println!("{}", a.out.join("results.json").display());
    Ok(())
}

/// The results document: runs, a mean/std summary per augmentation, and `metrics.test`.
fn assemble(header: &Value, runs: &[Value], augments: &[Augment]) -> Value {
    let mut summary = serde_json::Map::new();
    for how in augments {
        let name = how.to_string();
        let mine: Vec<&Value> = runs
            .iter()
            .filter(|r| r["augment"] == name.as_str())
            .collect();
        let mut block = serde_json::Map::new();
        for key in ["rmse", "mse", "mae"] {
            let v: Vec<f64> = mine
                .iter()
                .filter_map(|r| r["test"][key].as_f64())
                .collect();
            let (mean, std) = trustrec_eval::mean_std(&v);
            block.insert(key.into(), json!(mean));
            block.insert(format!("{key}_std"), json!(std));
        }
        block.insert("seeds".into(), json!(mine.len()));
        summary.insert(name, Value::Object(block));
    }
    let main = main_augment(augments).to_string();
    let mut out = header.clone();
    out["summary"] = Value::Object(summary.clone());
    out["metrics"] = json!({"augment": main, "test": summary[&main]});
    out["runs"] = json!(runs);
    out
}

/// The augmentation `metrics.test` reports: the first listed other than none.
fn main_augment(augments: &[Augment]) -> Augment {
    augments
        .iter()
        .copied()
        .find(|&x| x != Augment::None)
        .unwrap_or(augments[0])
}

/// Test cells with truth and prediction (labels when the source named its entities).
fn write_predictions(path: &Path, test: &SparseTensor, pred: &[f32]) -> anyhow::Result<()> {
    let mut s = String::new();
    let n = test.order();
    s.push_str(
        &(0..n)
            .map(|m| format!("mode{m}"))
            .collect::<Vec<_>>()
            .join("\t"),
    );
    s.push_str("\ttruth\tprediction\n");
    for (c, p) in pred.iter().enumerate() {
        for (m, &i) in test.cell(c).iter().enumerate() {
            match &test.labels {
                Some(l) => s.push_str(&l[m][i as usize]),
                None => s.push_str(&i.to_string()),
            }
            s.push('\t');
        }
        s.push_str(&format!("{}\t{p}\n", test.values[c]));
    }
    write_bytes_atomic(path, s.as_bytes())
}

/// Importance + augmentation time against the number of observed cells.
fn scaling(
    a: &CompleteArgs,
    full: &SparseTensor,
    cfg: &FitConfig,
    seeds: &[u64],
    fracs: &[f64],
    header: Value,
    device: &trustrec_models::Device,
) -> anyhow::Result<()> {
    let cfg = FitConfig {
        patience: cfg.max_epochs,
        ..cfg.clone()
    };
    let mut points = Vec::new();
    for &seed in seeds {
        for &f in fracs {
            let t = subsample(full, f, seed)?;
            let sp = split_cells(t.len(), a.split[0], a.split[1], seed)?;
            let (train, valid) = (t.subset(&sp.train), t.subset(&sp.valid));
            let t0 = Instant::now();
            let base = fit(&train, &valid, &cfg, seed, true, device)?;
            let train_seconds = t0.elapsed().as_secs_f64() - base.influence_seconds;
            let t1 = Instant::now();
            let acfg = AugmentConfig {
                aggregate: a.aggregate.parse()?,
                importance: a.importance.parse()?,
            };
            let w = entity_weights(Augment::Dain, &train, base.importance.as_deref(), acfg)?;
            let m = (train.len() as f64 * a.ratio).round() as usize;
            let idx = sample_cells(&train.shape, &w, m, &train.keys(), seed)?;
            let values = base.predict(&idx, t.order(), device)?;
            let aug = t1.elapsed().as_secs_f64();
            let total = base.influence_seconds + aug;
            tracing::info!(
                "scaling {f}: {} cells, importance {:.2}s, augmentation {aug:.2}s",
                t.len(),
                base.influence_seconds
            );
            points.push(
                json!({"seed": seed, "fraction": f, "cells": t.len(), "train_cells": train.len(),
                "epochs": base.epochs_run, "importance_seconds": base.influence_seconds,
                "augment_seconds": aug, "total_seconds": total, "train_seconds": train_seconds,
                "n_augmented": values.len()}),
            );
        }
    }
    let xs: Vec<f64> = points
        .iter()
        .map(|p| (p["cells"].as_f64().unwrap_or(1.0)).ln())
        .collect();
    let ys: Vec<f64> = points
        .iter()
        .map(|p| p["total_seconds"].as_f64().unwrap_or(1e-9).max(1e-9).ln())
        .collect();
    let slope = fit_slope(&xs, &ys);
    let mut out = header;
    out["scaling"] = json!({"points": points, "loglog_slope": slope,
        "doubling_factor": slope.map(|s| 2f64.powf(s))});
    write_json(&a.out.join("scaling.json"), &out)?;
    let svg = scaling_plot(&points, slope)?;
    write_bytes_atomic(&a.out.join("scaling.svg"), svg.as_bytes())?;
    println!(
        "log-log slope {slope:?} -> {}",
        a.out.join("scaling.json").display()
    );
    Ok(())
}

/// Least-squares slope of `ys` on `xs` (None with fewer than two distinct x).
pub fn fit_slope(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    (xs.len() >= 2 && sxx > 1e-12).then(|| sxy / sxx)
}

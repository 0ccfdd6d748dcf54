//! `train`, `evaluate` and `quickstart`: one experiment from files to results.json.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use trustrec_eval::{Metrics, TieRule};
use trustrec_models::candidates::{CandidateReport, evaluate_candidates};
use trustrec_models::checkpoint::{load_model, write_bytes_atomic};
use trustrec_models::score::{EvalOptions, embed_cases, evaluate_cases, evaluate_embedded};
use trustrec_models::{CheckpointOptions, Device, Recommender, Trainer};

use crate::config::RunConfig;
use crate::data::{Prepared, prepare};
use crate::results::{PopularitySlices, Results, popularity_slices, print_table, write_results};

/// Flags shared by `train` and `quickstart`; each overrides the config file.
#[derive(Args, Clone, Default)]
pub struct RunFlags {
    /// TOML config file (see README); flags override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// recbole|jodie|diginetica|yoochoose|s3rec|llmrank|csv
    #[arg(long)]
    pub format: Option<String>,
    /// For --format csv: user,item,time column names (or 0-based indices).
    #[arg(long, value_delimiter = ',', num_args = 3)]
    pub columns: Option<Vec<String>>,
    /// sasrec|tisasrec|gru4rec|lstm
    #[arg(long)]
    pub model: Option<String>,
    /// leave-one-out|user-ratio|global-time|session-date
    #[arg(long)]
    pub split: Option<String>,
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Cut batches by loss targets instead of samples (RecBole's batch semantics).
    #[arg(long)]
    pub batch_targets: Option<usize>,
    #[arg(long)]
    pub lr: Option<f64>,
    #[arg(long)]
    pub patience: Option<usize>,
    /// Overlap mode: targets per window (default max_len / 2).
    #[arg(long)]
    pub stride: Option<usize>,
    /// Train each sample as K copies, each with the loss on every K-th target (K x more users
    /// per batch, K x the encoder work).
    #[arg(long)]
    pub spread: Option<usize>,
    /// window|overlap|sequence|prefix|jitter
    #[arg(long)]
    pub mode: Option<String>,
    /// ce|bce
    #[arg(long)]
    pub loss: Option<String>,
    #[arg(long)]
    pub max_len: Option<usize>,
    #[arg(long)]
    pub dim: Option<usize>,
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Draw dropout masks with burn's per-element sampler (slower; the default before
    /// 2026-11-30 evening, so older results reproduce with it) instead of in bulk.
    #[arg(long, conflicts_with = "bulk_dropout")]
    pub burn_dropout: bool,
    /// Bulk dropout masks: the default now; accepted so older commands still run.
    #[arg(long, hide = true)]
    pub bulk_dropout: bool,
    /// Transformer position rows counted from-end (original SASRec) or from-start (RecBole).
    #[arg(long)]
    pub positions: Option<String>,
    /// optimistic|pessimistic|mean
    #[arg(long)]
    pub tie: Option<String>,
    /// Exclude already-seen items from rankings.
    #[arg(long)]
    pub mask_seen: bool,
    #[arg(long)]
    pub min_user: Option<usize>,
    #[arg(long)]
    pub min_item: Option<usize>,
    /// flex|ndarray|cuda
    #[arg(long)]
    pub backend: Option<String>,
    #[arg(long)]
    pub valid_metric: Option<String>,
    /// Item metadata file keyed by the data's item ids: RecBole / LLMRank `.item` or S3-Rec
    /// `item2attributes.json` (M2TRec and HierSRec need metadata).
    #[arg(long)]
    pub items: Option<PathBuf>,
    /// Comma-separated item fields the metadata models read (default: all).
    #[arg(long, value_delimiter = ',')]
    pub item_fields: Option<Vec<String>>,
    /// The item field categories come from (default: class / category(ies), else the first).
    #[arg(long)]
    pub category_field: Option<String>,
    /// Primary category of a multi-valued field: first|commonest|rarest
    #[arg(long)]
    pub category_rule: Option<String>,
    /// M2TRec / HierSRec session vector: mean (over real positions, the paper's) or last.
    #[arg(long)]
    pub session_pool: Option<String>,
    /// M2TRec / HierSRec: add each item's bucketed training count as an attribute field.
    #[arg(long)]
    pub popularity_field: bool,
    /// Weight of the next-category loss (M2TRec l1, HierSRec lambda).
    #[arg(long)]
    pub cat_weight: Option<f64>,
    /// M2TRec: weight of the next-sub-category loss (l2).
    #[arg(long)]
    pub sub_weight: Option<f64>,
    /// HierSRec: share of the catalogue ranked at inference (default 0.04).
    #[arg(long)]
    pub candidate_share: Option<f64>,
    /// HierSRec: share of the candidates given to the most popular items (default 0.25; 0 =
    /// top categories only).
    #[arg(long)]
    pub candidate_head: Option<f64>,
}

#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub flags: RunFlags,
    /// Output directory (results.json, epochs.jsonl, config.toml, best.bpk, last/).
    #[arg(long)]
    pub out: PathBuf,
    /// Continue from DIR/last if a checkpoint is there.
    #[arg(long)]
    pub resume: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args)]
pub struct EvaluateArgs {
    /// A directory written by `trustrec train`.
    #[arg(long)]
    pub run: PathBuf,
    /// valid|test
    #[arg(long, default_value = "test")]
    pub on: String,
    /// Tie rule for this evaluation (default: the run's): optimistic|pessimistic|mean. Models
    /// that give several items the same score (item-ID-free ones, whose items can share all
    /// their metadata) gain from the optimistic rule; the other two show by how much.
    #[arg(long)]
    pub tie: Option<TieRule>,
}

#[derive(Args)]
pub struct QuickstartArgs {
    #[command(flatten)]
    pub flags: RunFlags,
    #[arg(long, default_value = "runs/quickstart")]
    pub out: PathBuf,
}

/// Defaults, then the config file, then flags.
pub fn resolve(flags: &RunFlags) -> anyhow::Result<RunConfig> {
    let mut c = match &flags.config {
        Some(p) => RunConfig::load(p)?,
        None => RunConfig::default(),
    };
    if let Some(m) = &flags.model {
        let kind = m.parse()?;
        if kind != c.model.name {
            c.model = trustrec_models::ModelConfig::for_kind(kind);
        }
    }
    let f = flags;
    macro_rules! set {
        ($dst:expr, $src:expr) => {
            if let Some(v) = $src.clone() {
                $dst = v;
            }
        };
    }
    set!(c.data.path, f.data);
    set!(c.data.format, f.format);
    set!(c.data.split, f.split);
    set!(c.data.min_user, f.min_user);
    set!(c.data.min_item, f.min_item);
    set!(c.seed, f.seed);
    set!(c.train.epochs, f.epochs);
    set!(c.train.batch_size, f.batch_size);
    set!(c.train.batch_targets, f.batch_targets.map(Some));
    set!(c.train.stride, f.stride.map(Some));
    set!(c.train.spread, f.spread.map(Some));
    set!(c.train.lr, f.lr);
    set!(c.train.patience, f.patience);
    set!(c.train.valid_metric, f.valid_metric);
    set!(c.model.max_len, f.max_len);
    set!(c.model.dim, f.dim);
    set!(c.model.dropout, f.dropout);
    c.model.bulk_dropout = (c.model.bulk_dropout || f.bulk_dropout) && !f.burn_dropout;
    set!(c.model.item_fields, f.item_fields);
    set!(c.model.cat_weight, f.cat_weight);
    set!(c.model.sub_weight, f.sub_weight);
    set!(c.model.candidate_share, f.candidate_share);
    set!(c.model.candidate_head, f.candidate_head);
    if let Some(p) = &f.items {
        c.data.items = Some(p.clone());
    }
    if let Some(v) = &f.category_field {
        c.model.category_field = Some(v.clone());
    }
    if let Some(v) = &f.positions {
        c.model.positions = v.parse()?;
    }
    if let Some(v) = &f.category_rule {
        c.model.category_rule = v.parse()?;
    }
    if let Some(v) = &f.session_pool {
        c.model.session_pool = v.parse()?;
    }
    if let Some(cols) = &f.columns {
        c.data.columns = Some([cols[0].clone(), cols[1].clone(), cols[2].clone()]);
    }
    if let Some(v) = &f.mode {
        c.train.mode = v.parse()?;
    }
    if let Some(v) = &f.loss {
        c.train.loss = v.parse()?;
    }
    if let Some(v) = &f.tie {
        c.train.tie = v.parse().map_err(|e| anyhow::anyhow!("--tie: {e}"))?;
    }
    if let Some(v) = &f.backend {
        c.train.backend = v.parse()?;
    }
    c.train.mask_seen |= f.mask_seen;
    c.model.popularity_field |= f.popularity_field;
    c.model.validate()?;
    c.train.validate()?;
    Ok(c)
}

pub fn train(a: TrainArgs) -> anyhow::Result<()> {
    let cfg = resolve(&a.flags)?;
    let results = train_run(&cfg, &a.out, a.resume, !a.quiet)?;
    print_table(&results);
    println!("results: {}", a.out.join("results.json").display());
    Ok(())
}

pub fn quickstart(a: QuickstartArgs) -> anyhow::Result<()> {
    let mut flags = a.flags.clone();
    // Small enough for < 5 minutes on 2 cores, large enough to beat popularity clearly.
    flags.epochs = flags.epochs.or(Some(20));
    // The benchmark's setting, RecBole's batch of 256 targets per step: test NDCG@10 0.0573 vs
    // 0.0553 with the default 32 windows over eight ml-100k seeds (inside the seed noise), 0.0428
    // vs 0.0411 on beauty (docs/benchmarks.md, "seed by seed").
    if flags.config.is_none() && flags.batch_size.is_none() {
        flags.batch_targets = flags.batch_targets.or(Some(256));
    }
    let cfg = resolve(&flags)?;
    anyhow::ensure!(
        cfg.data.path.exists(),
        "{} not found: run quickstart from the repository root (the embedded ml-100k lives in data/ml-100k)",
        cfg.data.path.display()
    );
    let results = train_run(&cfg, &a.out, false, true)?;
    print_table(&results);
    println!("results: {}", a.out.join("results.json").display());
    Ok(())
}

/// The whole experiment: prepare data, fit, evaluate the best epoch on valid and test.
pub fn train_run(
    cfg: &RunConfig,
    out: &Path,
    resume: bool,
    progress: bool,
) -> anyhow::Result<Results> {
    let t0 = Instant::now();
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write_bytes_atomic(&out.join("config.toml"), cfg.to_toml()?.as_bytes())?;
    let prep = prepare(&cfg.data)?;
    tracing::info!(
        "{}: {} users, {} items, {} train sequences, {} valid / {} test cases",
        cfg.data.path.display(),
        prep.log.n_users(),
        prep.log.n_items(),
        prep.split.train_len.iter().filter(|&&n| n >= 2).count(),
        prep.split.valid.len(),
        prep.split.test.len()
    );
    let device = trustrec_models::device(cfg.train.backend)?;
    let features = prep.features(&cfg.model)?;
    let mut epochs_file = fs::File::create(out.join("epochs.jsonl"))?;
    let mut trainer = Trainer {
        model_cfg: &cfg.model,
        train_cfg: &cfg.train,
        seed: cfg.seed,
        n_items: features.as_ref().map(|f| f.n_items),
        features,
        device: device.clone(),
        checkpoint: CheckpointOptions {
            dir: Some(out.to_path_buf()),
            resume,
        },
        progress,
        on_epoch: Some(Box::new(move |line| {
            let _ = writeln!(epochs_file, "{line}");
            eprintln!("{line}");
        })),
    };
    let fit = trainer.fit(&prep.split)?;
    let opts = eval_options(cfg);
    let (valid, _) = evaluate_cases(&fit.model, &prep.split, &prep.split.valid, &opts, &device)?;
    let t_test = Instant::now();
    let test_cases = &prep.split.test;
    let emb = embed_cases(
        &fit.model,
        &prep.split,
        test_cases,
        opts.max_len,
        opts.chunk,
        &device,
    )?;
    let (test, ranks) = evaluate_embedded(&emb, &prep.split, test_cases, &opts)?;
    let test_eval_seconds = t_test.elapsed().as_secs_f64();
    let candidates = evaluate_candidates(&fit.model, &prep.split, test_cases, &emb, &opts)?;
    let mut results = Results::new(
        cfg,
        &prep,
        &fit,
        valid,
        test,
        test_eval_seconds,
        t0.elapsed().as_secs_f64(),
    );
    results.add_popularity_slices(&prep.split, &ranks, &cfg.train.ks);
    results.candidates = candidates;
    write_results(out, &results)?;
    Ok(results)
}

pub(crate) fn eval_options(cfg: &RunConfig) -> EvalOptions {
    EvalOptions {
        ks: cfg.train.ks.clone(),
        tie: cfg.train.tie,
        mask_seen: cfg.train.mask_seen,
        max_len: cfg.model.max_len,
        chunk: cfg.train.eval_batch,
    }
}

/// Loads the configuration, data and best checkpoint of a run directory.
pub fn load_run(dir: &Path) -> anyhow::Result<(RunConfig, Prepared, Recommender, Device)> {
    let cfg = RunConfig::load(&dir.join("config.toml"))?;
    let prep = prepare(&cfg.data)?;
    let device = trustrec_models::device(cfg.train.backend)?;
    let features = prep.features(&cfg.model)?;
    let n_items = features
        .as_ref()
        .map_or_else(|| prep.split.n_items(), |f| f.n_items);
    let fresh =
        trustrec_models::init_model(&cfg.model, n_items, features.as_ref(), cfg.seed, &device)?;
    let best = dir.join("best.bpk");
    anyhow::ensure!(
        best.exists(),
        "{} has no best.bpk: train it first",
        dir.display()
    );
    let model = load_model(fresh, &best)?;
    Ok((cfg, prep, model, device))
}

pub fn evaluate(a: EvaluateArgs) -> anyhow::Result<()> {
    let e = evaluate_run(&a.run, &a.on, a.tie)?;
    let mut out = serde_json::json!({
        "on": a.on,
        "tie": e.tie.as_str(),
        "metrics": e.metrics,
        "rare": e.slices.rare,
        "cold": e.slices.cold,
        "n_rare": e.slices.n_rare,
        "n_cold": e.slices.n_cold,
        "seconds": e.seconds,
    });
    if let Some(c) = e.candidates {
        out["candidates"] = serde_json::to_value(c)?;
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// A trained run's best checkpoint evaluated on one of its splits.
pub struct RunEvaluation {
    pub tie: TieRule,
    pub metrics: Metrics,
    /// Rare- and cold-target slices of `metrics`.
    pub slices: PopularitySlices,
    /// HierSRec: candidate vs full ranking.
    pub candidates: Option<CandidateReport>,
    /// Forward pass, scoring and ranking over all items.
    pub seconds: f64,
}

/// Evaluates the run in `dir` on `on` (valid|test) under `tie` (default: the run's own rule).
pub fn evaluate_run(dir: &Path, on: &str, tie: Option<TieRule>) -> anyhow::Result<RunEvaluation> {
    let (mut cfg, prep, model, device) = load_run(dir)?;
    if let Some(t) = tie {
        cfg.train.tie = t;
    }
    let cases = match on {
        "test" => &prep.split.test,
        "valid" => &prep.split.valid,
        o => anyhow::bail!("--on must be valid or test, got '{o}'"),
    };
    let t = Instant::now();
    let opts = eval_options(&cfg);
    let emb = embed_cases(
        &model,
        &prep.split,
        cases,
        opts.max_len,
        opts.chunk,
        &device,
    )?;
    let (metrics, ranks) = evaluate_embedded(&emb, &prep.split, cases, &opts)?;
    let seconds = t.elapsed().as_secs_f64();
    Ok(RunEvaluation {
        tie: opts.tie,
        metrics,
        slices: popularity_slices(&prep.split, cases, &ranks, &opts.ks),
        candidates: evaluate_candidates(&model, &prep.split, cases, &emb, &opts)?,
        seconds,
    })
}

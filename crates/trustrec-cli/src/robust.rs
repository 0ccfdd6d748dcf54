//! `trustrec perturb` and `trustrec audit`: the stability commands (contracts in the README).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde_json::json;
use trustrec_data::Loaded;
use trustrec_models::checkpoint::write_bytes_atomic;
use trustrec_models::{FinestConfig, LossKind, ModelConfig, ModelKind, TrainConfig, TrainMode};
use trustrec_robust::audit::{AuditConfig, run_audit, write_plots, write_report};
use trustrec_robust::{
    Budget, CasperOptions, ItemChoice, Kind, Method, PerturbSpec, ProtocolData, perturb,
    write::write_perturbed,
};

use crate::config::DataConfig;

/// Options shared by both commands: the data and the protocol.
#[derive(Args, Clone)]
pub struct ProtocolArgs {
    #[arg(long)]
    pub data: PathBuf,
    /// recbole|jodie|diginetica|yoochoose|s3rec|llmrank|csv
    #[arg(long, default_value = "jodie")]
    pub format: String,
    /// Drop users with fewer interactions first (0 = keep all, as the original CASPER code did).
    #[arg(long, default_value_t = 10)]
    pub min_user_interactions: usize,
    /// CASPER graph edges: user-item (user and item chains) or user (user chains only).
    #[arg(long, default_value = "user-item")]
    pub graph: String,
    /// CASPER graph variant: casper (every training row a node, last 49 links per chain) or
    /// finest (each user's last 50 training rows are nodes; chains not bridged).
    #[arg(long, default_value = "casper")]
    pub variant: String,
    /// Item put in by replacement / insertion: random | least-popular.
    #[arg(long, default_value = "random")]
    pub item: String,
    /// The model's input length (also CASPER's chain window).
    #[arg(long, default_value_t = 50)]
    pub max_len: usize,
}

/// FINEST options (used by `audit --stabilize` and `stabilize`).
#[derive(Args, Clone)]
pub struct FinestArgs {
    /// FINEST fine-tuning epochs (default: --epochs).
    #[arg(long)]
    pub finest_epochs: Option<usize>,
    /// FINEST reference-list length K (top-K kept in order and above ranks K+1..2K).
    #[arg(long, default_value_t = 100)]
    pub finest_k: usize,
    /// FINEST regularizer weight (default: 0.1 for TiSASRec, 1.0 for SASRec and RNNs).
    #[arg(long)]
    pub finest_lambda: Option<f64>,
    /// FINEST fine-tuning learning rate (default: 1e-3 attention, 1e-4 RNNs).
    #[arg(long)]
    pub finest_lr: Option<f64>,
    /// Share of training rows perturbed in each simulated FINEST epoch.
    #[arg(long, default_value_t = 0.01)]
    pub finest_fraction: f64,
}

impl FinestArgs {
    /// The FINEST configuration for `kind`, paper defaults unless overridden.
    fn config(&self, kind: ModelKind, epochs: usize) -> FinestConfig {
        let mut f = FinestConfig::for_kind(kind, self.finest_epochs.unwrap_or(epochs));
        f.k = self.finest_k;
        f.fraction = self.finest_fraction;
        f.lambda = self.finest_lambda.unwrap_or(f.lambda);
        f.lr = self.finest_lr.unwrap_or(f.lr);
        f
    }
}

#[derive(Args)]
pub struct PerturbArgs {
    #[command(flatten)]
    pub protocol: ProtocolArgs,
    /// random | casper
    #[arg(long)]
    pub method: String,
    /// deletion | replacement | insertion
    #[arg(long)]
    pub kind: String,
    /// A row count (e.g. 10) or a percentage of training rows (e.g. 0.1%).
    #[arg(long)]
    pub budget: String,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub protocol: ProtocolArgs,
    /// lstm | sasrec | tisasrec | gru4rec
    #[arg(long, default_value = "lstm")]
    pub model: String,
    /// Comma-separated: random,casper
    #[arg(long, default_value = "random,casper", value_delimiter = ',')]
    pub method: Vec<String>,
    /// Comma-separated: deletion,replacement,insertion
    #[arg(long, default_value = "deletion", value_delimiter = ',')]
    pub kind: Vec<String>,
    /// Comma-separated budgets: counts or percentages (e.g. 1,10,0.1%).
    #[arg(long, default_value = "1", value_delimiter = ',')]
    pub budget: Vec<String>,
    #[arg(long, default_value = "1,2,3", value_delimiter = ',')]
    pub seeds: Vec<u64>,
    /// Fixed number of training epochs (no early stopping: the papers' protocol).
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Training samples: sequence (one per user, the papers' victims), window, overlap, or prefix (one
    /// per prefix, RecBole's augmentation: removing a row then shifts every later sample's
    /// batch, so the batches of the two runs differ, as in code that batches prefixes).
    #[arg(long, default_value = "sequence")]
    pub mode: TrainMode,
    /// ce (full softmax) or bce (one sampled negative per target, the original SASRec's loss:
    /// the negatives come from one seeded stream per epoch, so when a perturbation changes the
    /// number of targets, every later draw of that epoch differs between the two runs).
    #[arg(long, default_value = "ce")]
    pub loss: LossKind,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 64)]
    pub dim: usize,
    #[arg(long)]
    pub dropout: Option<f64>,
    #[arg(long, default_value_t = 10)]
    pub jaccard_k: usize,
    /// Persistence of the true rank-biased overlap (reported beside AO).
    #[arg(long, default_value_t = 0.9)]
    pub rbo_p: f64,
    /// Depth of RBO (default: the full list).
    #[arg(long)]
    pub rbo_depth: Option<usize>,
    /// flex | ndarray | cuda
    #[arg(long)]
    pub backend: Option<String>,
    /// Also run every comparison with FINEST-stabilized models, side by side.
    #[arg(long)]
    pub stabilize: bool,
    #[command(flatten)]
    pub finest: FinestArgs,
    #[arg(long)]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

fn load_protocol(a: &ProtocolArgs) -> anyhow::Result<(Loaded, ProtocolData)> {
    let cfg = DataConfig {
        path: a.data.clone(),
        format: a.format.clone(),
        ..Default::default()
    };
    let loaded = crate::data::load(&cfg)?;
    let data = ProtocolData::new(&loaded.log, a.min_user_interactions, 0.1)
        .with_context(|| format!("preparing {}", a.data.display()))?;
    Ok((loaded, data))
}

fn casper_options(a: &ProtocolArgs) -> anyhow::Result<CasperOptions> {
    Ok(CasperOptions {
        variant: a.variant.parse()?,
        graph: a.graph.parse()?,
        window: a.max_len,
    })
}

fn source_json(loaded: &Loaded, a: &ProtocolArgs) -> serde_json::Value {
    json!({
        "path": a.data,
        "format": loaded.source.format.to_string(),
        "hash": loaded.source.hash,
        "rows": loaded.log.len(),
        "min_user_interactions": a.min_user_interactions,
        "test": "last floor(0.1 * n_u) interactions of each user",
    })
}

pub(crate) fn write_json(path: &Path, v: &serde_json::Value) -> anyhow::Result<()> {
    write_bytes_atomic(path, serde_json::to_string_pretty(v)?.as_bytes())
}

pub fn perturb_cmd(a: PerturbArgs) -> anyhow::Result<()> {
    let (loaded, data) = load_protocol(&a.protocol)?;
    let spec = PerturbSpec {
        method: a.method.parse()?,
        kind: a.kind.parse()?,
        budget: a.budget.parse()?,
        item: a.protocol.item.parse()?,
        casper: casper_options(&a.protocol)?,
        seed: a.seed,
    };
    let t = Instant::now();
    let p = perturb(&data, &spec)?;
    let seconds = t.elapsed().as_secs_f64();
    fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let input = loaded
        .source
        .files
        .first()
        .context("the loader reported no input file")?;
    let name = input.file_name().context("input file has no name")?;
    let out_log = a.out.join(name);
    write_perturbed(input, loaded.source.format, &p, &out_log)?;
    write_json(
        &a.out.join("perturbation.json"),
        &serde_json::to_value(&p.chosen)?,
    )?;
    let meta = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "seed": a.seed,
        "method": spec.method,
        "kind": spec.kind,
        "budget": spec.budget.to_string(),
        "item": spec.item,
        "casper": spec.casper,
        "data": source_json(&loaded, &a.protocol),
        "training_rows": data.n_train(),
        "perturbed_rows": p.chosen.len(),
        "graph": p.graph,
        "select_seconds": seconds,
        "perturbed_log": out_log,
    });
    write_json(&a.out.join("perturbation.meta.json"), &meta)?;
    eprintln!(
        "perturbed {} of {} training rows ({} {}) in {seconds:.3} s{}; wrote {} and {}",
        p.chosen.len(),
        data.n_train(),
        spec.method,
        spec.kind,
        p.graph.as_ref().map_or(String::new(), |g| format!(
            " (graph: {} nodes, {} edges, {} roots; scoring {:.3} s)",
            g.nodes, g.edges, g.roots, g.score_seconds
        )),
        out_log.display(),
        a.out.join("perturbation.json").display()
    );
    Ok(())
}

pub fn audit_cmd(a: AuditArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let (loaded, data) = load_protocol(&a.protocol)?;
    let kind = a.model.parse()?;
    let mut model = ModelConfig::for_kind(kind);
    model.dim = a.dim;
    model.max_len = a.protocol.max_len;
    if let Some(d) = a.dropout {
        model.dropout = d;
    }
    model.validate()?;
    let mut train = TrainConfig {
        epochs: a.epochs,
        batch_size: a.batch_size,
        lr: a.lr,
        mode: a.mode,
        loss: a.loss,
        ks: vec![10, 20],
        ..Default::default()
    };
    if let Some(b) = &a.backend {
        train.backend = b.parse()?;
    }
    train.validate()?;
    let cfg = AuditConfig {
        model,
        train,
        methods: a
            .method
            .iter()
            .map(|s| s.parse::<Method>())
            .collect::<anyhow::Result<_>>()?,
        kinds: a
            .kind
            .iter()
            .map(|s| s.parse::<Kind>())
            .collect::<anyhow::Result<_>>()?,
        budgets: a
            .budget
            .iter()
            .map(|s| s.parse::<Budget>())
            .collect::<anyhow::Result<_>>()?,
        seeds: a.seeds.clone(),
        item: a.protocol.item.parse::<ItemChoice>()?,
        casper: casper_options(&a.protocol)?,
        jaccard_k: a.jaccard_k,
        rbo_p: a.rbo_p,
        rbo_depth: a.rbo_depth,
        stabilize: a.stabilize.then(|| a.finest.config(kind, a.epochs)),
    };
    if let Some(f) = &cfg.stabilize {
        f.validate(data.n_items())?;
    }
    fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let device = trustrec_models::device(cfg.train.backend)?;
    tracing::info!(
        "{}: {} training rows, {} users, {} items; {} trainings",
        a.protocol.data.display(),
        data.n_train(),
        data.n_users(),
        data.n_items(),
        cfg.seeds.len() * (1 + cfg.methods.len() * cfg.kinds.len() * cfg.budgets.len())
    );
    let out = run_audit(&data, &cfg, &device, !a.quiet)?;
    let results = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "data": source_json(&loaded, &a.protocol),
        "seeds": cfg.seeds,
        "config": cfg,
        "runs": out.runs,
        "summary": out.summary,
        "n_test_cases": out.n_test_cases,
        "n_train": out.n_train,
        "timing": {
            "seconds_total": t0.elapsed().as_secs_f64(),
            "seconds_per_training": out.seconds_per_training,
        },
        "peak_rss_mb": crate::mem::peak_rss_mb(),
    });
    write_json(&a.out.join("results.json"), &results)?;
    let dataset = format!(
        "{} ({} format, sha256 {}…)",
        a.protocol.data.display(),
        loaded.source.format,
        &loaded.source.hash[..12]
    );
    write_report(&a.out, &dataset, &cfg, &out)?;
    write_plots(&a.out, &cfg, &out)?;
    print_summary(&cfg, &out);
    eprintln!(
        "wrote {}/results.json, report.md and plots in {:.0} s",
        a.out.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_summary(cfg: &AuditConfig, out: &trustrec_robust::audit::AuditOutput) {
    let jk = format!("jaccard@{}", cfg.jaccard_k);
    println!(
        "{:<7} {:<8} {:<12} {:>7} {:>17} {:>17} {:>15} {:>15}",
        "FINEST", "method", "kind", "budget", &jk, "AO", "MRR orig", "MRR pert"
    );
    for r in &out.summary {
        let g = |m: &std::collections::BTreeMap<String, trustrec_eval::MeanStd>, k: &str| {
            m.get(k)
                .map_or("-".to_string(), |v| format!("{:.4}±{:.4}", v.mean, v.std))
        };
        println!(
            "{:<7} {:<8} {:<12} {:>7} {:>17} {:>17} {:>15} {:>15}",
            if r.stabilized { "yes" } else { "no" },
            r.method.to_string(),
            r.kind.to_string(),
            r.budget,
            g(&r.rls, &jk),
            g(&r.rls, "ao"),
            g(&r.original, "mrr"),
            g(&r.perturbed, "mrr")
        );
    }
}

#[derive(Args)]
pub struct StabilizeArgs {
    #[command(flatten)]
    pub protocol: ProtocolArgs,
    /// lstm | sasrec | tisasrec | gru4rec
    #[arg(long, default_value = "lstm")]
    pub model: String,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Normal training epochs before fine-tuning.
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// ce or bce (as in `audit --loss`; FINEST fine-tunes with the same loss).
    #[arg(long, default_value = "ce")]
    pub loss: LossKind,
    #[arg(long, default_value_t = 64)]
    pub dim: usize,
    #[command(flatten)]
    pub finest: FinestArgs,
    #[arg(long)]
    pub out: PathBuf,
}

/// `trustrec stabilize`: normal training, then FINEST fine-tuning; writes the stabilized model
/// (`DIR/model.bpk`) and `DIR/results.json` (test accuracy before and after, timings).
pub fn stabilize_cmd(a: StabilizeArgs) -> anyhow::Result<()> {
    use trustrec_models::score::{EvalOptions, evaluate_cases};
    use trustrec_robust::simulate::simulated_split;
    let t0 = Instant::now();
    let (loaded, data) = load_protocol(&a.protocol)?;
    let kind = a.model.parse()?;
    let model_cfg = ModelConfig {
        dim: a.dim,
        max_len: a.protocol.max_len,
        ..ModelConfig::for_kind(kind)
    };
    model_cfg.validate()?;
    let train = TrainConfig {
        epochs: a.epochs,
        batch_size: a.batch_size,
        mode: TrainMode::Sequence,
        loss: a.loss,
        ..Default::default()
    };
    let finest = a.finest.config(kind, a.epochs);
    finest.validate(data.n_items())?;
    let split = data.split()?;
    let device = trustrec_models::device(train.backend)?;
    let mut trainer = trustrec_models::Trainer {
        model_cfg: &model_cfg,
        train_cfg: &train,
        seed: a.seed,
        n_items: Some(data.n_items()),
        features: None,
        device: device.clone(),
        checkpoint: Default::default(),
        progress: true,
        on_epoch: None,
    };
    let mut simulate =
        |e: usize| simulated_split(&data, &data.events, finest.fraction, a.seed, e).map(|(s, _)| s);
    let (pre, out) = trainer.fit_finest(&split, &finest, &mut simulate)?;
    fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    trustrec_models::checkpoint::save_model(&out.model, &a.out.join("model.bpk"))?;
    let opts = EvalOptions {
        ks: train.ks.clone(),
        tie: train.tie,
        mask_seen: false,
        max_len: model_cfg.max_len,
        chunk: train.eval_batch,
    };
    let (before, _) = evaluate_cases(&pre.model, &split, &split.test, &opts, &device)?;
    let (after, _) = evaluate_cases(&out.model, &split, &split.test, &opts, &device)?;
    let sim: f64 = out.simulate_seconds.iter().sum();
    let fine: f64 = out.finetune_seconds.iter().sum();
    let results = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "data": source_json(&loaded, &a.protocol),
        "seed": a.seed,
        "model": model_cfg,
        "train": train,
        "finest": finest,
        "metrics": {"test_before_finest": before, "test_after_finest": after},
        "reference_positions": out.reference_positions,
        "finetune_loss": out.finetune_loss,
        "timing": {
            "pretrain_epoch_seconds": pre.epoch_seconds,
            "reference_seconds": out.reference_seconds,
            "finetune_epoch_seconds": out.finetune_seconds,
            "simulate_seconds": out.simulate_seconds,
            "simulate_share_of_finetune": sim / fine.max(1e-12),
            "total_seconds": t0.elapsed().as_secs_f64(),
        },
        "peak_rss_mb": crate::mem::peak_rss_mb(),
    });
    write_json(&a.out.join("results.json"), &results)?;
    println!(
        "test MRR {:.4} -> {:.4}, Recall@10 {:.4} -> {:.4} (before -> after FINEST); simulated \
         perturbations took {:.2}% of fine-tuning time",
        before.get("mrr").copied().unwrap_or(f64::NAN),
        after.get("mrr").copied().unwrap_or(f64::NAN),
        before.get("recall@10").copied().unwrap_or(f64::NAN),
        after.get("recall@10").copied().unwrap_or(f64::NAN),
        100.0 * sim / fine.max(1e-12)
    );
    Ok(())
}

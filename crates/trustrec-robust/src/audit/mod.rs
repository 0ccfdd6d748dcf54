//! `trustrec audit`: for each seed, train a model on the original data and one per
//! perturbation (same seed, same initial weights, same batch order, so that the data is the only
//! difference), then compare the full ranked lists on the same test inputs (built from the
//! original data) and the accuracy of both.

mod report;
mod users;

use std::collections::BTreeMap;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use trustrec_data::Split;
use trustrec_eval::rls::{PairOptions, PairRls, compare_rankings};
use trustrec_eval::{EvalRequest, MeanStd, Metrics, evaluate_full};
use trustrec_models::score::{Embeddings, embed_cases};
use trustrec_models::{
    CheckpointOptions, Device, FinestConfig, FitOutput, ModelConfig, Recommender, TrainConfig,
    Trainer,
};

pub use report::{write_plots, write_report};
pub use users::DecileRow;

use crate::casper::CasperOptions;
use crate::perturb::{Budget, GraphStats, ItemChoice, Kind, Method, PerturbSpec, perturb};
use crate::protocol::{Event, ProtocolData};
use crate::simulate::simulated_split;

/// What to audit.
#[derive(Clone, Debug, Serialize)]
pub struct AuditConfig {
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub methods: Vec<Method>,
    pub kinds: Vec<Kind>,
    #[serde(serialize_with = "as_strings")]
    pub budgets: Vec<Budget>,
    pub seeds: Vec<u64>,
    pub item: ItemChoice,
    pub casper: CasperOptions,
    pub jaccard_k: usize,
    pub rbo_p: f64,
    /// RBO depth (`None` = full list).
    pub rbo_depth: Option<usize>,
    /// Also run every comparison with FINEST-stabilized models (same seeds), side by side.
    pub stabilize: Option<FinestConfig>,
}

fn as_strings<S: serde::Serializer>(b: &[Budget], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(b.iter().map(|b| b.to_string()))
}

/// Accuracy of the original and the perturbed model on the same test cases.
#[derive(Clone, Debug, Serialize)]
pub struct MetricPair {
    pub original: Metrics,
    pub perturbed: Metrics,
}

/// One (method, kind, budget, seed) comparison.
#[derive(Clone, Debug, Serialize)]
pub struct RunRecord {
    pub method: Method,
    pub kind: Kind,
    pub budget: String,
    /// Rows actually perturbed.
    pub n_perturbed: usize,
    pub seed: u64,
    /// Whether both models were stabilized by FINEST.
    pub stabilized: bool,
    /// Means over test instances: `ao`, `rbo`, `jaccard@K`.
    pub rls: BTreeMap<String, f64>,
    pub metrics: MetricPair,
    /// RLS by decile of the users' accuracy under the original model (0 = least accurate).
    pub by_user_decile: Vec<DecileRow>,
    /// Data rows perturbed (best first for CASPER).
    pub rows: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph: Option<GraphStats>,
    pub train_seconds: f64,
    /// FINEST only: share of fine-tuning time spent building the simulated perturbations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simulate_share: Option<f64>,
}

/// Mean and std over seeds of one (method, kind, budget).
#[derive(Clone, Debug, Serialize)]
pub struct SummaryRow {
    pub stabilized: bool,
    pub method: Method,
    pub kind: Kind,
    pub budget: String,
    pub n_perturbed: f64,
    pub rls: BTreeMap<String, MeanStd>,
    pub original: BTreeMap<String, MeanStd>,
    pub perturbed: BTreeMap<String, MeanStd>,
}

/// Everything an audit measured.
#[derive(Clone, Debug, Serialize)]
pub struct AuditOutput {
    pub runs: Vec<RunRecord>,
    pub summary: Vec<SummaryRow>,
    pub n_test_cases: usize,
    pub n_train: usize,
    /// The protocol's minimum interactions per user (0 = no filter).
    pub min_user: usize,
    pub seconds_total: f64,
    pub seconds_per_training: f64,
}

/// A trained model's test-time view: query states and item table on the original inputs.
struct Trained {
    emb: Embeddings,
    metrics: Metrics,
    ranks: Vec<f64>,
    seconds: f64,
    simulate_share: Option<f64>,
}

/// Runs the whole audit. `progress` shows one bar over all trainings.
pub fn run_audit(
    data: &ProtocolData,
    cfg: &AuditConfig,
    device: &Device,
    progress: bool,
) -> anyhow::Result<AuditOutput> {
    let t0 = Instant::now();
    anyhow::ensure!(!cfg.seeds.is_empty(), "no seeds given");
    anyhow::ensure!(
        !cfg.methods.is_empty() && !cfg.kinds.is_empty() && !cfg.budgets.is_empty(),
        "methods, kinds and budgets must each name at least one value"
    );
    let split = data.split()?;
    anyhow::ensure!(
        !split.test.is_empty(),
        "no test cases: no user has 10 or more interactions"
    );
    let per_seed = cfg.methods.len() * cfg.kinds.len() * cfg.budgets.len();
    let n_variants = 1 + usize::from(cfg.stabilize.is_some());
    let bar = progress_bar(
        progress,
        (n_variants * cfg.seeds.len() * (1 + per_seed)) as u64,
    );
    let pair_opts = PairOptions {
        jaccard_k: cfg.jaccard_k,
        rbo_p: cfg.rbo_p,
        rbo_depth: cfg.rbo_depth,
    };
    let mut runs = Vec::new();
    let mut train_seconds = Vec::new();
    for &seed in &cfg.seeds {
        bar.set_message(format!("seed {seed}: original"));
        let (pre, original) = train_plain(data, &split, &split, cfg, seed, device)?;
        train_seconds.push(original.seconds);
        bar.inc(1);
        let stable_original = match &cfg.stabilize {
            Some(f) => {
                bar.set_message(format!("seed {seed}: original + FINEST"));
                let t = train_finest(data, &pre, &data.events, &split, cfg, f, seed, device)?;
                bar.inc(1);
                Some(t)
            }
            None => None,
        };
        for &method in &cfg.methods {
            for &kind in &cfg.kinds {
                for &budget in &cfg.budgets {
                    bar.set_message(format!("seed {seed}: {method} {kind} {budget}"));
                    let spec = PerturbSpec {
                        method,
                        kind,
                        budget,
                        item: cfg.item,
                        casper: cfg.casper,
                        seed,
                    };
                    let p = perturb(data, &spec)?;
                    let psplit = data.split_of(&p.events)?;
                    let (_, perturbed) = train_plain(data, &psplit, &split, cfg, seed, device)?;
                    train_seconds.push(perturbed.seconds);
                    bar.inc(1);
                    let mut pairs = vec![(false, &original, perturbed)];
                    if let (Some(f), Some(a)) = (&cfg.stabilize, &stable_original) {
                        let b = train_finest(data, &pre, &p.events, &split, cfg, f, seed, device)?;
                        bar.inc(1);
                        pairs.push((true, a, b));
                    }
                    for (stabilized, a, b) in pairs {
                        let rls = compare(a, &b, &pair_opts)?;
                        runs.push(RunRecord {
                            method,
                            kind,
                            budget: budget.to_string(),
                            n_perturbed: p.chosen.len(),
                            seed,
                            stabilized,
                            rls: rls_means(&rls, cfg.jaccard_k),
                            metrics: MetricPair {
                                original: a.metrics.clone(),
                                perturbed: b.metrics.clone(),
                            },
                            by_user_decile: users::by_decile(&split, &a.ranks, &rls),
                            rows: p.chosen.iter().map(|c| c.row).collect(),
                            graph: p.graph.clone(),
                            train_seconds: b.seconds,
                            simulate_share: b.simulate_share,
                        });
                    }
                }
            }
        }
    }
    bar.finish_and_clear();
    let summary = summarize(&runs);
    Ok(AuditOutput {
        summary,
        n_test_cases: split.test.len(),
        n_train: data.n_train(),
        min_user: data.min_user,
        seconds_total: t0.elapsed().as_secs_f64(),
        seconds_per_training: train_seconds.iter().sum::<f64>() / train_seconds.len() as f64,
        runs,
    })
}

fn progress_bar(on: bool, len: u64) -> ProgressBar {
    if !on {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("training {pos}/{len} [{elapsed_precise}] {wide_bar} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// The trainer every audit run uses: same seed, same item space, fixed epochs.
fn trainer<'a>(
    data: &ProtocolData,
    cfg: &'a AuditConfig,
    seed: u64,
    device: &Device,
) -> Trainer<'a> {
    Trainer {
        model_cfg: &cfg.model,
        train_cfg: &cfg.train,
        seed,
        n_items: Some(data.n_items()),
        features: None,
        device: device.clone(),
        checkpoint: CheckpointOptions::default(),
        progress: false,
        on_epoch: None,
    }
}

/// Normal training on `train`; returns the fit (FINEST continues from it) and its test view.
fn train_plain(
    data: &ProtocolData,
    train: &Split,
    eval: &Split,
    cfg: &AuditConfig,
    seed: u64,
    device: &Device,
) -> anyhow::Result<(FitOutput, Trained)> {
    let t = Instant::now();
    let fit = trainer(data, cfg, seed, device).fit(train)?;
    let seconds = t.elapsed().as_secs_f64();
    let trained = embed(&fit.model, eval, cfg, device, seconds, None)?;
    Ok((fit, trained))
}

/// FINEST fine-tuning of the model pre-trained on the original data, on `events` (the original
/// or the perturbed training data) under fresh simulated perturbations.
#[allow(clippy::too_many_arguments)]
fn train_finest(
    data: &ProtocolData,
    pre: &FitOutput,
    events: &[Event],
    eval: &Split,
    cfg: &AuditConfig,
    finest: &FinestConfig,
    seed: u64,
    device: &Device,
) -> anyhow::Result<Trained> {
    let t = Instant::now();
    let mut simulate =
        |e: usize| simulated_split(data, events, finest.fraction, seed, e).map(|(split, _)| split);
    let out = trainer(data, cfg, seed, device).finetune(pre, eval, finest, &mut simulate)?;
    let share = out.simulate_seconds.iter().sum::<f64>()
        / out.finetune_seconds.iter().sum::<f64>().max(1e-12);
    embed(
        &out.model,
        eval,
        cfg,
        device,
        t.elapsed().as_secs_f64(),
        Some(share),
    )
}

/// Query states on the original test inputs, plus accuracy and per-case ranks.
fn embed(
    model: &Recommender,
    eval: &Split,
    cfg: &AuditConfig,
    device: &Device,
    seconds: f64,
    simulate_share: Option<f64>,
) -> anyhow::Result<Trained> {
    let emb = embed_cases(
        model,
        eval,
        &eval.test,
        cfg.model.max_len,
        cfg.train.eval_batch,
        device,
    )?;
    let targets = trustrec_models::batch::case_targets(eval, &eval.test);
    let (metrics, ranks) = evaluate_full(&EvalRequest {
        queries: emb.query_mat(),
        items: emb.item_mat(),
        bias: None,
        targets: &targets,
        excluded: None,
        tie: cfg.train.tie,
        ks: &cfg.train.ks,
    })
    .map_err(|e| anyhow::anyhow!("evaluation failed: {e}"))?;
    Ok(Trained {
        emb,
        metrics,
        ranks,
        seconds,
        simulate_share,
    })
}

fn compare(a: &Trained, b: &Trained, opts: &PairOptions) -> anyhow::Result<Vec<PairRls>> {
    compare_rankings(
        a.emb.query_mat(),
        a.emb.item_mat(),
        b.emb.query_mat(),
        b.emb.item_mat(),
        opts,
    )
    .map_err(|e| anyhow::anyhow!("rank-list comparison failed: {e}"))
}

/// Means over test instances, keyed as in results.json.
pub fn rls_means(pairs: &[PairRls], k: usize) -> BTreeMap<String, f64> {
    let n = pairs.len().max(1) as f64;
    let mean = |f: fn(&PairRls) -> f64| pairs.iter().map(f).sum::<f64>() / n;
    BTreeMap::from([
        ("ao".to_string(), mean(|p| p.ao)),
        ("rbo".to_string(), mean(|p| p.rbo)),
        (format!("jaccard@{k}"), mean(|p| p.jaccard)),
    ])
}

fn summarize(runs: &[RunRecord]) -> Vec<SummaryRow> {
    type Key = (bool, Method, Kind, String);
    let mut groups: Vec<(Key, Vec<&RunRecord>)> = Vec::new();
    for r in runs {
        let key = (r.stabilized, r.method, r.kind, r.budget.clone());
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push(r),
            None => groups.push((key, vec![r])),
        }
    }
    let agg = |maps: Vec<&BTreeMap<String, f64>>| {
        let mut keys: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for m in maps {
            for (k, &v) in m {
                keys.entry(k.clone()).or_default().push(v);
            }
        }
        keys.into_iter()
            .map(|(k, v)| (k, MeanStd::from_values(&v)))
            .collect()
    };
    groups
        .into_iter()
        .map(|((stabilized, method, kind, budget), rs)| SummaryRow {
            stabilized,
            method,
            kind,
            budget,
            n_perturbed: rs.iter().map(|r| r.n_perturbed as f64).sum::<f64>() / rs.len() as f64,
            rls: agg(rs.iter().map(|r| &r.rls).collect()),
            original: agg(rs.iter().map(|r| &r.metrics.original).collect()),
            perturbed: agg(rs.iter().map(|r| &r.metrics.perturbed).collect()),
        })
        .collect()
}

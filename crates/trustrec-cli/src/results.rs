//! results.json: what a run did, on which data, with which config, and how fast.

use std::path::Path;

use serde::Serialize;
use trustrec_data::{Case, Split};
use trustrec_eval::{MetricAccumulator, Metrics};
use trustrec_models::FitOutput;
use trustrec_models::batch::case_targets;
use trustrec_models::candidates::CandidateReport;
use trustrec_models::checkpoint::write_bytes_atomic;

use crate::config::RunConfig;
use crate::data::Prepared;
use crate::mem::peak_rss_mb;

#[derive(Serialize)]
pub struct Timing {
    pub epoch_seconds: Vec<f64>,
    /// Seconds per full validation pass, per epoch.
    pub eval_seconds: Vec<f64>,
    pub test_eval_seconds: f64,
    pub seconds_to_best_epoch: Option<f64>,
    pub total_seconds: f64,
}

#[derive(Serialize)]
pub struct MetricsBlock {
    pub valid: Metrics,
    pub test: Metrics,
    /// Test cases whose target occurs fewer than [`RARE_BELOW`] times in training (cold
    /// included), and those whose target never does; absent when there are none.
    pub test_rare: Option<Metrics>,
    pub test_cold: Option<Metrics>,
    pub n_test_rare: usize,
    pub n_test_cold: usize,
}

/// Training occurrences below which a target item counts as rare.
pub const RARE_BELOW: u32 = 5;

#[derive(Serialize)]
pub struct Results {
    pub version: String,
    pub dataset: String,
    pub format: String,
    pub data_hash: String,
    pub split: String,
    pub model: String,
    pub seed: u64,
    pub config: RunConfig,
    pub n_users: usize,
    pub n_items: usize,
    pub n_interactions: usize,
    pub best_epoch: Option<usize>,
    pub epochs_run: usize,
    pub stopped_early: bool,
    pub metrics: MetricsBlock,
    pub timing: Timing,
    pub peak_rss_mb: Option<f64>,
    /// HierSRec: candidate ranking vs full ranking on the test cases.
    pub candidates: Option<CandidateReport>,
}

impl Results {
    pub fn new(
        cfg: &RunConfig,
        prep: &Prepared,
        fit: &FitOutput,
        valid: Metrics,
        test: Metrics,
        test_eval_seconds: f64,
        total_seconds: f64,
    ) -> Self {
        let to_best = fit.best_epoch.map(|b| {
            let train: f64 = fit.epoch_seconds.iter().take(b + 1).sum();
            let eval: f64 = fit.eval_seconds.iter().take(b + 1).sum();
            train + eval
        });
        Self {
            version: env!("CARGO_PKG_VERSION").to_string(),
            dataset: cfg.data.path.display().to_string(),
            format: cfg.data.format.clone(),
            data_hash: prep.loaded.source.hash.clone(),
            split: cfg.data.split.clone(),
            model: cfg.model.name.to_string(),
            seed: cfg.seed,
            config: cfg.clone(),
            n_users: prep.log.n_users(),
            n_items: prep.log.n_items(),
            n_interactions: prep.log.len(),
            best_epoch: fit.best_epoch,
            epochs_run: fit.epoch_seconds.len(),
            stopped_early: fit.stopped_early,
            metrics: MetricsBlock {
                valid,
                test,
                test_rare: None,
                test_cold: None,
                n_test_rare: 0,
                n_test_cold: 0,
            },
            timing: Timing {
                epoch_seconds: fit.epoch_seconds.clone(),
                eval_seconds: fit.eval_seconds.clone(),
                test_eval_seconds,
                seconds_to_best_epoch: to_best,
                total_seconds,
            },
            peak_rss_mb: peak_rss_mb(),
            candidates: None,
        }
    }

    /// Adds test metrics restricted to rare and to cold targets, from the per-case test ranks.
    pub fn add_popularity_slices(&mut self, split: &Split, ranks: &[f64], ks: &[usize]) {
        let s = popularity_slices(split, &split.test, ranks, ks);
        let m = &mut self.metrics;
        (m.n_test_rare, m.n_test_cold) = (s.n_rare, s.n_cold);
        (m.test_rare, m.test_cold) = (s.rare, s.cold);
    }
}

/// Metrics of the cases whose target is rare in training (fewer than [`RARE_BELOW`]
/// occurrences, cold included) and of those whose target is cold (none).
#[derive(Serialize)]
pub struct PopularitySlices {
    pub rare: Option<Metrics>,
    pub cold: Option<Metrics>,
    pub n_rare: usize,
    pub n_cold: usize,
}

/// Splits per-case ranks (in `cases` order) by the training count of each case's target.
pub fn popularity_slices(
    split: &Split,
    cases: &[Case],
    ranks: &[f64],
    ks: &[usize],
) -> PopularitySlices {
    let counts = split.train_item_counts();
    let targets = case_targets(split, cases);
    let (mut rare, mut cold) = (MetricAccumulator::new(ks), MetricAccumulator::new(ks));
    for (&t, &r) in targets.iter().zip(ranks) {
        let c = counts.get(t as usize).copied().unwrap_or(0);
        if c < RARE_BELOW {
            rare.add_rank(r);
        }
        if c == 0 {
            cold.add_rank(r);
        }
    }
    let (n_rare, n_cold) = (rare.count(), cold.count());
    PopularitySlices {
        rare: (n_rare > 0).then(|| rare.finish()),
        cold: (n_cold > 0).then(|| cold.finish()),
        n_rare,
        n_cold,
    }
}

pub fn write_results(dir: &Path, r: &Results) -> anyhow::Result<()> {
    write_bytes_atomic(&dir.join("results.json"), &serde_json::to_vec_pretty(r)?)
}

/// A small human table of the headline numbers.
pub fn print_table(r: &Results) {
    let keys = ["ndcg@10", "recall@10", "mrr@10", "hit@20", "ndcg@20"];
    let best = r
        .best_epoch
        .map_or_else(|| "none".to_string(), |b| b.to_string());
    println!(
        "\n{} on {} ({} split, seed {}), best epoch {best} (from 0)",
        r.model, r.dataset, r.split, r.seed
    );
    println!("| split | {} |", keys.join(" | "));
    println!("|---|{}", "---|".repeat(keys.len()));
    let mut rows = vec![("valid", &r.metrics.valid), ("test", &r.metrics.test)];
    if let Some(m) = &r.metrics.test_rare {
        rows.push(("test, rare targets", m));
    }
    if let Some(m) = &r.metrics.test_cold {
        rows.push(("test, cold targets", m));
    }
    if let Some(c) = &r.candidates {
        rows.push(("test, candidates only", &c.candidates));
    }
    for (name, m) in rows {
        let cells: Vec<String> = keys
            .iter()
            .map(|k| m.get(*k).map_or("-".into(), |v| format!("{v:.4}")))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    println!(
        "{:.2} s/epoch, {:.3} s per full evaluation, {:.1} s total, peak RSS {:.0} MB",
        mean(&r.timing.epoch_seconds),
        mean(&r.timing.eval_seconds),
        r.timing.total_seconds,
        r.peak_rss_mb.unwrap_or(f64::NAN)
    );
    if let Some(c) = &r.candidates {
        println!(
            "candidates: {} items ({:.1}% of the catalogue), target covered in {:.1}% of cases, \
             scoring {:.1}x faster than the full catalogue",
            c.n_candidates,
            100.0 * c.share,
            100.0 * c.target_coverage,
            c.speedup
        );
    }
}

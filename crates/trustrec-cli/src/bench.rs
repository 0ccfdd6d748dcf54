//! Micro-benchmarks, each reported as a ratio to a reference measured in the same process:
//! `bench backends`, one SASRec training step (batch 128 x 50, d 64, 3.5k items) on each CPU
//! backend; `bench eval`, a trained run's full test evaluation with the model's forward pass on
//! burn and on the default path (plain Rust for SASRec), passes interleaved.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use rand::{Rng, SeedableRng};
use trustrec_eval::median;
use trustrec_models::batch::{collate_eval, collate_eval_times};
use trustrec_models::checkpoint::write_bytes_atomic;
use trustrec_models::ops::to_vec;
use trustrec_models::score::{Embeddings, burn_query_states, evaluate_embedded, query_states};
use trustrec_models::{BackendKind, ModelConfig};

#[derive(Args)]
pub struct BenchArgs {
    /// What to benchmark: backends or eval.
    #[arg(default_value = "backends")]
    pub what: String,
    /// `eval`: the trained run (a `trustrec train` output directory) to evaluate.
    #[arg(long)]
    pub run: Option<PathBuf>,
    /// `eval`: timed passes of each path (medians are reported).
    #[arg(long, default_value_t = 5)]
    pub passes: usize,
    /// `eval`: also write the timings as JSON to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, default_value_t = 5)]
    pub steps: usize,
    #[arg(long, default_value_t = 3500)]
    pub items: usize,
    #[arg(long, default_value_t = 128)]
    pub batch: usize,
    #[arg(long, value_delimiter = ',', default_value = "ndarray,flex")]
    pub backends: Vec<String>,
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    match a.what.as_str() {
        "backends" => backends(a),
        "eval" => eval(a),
        o => anyhow::bail!("unknown benchmark '{o}' (expected backends or eval)"),
    }
}

fn backends(a: BenchArgs) -> anyhow::Result<()> {
    let cfg = ModelConfig::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let inputs: Vec<i64> = (0..a.batch * cfg.max_len)
        .map(|_| rng.gen_range(1..=a.items as i64))
        .collect();
    let targets: Vec<i64> = (0..a.batch * cfg.max_len)
        .map(|_| rng.gen_range(0..a.items as i64))
        .collect();
    let mut reference = None;
    println!(
        "| backend | s/step (median of {}) | ratio to {} |",
        a.steps, a.backends[0]
    );
    println!("|---|---|---|");
    for name in &a.backends {
        let kind: BackendKind = name.parse()?;
        let device = trustrec_models::device(kind)?;
        let secs = trustrec_models::train::time_steps(
            &cfg, a.items, &inputs, &targets, a.batch, a.steps, &device,
        )?;
        let r = *reference.get_or_insert(secs);
        println!("| {kind} | {secs:.3} | {:.2} |", secs / r);
    }
    Ok(())
}

/// Times the test evaluation of `--run` through burn's forward pass and through the default one,
/// and checks that both give the same metrics.
fn eval(a: BenchArgs) -> anyhow::Result<()> {
    let dir = a
        .run
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("bench eval needs --run DIR (a trustrec train output)"))?;
    anyhow::ensure!(a.passes > 0, "--passes must be > 0");
    let (cfg, prep, model, device) = crate::run::load_run(dir)?;
    let opts = crate::run::eval_options(&cfg);
    let (split, cases, l) = (&prep.split, &prep.split.test, opts.max_len);
    let inputs = collate_eval(split, cases, l);
    let times = model
        .time_span()
        .map(|_| collate_eval_times(split, cases, l));
    let table = model.item_table();
    let [n_items, dim] = table.dims();
    let items = to_vec(table)?;
    // [burn forward, default forward, scoring + ranking] per pass.
    let mut secs = [Vec::new(), Vec::new(), Vec::new()];
    let mut metrics = Vec::new();
    for _ in 0..a.passes {
        for (slot, burn) in [(0, true), (1, false)] {
            let t = Instant::now();
            let (queries, category_logits) = if burn {
                burn_query_states(&model, &inputs, times.as_deref(), l, opts.chunk, &device)?
            } else {
                query_states(&model, &inputs, times.as_deref(), l, opts.chunk, &device)?
            };
            secs[slot].push(t.elapsed().as_secs_f64());
            let emb = Embeddings {
                queries,
                items: items.clone(),
                dim,
                category_logits,
            };
            let t = Instant::now();
            let (m, _) = evaluate_embedded(&emb, split, cases, &opts)?;
            secs[2].push(t.elapsed().as_secs_f64());
            metrics.push(m);
        }
    }
    let gap = metrics[0]
        .iter()
        .map(|(k, v)| (v - metrics[1][k]).abs())
        .fold(0.0, f64::max);
    let [burn, fast, score] = secs.clone().map(|mut v| median(&mut v).unwrap_or(f64::NAN));
    println!(
        "{} test cases, {} items, model {}; medians of {} interleaved passes",
        cases.len(),
        n_items,
        cfg.model.name,
        a.passes
    );
    println!("| forward | forward s | scoring + ranking s | evaluation s | ratio to burn |");
    println!("|---|---:|---:|---:|---:|");
    for (name, f) in [("burn", burn), ("default", fast)] {
        println!(
            "| {name} | {f:.4} | {score:.4} | {:.4} | {:.3} |",
            f + score,
            (f + score) / (burn + score)
        );
    }
    println!("largest metric difference between the two paths: {gap:.2e}");
    if let Some(path) = &a.out {
        let json = serde_json::json!({
            "run": dir,
            "model": cfg.model.name,
            "test_cases": cases.len(),
            "items": n_items,
            "threads": rayon::current_num_threads(),
            "passes": a.passes,
            "median_seconds": {
                "burn_forward": burn,
                "default_forward": fast,
                "scoring_ranking": score,
                "evaluation_burn": burn + score,
                "evaluation_default": fast + score,
            },
            "all_seconds": {"burn_forward": secs[0], "default_forward": secs[1],
                            "scoring_ranking": secs[2]},
            "max_metric_difference": gap,
            "metrics": metrics[1],
        });
        write_bytes_atomic(path, serde_json::to_string_pretty(&json)?.as_bytes())?;
    }
    Ok(())
}

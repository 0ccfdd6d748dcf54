//! `trustrec experiment session-models`: every session model on every dataset it applies to,
//! several seeds, one Markdown table (mean ± std) and one plot. Each run is an ordinary `train`
//! run directory, so a finished run is reused when the experiment is restarted.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use plotters::prelude::*;
use serde_json::{Value, json};
use trustrec_eval::{MeanStd, TieRule};
use trustrec_models::checkpoint::write_bytes_atomic;
use trustrec_models::{ModelConfig, ModelKind, SessionPool};

use crate::config::{DataConfig, RunConfig};
use crate::run::{evaluate_run, train_run};

#[derive(Subcommand)]
pub enum ExperimentCommand {
    /// SASRec, GRU4Rec, M2TRec and HierSRec on session and metadata datasets.
    SessionModels(SessionModelsArgs),
}

#[derive(Args)]
pub struct SessionModelsArgs {
    /// Comma-separated presets: ml-100k, amazon-beauty, diginetica, yoochoose.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ml-100k,amazon-beauty,diginetica,yoochoose"
    )]
    pub datasets: Vec<String>,
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "sasrec,gru4rec,m2trec,hiersrec"
    )]
    pub models: Vec<String>,
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub seeds: Vec<u64>,
    /// Most epochs per run (early stopping on validation NDCG@10 with `--patience`).
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    #[arg(long, default_value_t = 3)]
    pub patience: usize,
    /// Windows per step (32: on amazon-beauty a step of 128 windows took ~11x one of 32).
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Tie rule of the test metrics: optimistic (the spec's and the papers' rank = 1 + #higher)
    /// favours models that give items equal scores (item-ID-free ones, whose items can share
    /// all their metadata); mean is the expected rank under a random tie break. Finished runs
    /// evaluated under another rule are re-evaluated, not retrained.
    #[arg(long, default_value = "optimistic")]
    pub tie: TieRule,
    /// M2TRec / HierSRec session vector: mean (the paper's) or last.
    #[arg(long)]
    pub session_pool: Option<SessionPool>,
    /// M2TRec / HierSRec: add each item's bucketed training count as an attribute field.
    #[arg(long)]
    pub popularity_field: bool,
    /// Folder holding the shared datasets.
    #[arg(long, default_value = "../shared/datasets")]
    pub shared: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
}

/// Metrics in the table, in column order.
const COLUMNS: [&str; 6] = ["hit@10", "hit@20", "mrr@10", "mrr@20", "ndcg@10", "ndcg@20"];

/// The data configuration of a dataset preset (SR-GNN-style preprocessing for session logs:
/// sessions of length >= 2, items seen >= 5 times; test = the last 7 days of Diginetica and the
/// last day of Yoochoose, validation = the same span before).
pub fn preset(name: &str, shared: &Path) -> anyhow::Result<DataConfig> {
    let base = DataConfig::default();
    Ok(match name {
        // The default data configuration is the embedded ml-100k.
        "ml-100k" => base,
        "amazon-beauty" => DataConfig {
            path: shared.join("amazon-beauty/Beauty.txt"),
            format: "s3rec".into(),
            ..base
        },
        "diginetica" => DataConfig {
            path: shared.join("sessions/diginetica-sample.csv"),
            format: "diginetica".into(),
            split: "session-date:7,7".into(),
            min_user: 2,
            min_item: 5,
            ..base
        },
        "yoochoose" => DataConfig {
            path: shared.join("sessions"),
            format: "yoochoose".into(),
            split: "session-date:1,1".into(),
            min_user: 2,
            min_item: 5,
            ..base
        },
        o => anyhow::bail!(
            "unknown dataset preset '{o}' (expected ml-100k, amazon-beauty, diginetica, yoochoose)"
        ),
    })
}

pub fn run(cmd: ExperimentCommand) -> anyhow::Result<()> {
    match cmd {
        ExperimentCommand::SessionModels(a) => session_models(a),
    }
}

fn session_models(a: SessionModelsArgs) -> anyhow::Result<()> {
    anyhow::ensure!(!a.seeds.is_empty(), "--seeds must name at least one seed");
    let kinds: Vec<ModelKind> = a
        .models
        .iter()
        .map(|m| m.parse())
        .collect::<anyhow::Result<_>>()?;
    let mut cells: Vec<Value> = Vec::new();
    for ds in &a.datasets {
        let data = preset(ds, &a.shared)?;
        for &kind in &kinds {
            let mut runs = Vec::new();
            let mut skipped = None;
            for &seed in &a.seeds {
                let dir = a.out.join("runs").join(format!("{ds}-{kind}-seed{seed}"));
                match run_one(&data, kind, seed, &a, &dir) {
                    Ok(r) => runs.push(r),
                    Err(e) if kind.needs_features() && format!("{e:#}").contains("metadata") => {
                        eprintln!("{ds} / {kind}: skipped: {e:#}");
                        skipped = Some(format!("{e:#}"));
                        break;
                    }
                    Err(e) => return Err(e.context(format!("{ds} / {kind} / seed {seed}"))),
                }
            }
            cells.push(summarise(ds, kind, &runs, skipped));
        }
    }
    let out = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "seeds": a.seeds,
        "epochs": a.epochs,
        "patience": a.patience,
        "batch_size": a.batch_size,
        "tie": a.tie.as_str(),
        "cells": cells,
    });
    write_bytes_atomic(
        &a.out.join("results.json"),
        &serde_json::to_vec_pretty(&out)?,
    )?;
    let md = report(&cells, &a);
    write_bytes_atomic(&a.out.join("report.md"), md.as_bytes())?;
    plot(&a.out.join("hit10.svg"), &cells)?;
    println!("{md}");
    println!("written: {}", a.out.join("report.md").display());
    Ok(())
}

/// One train run, or its existing results when the directory already has them.
fn run_one(
    data: &DataConfig,
    kind: ModelKind,
    seed: u64,
    a: &SessionModelsArgs,
    dir: &Path,
) -> anyhow::Result<Value> {
    let mut cfg = RunConfig {
        seed,
        data: data.clone(),
        model: ModelConfig::for_kind(kind),
        ..RunConfig::default()
    };
    cfg.train.epochs = a.epochs;
    cfg.train.patience = a.patience;
    cfg.train.batch_size = a.batch_size;
    cfg.train.tie = a.tie;
    if kind.needs_features() {
        if let Some(p) = a.session_pool {
            cfg.model.session_pool = p;
        }
        cfg.model.popularity_field = a.popularity_field;
    }
    cfg.model.validate()?;
    cfg.train.validate()?;
    let done = dir.join("results.json");
    if done.exists() {
        let text = std::fs::read_to_string(&done)?;
        let mut r: Value = serde_json::from_str(&text)?;
        ensure_same_model(&r, &cfg, &done)?;
        if r.pointer("/config/train/tie").and_then(Value::as_str) != Some(a.tie.as_str()) {
            eprintln!(
                "== {}: re-evaluating under tie rule {}",
                dir.display(),
                a.tie.as_str()
            );
            let e = evaluate_run(dir, "test", Some(a.tie))?;
            r["config"]["train"]["tie"] = json!(a.tie.as_str());
            r["metrics"]["test"] = serde_json::to_value(&e.metrics)?;
            r["metrics"]["test_rare"] = serde_json::to_value(&e.slices.rare)?;
            r["metrics"]["test_cold"] = serde_json::to_value(&e.slices.cold)?;
            r["candidates"] = serde_json::to_value(&e.candidates)?;
        }
        return Ok(r);
    }
    eprintln!("== {} / {kind} / seed {seed}", data.path.display());
    let r = train_run(&cfg, dir, false, true)?;
    Ok(serde_json::to_value(&r)?)
}

/// A finished run is reused only if it was trained with the model, data and seed asked for now:
/// a folder left by a run with other options must not slip into the table.
fn ensure_same_model(r: &Value, want: &RunConfig, file: &Path) -> anyhow::Result<()> {
    let got: RunConfig = serde_json::from_value(r["config"].clone())
        .map_err(|e| anyhow::anyhow!("{}: field config: {e}", file.display()))?;
    anyhow::ensure!(
        got.model == want.model && got.data == want.data && got.seed == want.seed,
        "{} was trained with another configuration than this command asks for (model, data \
         or seed differ); use another --out or remove that run",
        file.display()
    );
    Ok(())
}

/// Mean ± std over seeds of every column, overall and on rare / cold targets.
fn summarise(ds: &str, kind: ModelKind, runs: &[Value], skipped: Option<String>) -> Value {
    let stat = |path: &[&str], key: &str| -> Option<MeanStd> {
        let vals: Vec<f64> = runs
            .iter()
            .filter_map(|r| {
                let mut v = r;
                for p in path {
                    v = v.get(p)?;
                }
                v.get(key)?.as_f64()
            })
            .collect();
        (!vals.is_empty()).then(|| MeanStd::from_values(&vals))
    };
    let block = |path: &[&str]| -> BTreeMap<String, MeanStd> {
        COLUMNS
            .iter()
            .filter_map(|k| stat(path, k).map(|s| (k.to_string(), s)))
            .collect()
    };
    let mean_of = |key: &str| -> Option<f64> {
        let v: Vec<f64> = runs
            .iter()
            .filter_map(|r| r.pointer(key).and_then(Value::as_f64))
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    json!({
        "dataset": ds,
        "model": kind.to_string(),
        "n_runs": runs.len(),
        "skipped": skipped,
        "test": block(&["metrics", "test"]),
        "test_rare": block(&["metrics", "test_rare"]),
        "test_cold": block(&["metrics", "test_cold"]),
        "n_test_rare": mean_of("/metrics/n_test_rare"),
        "n_test_cold": mean_of("/metrics/n_test_cold"),
        "candidates": block(&["candidates", "candidates"]),
        "candidate_speedup": mean_of("/candidates/speedup"),
        "candidate_coverage": mean_of("/candidates/target_coverage"),
        "seconds_per_epoch": mean_of("/timing/epoch_seconds/0"),
        "best_epoch": mean_of("/best_epoch"),
        "peak_rss_mb": mean_of("/peak_rss_mb"),
    })
}

fn cell(v: &Value, block: &str, key: &str) -> String {
    match (
        v.pointer(&format!("/{block}/{key}/mean"))
            .and_then(Value::as_f64),
        v.pointer(&format!("/{block}/{key}/std"))
            .and_then(Value::as_f64),
    ) {
        (Some(m), Some(s)) => format!("{m:.4} ± {s:.4}"),
        _ => "-".into(),
    }
}

fn report(cells: &[Value], a: &SessionModelsArgs) -> String {
    let mut md = String::new();
    let seeds: Vec<String> = a.seeds.iter().map(u64::to_string).collect();
    let _ = writeln!(
        md,
        "# Session models: test accuracy over the full catalogue\n\nSeeds {}; at most {} epochs \
         (early stopping on valid NDCG@10, patience {}); batch {} windows; test ties ranked \
         {}. Mean ± std over seeds.\n",
        seeds.join(", "),
        a.epochs,
        a.patience,
        a.batch_size,
        a.tie.as_str()
    );
    for (title, block) in [
        ("All test targets", "test"),
        (
            "Rare targets (seen < 5 times in training, cold included)",
            "test_rare",
        ),
        ("Cold targets (never seen in training)", "test_cold"),
        ("HierSRec: ranking only the candidates", "candidates"),
    ] {
        let _ = writeln!(md, "## {title}\n");
        let _ = writeln!(md, "| dataset | model | {} |", COLUMNS.join(" | "));
        let _ = writeln!(md, "|---|---|{}", "---|".repeat(COLUMNS.len()));
        for v in cells {
            if v["skipped"].is_string() || v[block].as_object().is_none_or(|o| o.is_empty()) {
                continue;
            }
            let row: Vec<String> = COLUMNS.iter().map(|k| cell(v, block, k)).collect();
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                v["dataset"].as_str().unwrap_or("?"),
                v["model"].as_str().unwrap_or("?"),
                row.join(" | ")
            );
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "## Runs\n\n| dataset | model | rare / cold test cases | s per epoch | peak RSS MB | candidate speed-up | target coverage |\n|---|---|---|---|---|---|---|"
    );
    let num =
        |v: &Value, k: &str, p: usize| v[k].as_f64().map_or("-".into(), |x| format!("{x:.p$}"));
    for v in cells {
        if let Some(why) = v["skipped"].as_str() {
            let _ = writeln!(
                md,
                "| {} | {} | skipped: {} |||||",
                v["dataset"].as_str().unwrap_or("?"),
                v["model"].as_str().unwrap_or("?"),
                why.replace('|', "/")
            );
            continue;
        }
        let _ = writeln!(
            md,
            "| {} | {} | {} / {} | {} | {} | {} | {} |",
            v["dataset"].as_str().unwrap_or("?"),
            v["model"].as_str().unwrap_or("?"),
            num(v, "n_test_rare", 0),
            num(v, "n_test_cold", 0),
            num(v, "seconds_per_epoch", 1),
            num(v, "peak_rss_mb", 0),
            num(v, "candidate_speedup", 1),
            num(v, "candidate_coverage", 3),
        );
    }
    md
}

/// Grouped bars: test HR@10 (mean, with a ±std whisker) per dataset and model.
fn plot(path: &Path, cells: &[Value]) -> anyhow::Result<()> {
    let e = |e: &dyn std::fmt::Display| anyhow::anyhow!("plot {}: {e}", path.display());
    let shown: Vec<&Value> = cells.iter().filter(|v| v["skipped"].is_null()).collect();
    let datasets: Vec<&str> = {
        let mut d: Vec<&str> = shown.iter().filter_map(|v| v["dataset"].as_str()).collect();
        d.dedup();
        d
    };
    let models: Vec<&str> = {
        let mut m: Vec<&str> = shown.iter().filter_map(|v| v["model"].as_str()).collect();
        m.sort();
        m.dedup();
        m
    };
    let get = |v: &Value, k: &str| {
        v.pointer(&format!("/test/hit@10/{k}"))
            .and_then(Value::as_f64)
    };
    let ymax = shown
        .iter()
        .filter_map(|v| Some(get(v, "mean")? + get(v, "std")?))
        .fold(0.01, f64::max)
        * 1.15;
    let slot = models.len().max(1) as f64 + 1.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (820, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Test HR@10 (mean ± std over seeds)", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..datasets.len().max(1) as f64 * slot, 0.0..ymax)
            .map_err(|x| e(&x))?;
        let labels = datasets.clone();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(datasets.len().max(1) * 2 + 1)
            .x_label_formatter(&|x| {
                let i = (x / slot).floor() as usize;
                let centre = i as f64 * slot + slot / 2.0;
                if (x - centre).abs() < slot / 4.0 {
                    labels.get(i).map_or(String::new(), |s| s.to_string())
                } else {
                    String::new()
                }
            })
            .y_desc("HR@10")
            .draw()
            .map_err(|x| e(&x))?;
        for (mi, m) in models.iter().enumerate() {
            let color = Palette99::pick(mi).to_rgba();
            let bars: Vec<(f64, f64, f64)> = shown
                .iter()
                .filter(|v| v["model"].as_str() == Some(m))
                .filter_map(|v| {
                    let di = datasets
                        .iter()
                        .position(|d| Some(*d) == v["dataset"].as_str())?;
                    Some((
                        di as f64 * slot + 0.5 + mi as f64,
                        get(v, "mean")?,
                        get(v, "std")?,
                    ))
                })
                .collect();
            chart
                .draw_series(
                    bars.iter()
                        .map(|&(x, y, _)| Rectangle::new([(x, 0.0), (x + 0.9, y)], color.filled())),
                )
                .map_err(|x| e(&x))?
                .label(*m)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
            chart
                .draw_series(bars.iter().map(|&(x, y, s)| {
                    PathElement::new(vec![(x + 0.45, y - s), (x + 0.45, y + s)], BLACK)
                }))
                .map_err(|x| e(&x))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|x| e(&x))?;
        root.present().map_err(|x| e(&x))?;
    }
    write_bytes_atomic(path, svg.as_bytes())
}

//! `trustrec`: train, evaluate and query sequential recommenders from the command line.

mod attack_text;
mod bench;
mod complete;
mod complete_report;
mod config;
mod data;
mod experiment;
mod iscon;
mod mem;
mod recommend;
mod results;
mod robust;
mod run;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "trustrec",
    version,
    about = "Trustworthy sequential recommendation toolkit"
)]
struct Cli {
    /// Worker threads for training and evaluation (default: all cores).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inspect a dataset.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Train a model, evaluate it on valid and test, write DIR/results.json.
    Train(run::TrainArgs),
    /// Re-evaluate a trained run directory (its best checkpoint) on its split.
    Evaluate(run::EvaluateArgs),
    /// Top-K recommendations for a history of original item ids.
    Recommend(recommend::RecommendArgs),
    /// Train SASRec on the embedded ml-100k copy and print a small table (< 5 minutes).
    Quickstart(run::QuickstartArgs),
    /// Perturb training interactions (random or CASPER) and write the perturbed log.
    Perturb(robust::PerturbArgs),
    /// Stability audit: original vs perturbed training, rank-list sensitivity and accuracy.
    Audit(robust::AuditArgs),
    /// Train, then FINEST rank-preserving fine-tuning; writes the stabilized model.
    Stabilize(robust::StabilizeArgs),
    /// Reproducible multi-model, multi-seed experiments with a Markdown table and a plot.
    Experiment {
        #[command(subcommand)]
        command: experiment::ExperimentCommand,
    },
    /// ISCON (implicit session contexts) with its no-context ablation; writes DIR/results.json.
    Iscon(iscon::IsconArgs),
    /// Tensor completion (CoSTCo / MLP / CP-ALS) with DAIN or baseline augmentation.
    Complete(complete::CompleteArgs),
    /// Rewrite target items' texts to push them up a text-aware recommender, and measure it.
    AttackText(attack_text::AttackTextArgs),
    /// Micro-benchmarks: `bench backends` (one SASRec training step on each CPU backend),
    /// `bench eval --run DIR` (evaluation through burn vs the plain-Rust forward pass).
    Bench(bench::BenchArgs),
}

#[derive(Subcommand)]
enum DataCommand {
    /// Counts, density, sequence lengths and time range.
    Stats(DataArgs),
}

#[derive(Args)]
struct DataArgs {
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value = "recbole")]
    format: String,
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Err(e) = real_main(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn real_main(cli: Cli) -> anyhow::Result<()> {
    if let Some(n) = cli.threads {
        anyhow::ensure!(n > 0, "--threads must be > 0");
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()?;
    }
    match cli.command {
        Command::Data {
            command: DataCommand::Stats(a),
        } => {
            let cfg = config::DataConfig {
                path: a.data,
                format: a.format,
                ..Default::default()
            };
            let loaded = data::load(&cfg)?;
            let stats = serde_json::json!({
                "files": loaded.source.files,
                "format": loaded.source.format.to_string(),
                "hash": loaded.source.hash,
                "stats": loaded.log.stats(),
                "item_fields": loaded.catalog.fields.iter().map(|f| &f.name).collect::<Vec<_>>(),
                "items_with_title": loaded.catalog.titles.iter().filter(|t| t.is_some()).count(),
            });
            println!("{}", serde_json::to_string_pretty(&stats)?);
            Ok(())
        }
        Command::Train(a) => run::train(a),
        Command::Evaluate(a) => run::evaluate(a),
        Command::Recommend(a) => recommend::recommend(a),
        Command::Quickstart(a) => run::quickstart(a),
        Command::Perturb(a) => robust::perturb_cmd(a),
        Command::Audit(a) => robust::audit_cmd(a),
        Command::Stabilize(a) => robust::stabilize_cmd(a),
        Command::Experiment { command } => experiment::run(command),
        Command::Iscon(a) => iscon::iscon_cmd(a),
        Command::Complete(a) => complete::complete_cmd(a),
        Command::AttackText(a) => attack_text::attack_text_cmd(a),
        Command::Bench(a) => bench::run(a),
    }
}

//! `bench backends`: one SASRec training step (batch 128 x 50, d 64, 3.5k items) on each CPU
//! backend in the same process, reported as time per step and the ratio to the first backend.

use clap::Args;
use rand::{Rng, SeedableRng};
use trustrec_models::{BackendKind, ModelConfig};

#[derive(Args)]
pub struct BenchArgs {
    /// What to benchmark (only `backends` for now).
    #[arg(default_value = "backends")]
    pub what: String,
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
    anyhow::ensure!(
        a.what == "backends",
        "unknown benchmark '{}' (expected backends)",
        a.what
    );
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

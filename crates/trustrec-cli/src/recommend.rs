//! `recommend`: top-K for a history given as original item ids, answered with ids and titles.

use std::path::PathBuf;

use clap::Args;

use crate::run::load_run;

#[derive(Args)]
pub struct RecommendArgs {
    /// A directory written by `trustrec train`.
    #[arg(long)]
    pub run: PathBuf,
    /// Comma-separated original item ids, oldest first.
    #[arg(long, value_delimiter = ',', conflicts_with = "user")]
    pub history: Option<Vec<String>>,
    /// Use this user's (original id) full sequence from the run's data as the history.
    #[arg(long)]
    pub user: Option<String>,
    #[arg(short, long, default_value_t = 10)]
    pub k: usize,
    /// Exclude items already in the history.
    #[arg(long)]
    pub mask_seen: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn recommend(a: RecommendArgs) -> anyhow::Result<()> {
    anyhow::ensure!(a.k > 0, "-k must be > 0");
    let (cfg, prep, model, device) = load_run(&a.run)?;
    let ids = &prep.log.item_ids;
    // A --history has no times (TiSASRec then sees equal times); a --user brings its own.
    let (history, times): (Vec<u32>, Option<Vec<f64>>) = match (&a.history, &a.user) {
        (Some(h), _) => (
            h.iter()
                .map(|s| {
                    let s = s.trim();
                    ids.get(s).ok_or_else(|| {
                        anyhow::anyhow!(
                            "--history: unknown item id '{s}' (not in {})",
                            cfg.data.path.display()
                        )
                    })
                })
                .collect::<anyhow::Result<_>>()?,
            None,
        ),
        (None, Some(u)) => {
            let uid = prep
                .log
                .user_ids
                .get(u)
                .ok_or_else(|| anyhow::anyhow!("--user: unknown user id '{u}'"))?;
            let seqs = &prep.split.seqs;
            (
                seqs.items_of(uid as usize).to_vec(),
                Some(seqs.times_of(uid as usize).to_vec()),
            )
        }
        (None, None) => anyhow::bail!("give --history ID,ID,... or --user ID"),
    };
    anyhow::ensure!(!history.is_empty(), "the history is empty");
    let top = trustrec_models::score::recommend(
        &model,
        &[history],
        times.map(|t| vec![t]).as_deref(),
        a.k,
        a.mask_seen,
        cfg.model.max_len,
        &device,
    )?;
    let rows: Vec<serde_json::Value> = top[0]
        .iter()
        .enumerate()
        .map(|(r, &i)| serde_json::json!({"rank": r + 1, "item": ids.original(i), "title": prep.title(i)}))
        .collect();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        println!("| rank | item | title |\n|---|---|---|");
        for r in &rows {
            println!(
                "| {} | {} | {} |",
                r["rank"],
                r["item"].as_str().unwrap_or(""),
                r["title"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}

//! `trustrec iscon`: the ISCON pipeline (trustrec-iscon) for several seeds, with the no-context
//! ablation; writes DIR/results.json (after every seed, atomically) and DIR/report.md.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde_json::json;
use trustrec_eval::{Metrics, aggregate_metrics};
use trustrec_iscon::{IsconConfig, IsconData, NodeEmbedding, ProtocolConfig, SeedOutput, run_seed};
use trustrec_models::checkpoint::write_bytes_atomic;

use crate::config::DataConfig;
use crate::robust::write_json;

#[derive(Args)]
pub struct IsconArgs {
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value = "jodie")]
    pub format: String,
    #[arg(long, default_value = "1,2,3", value_delimiter = ',')]
    pub seeds: Vec<u64>,
    #[arg(long)]
    pub out: PathBuf,
    /// Users with fewer interactions are dropped.
    #[arg(long, default_value_t = 10)]
    pub min_user: usize,
    /// A gap longer than this many seconds starts a new session.
    #[arg(long, default_value_t = 3600.0)]
    pub session_gap: f64,
    /// Number of contexts (k-means k).
    #[arg(long, default_value_t = 40)]
    pub contexts: usize,
    /// Predicted contexts fed to the item predictor.
    #[arg(long, default_value_t = 3)]
    pub top_k: usize,
    /// LSTM hidden size and user/item embedding width (paper: 256; 64 keeps 2 CPU cores usable).
    #[arg(long, default_value_t = 64)]
    pub hidden: usize,
    /// Node embedding of step 2: graphsage (the paper's) | deepwalk (node2vec-style).
    #[arg(long, default_value = "deepwalk")]
    pub embedding: NodeEmbedding,
    /// Node (session/item) embedding width (paper: 128).
    #[arg(long, default_value_t = 64)]
    pub embed_dim: usize,
    /// Random walks per node for the skip-gram embedding.
    #[arg(long, default_value_t = 5)]
    pub walks: usize,
    #[arg(long, default_value_t = 50)]
    pub max_len: usize,
    #[arg(long, default_value_t = 50)]
    pub max_sessions: usize,
    /// Upper bound on epochs per predictor (paper: 200, with patience 5 it stops earlier).
    #[arg(long, default_value_t = 30)]
    pub max_epochs: usize,
    /// Upper bound on context-predictor epochs (default: --max-epochs).
    #[arg(long)]
    pub context_epochs: Option<usize>,
    #[arg(long, default_value_t = 5)]
    pub patience: usize,
    #[arg(long, default_value_t = 1024)]
    pub batch_size: usize,
    /// Skip the no-context ablation.
    #[arg(long)]
    pub no_ablation: bool,
    /// flex | ndarray | cuda
    #[arg(long)]
    pub backend: Option<String>,
}

impl IsconArgs {
    fn config(&self) -> IsconConfig {
        let mut c = IsconConfig::default();
        c.kmeans.k = self.contexts;
        c.net.top_k = self.top_k;
        c.net.hidden = self.hidden;
        c.embedding = self.embedding;
        c.embed.dim = self.embed_dim;
        c.sage.dim = self.embed_dim;
        c.embed.walks_per_node = self.walks;
        c.max_len = self.max_len;
        c.max_sessions = self.max_sessions;
        c.fit.max_epochs = self.max_epochs;
        c.context_max_epochs = self.context_epochs;
        c.fit.patience = self.patience;
        c.fit.batch_size = self.batch_size;
        c.ablation = !self.no_ablation;
        c
    }
}

const KEYS: [&str; 6] = ["hit@10", "hit@20", "mrr@10", "mrr@20", "ndcg@10", "ndcg@20"];

fn summary(runs: &[SeedOutput]) -> serde_json::Value {
    let iscon: Vec<Metrics> = runs.iter().map(|r| r.iscon.test.clone()).collect();
    let abl: Vec<Metrics> = runs
        .iter()
        .filter_map(|r| r.no_context.as_ref().map(|n| n.test.clone()))
        .collect();
    let ctx: Vec<Metrics> = runs.iter().map(|r| r.context.test.clone()).collect();
    json!({
        "iscon_test": aggregate_metrics(&iscon),
        "no_context_test": aggregate_metrics(&abl),
        "context_test": aggregate_metrics(&ctx),
    })
}

pub fn iscon_cmd(a: IsconArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    anyhow::ensure!(!a.seeds.is_empty(), "--seeds needs at least one seed");
    let cfg = a.config();
    let proto = ProtocolConfig {
        min_user: a.min_user,
        gap_seconds: a.session_gap,
        ..Default::default()
    };
    let loaded = crate::data::load(&DataConfig {
        path: a.data.clone(),
        format: a.format.clone(),
        ..Default::default()
    })?;
    let data = IsconData::new(&loaded.log, &proto)?;
    let stats = data.stats();
    tracing::info!("protocol: {stats:?}");
    let backend = match &a.backend {
        Some(b) => b.parse()?,
        None => trustrec_models::DEFAULT_BACKEND,
    };
    let device = trustrec_models::device(backend)?;
    fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut runs: Vec<SeedOutput> = Vec::new();
    for &seed in &a.seeds {
        runs.push(run_seed(&data, &cfg, seed, &device)?);
        let results = json!({
            "version": env!("CARGO_PKG_VERSION"),
            "data": {
                "path": a.data, "format": loaded.source.format.to_string(),
                "hash": loaded.source.hash, "rows": loaded.log.len(),
            },
            "protocol": proto,
            "protocol_stats": stats,
            "seeds": a.seeds,
            "seeds_done": runs.iter().map(|r| r.seed).collect::<Vec<_>>(),
            "config": cfg,
            "backend": backend,
            "evaluation": "full catalogue, rank = 1 + #items scoring strictly higher",
            "runs": runs,
            "summary": summary(&runs),
            "timing": {"seconds_total": t0.elapsed().as_secs_f64()},
            "peak_rss_mb": crate::mem::peak_rss_mb(),
        });
        write_json(&a.out.join("results.json"), &results)?;
        let report = report(
            &a,
            &loaded.source.hash,
            &stats,
            &runs,
            t0.elapsed().as_secs_f64(),
        );
        write_bytes_atomic(&a.out.join("report.md"), report.as_bytes())?;
    }
    print!(
        "{}",
        report(
            &a,
            &loaded.source.hash,
            &stats,
            &runs,
            t0.elapsed().as_secs_f64()
        )
    );
    Ok(())
}

fn row(name: &str, m: &Metrics) -> String {
    let cells: Vec<String> = KEYS
        .iter()
        .map(|k| m.get(*k).map_or("-".into(), |v| format!("{v:.4}")))
        .collect();
    format!("| {name} | {} |\n", cells.join(" | "))
}

fn report(
    a: &IsconArgs,
    hash: &str,
    stats: &trustrec_iscon::ProtocolStats,
    runs: &[SeedOutput],
    seconds: f64,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# ISCON on {} (sha256 {}…)\n",
        a.data.display(),
        &hash[..12.min(hash.len())]
    );
    let _ = writeln!(
        s,
        "Protocol: {} users, {} items, {} sessions; item examples train/valid/test = {} / {} / {}.\n",
        stats.users,
        stats.items,
        stats.sessions,
        stats.train_examples,
        stats.valid_examples,
        stats.test_examples
    );
    let _ = writeln!(s, "Test metrics over the full catalogue (HR = hit):\n");
    let _ = writeln!(s, "| model | {} |", KEYS.join(" | "));
    let _ = writeln!(s, "|---|{}", "---|".repeat(KEYS.len()));
    for r in runs {
        s += &row(&format!("ISCON seed {}", r.seed), &r.iscon.test);
        if let Some(n) = &r.no_context {
            s += &row(&format!("no-context seed {}", r.seed), &n.test);
        }
    }
    for (name, key) in [
        ("ISCON mean", "iscon_test"),
        ("no-context mean", "no_context_test"),
    ] {
        let agg = &summary(runs)[key];
        let cells: Vec<String> = KEYS
            .iter()
            .map(|k| {
                agg.get(*k).map_or("-".into(), |v| {
                    format!(
                        "{:.4} ± {:.4}",
                        v["mean"].as_f64().unwrap_or(f64::NAN),
                        v["std"].as_f64().unwrap_or(f64::NAN)
                    )
                })
            })
            .collect();
        let _ = writeln!(s, "| {name} | {} |", cells.join(" | "));
    }
    let _ = writeln!(s, "\nContext predictor (test, over the contexts):\n");
    for r in runs {
        let g = |k: &str| r.context.test.get(k).copied().unwrap_or(f64::NAN);
        let _ = writeln!(
            s,
            "- seed {}: recall@3 {:.4}, recall@10 {:.4}, MRR {:.4} (best epoch {})",
            r.seed,
            g("recall@3"),
            g("recall@10"),
            g("mrr"),
            r.context.best_epoch
        );
    }
    let _ = writeln!(s, "\nTimings (s):\n");
    for r in runs {
        let _ = writeln!(
            s,
            "- seed {}: embed {:.0}, k-means {:.0}, context {:.0} ({} epochs), ISCON items {:.0} ({} epochs), no-context {:.0}, total {:.0}",
            r.seed,
            r.embed_seconds,
            r.kmeans_seconds,
            r.context.fit_seconds,
            r.context.epochs_run,
            r.iscon.fit_seconds,
            r.iscon.epochs_run,
            r.no_context.as_ref().map_or(0.0, |n| n.fit_seconds),
            r.total_seconds
        );
    }
    let embedding = match a.embedding {
        NodeEmbedding::GraphSage => "GraphSAGE (degree features, mean aggregators, 10/5 samples)",
        NodeEmbedding::DeepWalk => "DeepWalk skip-gram",
    };
    let _ = writeln!(
        s,
        "\nWall time {seconds:.0} s; peak RSS {:.0} MB. Embeddings: {embedding}, width {}.",
        crate::mem::peak_rss_mb().unwrap_or(f64::NAN),
        a.embed_dim
    );
    s
}

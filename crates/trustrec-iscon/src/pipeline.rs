//! The whole ISCON pipeline for one seed: embed, cluster, predict contexts, predict items with
//! and without them.

use std::time::Instant;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use trustrec_eval::Metrics;

use crate::embed::{EmbedConfig, item_vectors, session_vectors, skip_gram};
use crate::examples::{ExampleConfig, targets};
use crate::fit::{FitConfig, Fitted, all_logits, evaluate, fit};
use crate::graph::Bipartite;
use crate::kmeans::{KMeans, KMeansConfig};
use crate::nets::{ContextNet, ItemNet, NetConfig};
use crate::sage::{SageConfig, embed_graph};
use crate::sessions::{IsconData, Role};
use crate::tasks::{ContextTask, ItemTask};

/// How step 2 embeds the session-item graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeEmbedding {
    /// The spec's GraphSAGE ([`crate::sage`]).
    GraphSage,
    /// The accepted node2vec-style alternative ([`crate::embed`]).
    DeepWalk,
}

impl std::str::FromStr for NodeEmbedding {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "graphsage" => Ok(Self::GraphSage),
            "deepwalk" => Ok(Self::DeepWalk),
            _ => anyhow::bail!("unknown node embedding '{s}' (expected graphsage or deepwalk)"),
        }
    }
}

/// Every setting of a run (defaults: the paper's, except the documented CPU-size reductions
/// `net.hidden = 64` (paper 256), embedding width 64 (paper 128) and `fit.max_epochs`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IsconConfig {
    pub embedding: NodeEmbedding,
    /// DeepWalk settings (used when `embedding` is `deepwalk`).
    pub embed: EmbedConfig,
    /// GraphSAGE settings (used when `embedding` is `graphsage`).
    pub sage: SageConfig,
    pub kmeans: KMeansConfig,
    pub net: NetConfig,
    pub fit: FitConfig,
    pub max_len: usize,
    pub max_sessions: usize,
    pub ks: Vec<usize>,
    /// Epoch cap of the context predictor (`None`: `fit.max_epochs`).
    pub context_max_epochs: Option<usize>,
    /// Also train the item predictor without contexts.
    pub ablation: bool,
}

impl Default for IsconConfig {
    fn default() -> Self {
        Self {
            embedding: NodeEmbedding::DeepWalk,
            embed: EmbedConfig::default(),
            sage: SageConfig::default(),
            kmeans: KMeansConfig::default(),
            net: NetConfig::default(),
            fit: FitConfig {
                max_epochs: 30,
                ..FitConfig::default()
            },
            max_len: 50,
            max_sessions: 50,
            ks: vec![10, 20],
            context_max_epochs: None,
            ablation: true,
        }
    }
}

/// One trained predictor's record.
#[derive(Clone, Debug, Serialize)]
pub struct PredictorReport {
    pub best_epoch: usize,
    pub epochs_run: usize,
    pub train_loss: Vec<f64>,
    pub valid: Metrics,
    pub test: Metrics,
    pub epoch_seconds: Vec<f64>,
    pub eval_seconds: Vec<f64>,
    pub fit_seconds: f64,
}

impl PredictorReport {
    fn new<N>(f: &Fitted<N>, test: Metrics, seconds: f64) -> Self {
        Self {
            best_epoch: f.best_epoch,
            epochs_run: f.epoch_seconds.len(),
            train_loss: f.train_loss.clone(),
            valid: f.best_valid.clone(),
            test,
            epoch_seconds: f.epoch_seconds.clone(),
            eval_seconds: f.eval_seconds.clone(),
            fit_seconds: seconds,
        }
    }
}

/// Everything one seed produced.
#[derive(Clone, Debug, Serialize)]
pub struct SeedOutput {
    pub seed: u64,
    pub graph_edges: usize,
    /// GraphSAGE's mean training loss per epoch (empty for DeepWalk).
    pub embed_loss: Vec<f64>,
    pub kmeans_inertia: f64,
    pub n_contexts: usize,
    pub embed_seconds: f64,
    pub kmeans_seconds: f64,
    /// Context predictor (metrics over the 40 contexts: recall@3, recall@10, mrr).
    pub context: PredictorReport,
    pub iscon: PredictorReport,
    pub no_context: Option<PredictorReport>,
    pub total_seconds: f64,
}

/// Top `k` classes of each row (ties: lower id), then sorted by id as in the original code.
pub fn top_k_sorted(scores: &[f32], cols: usize, k: usize) -> Vec<u32> {
    scores
        .chunks(cols)
        .flat_map(|row| {
            let mut ids: Vec<u32> = (0..cols as u32).collect();
            ids.sort_by(|&a, &b| row[b as usize].total_cmp(&row[a as usize]).then(a.cmp(&b)));
            let mut top = ids[..k.min(cols)].to_vec();
            top.sort_unstable();
            top
        })
        .collect()
}

/// Runs the pipeline on `data` for `seed` on `device` (the plain device; training uses its
/// autodiff version).
pub fn run_seed(
    data: &IsconData,
    cfg: &IsconConfig,
    seed: u64,
    device: &Device,
) -> anyhow::Result<SeedOutput> {
    let start = Instant::now();
    anyhow::ensure!(
        cfg.max_len >= 1 && cfg.max_sessions >= 1,
        "max lengths must be >= 1"
    );
    anyhow::ensure!(
        cfg.net.hidden >= 1 && cfg.net.context_dim >= 1,
        "hidden size and context width must be >= 1"
    );
    anyhow::ensure!(
        cfg.net.top_k >= 1 && cfg.net.top_k <= cfg.kmeans.k,
        "top-k contexts must be in 1..={}",
        cfg.kmeans.k
    );
    let (train, valid, test) = (
        targets(data, Role::Train),
        targets(data, Role::Valid),
        targets(data, Role::Test),
    );
    anyhow::ensure!(!test.is_empty(), "no test examples (users too short?)");

    let t = Instant::now();
    let graph = Bipartite::from_data(data);
    let (dim, sessions, embed_loss) = match cfg.embedding {
        NodeEmbedding::DeepWalk => {
            let dim = cfg.embed.dim;
            let nodes = skip_gram(&graph, &cfg.embed, seed)?;
            let items = item_vectors(&graph, &nodes, dim);
            (dim, session_vectors(data, &items, dim), Vec::new())
        }
        NodeEmbedding::GraphSage => {
            let all = Bipartite::from_all(data);
            let e = embed_graph(&graph, &all, &cfg.sage, seed, device)?;
            (cfg.sage.dim, e.sessions, e.epoch_loss)
        }
    };
    let embed_seconds = t.elapsed().as_secs_f64();
    tracing::info!("seed {seed}: embeddings in {embed_seconds:.1} s");

    let t = Instant::now();
    let fit_rows: Vec<f32> = data
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| s.in_graph)
        .flat_map(|(i, _)| sessions[i * dim..(i + 1) * dim].iter().copied())
        .collect();
    let km = KMeans::fit(&fit_rows, dim, &cfg.kmeans, seed)?;
    let labels: Vec<u32> = km
        .predict(&sessions)
        .into_iter()
        .map(|c| c as u32)
        .collect();
    let kmeans_seconds = t.elapsed().as_secs_f64();
    tracing::info!("seed {seed}: k-means in {kmeans_seconds:.1} s");

    let ex = ExampleConfig {
        max_len: cfg.max_len,
        max_sessions: cfg.max_sessions,
    };
    let ctask = ContextTask::new(data, ex, &sessions, dim, &labels);
    let t = Instant::now();
    let (nu, ni, k) = (data.n_users, data.n_items, cfg.kmeans.k);
    let cfit_cfg = FitConfig {
        max_epochs: cfg.context_max_epochs.unwrap_or(cfg.fit.max_epochs),
        ..cfg.fit.clone()
    };
    let cfit = fit(
        &ctask,
        |dev| ContextNet::new(&cfg.net, nu, ni, dim, k, dev),
        &train,
        &valid,
        &cfit_cfg,
        seed,
        device,
    )?;
    let ctest = evaluate(
        &ctask,
        &cfit.net,
        &test,
        &[3, 10],
        cfg.fit.eval_batch,
        device,
    )?;
    let context = PredictorReport::new(&cfit, ctest, t.elapsed().as_secs_f64());
    // Predicted contexts for every interaction that is a target.
    let top = cfg.net.top_k;
    let mut contexts = vec![0u32; data.len() * top];
    for part in [&train, &valid, &test] {
        let (scores, cols) = all_logits(&ctask, &cfit.net, part, cfg.fit.eval_batch, device)?;
        for (&i, c) in part
            .iter()
            .zip(top_k_sorted(&scores, cols, top).chunks(top))
        {
            contexts[i * top..(i + 1) * top].copy_from_slice(c);
        }
    }

    let item_run = |with_ctx: bool| -> anyhow::Result<PredictorReport> {
        let t = Instant::now();
        let task = ItemTask {
            data,
            max_len: cfg.max_len,
            contexts: if with_ctx { &contexts } else { &[] },
            top_k: top,
        };
        let n_ctx = with_ctx.then_some(k);
        let f = fit(
            &task,
            |dev| ItemNet::new(&cfg.net, nu, ni, n_ctx, dev),
            &train,
            &valid,
            &cfg.fit,
            seed,
            device,
        )?;
        let m = evaluate(&task, &f.net, &test, &cfg.ks, cfg.fit.eval_batch, device)?;
        Ok(PredictorReport::new(&f, m, t.elapsed().as_secs_f64()))
    };
    let iscon = item_run(true)?;
    let no_context = if cfg.ablation {
        Some(item_run(false)?)
    } else {
        None
    };
    Ok(SeedOutput {
        seed,
        graph_edges: graph.n_edges(),
        embed_loss,
        kmeans_inertia: km.inertia,
        n_contexts: k,
        embed_seconds,
        kmeans_seconds,
        context,
        iscon,
        no_context,
        total_seconds: start.elapsed().as_secs_f64(),
    })
}

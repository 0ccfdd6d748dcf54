//! The neural completion models as one burn module: per-mode embedding tables, then either
//! the MLP trunk (concatenated embeddings -> Linear+ReLU layers) or the CoSTCo trunk (a
//! convolution across modes and one across the rank, written as the linear maps they are),
//! and a final `Linear(h, 1)`. The last hidden vector `h` is what DAIN's influence uses.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// Sizes of a completion network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    pub kind: NetKind,
    /// Embedding width per mode.
    pub rank: usize,
    /// MLP hidden widths (the last is `h`); official DAIN: embeddings 150 / N, then
    /// [1024, 1024, 128].
    pub layers: Vec<usize>,
    /// CoSTCo channels (`h` = channels).
    pub channels: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetKind {
    Mlp,
    Costco,
}

/// Per-mode embeddings, a trunk producing `h`, and the output layer.
#[derive(Module, Debug)]
pub struct CompletionNet {
    emb: Vec<Embedding>,
    /// MLP trunk, or the dense layer after CoSTCo's convolutions.
    layers: Vec<Linear>,
    /// CoSTCo: the `(N x 1)` convolution, mixing modes per rank position.
    mode_mix: Option<Linear>,
    /// CoSTCo: the `(1 x R)` convolution over all channels and rank positions.
    rank_mix: Option<Linear>,
    out: Linear,
}

/// One batch of cells: the index column of each mode.
pub struct CellBatch {
    pub cols: Vec<Tensor<1, Int>>,
    pub len: usize,
}

impl CellBatch {
    /// `idx` holds `order` indices per cell, cell after cell.
    pub fn new(idx: &[u32], order: usize, device: &Device) -> Self {
        let len = idx.len() / order;
        let cols = (0..order)
            .map(|m| {
                let v: Vec<i64> = idx
                    .iter()
                    .skip(m)
                    .step_by(order)
                    .map(|&i| i as i64)
                    .collect();
                Tensor::from_data(TensorData::new(v, [len]), device)
            })
            .collect();
        Self { cols, len }
    }
}

impl CompletionNet {
    pub fn new(cfg: &NetConfig, shape: &[usize], device: &Device) -> Self {
        let n = shape.len();
        let r = cfg.rank;
        let emb = shape
            .iter()
            .map(|&s| EmbeddingConfig::new(s, r).init(device))
            .collect();
        match cfg.kind {
            NetKind::Mlp => {
                let mut width = n * r;
                let mut layers = Vec::new();
                for &w in &cfg.layers {
                    layers.push(LinearConfig::new(width, w).init(device));
                    width = w;
                }
                Self {
                    emb,
                    layers,
                    mode_mix: None,
                    rank_mix: None,
                    out: LinearConfig::new(width, 1).init(device),
                }
            }
            NetKind::Costco => {
                let c = cfg.channels;
                Self {
                    emb,
                    layers: vec![LinearConfig::new(c, c).init(device)],
                    mode_mix: Some(LinearConfig::new(n, c).init(device)),
                    rank_mix: Some(LinearConfig::new(r * c, c).init(device)),
                    out: LinearConfig::new(c, 1).init(device),
                }
            }
        }
    }

    /// The last hidden vectors `h`, `[b, width]`.
    pub fn hidden(&self, x: &CellBatch) -> Tensor<2> {
        let rows: Vec<Tensor<2>> = self
            .emb
            .iter()
            .zip(&x.cols)
            .map(|(e, col)| e.weight.val().select(0, col.clone()))
            .collect();
        let mut h = match (&self.mode_mix, &self.rank_mix) {
            (Some(mode_mix), Some(rank_mix)) => {
                let b = x.len;
                let r = rows[0].dims()[1];
                // [b, r, n]: the embeddings of a cell side by side, one column per mode.
                let stacked = Tensor::stack::<3>(rows, 2);
                let mixed = relu(mode_mix.forward(stacked)); // [b, r, c]
                let c = mixed.dims()[2];
                relu(rank_mix.forward(mixed.reshape([b, r * c])))
            }
            _ => Tensor::cat(rows, 1),
        };
        for l in &self.layers {
            h = relu(l.forward(h));
        }
        h
    }

    /// Predictions `[b]` from hidden vectors.
    pub fn head(&self, h: Tensor<2>) -> Tensor<1> {
        let b = h.dims()[0];
        self.out.forward(h).reshape([b])
    }

    /// The output layer `Linear(h, 1)`, whose gradient DAIN's influence uses.
    pub fn output_layer(&self) -> &Linear {
        &self.out
    }

    pub fn forward(&self, x: &CellBatch) -> Tensor<1> {
        self.head(self.hidden(x))
    }
}

//! BERT forward pass (inference only) with the weights of all-MiniLM-L6-v2.
//!
//! Hidden states are kept as `[batch * len, hidden]` so every dense layer is one 2-D matmul;
//! only attention reshapes to heads. Padded keys are masked out of attention and out of the
//! mean pooling, so a text's vector does not depend on what it is batched with.

use std::path::Path;

use anyhow::{Context, ensure};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};
use safetensors::SafeTensors;
use trustrec_models::ops::{l2_normalise, to_vec};

/// `x W + b` with `W` stored `[in, out]`.
struct Dense {
    w: Tensor<2>,
    b: Tensor<1>,
}

impl Dense {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        x.matmul(self.w.clone()) + self.b.clone().unsqueeze_dim(0)
    }
}

/// LayerNorm with BERT's epsilon (1e-12; burn's default is 1e-5).
struct Norm {
    g: Tensor<1>,
    b: Tensor<1>,
}

impl Norm {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let mean = x.clone().mean_dim(1);
        let centred = x - mean;
        let var = centred.clone().powi_scalar(2).mean_dim(1);
        centred / (var + 1e-12).sqrt() * self.g.clone().unsqueeze_dim(0)
            + self.b.clone().unsqueeze_dim(0)
    }
}

struct Layer {
    q: Dense,
    k: Dense,
    v: Dense,
    o: Dense,
    ln1: Norm,
    up: Dense,
    down: Dense,
    ln2: Norm,
}

/// The MiniLM-L6-H384 encoder.
pub struct MiniLm {
    word: Tensor<2>,
    pos: Tensor<2>,
    token_type: Tensor<2>,
    ln: Norm,
    layers: Vec<Layer>,
    heads: usize,
    pub hidden: usize,
    pub max_positions: usize,
    device: Device,
}

struct Weights<'a> {
    st: SafeTensors<'a>,
    device: Device,
}

impl Weights<'_> {
    fn get<const D: usize>(&self, name: &str) -> anyhow::Result<Tensor<D>> {
        let t = self
            .st
            .tensor(name)
            .with_context(|| format!("model.safetensors has no tensor '{name}'"))?;
        ensure!(
            t.dtype() == safetensors::Dtype::F32,
            "tensor '{name}' is {:?}, expected F32",
            t.dtype()
        );
        let shape = t.shape().to_vec();
        ensure!(
            shape.len() == D,
            "tensor '{name}' has shape {shape:?}, expected rank {D}"
        );
        let v: Vec<f32> = t
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Tensor::from_data(TensorData::new(v, shape), &self.device))
    }

    /// A PyTorch `Linear` (`weight [out, in]`) as `[in, out]`.
    fn dense(&self, prefix: &str) -> anyhow::Result<Dense> {
        Ok(Dense {
            w: self.get::<2>(&format!("{prefix}.weight"))?.transpose(),
            b: self.get(&format!("{prefix}.bias"))?,
        })
    }

    fn norm(&self, prefix: &str) -> anyhow::Result<Norm> {
        Ok(Norm {
            g: self.get(&format!("{prefix}.weight"))?,
            b: self.get(&format!("{prefix}.bias"))?,
        })
    }
}

impl MiniLm {
    /// Loads `dir/model.safetensors` (12 heads, as in all-MiniLM-L6-v2's config.json).
    pub fn load(dir: &Path, device: &Device) -> anyhow::Result<Self> {
        let path = dir.join("model.safetensors");
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let st = SafeTensors::deserialize(&bytes)
            .with_context(|| format!("{}: not a safetensors file", path.display()))?;
        let w = Weights {
            st,
            device: device.clone(),
        };
        let mut layers = Vec::new();
        while w
            .st
            .tensor(&format!(
                "encoder.layer.{}.attention.self.query.weight",
                layers.len()
            ))
            .is_ok()
        {
            let p = format!("encoder.layer.{}", layers.len());
            layers.push(Layer {
                q: w.dense(&format!("{p}.attention.self.query"))?,
                k: w.dense(&format!("{p}.attention.self.key"))?,
                v: w.dense(&format!("{p}.attention.self.value"))?,
                o: w.dense(&format!("{p}.attention.output.dense"))?,
                ln1: w.norm(&format!("{p}.attention.output.LayerNorm"))?,
                up: w.dense(&format!("{p}.intermediate.dense"))?,
                down: w.dense(&format!("{p}.output.dense"))?,
                ln2: w.norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        ensure!(!layers.is_empty(), "{}: no encoder layers", path.display());
        let word: Tensor<2> = w.get("embeddings.word_embeddings.weight")?;
        let pos: Tensor<2> = w.get("embeddings.position_embeddings.weight")?;
        let [max_positions, hidden] = pos.dims();
        Ok(Self {
            word,
            pos,
            token_type: w.get("embeddings.token_type_embeddings.weight")?,
            ln: w.norm("embeddings.LayerNorm")?,
            layers,
            heads: 12,
            hidden,
            max_positions,
            device: device.clone(),
        })
    }

    /// L2-normalised mean-pooled sentence vectors, `hidden` floats per sequence of token ids.
    pub fn embed(&self, seqs: &[Vec<u32>]) -> anyhow::Result<Vec<f32>> {
        let b = seqs.len();
        if b == 0 {
            return Ok(Vec::new());
        }
        let t = seqs.iter().map(Vec::len).max().unwrap_or(1).max(1);
        ensure!(
            t <= self.max_positions,
            "a text has {t} tokens, more than {}",
            self.max_positions
        );
        let (h, heads) = (self.hidden, self.heads);
        let d = h / heads;
        let mut ids = Vec::with_capacity(b * t);
        let mut mask = Vec::with_capacity(b * t);
        for s in seqs {
            ids.extend(s.iter().map(|&i| i as i64));
            ids.extend(std::iter::repeat_n(0i64, t - s.len()));
            mask.extend(std::iter::repeat_n(1f32, s.len()));
            mask.extend(std::iter::repeat_n(0f32, t - s.len()));
        }
        let dev = &self.device;
        let ids = Tensor::<1, Int>::from_data(TensorData::new(ids, [b * t]), dev);
        let mask2 = Tensor::<2>::from_data(TensorData::new(mask, [b, t]), dev);
        let pos = self.pos.clone().slice([0..t, 0..h]);
        let x = self.word.clone().select(0, ids).reshape([b, t, h])
            + pos.unsqueeze_dim(0)
            + self.token_type.clone().slice([0..1, 0..h]).unsqueeze_dim(0);
        let mut x = self.ln.forward(x.reshape([b * t, h]));
        // 0 for real keys, a large negative number for padding: [b, 1, 1, t].
        let bias = (mask2.clone() - 1.0).mul_scalar(1e9).reshape([b, 1, 1, t]);
        let split = |y: Tensor<2>| y.reshape([b, t, heads, d]).swap_dims(1, 2);
        for l in &self.layers {
            let q = split(l.q.forward(x.clone()));
            let k = split(l.k.forward(x.clone()));
            let v = split(l.v.forward(x.clone()));
            let scores = q.matmul(k.swap_dims(2, 3)).div_scalar((d as f32).sqrt()) + bias.clone();
            let ctx = softmax(scores, 3)
                .matmul(v)
                .swap_dims(1, 2)
                .reshape([b * t, h]);
            x = l.ln1.forward(l.o.forward(ctx) + x);
            x = l
                .ln2
                .forward(l.down.forward(gelu(l.up.forward(x.clone()))) + x);
        }
        let m3 = mask2.clone().reshape([b, t, 1]);
        let summed = (x.reshape([b, t, h]) * m3).sum_dim(1).reshape([b, h]);
        let counts = mask2.sum_dim(1).clamp_min(1e-9);
        to_vec(l2_normalise(summed / counts))
    }
}
